package deploy_test

// Issue #17, part 2: dialect behind the real Caddy and nginx, configured
// from deploy/Caddyfile and deploy/nginx.conf. Through each proxy: sign-in,
// CSRF-protected forms, a recorded take, a 30-minute resumable upload in
// the recorder's chunk size, a classroom of 60 behind one address, a
// password guesser over many accounts and one over many addresses, and
// forwarding headers a client makes up. Everywhere, the address dialect
// uses and logs is the test client's, not the proxy's.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// The accounts every proxy run starts with.
func suiteSpeakers() []string {
	names := []string{"ah-bin", "long-take", "target", "spoof"}
	for i := range 60 {
		names = append(names, fmt.Sprintf("student-%02d", i))
	}
	for i := range 30 {
		names = append(names, fmt.Sprintf("victim-%02d", i))
	}
	return names
}

// behindProxy starts a fresh dialect (trusting 127.0.0.1, the proxy's
// address) and the proxy in front of it.
func behindProxy(t *testing.T, start func(*testing.T, string) *proxy) (*dialect, *proxy, corpusSeed) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	seed := seedCorpus(t, dir, suiteSpeakers(), "long-take")
	d := startDialect(t, dir, "DIALECT_SERVER_TRUSTED_PROXIES=127.0.0.1/32")
	return d, start(t, d.addr), seed
}

func TestBehindCaddy(t *testing.T) {
	d, p, seed := behindProxy(t, startCaddy)
	proxySuite(t, d, p, seed)
}

func TestBehindNginx(t *testing.T) {
	d, p, seed := behindProxy(t, func(t *testing.T, up string) *proxy { return startNginx(t, up, nginxOptions{}) })
	proxySuite(t, d, p, seed)
}

func proxySuite(t *testing.T, d *dialect, p *proxy, seed corpusSeed) {
	t.Run("SignInFormsAndTake", func(t *testing.T) { signInFormsAndTake(t, d, p) })
	t.Run("ThirtyMinuteUpload", func(t *testing.T) { thirtyMinuteUpload(t, d, p, seed) })
	t.Run("ClassroomOneAddress", func(t *testing.T) { classroomOneAddress(t, p) })
	t.Run("GuesserManyAccounts", func(t *testing.T) { guesserManyAccounts(t, d, p) })
	t.Run("OneAccountManyAddresses", func(t *testing.T) { oneAccountManyAddresses(t, p) })
	t.Run("SpoofedForwarding", func(t *testing.T) { spoofedForwarding(t, d, p) })
}

