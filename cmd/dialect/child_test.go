package main

// The harness of the reliability and security tests that need a real server
// process (reliability.md B1, B3): the test binary re-executes itself as
// `dialect` (TestMain), so a test can start `dialect serve` on 127.0.0.1:0,
// SIGKILL or SIGTERM it, and start it again on the same data folder. Speakers
// talk to it over HTTP exactly as the pages do: sign in, consent, task,
// multipart POST of the clip.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// asMainEnv makes the test binary run main() instead of the tests.
const asMainEnv = "DIALECT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main() // exits
		return
	}
	os.Exit(m.Run())
}

// proc is one `dialect` child process.
type proc struct {
	t        *testing.T
	cmd      *exec.Cmd
	out, err *syncBuffer
	done     chan struct{}
	started  time.Time
	// Set by serve once the address is printed.
	addr  string
	base  string
	ready time.Duration
}

// childEnv is the environment of a child: the parent's minus every DIALECT_
// variable (a stray DIALECT_FAILPOINT must not leak into a restart), plus the
// data folder, port 0 on loopback and a per-IP sign-in limit high enough for
// many speakers on 127.0.0.1.
func childEnv(dir string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DIALECT_") {
			env = append(env, kv)
		}
	}
	env = append(env, asMainEnv+"=1", "DIALECT_DATA_DIR="+dir, "DIALECT_SERVER_ADDR=127.0.0.1:0",
		"DIALECT_LIMITS_LOGIN_PER_IP_PER_MINUTE=100000")
	return append(env, extra...)
}