// signInFormsAndTake: a speaker at 127.0.0.2 signs in through the
// proxy's HTTPS (the cookie is __Host- and Secure, HSTS is on: dialect
// believes the proxy's X-Forwarded-Proto), fills the CSRF-protected forms
// and posts a recorded take; dialect logs 127.0.0.2 via 127.0.0.1.
func signInFormsAndTake(t *testing.T, d *dialect, p *proxy) {
	b := p.client("127.0.0.2")
	r := b.signIn("ah-bin", password)
	if r.status != 200 {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	if r.proto != "HTTP/2.0" {
		t.Errorf("through %s: %s, want HTTP/2 as phones use", p.name, r.proto)
	}
	ck := r.header.Get("Set-Cookie")
	if !strings.HasPrefix(ck, "__Host-sid=") || !strings.Contains(ck, "; Secure") || !strings.Contains(ck, "HttpOnly") {
		t.Errorf("session cookie through %s: %q", p.name, ck)
	}
	if !strings.HasPrefix(r.header.Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS through %s's HTTPS", p.name)
	}
	if r := b.do(t, "GET", "/api/v1/me", nil); r.status != 200 {
		t.Fatalf("me: %d %s", r.status, r.body)
	}
	profile := map[string]string{"dialect_region": "臺南市", "age_band": "20_29", "gender": "female"}
	csrf := b.csrf
	b.csrf = ""
	if r := b.do(t, "PUT", "/api/v1/me/profile", profile); r.status != 403 || r.errCode() != "csrf" {
		t.Fatalf("profile without the CSRF token: %d %s", r.status, r.body)
	}
	b.csrf = csrf
	if r := b.do(t, "PUT", "/api/v1/me/profile", profile); r.status != 200 {
		t.Fatalf("profile: %d %s", r.status, r.body)
	}
	b.consent(t)
	r = b.do(t, "GET", "/api/v1/tasks/next", nil)
	if r.status != 200 {
		t.Fatalf("task: %d %s", r.status, r.body)
	}
	task := r.json()
	text := ""
	if task["mode"] == "prompted" {
		text, _ = task["prompt"].(string)
	}
	rng := rand.New(rand.NewPCG(17, 1))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, -65)
	wav := wavtest.Encode(wavtest.PCM16, mix)
	band, _ := task["noise_band"].(string)
	r = b.postClip(t, "0badcafe-0000-4000-8000-000000000017", task["task_id"].(string), band, text, wav)
	if r.status != 201 || r.json()["clip_id"] == nil {
		t.Fatalf("clip POST through %s: %d %s", p.name, r.status, r.body)
	}
	sum := sha256.Sum256(wav)
	if r.json()["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("receipt sha256 %v", r.json()["sha256"])
	}
	// Who dialect says it served.
	signed := d.logLines("signed in")
	if len(signed) == 0 || signed[len(signed)-1]["ip"] != "127.0.0.2" {
		t.Errorf("signed-in log through %s: %v", p.name, signed)
	}
	// The request line is written after the response has gone out, and
	// the child's stderr reaches us through a pipe: wait for it a moment.
	var clipLines []map[string]any
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		clipLines = clipLines[:0]
		for _, l := range d.logLines("request") {
			if l["route"] == "/api/v1/clips" && l["method"] == "POST" {
				clipLines = append(clipLines, l)
			}
		}
		if len(clipLines) > 0 || time.Now().After(deadline) {
			break
		}
	}
	n := len(clipLines)
	for _, l := range clipLines {
		if l["ip"] != "127.0.0.2" || l["via"] != "127.0.0.1" || l["https"] != true {
			t.Errorf("request log: %v", l)
		}
	}
	if n != 1 {
		t.Errorf("%d request lines for the clip POST", n)
	}
	t.Logf("%s: sign-in, profile (CSRF), consent, a 5 s take: 201; dialect logged ip 127.0.0.2 via 127.0.0.1, https", p.name)
}

// longWAV is a 30-minute 16 kHz mono 16-bit monologue (57.6 MB) on disk,
// made once per test run.
var longWAV = sync.OnceValues(func() (string, error) {
	path := filepath.Join(workDir, "monologue-30min.wav")
	_, err := wavtest.WriteLong(path, wavtest.PCM16, 30*60)
	return path, err
})