// startDialect runs `dialect args...` as a child; it is killed at cleanup
// if still running.
func startDialect(t *testing.T, dir string, env []string, args ...string) *proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.Context(): the tests stop the child themselves (kill, term),
	// and a cleanup kills it if still running.
	p := &proc{t: t, cmd: exec.CommandContext(context.Background(), exe, args...), out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = childEnv(dir, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	return p
}

var servingRE = regexp.MustCompile(`serving (https?)://(\S+) `)

// serve starts `dialect serve` on dir and waits until it prints its address.
func serve(t *testing.T, dir string, env ...string) *proc {
	t.Helper()
	p := startDialect(t, dir, env, "serve")
	deadline := time.After(60 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(p.out.String()); m != nil {
			p.addr, p.base, p.ready = m[2], m[1]+"://"+m[2], time.Since(p.started)
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("serve exited %d before it was ready\nstdout: %s\nstderr: %s", p.cmd.ProcessState.ExitCode(), p.out, p.err)
		case <-deadline:
			t.Fatalf("serve not ready in 60 s\nstdout: %s\nstderr: %s", p.out, p.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill is kill -9.
func (p *proc) kill() {
	if p.running() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// wait waits up to d for the process to exit and returns its exit code (-1
// if a signal ended it); ok is false on timeout.
func (p *proc) wait(d time.Duration) (code int, ok bool) {
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return 0, false
	}
}

// term sends SIGTERM and waits up to 40 s; it returns how long the exit took.
func (p *proc) term() (time.Duration, int) {
	p.t.Helper()
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	code, ok := p.wait(40 * time.Second)
	if !ok {
		p.t.Fatalf("dialect did not exit within 40 s of SIGTERM\nstderr: %s", p.err)
	}
	return time.Since(start), code
}

// logLines returns the child's JSON log records with the given msg.
func (p *proc) logLines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(p.err.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// runDialect runs a short `dialect` command to completion.
func runDialect(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := startDialect(t, dir, nil, args...)
	code, ok := p.wait(60 * time.Second)
	if !ok {
		t.Fatalf("dialect %s did not finish in 60 s", strings.Join(args, " "))
	}
	return code, p.out.String(), p.err.String()
}

const speakerPassword = "Tâi-uân-lâng 2026 reliability"

var speakerHash = sync.OnceValue(func() string {
	h, err := server.HashPassword(speakerPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// seedCorpus creates the corpus in dir with the demo project and n
// speakers speaker-00… (all with speakerPassword), then closes it.
func seedCorpus(t *testing.T, dir string, n int) []string {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close seeded corpus: %v", err)
		}
	}()
	p := recorder.DemoProject()
	if err := db.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		t.Fatal(err)
	}
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("speaker-%02d", i)
		u := corpus.User{Username: names[i], Role: corpus.RoleSpeaker, ProjectID: p.ID, PasswordHash: speakerHash()}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// speakerClient is one speaker's browser.
type speakerClient struct {
	base, name string
	hc         *http.Client
	csrf       string
}

func newHTTPClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
}

// signInSpeaker signs in over the JSON API and accepts the consent text.
func signInSpeaker(base, name string) (*speakerClient, error) {
	s := &speakerClient{base: base, name: name, hc: newHTTPClient()}
	status, body, _, err := s.do("POST", "/api/v1/session", map[string]string{"username": name, "password": speakerPassword})
	if err != nil {
		return nil, err
	}
	if status != 200 {
		return nil, fmt.Errorf("sign in %s: %d %s", name, status, body)
	}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &sess); err != nil {
		return nil, err
	}
	s.csrf = sess.CSRF
	status, body, _, err = s.do("GET", "/api/v1/me", nil)
	if err != nil {
		return nil, fmt.Errorf("me %s: %w", name, err)
	}
	if status != 200 {
		return nil, fmt.Errorf("me %s: %d %s", name, status, body)
	}
	var me struct {
		ConsentRequired bool `json:"consent_required"`
		Project         struct {
			ConsentVersion int `json:"consent_version"`
		} `json:"project"`
	}
	if err := json.Unmarshal(body, &me); err != nil {
		return nil, err
	}
	if me.ConsentRequired {
		status, body, _, err = s.do("POST", "/api/v1/consent", map[string]int{"consent_version": me.Project.ConsentVersion})
		if err != nil {
			return nil, fmt.Errorf("consent %s: %w", name, err)
		}
		if status != 200 {
			return nil, fmt.Errorf("consent %s: %d %s", name, status, body)
		}
	}
	return s, nil
}

func (s *speakerClient) close() { s.hc.CloseIdleConnections() }

// do sends a request: a JSON body for a map or struct, raw bytes otherwise
// (then hdr must carry the Content-Type).
func (s *speakerClient) do(method, path string, body any, hdr ...string) (int, []byte, http.Header, error) {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+path, rd) // the client's Timeout bounds it
	if err != nil {
		return 0, nil, nil, err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, b, resp.Header, nil
}

type task struct {
	ID        string `json:"task_id"`
	Mode      string `json:"mode"`
	Prompt    string `json:"prompt"`
	NoiseBand string `json:"noise_band"`
}

func (s *speakerClient) nextTask() (task, error) {
	var tk task
	status, body, _, err := s.do("GET", "/api/v1/tasks/next", nil)
	if err != nil {
		return tk, err
	}
	if status != 200 {
		return tk, fmt.Errorf("next task: %d %s", status, body)
	}
	err = json.Unmarshal(body, &tk)
	return tk, err
}

// upload posts one take as the page does: the fields, then the audio.
func (s *speakerClient) upload(clientID string, tk task, audio []byte) (int, []byte, http.Header, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	text := ""
	if tk.Mode == "prompted" {
		text = tk.Prompt
	}
	for _, kv := range [][2]string{{"client_clip_id", clientID}, {"task_id", tk.ID}, {"noise_band", tk.NoiseBand}, {"transcript", text}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("audio", "take.wav")
	_, _ = fw.Write(audio)
	_ = mw.Close()
	return s.do("POST", "/api/v1/clips", buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

// baseClip is a 5-second prompted take (1 s room noise, 3 s speech, 1 s),
// 16 kHz mono 16-bit: 160 KB.
func baseClip(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, -65)
	return wavtest.Encode(wavtest.PCM16, mix)
}

// stamp returns a copy of a base clip whose last two samples carry n, so
// every take has its own SHA-256.
func stamp(clip []byte, n uint32) []byte {
	c := bytes.Clone(clip)
	binary.LittleEndian.PutUint16(c[len(c)-4:], uint16(n%2000))
	binary.LittleEndian.PutUint16(c[len(c)-2:], uint16(n/2000%2000))
	return c
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

var clientIDs struct {
	mu sync.Mutex
	n  int
}

// newClientClipID is a fresh UUID-shaped client clip id.
func newClientClipID() string {
	clientIDs.mu.Lock()
	defer clientIDs.mu.Unlock()
	clientIDs.n++
	return fmt.Sprintf("%08x-0000-4000-8000-%012d", rand.Uint32(), clientIDs.n)
}

// ack is a 2xx receipt a client was given: the test's promise ledger
// (reliability.md B0 item 6).
type ack struct {
	Speaker, ClientClipID, ClipID, SHA256, SentSHA string
	Status                                         int
}

type receipt struct {
	ClipID string `json:"clip_id"`
	SHA256 string `json:"sha256"`
	Status string `json:"status"`
}

// outcome tallies what uploaders saw.
type outcome struct {
	mu        sync.Mutex
	acks      []ack
	statuses  map[int]int // non-2xx statuses
	transport int         // requests that got no HTTP answer
	attempts  int
}

func (o *outcome) record(a *ack, status int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts++
	switch {
	case err != nil:
		o.transport++
	case a != nil:
		o.acks = append(o.acks, *a)
	default:
		if o.statuses == nil {
			o.statuses = map[int]int{}
		}
		o.statuses[status]++
	}
}

// runUploaders has one goroutine per speaker upload 5-second clips in a
// loop until stop is closed or the server stops answering, logging every
// 2xx receipt. It returns when all have finished.
func runUploaders(t *testing.T, speakers []*speakerClient, clips [][]byte, stop <-chan struct{}, o *outcome) {
	t.Helper()
	var wg sync.WaitGroup
	for i, sp := range speakers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := uint32(0); ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				tk, err := sp.nextTask()
				if err != nil {
					o.record(nil, 0, err)
					return
				}
				audio := stamp(clips[i%len(clips)], uint32(i)*100000+n)
				id := newClientClipID()
				status, body, _, err := sp.upload(id, tk, audio)
				if err != nil || status/100 != 2 {
					o.record(nil, status, err)
					if err != nil || status >= 500 {
						return
					}
					continue
				}
				var r receipt
				if err := json.Unmarshal(body, &r); err != nil {
					t.Errorf("2xx with a body that is not a receipt: %s", body)
					return
				}
				o.record(&ack{Speaker: sp.name, ClientClipID: id, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(audio), Status: status}, status, nil)
			}
		}()
	}
	wg.Wait()
}

// signInAll signs every speaker in, in parallel.
func signInAll(t *testing.T, base string, names []string) []*speakerClient {
	t.Helper()
	out := make([]*speakerClient, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = signInSpeaker(base, n)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// verifyAcks reads every acknowledged clip back through the API as its
// speaker (the receipt and the audio bytes) and returns how many are lost
// (no such clip) and how many differ (SHA-256 of the receipt, the stored
// row or the served bytes not the one sent).
func verifyAcks(t *testing.T, base string, acks []ack) (lost, mismatched int) {
	t.Helper()
	by := map[string][]ack{}
	for _, a := range acks {
		by[a.Speaker] = append(by[a.Speaker], a)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, as := range by {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sp, err := signInSpeaker(base, name)
			if err != nil {
				t.Error(err)
				return
			}
			defer sp.close()
			for _, a := range as {
				status, body, _, err := sp.do("GET", "/api/v1/clips/"+a.ClipID, nil)
				if err != nil {
					t.Error(err)
					return
				}
				var row struct {
					SHA256       string `json:"sha256"`
					ClientClipID string `json:"client_clip_id"`
				}
				_ = json.Unmarshal(body, &row)
				bad := ""
				switch {
				case status == 404:
					mu.Lock()
					lost++
					mu.Unlock()
					t.Errorf("LOST: acknowledged clip %s (%s) of %s is not there", a.ClipID, a.ClientClipID, name)
					continue
				case status != 200:
					bad = fmt.Sprintf("GET clip: %d %s", status, body)
				case row.SHA256 != a.SentSHA || a.SHA256 != a.SentSHA:
					bad = fmt.Sprintf("sent %s, receipt %s, row %s", a.SentSHA, a.SHA256, row.SHA256)
				}
				if bad == "" {
					status, audio, _, err := sp.do("GET", "/api/v1/clips/"+a.ClipID+"/audio", nil)
					if err != nil {
						t.Error(err)
						return
					}
					if status != 200 || sha(audio) != a.SentSHA {
						bad = fmt.Sprintf("audio: %d, %d bytes, SHA-256 %s, sent %s", status, len(audio), sha(audio), a.SentSHA)
					}
				}
				if bad != "" {
					mu.Lock()
					mismatched++
					mu.Unlock()
					t.Errorf("clip %s of %s: %s", a.ClipID, name, bad)
				}
			}
		}()
	}
	wg.Wait()
	return lost, mismatched
}

// mustAuditDir runs the B0 audit (items 1–4, hashes verified) on dir
// read-only, fails the test unless it passes, and returns the report.
func mustAuditDir(t *testing.T, dir string) *corpus.AuditReport {
	t.Helper()
	rep, err := corpus.AuditDir(context.Background(), dir, true)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if !rep.OK() || rep.RowsWithoutFile != 0 {
		t.Fatalf("audit failed: %+v", *rep)
	}
	return rep
}

// countDir counts the entries of dir/sub.
func countDir(t *testing.T, dir, sub string) int {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// age sets the modification time of every file in dir/sub to d ago.
func age(t *testing.T, dir, sub string, d time.Duration) {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, sub))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-d)
	for _, e := range es {
		if err := os.Chtimes(filepath.Join(dir, sub, e.Name()), old, old); err != nil {
			t.Fatal(err)
		}
	}
}

// reconciled is the "corpus opened" log record of a serve: what the
// startup reconciler did.
func reconciled(t *testing.T, p *proc) (quarantined, tempRemoved int) {
	t.Helper()
	// stdout (where the address that says "ready" appears) and stderr (the
	// log) are copied by separate goroutines: on a busy machine the log
	// record can arrive a little after the address.
	ls := p.logLines("corpus opened")
	for deadline := time.Now().Add(10 * time.Second); len(ls) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		ls = p.logLines("corpus opened")
	}
	if len(ls) != 1 {
		t.Fatalf("want one \"corpus opened\" log record, got %d\nstderr: %s", len(ls), p.err)
	}
	q, _ := ls[0]["quarantined"].(float64)
	r, _ := ls[0]["temp_removed"].(float64)
	return int(q), int(r)
}

// envInt reads a knob of the long variants (bench/kill-upload.sh).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