// tusUpload sends f through tus in chunks of chunk bytes, as tus.js
// does, and returns the receipt and the number of PATCHes.
func tusUpload(t *testing.T, b *browser, taskID, clientID string, f *os.File, size int64, sum string, chunk int64) (map[string]any, int) {
	t.Helper()
	meta := []string{}
	for _, kv := range [][2]string{{"client_clip_id", clientID}, {"task_id", taskID}, {"noise_band", "low"}, {"sha256", sum}, {"filetype", "audio/wav"}} {
		meta = append(meta, kv[0]+" "+base64.StdEncoding.EncodeToString([]byte(kv[1])))
	}
	tus := []string{"Tus-Resumable", "1.0.0"}
	r := b.do(t, "POST", "/api/v1/uploads", nil, append(tus, "Upload-Length", strconv.FormatInt(size, 10), "Upload-Metadata", strings.Join(meta, ","))...)
	if r.status != 201 {
		t.Fatalf("tus create: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	var off int64
	patches := 0
	for off < size {
		n := min(chunk, size-off)
		r := b.do(t, "PATCH", loc, io.NewSectionReader(f, off, n), append(tus, "Content-Type", "application/offset+octet-stream",
			"Upload-Offset", strconv.FormatInt(off, 10), "Content-Length", strconv.FormatInt(n, 10))...)
		patches++
		if r.status != 204 {
			t.Fatalf("PATCH %d at %d (%d bytes): %d %s %s", patches, off, n, r.status, r.header.Get("Content-Type"), r.body)
		}
		off += n
		if got := r.header.Get("Upload-Offset"); got != strconv.FormatInt(off, 10) {
			t.Fatalf("PATCH %d: Upload-Offset %s, want %d", patches, got, off)
		}
	}
	r = b.do(t, "GET", loc, nil, "Accept", "application/json")
	if r.status != 200 {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	return r.json(), patches
}

// thirtyMinuteUpload: a 30-minute monologue (57.6 MB) through the proxy,
// in the recorder's chunk size: a receipt, the source's SHA-256, and
// every PATCH logged with the client's address.
func thirtyMinuteUpload(t *testing.T, d *dialect, p *proxy, seed corpusSeed) {
	path, err := longWAV()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // only read
	h := sha256.New()
	size, err := io.Copy(h, f)
	if err != nil {
		t.Fatal(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	b := p.client("127.0.0.3")
	if r := b.signIn("long-take", password); r.status != 200 {
		t.Fatalf("sign-in: %d %s", r.status, r.body)
	}
	b.consent(t)
	chunk := recorderChunk(t)
	start := time.Now()
	receipt, patches := tusUpload(t, b, seed.monologue["long-take"], "0badcafe-0000-4000-8000-000000001800", f, size, sum, chunk)
	took := time.Since(start)
	if receipt["sha256"] != sum || receipt["status"] != "pending_review" {
		t.Fatalf("receipt: %v", receipt)
	}
	n := 0
	for _, l := range d.logLines("request") {
		if l["method"] == "PATCH" {
			n++
			if l["ip"] != "127.0.0.3" || l["via"] != "127.0.0.1" {
				t.Fatalf("PATCH log: %v", l)
			}
		}
	}
	if n != patches {
		t.Errorf("%d PATCH log lines, %d PATCHes", n, patches)
	}
	t.Logf("%s: 30-minute take, %.1f MB in %d PATCHes of %d KiB: %v (%.1f MB/s), receipt %v",
		p.name, float64(size)/1e6, patches, chunk>>10, took.Round(time.Millisecond), float64(size)/1e6/took.Seconds(), receipt["status"])
}

// parallelSignIns signs in each (src, user, password) at once and tallies
// the statuses.
func parallelSignIns(p *proxy, n int, who func(i int) (src, user, pw string)) ([]int, map[int]int) {
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, user, pw := who(i)
			b := p.client(src)
			codes[i] = b.signIn(user, pw).status
			b.hc.CloseIdleConnections()
		}()
	}
	wg.Wait()
	tally := map[int]int{}
	for _, c := range codes {
		tally[c]++
	}
	return codes, tally
}

// classroomOneAddress: 60 students behind one address (127.0.0.4: a
// campus NAT in front of the proxy), with the default limit (10 failures
// a minute per address), 10 of whom mistype first: every right password
// gets in, all within the minute.
func classroomOneAddress(t *testing.T, p *proxy) {
	start := time.Now()
	_, typos := parallelSignIns(p, 10, func(i int) (string, string, string) {
		return "127.0.0.4", fmt.Sprintf("student-%02d", i), "wrong password"
	})
	_, tally := parallelSignIns(p, 60, func(i int) (string, string, string) {
		return "127.0.0.4", fmt.Sprintf("student-%02d", i), password
	})
	took := time.Since(start)
	t.Logf("%s: a classroom behind 127.0.0.4: 10 typos %v, then 60 sign-ins %v, in %v", p.name, typos, tally, took.Round(time.Millisecond))
	if typos[401] != 10 || tally[200] != 60 {
		t.Fatalf("typos %v, sign-ins %v: want 10 × 401, then 60 × 200", typos, tally)
	}
	if took > time.Minute {
		t.Errorf("took %v: the limit is per minute", took)
	}
}

// guesserManyAccounts: one address (127.0.0.5) guessing over 30
// accounts gets the burst of 20 failures, then 429, even for a right
// password; another address (127.0.0.6) signs in.
func guesserManyAccounts(t *testing.T, d *dialect, p *proxy) {
	b := p.client("127.0.0.5")
	start := time.Now()
	var codes []int
	for i := range 30 {
		codes = append(codes, b.signIn(fmt.Sprintf("victim-%02d", i), fmt.Sprintf("guess %d", i)).status)
	}
	allowed := 20 + int(time.Since(start).Seconds()/6) // 10 a minute refill
	n401 := 0
	for _, c := range codes {
		if c == 401 {
			n401++
		}
	}
	if n401 < 20 || n401 > allowed || codes[len(codes)-1] != 429 {
		t.Fatalf("guesses: %v (%d × 401, allowed %d)", codes, n401, allowed)
	}
	if r := b.signIn("victim-29", password); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("right password from the guessing address: %d %v", r.status, r.header)
	}
	if r := p.client("127.0.0.6").signIn("victim-29", password); r.status != 200 {
		t.Fatalf("another address: %d %s", r.status, r.body)
	}
	refused := 0
	for _, l := range d.logLines("sign-in refused") {
		if l["ip"] == "127.0.0.5" && l["limit"] == "address" {
			refused++
		}
	}
	if refused != len(codes)-n401+1 {
		t.Errorf("%d refusals logged for 127.0.0.5, want %d", refused, len(codes)-n401+1)
	}
	t.Logf("%s: one address over 30 accounts: %d × 401, then 429", p.name, n401)
}

// oneAccountManyAddresses: 20 guesses at one account at once, each from
// its own address (127.0.1.1–20, forwarded by the proxy): 5 are checked,
// the rest answered 429, and the right password waits too.
func oneAccountManyAddresses(t *testing.T, p *proxy) {
	start := time.Now()
	codes, tally := parallelSignIns(p, 20, func(i int) (string, string, string) {
		return fmt.Sprintf("127.0.1.%d", i+1), "target", fmt.Sprintf("guess %d", i)
	})
	allowed := 5 + waitsWithin(time.Since(start))
	if tally[401] < 5 || tally[401] > allowed || tally[401]+tally[429] != 20 {
		t.Fatalf("guesses: %v (allowed %d × 401)", codes, allowed)
	}
	if r := p.client("127.0.1.50").signIn("target", password); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("right password during the account's wait: %d %v", r.status, r.header)
	}
	t.Logf("%s: one account from 20 addresses at once: %v", p.name, tally)
}

// waitsWithin is how many per-account waits (1 s, 2 s, 4 s, …) end
// within d: the extra attempts a guesser may have made.
func waitsWithin(d time.Duration) int {
	n := 0
	for w := time.Second; d >= w; w *= 2 {
		d -= w
		n++
	}
	return n
}

// spoofedForwarding: forwarding headers a client makes up change nothing.
// Through the proxy they are overwritten or dropped; sent straight to
// dialect (not a trusted proxy) they are ignored, so rotating them does
// not reset the address's limit.
func spoofedForwarding(t *testing.T, d *dialect, p *proxy) {
	b := p.client("127.0.0.7")
	r := b.signIn("spoof", password, "X-Forwarded-For", "203.0.113.9", "Forwarded", "for=203.0.113.9;proto=http",
		"X-Real-IP", "203.0.113.9", "X-Forwarded-Proto", "http")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Set-Cookie"), "__Host-sid=") {
		t.Fatalf("sign-in with made-up headers: %d %q", r.status, r.header.Get("Set-Cookie"))
	}
	signed := d.logLines("signed in")
	if l := signed[len(signed)-1]; l["ip"] != "127.0.0.7" {
		t.Errorf("through %s, made-up headers moved the client to %v", p.name, l["ip"])
	}
	// Straight to dialect, from 127.0.0.8, with a new X-Forwarded-For
	// each time: the default limit (a burst of 20 failures) holds.
	direct := newBrowser("http://"+d.addr, "127.0.0.8", nil)
	var codes []int
	for i := range 22 {
		codes = append(codes, direct.signIn(fmt.Sprintf("victim-%02d", i), "guess",
			"X-Forwarded-For", fmt.Sprintf("10.0.%d.%d", i, i), "Forwarded", fmt.Sprintf("for=10.1.%d.%d", i, i)).status)
	}
	if codes[19] != 401 || codes[20] != 429 || codes[21] != 429 {
		t.Fatalf("rotating X-Forwarded-For straight to dialect: %v", codes)
	}
	for _, l := range d.logLines("sign-in failed") {
		if ip := l["ip"].(string); strings.HasPrefix(ip, "10.") {
			t.Fatalf("dialect logged a made-up address: %v", l)
		}
	}
	t.Logf("%s: made-up X-Forwarded-For/Forwarded/X-Real-IP/X-Forwarded-Proto ignored; straight to dialect: %v", p.name, codes)
}
