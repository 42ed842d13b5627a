package server_test

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // G505: the tus checksum extension's sha1, as clients send it
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// settableClock is a corpus clock the test moves.
type settableClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *settableClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openTusEnv is newEnv over the data directory dir, which may already hold
// a corpus (a restarted server), with the corpus clock now (nil: real).
func openTusEnv(t *testing.T, dir string, now func() time.Time) *env {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, dir, corpus.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.ProjectBySlug(ctx, recorder.DemoProject().Slug)
	if errors.Is(err, corpus.ErrNotFound) {
		demo := recorder.DemoProject()
		p = &demo
		if err = db.CreateProject(ctx, p); err == nil {
			_, err = db.AddPrompts(ctx, p.ID, recorder.DemoPrompts())
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	rec := recorder.New(db, recorder.Options{Check: validate.DefaultConfig(), Lint: transcript.DefaultConfig()})
	srv, err := server.New(server.Options{LoginPerIPPerMinute: 1000, Now: now}, db, rec)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	e := &env{t: t, db: db, srv: srv, ts: ts, project: p, users: map[string]*corpus.User{}}
	t.Cleanup(func() { e.close() })
	hash, err := server.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ah-bin", "siu-ing"} {
		u, err := db.UserByUsername(ctx, name)
		if errors.Is(err, corpus.ErrNotFound) {
			u = &corpus.User{Username: name, Role: corpus.RoleSpeaker, ProjectID: p.ID, PasswordHash: hash}
			err = db.CreateUser(ctx, u)
		}
		if err != nil {
			t.Fatal(err)
		}
		e.users[name] = u
	}
	return e
}

// close stops the server (cutting live connections, so handlers in flight
// end as after a crash of the network) and closes the corpus.
func (e *env) close() {
	e.ts.CloseClientConnections()
	e.ts.Close()
	_ = e.db.Close()
}

// monologueTask gives the speaker a monologue task on a topic in band.
func (e *env) monologueTask(username, band string) string {
	e.t.Helper()
	ctx := context.Background()
	ps, err := e.db.Prompts(ctx, e.project.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range ps {
		if recorder.IsTopic(p.Text) {
			task := &corpus.Task{ProjectID: e.project.ID, SpeakerID: e.users[username].ID, PromptID: p.ID, Mode: "monologue", NoiseBand: band}
			if err := e.db.CreateTask(ctx, task); err != nil {
				e.t.Fatal(err)
			}
			return task.ID
		}
	}
	e.t.Fatal("no topic prompt")
	return ""
}

// monologue is a 12-second take that passes the low band.
func monologue(seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 9))
	mix, _ := wavtest.Clip(rng, 16000, 1, 10, 1, -18, wavtest.White, -65)
	return wavtest.Encode(wavtest.PCM16, mix)
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// metadata encodes tus Upload-Metadata from key, value pairs.
func metadata(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

// tusReq sends one tus request: Tus-Resumable 1.0.0 and the CSRF token
// unless hdr overrides them ("" removes a header); body of n bytes (n < 0:
// chunked).
func (c *client) tusReq(ctx context.Context, method, path string, body io.Reader, n int64, hdr ...string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.e.ts.URL+path, body)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.ContentLength = n
		if n < 0 {
			req.ContentLength = -1
		}
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; nothing to report
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}, nil
}

// tus is tusReq that fails the test on a transport error.
func (c *client) tus(method, path string, body []byte, hdr ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := c.tusReq(context.Background(), method, path, rd, int64(len(body)), hdr...)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// create starts an upload of data for task and returns its path.
func (c *client) create(task, clientID, band string, length int64, sum string, hdr ...string) string {
	c.e.t.Helper()
	r := c.tus("POST", "/api/v1/uploads", nil, append([]string{"Upload-Length", itoa(length),
		"Upload-Metadata", metadata("client_clip_id", clientID, "task_id", task, "noise_band", band, "sha256", sum, "filename", "take.wav")}, hdr...)...)
	loc := r.header.Get("Location")
	if r.status != 201 || !strings.HasPrefix(loc, "/api/v1/uploads/") || r.header.Get("Upload-Offset") != "0" ||
		r.header.Get("Tus-Resumable") != "1.0.0" || r.header.Get("Upload-Expires") == "" {
		c.e.t.Fatalf("create: %d %v %s", r.status, r.header, r.body)
	}
	return loc
}

// patch sends a chunk at off.
func (c *client) patch(loc string, off int64, chunk []byte, hdr ...string) response {
	c.e.t.Helper()
	return c.tus("PATCH", loc, chunk, append([]string{"Upload-Offset", itoa(off), "Content-Type", "application/offset+octet-stream"}, hdr...)...)
}

// offset is HEAD's Upload-Offset.
func (c *client) offset(loc string) int64 {
	c.e.t.Helper()
	r := c.tus("HEAD", loc, nil)
	if r.status != 200 {
		c.e.t.Fatalf("HEAD %s: %d", loc, r.status)
	}
	n, err := strconv.ParseInt(r.header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		c.e.t.Fatalf("HEAD Upload-Offset %q", r.header.Get("Upload-Offset"))
	}
	return n
}

// tmpFiles lists the corpus's tmp/ directory.
func (e *env) tmpFiles() []string {
	e.t.Helper()
	es, err := os.ReadDir(filepath.Join(e.db.Dir(), "tmp"))
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, x := range es {
		names = append(names, x.Name())
	}
	return names
}

func (e *env) clipCount() int {
	e.t.Helper()
	cs, err := e.db.Clips(context.Background(), corpusFilterAll())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(cs)
}

func TestTusOptions(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	r := sp.do("OPTIONS", "/api/v1/uploads", nil)
	want := map[string]string{"Tus-Version": "1.0.0", "Tus-Max-Size": "4294967295", "Tus-Checksum-Algorithm": "sha1,sha256",
		"Tus-Extension": "creation,creation-with-upload,termination,checksum,expiration"}
	if r.status != 204 {
		t.Fatalf("OPTIONS: %d", r.status)
	}
	for k, v := range want {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestTusUpload is the whole protocol on a short monologue: creation,
// chunks with and without checksums, HEAD, the finishing chunk and the
// receipt, which is the one a clip POST of the same bytes gets.
func TestTusUpload(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(1)
	loc := sp.create(task, uuid(1), "low", int64(len(audio)), sha256hex(audio))
	if r := sp.tus("GET", loc, nil); r.status != 404 || r.errCode() != "upload_incomplete" {
		t.Fatalf("receipt before the end: %d %s", r.status, r.body)
	}
	// A creation retried after a lost answer gets the same upload.
	if r := sp.tus("POST", "/api/v1/uploads", nil, "Upload-Length", itoa(int64(len(audio))),
		"Upload-Metadata", metadata("client_clip_id", uuid(1), "task_id", task, "noise_band", "low", "sha256", sha256hex(audio))); r.status != 201 || r.header.Get("Location") != loc {
		t.Fatalf("repeated creation: %d %v %s", r.status, r.header, r.body)
	}
	third := len(audio) / 3
	if r := sp.patch(loc, 0, audio[:third]); r.status != 204 || r.header.Get("Upload-Offset") != itoa(int64(third)) || r.header.Get("Upload-Expires") == "" {
		t.Fatalf("PATCH 1: %d %v %s", r.status, r.header, r.body)
	}
	s1 := sha1.Sum(audio[third : 2*third]) //nolint:gosec // G401: the tus checksum a client sends
	if r := sp.patch(loc, int64(third), audio[third:2*third], "Upload-Checksum", "sha1 "+base64.StdEncoding.EncodeToString(s1[:])); r.status != 204 {
		t.Fatalf("PATCH 2: %d %s", r.status, r.body)
	}
	if got := sp.offset(loc); got != int64(2*third) {
		t.Fatalf("HEAD offset %d, want %d", got, 2*third)
	}
	s2 := sha256.Sum256(audio[2*third:])
	r := sp.patch(loc, int64(2*third), audio[2*third:], "Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(s2[:]))
	if r.status != 204 || r.header.Get("Clip-Status") != "pending_review" || r.header.Get("Upload-Offset") != itoa(int64(len(audio))) {
		t.Fatalf("last PATCH: %d %v %s", r.status, r.header, r.body)
	}
	clipID := r.header.Get("Clip-Id")
	rr := sp.tus("GET", loc, nil)
	var receipt recorder.Receipt
	if err := jsonUnmarshalStrict(rr.body, &receipt); rr.status != 200 || err != nil {
		t.Fatalf("receipt: %d %s %v", rr.status, rr.body, err)
	}
	if receipt.ClipID != clipID || receipt.SHA256 != sha256hex(audio) || receipt.Status != corpus.StatusPendingReview {
		t.Fatalf("receipt %+v", receipt)
	}
	if r := sp.do("GET", "/api/v1/clips/"+clipID, nil); r.status != 200 {
		t.Fatalf("clip: %d", r.status)
	}
	// The same take as a clip POST (another client clip id) gets the same
	// receipt but for its clip id.
	post := sp.upload(uuid(2), task, "low", "", audio)
	var viaPost recorder.Receipt
	if err := jsonUnmarshalStrict(post.body, &viaPost); post.status != 201 || err != nil {
		t.Fatalf("clip POST: %d %s", post.status, post.body)
	}
	viaPost.ClipID = receipt.ClipID
	a, _ := json.Marshal(viaPost)
	b, _ := json.Marshal(receipt)
	if !bytes.Equal(a, b) {
		t.Fatalf("receipts differ:\n tus  %s\n POST %s", b, a)
	}
	// Finished: HEAD says so, PATCH is refused (H-13), the id stays taken.
	if got := sp.offset(loc); got != int64(len(audio)) {
		t.Fatalf("HEAD after the end: %d", got)
	}
	if r := sp.patch(loc, int64(len(audio)), nil); r.status != 403 {
		t.Fatalf("PATCH after the end: %d %s", r.status, r.body)
	}
	if r := sp.upload(uuid(1), task, "low", "", audio); r.status != 200 || !strings.Contains(string(r.body), clipID) {
		t.Fatalf("clip POST with the upload's client clip id: %d %s", r.status, r.body)
	}
	if e.clipCount() != 2 || len(e.tmpFiles()) != 0 {
		t.Fatalf("clips %d, tmp %v", e.clipCount(), e.tmpFiles())
	}
	e.mustAudit()

	// creation-with-upload: the whole take in the POST.
	audio3 := monologue(3)
	r = sp.tus("POST", "/api/v1/uploads", audio3, "Upload-Length", itoa(int64(len(audio3))), "Content-Type", "application/offset+octet-stream",
		"Upload-Metadata", metadata("client_clip_id", uuid(3), "task_id", task, "noise_band", "low", "sha256", sha256hex(audio3)))
	if r.status != 201 || r.header.Get("Upload-Offset") != itoa(int64(len(audio3))) || r.header.Get("Clip-Id") == "" {
		t.Fatalf("creation-with-upload: %d %v %s", r.status, r.header, r.body)
	}
	// Termination of a finished upload keeps its clip.
	if r := sp.tus("DELETE", r.header.Get("Location"), nil); r.status != 204 {
		t.Fatalf("DELETE: %d", r.status)
	}
	if e.clipCount() != 3 {
		t.Fatalf("clips %d, want 3", e.clipCount())
	}
	e.mustAudit()
}

// TestTusBadHeaders covers reliability.md H-06…H-15 and H-20: each bad
// request gets its status and leaves the upload as it was.
func TestTusBadHeaders(t *testing.T) {
	clk := &settableClock{t: time.Now()}
	e := openTusEnv(t, t.TempDir(), clk.Now)
	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(1)
	sum := sha256hex(audio)
	length := itoa(int64(len(audio)))
	loc := sp.create(task, uuid(1), "low", int64(len(audio)), sum)
	if r := sp.patch(loc, 0, audio[:1000]); r.status != 204 {
		t.Fatalf("first chunk: %d %s", r.status, r.body)
	}
	okMeta := metadata("client_clip_id", uuid(9), "task_id", task, "noise_band", "low", "sha256", sum)
	chunk := audio[1000:2000]
	oct := "application/offset+octet-stream"
	badSHA1 := sha1.Sum([]byte("something else")) //nolint:gosec // G401: a wrong tus checksum, as a client would send
	many := make([]string, 10000)
	for i := range many {
		many[i] = "k" + strconv.Itoa(i) + " "
	}
	for _, tt := range []struct {
		name, method, path string
		body               []byte
		hdr                []string
		status             int
	}{
		{"H-06 offset missing", "PATCH", loc, chunk, []string{"Content-Type", oct}, 400},
		{"H-06 offset -1", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "-1"}, 400},
		{"H-06 offset abc", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "abc"}, 400},
		{"H-06 offset overflow", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "9223372036854775808"}, 400},
		{"H-07 offset behind", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "0"}, 409},
		{"H-07 offset ahead", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "2000"}, 409},
		{"H-08 octet-stream", "PATCH", loc, chunk, []string{"Content-Type", "application/octet-stream", "Upload-Offset", "1000"}, 415},
		{"H-08 no content type", "PATCH", loc, chunk, []string{"Upload-Offset", "1000"}, 415},
		{"H-09 PATCH no Tus-Resumable", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Tus-Resumable", ""}, 412},
		{"H-09 PATCH 0.2.2", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Tus-Resumable", "0.2.2"}, 412},
		{"H-09 HEAD 0.2.2", "HEAD", loc, nil, []string{"Tus-Resumable", "0.2.2"}, 412},
		{"H-09 DELETE missing", "DELETE", loc, nil, []string{"Tus-Resumable", ""}, 412},
		{"H-09 POST missing", "POST", "/api/v1/uploads", nil, []string{"Tus-Resumable", "", "Upload-Length", length, "Upload-Metadata", okMeta}, 412},
		{"H-10 length -1", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", "-1", "Upload-Metadata", okMeta}, 400},
		{"H-10 length abc", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", "abc", "Upload-Metadata", okMeta}, 400},
		{"H-10 length missing", "POST", "/api/v1/uploads", nil, []string{"Upload-Metadata", okMeta}, 400},
		{"H-10 length 4 GiB", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", "4294967296", "Upload-Metadata", okMeta}, 413},
		{"H-10 length 2^63", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", "9223372036854775808", "Upload-Metadata", okMeta}, 413},
		{"defer length", "POST", "/api/v1/uploads", nil, []string{"Upload-Defer-Length", "1", "Upload-Metadata", okMeta}, 400},
		{"H-11 md5", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Upload-Checksum", "md5 " + base64.StdEncoding.EncodeToString(make([]byte, 16))}, 400},
		{"H-11 bad base64", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Upload-Checksum", "sha1 !!!"}, 400},
		{"H-11 digest length", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Upload-Checksum", "sha256 " + base64.StdEncoding.EncodeToString(badSHA1[:])}, 400},
		{"H-11 mismatch", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Upload-Checksum", "sha1 " + base64.StdEncoding.EncodeToString(badSHA1[:])}, 460},
		{"H-12 bad base64", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", okMeta + ",filename !!!"}, 400},
		{"H-12 duplicate key", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", okMeta + "," + metadata("task_id", task)}, 400},
		{"H-12 key with space", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", okMeta + ",file name eA=="}, 400},
		{"H-12 10,000 keys", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", strings.Join(many, ",")}, 400},
		{"metadata without sha256", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", metadata("client_clip_id", uuid(9), "task_id", task, "noise_band", "low")}, 400},
		{"metadata bad sha256", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", metadata("client_clip_id", uuid(9), "task_id", task, "noise_band", "low", "sha256", "abc")}, 400},
		{"metadata bad uuid", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", metadata("client_clip_id", "x", "task_id", task, "noise_band", "low", "sha256", sum)}, 400},
		{"metadata wrong band", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", metadata("client_clip_id", uuid(9), "task_id", task, "noise_band", "high", "sha256", sum)}, 400},
		{"metadata unknown task", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", length, "Upload-Metadata", metadata("client_clip_id", uuid(9), "task_id", strings.Repeat("ab", 16), "noise_band", "low", "sha256", sum)}, 404},
		{"client clip id in use", "POST", "/api/v1/uploads", nil, []string{"Upload-Length", "5000", "Upload-Metadata", metadata("client_clip_id", uuid(1), "task_id", task, "noise_band", "low", "sha256", sum)}, 409},
		{"H-13 past length", "PATCH", loc, make([]byte, len(audio)), []string{"Content-Type", oct, "Upload-Offset", "1000"}, 413},
		{"H-14 HEAD unknown", "HEAD", "/api/v1/uploads/" + strings.Repeat("0", 32), nil, nil, 404},
		{"H-14 PATCH unknown", "PATCH", "/api/v1/uploads/" + strings.Repeat("0", 32), chunk, []string{"Content-Type", oct, "Upload-Offset", "0"}, 404},
		{"H-14 DELETE unknown", "DELETE", "/api/v1/uploads/" + strings.Repeat("0", 32), nil, nil, 404},
		{"H-14 malformed id", "HEAD", "/api/v1/uploads/..%2f..%2fetc", nil, nil, 404},
		{"H-15 method override", "POST", "/api/v1/uploads", nil, []string{"X-HTTP-Method-Override", "DELETE", "Upload-Length", length, "Upload-Metadata", okMeta}, 400},
		{"H-20 gzip", "PATCH", loc, chunk, []string{"Content-Type", oct, "Upload-Offset", "1000", "Content-Encoding", "gzip"}, 415},
		{"creation body without type", "POST", "/api/v1/uploads", chunk, []string{"Upload-Length", length, "Upload-Metadata", okMeta}, 415},
	} {
		r := sp.tus(tt.method, tt.path, tt.body, tt.hdr...)
		if r.status != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.name, r.status, r.body, tt.status)
		}
		if tt.status == 412 && r.header.Get("Tus-Version") != "1.0.0" {
			t.Errorf("%s: no Tus-Version", tt.name)
		}
		if tt.status == 460 && r.header.Get("Upload-Offset") != "1000" {
			t.Errorf("%s: Upload-Offset %q, want 1000", tt.name, r.header.Get("Upload-Offset"))
		}
	}
	// A chunked body past the length: 413 once the limit is reached, and
	// none of it kept.
	r, err := sp.tusReq(context.Background(), "PATCH", loc, io.MultiReader(bytes.NewReader(audio[1000:]), bytes.NewReader(make([]byte, 5000))), -1,
		"Content-Type", oct, "Upload-Offset", "1000")
	if err != nil || r.status != 413 {
		t.Errorf("chunked past length: %d %v", r.status, err)
	}
	if got := sp.offset(loc); got != 1000 {
		t.Fatalf("offset after the bad requests: %d, want 1000", got)
	}
	if e.clipCount() != 0 || len(e.tmpFiles()) != 1 {
		t.Fatalf("clips %d, tmp %v", e.clipCount(), e.tmpFiles())
	}

	// H-14 on an expired upload: 410 until the reconciler removes it.
	clk.Add(corpus.ResumableTTL + time.Second)
	sp = e.signIn("ah-bin") // the session expired too
	for _, m := range []string{"HEAD", "PATCH", "DELETE", "GET"} {
		if r := sp.tus(m, loc, chunk, "Content-Type", oct, "Upload-Offset", "1000"); r.status != 410 {
			t.Errorf("%s expired: %d %s", m, r.status, r.body)
		}
	}
	rep, err := e.db.Reconcile(context.Background())
	if err != nil || rep.UploadsExpired != 1 {
		t.Fatalf("Reconcile = %+v, %v", rep, err)
	}
	if r := sp.tus("HEAD", loc, nil); r.status != 404 {
		t.Fatalf("HEAD after expiry cleanup: %d", r.status)
	}
	if len(e.tmpFiles()) != 0 {
		t.Fatalf("tmp after expiry: %v", e.tmpFiles())
	}
	e.mustAudit()
}

// TestTusFinishRefused: a finished upload whose bytes do not have the
// declared SHA-256 (460), or are not a WAV (400 like a clip POST), is
// deleted; no clip, no file.
func TestTusFinishRefused(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(1)
	loc := sp.create(task, uuid(1), "low", int64(len(audio)), sha256hex(monologue(2)))
	r := sp.patch(loc, 0, audio)
	if r.status != 460 || r.errCode() != "checksum_mismatch" {
		t.Fatalf("wrong whole-file sha256: %d %s", r.status, r.body)
	}
	if r := sp.tus("HEAD", loc, nil); r.status != 404 {
		t.Fatalf("HEAD after a refused finish: %d", r.status)
	}
	junk := bytes.Repeat([]byte("not a wav file "), 1000)
	loc = sp.create(task, uuid(2), "low", int64(len(junk)), sha256hex(junk))
	r = sp.patch(loc, 0, junk)
	post := sp.upload(uuid(3), task, "low", "", junk)
	if r.status != 400 || r.errCode() == "" || post.status != r.status || post.errCode() != r.errCode() {
		t.Fatalf("not a WAV: tus %d %s; clip POST %d %s", r.status, r.body, post.status, post.body)
	}
	if e.clipCount() != 0 || len(e.tmpFiles()) != 0 {
		t.Fatalf("clips %d, tmp %v", e.clipCount(), e.tmpFiles())
	}
	e.mustAudit()
}

// TestTusOtherSpeaker (S-02): another speaker's upload id is the same 404
// as an unknown one, for every method, and nothing changes.
func TestTusOtherSpeaker(t *testing.T) {
	e := newEnv(t, server.Options{})
	a, b := e.signIn("ah-bin"), e.signIn("siu-ing")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(1)
	loc := a.create(task, uuid(1), "low", int64(len(audio)), sha256hex(audio))
	if r := a.patch(loc, 0, audio[:500]); r.status != 204 {
		t.Fatal(r.status)
	}
	unknown := "/api/v1/uploads/" + strings.Repeat("f", 32)
	for _, m := range []string{"HEAD", "PATCH", "DELETE", "GET"} {
		theirs := b.tus(m, loc, audio[500:600], "Content-Type", "application/offset+octet-stream", "Upload-Offset", "500")
		none := b.tus(m, unknown, audio[500:600], "Content-Type", "application/offset+octet-stream", "Upload-Offset", "500")
		if theirs.status != 404 || theirs.status != none.status || theirs.errCode() != none.errCode() {
			t.Errorf("%s on another's upload: %d %s; unknown: %d %s", m, theirs.status, theirs.body, none.status, none.body)
		}
	}
	// Nor may B finish its own upload on A's task.
	if r := b.tus("POST", "/api/v1/uploads", nil, "Upload-Length", "5000", "Upload-Metadata",
		metadata("client_clip_id", uuid(2), "task_id", task, "noise_band", "low", "sha256", sha256hex(audio))); r.status != 404 {
		t.Errorf("creation on another's task: %d %s", r.status, r.body)
	}
	if got := a.offset(loc); got != 500 {
		t.Fatalf("offset %d, want 500", got)
	}
}

// slowBody yields first, then blocks until released, like a client on a
// connection that went silent.
type slowBody struct {
	first   io.Reader
	release chan struct{}
	rest    io.Reader
}

func (s *slowBody) Read(p []byte) (int, error) {
	if n, err := s.first.Read(p); n > 0 || err != io.EOF {
		return n, err
	}
	<-s.release
	return s.rest.Read(p)
}

// TestTusHandover (F-10): a PATCH stalls; a HEAD from another connection
// stops it within the bounded wait and gets the offset of what it saved; a
// PATCH at any other offset is 409, at that one it succeeds, and the file
// is the source.
func TestTusHandover(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(1)
	loc := sp.create(task, uuid(1), "low", int64(len(audio)), sha256hex(audio))

	for round, takeover := range []string{"HEAD", "PATCH"} {
		start := sp.offset(loc)
		body := &slowBody{first: bytes.NewReader(audio[start : start+50_000]), release: make(chan struct{}), rest: bytes.NewReader(audio[start+50_000:])}
		type result struct {
			r   response
			err error
		}
		done := make(chan result, 1)
		go func() {
			r, err := sp.tusReq(context.Background(), "PATCH", loc, body, int64(len(audio))-start, "Content-Type", "application/offset+octet-stream", "Upload-Offset", itoa(start))
			done <- result{r, err}
		}()
		time.Sleep(300 * time.Millisecond)
		t0 := time.Now()
		var off int64
		if takeover == "HEAD" {
			off = sp.offset(loc)
		} else {
			// A second PATCH at the offset from before the first: the
			// first stops and saves, so this one is 409 unless nothing
			// had arrived.
			r := sp.patch(loc, start, audio[start:start+10])
			off, _ = strconv.ParseInt(r.header.Get("Upload-Offset"), 10, 64)
			if r.status != 409 && off != start {
				t.Fatalf("round %d: second PATCH %d %s", round, r.status, r.body)
			}
			if r.status == 204 {
				off = start + 10
			}
		}
		if d := time.Since(t0); d > 3*time.Second {
			t.Errorf("round %d: %s took %v after the stalled PATCH", round, takeover, d)
		}
		if off < start || off > start+50_000 {
			t.Fatalf("round %d: offset %d outside [%d, %d]", round, off, start, start+50_000)
		}
		close(body.release)
		select {
		case res := <-done:
			if res.err == nil && (res.r.status != 400 || res.r.errCode() != "upload_interrupted") {
				t.Errorf("round %d: stalled PATCH answered %d %s", round, res.r.status, res.r.body)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: stalled PATCH never ended", round)
		}
		t.Logf("round %d (%s): %d of 50000 bytes of the stalled PATCH kept, handover in %v", round, takeover, off-start, time.Since(t0))
	}
	off := sp.offset(loc)
	if r := sp.patch(loc, off+1, audio[off+1:]); r.status != 409 {
		t.Fatalf("PATCH at a wrong offset: %d", r.status)
	}
	r := sp.patch(loc, off, audio[off:])
	if r.status != 204 || r.header.Get("Clip-Status") != "pending_review" {
		t.Fatalf("last PATCH: %d %s", r.status, r.body)
	}
	mustSameFile(t, e, r.header.Get("Clip-Id"), sha256hex(audio))
	e.mustAudit()
}

// mustSameFile checks the stored clip's SHA-256.
func mustSameFile(t *testing.T, e *env, clipID, want string) {
	t.Helper()
	f, err := e.db.OpenClipFile(clipID)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // only read
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("stored clip sha256 %s, want %s", got, want)
	}
}

// TestTusRestart: the server and corpus go away mid-upload, once in the
// middle of a PATCH and once after a write that was never committed (as
// after kill -9); a new server on the same data directory answers HEAD
// with an offset between the last acknowledged one and the bytes on disk,
// and the upload completes.
func TestTusRestart(t *testing.T) {
	dir := t.TempDir()
	e := openTusEnv(t, dir, nil)
	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(1)
	loc := sp.create(task, uuid(1), "low", int64(len(audio)), sha256hex(audio))
	acked := int64(100_000)
	if r := sp.patch(loc, 0, audio[:acked]); r.status != 204 {
		t.Fatal(r.status)
	}
	// A PATCH in flight when the server goes.
	body := &slowBody{first: bytes.NewReader(audio[acked : acked+40_000]), release: make(chan struct{}), rest: bytes.NewReader(nil)}
	go func() {
		_, _ = sp.tusReq(context.Background(), "PATCH", loc, body, int64(len(audio))-acked, "Content-Type", "application/offset+octet-stream", "Upload-Offset", itoa(acked))
	}()
	time.Sleep(300 * time.Millisecond)
	e.close()
	close(body.release)

	e = openTusEnv(t, dir, nil)
	sp = e.signIn("ah-bin")
	part := filepath.Join(dir, "tmp", strings.TrimPrefix(loc, "/api/v1/uploads/")+".part")
	off := sp.offset(loc)
	if fi, err := os.Stat(part); err != nil || off < acked || off > fi.Size() || off > acked+40_000 {
		t.Fatalf("after restart: offset %d, acked %d, part %v %v", off, acked, fi, err)
	}
	t.Logf("PATCH cut by the restart: %d bytes kept", off-acked)

	// Bytes written but never acknowledged (a crash between the write and
	// the commit): garbage that HEAD must cut.
	e.close()
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(bytes.Repeat([]byte{0xEE}, 4096)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	e = openTusEnv(t, dir, nil)
	sp = e.signIn("ah-bin")
	if got := sp.offset(loc); got != off {
		t.Fatalf("offset after an uncommitted write: %d, want %d", got, off)
	}
	if fi, _ := os.Stat(part); fi.Size() != off {
		t.Fatalf("part file %d bytes after HEAD, want %d", fi.Size(), off)
	}
	r := sp.patch(loc, off, audio[off:])
	if r.status != 204 || r.header.Get("Clip-Status") != "pending_review" {
		t.Fatalf("last PATCH: %d %s", r.status, r.body)
	}
	mustSameFile(t, e, r.header.Get("Clip-Id"), sha256hex(audio))
	e.mustAudit()
}

// cutReader yields n bytes of r, then fails: a client whose connection
// drops mid-PATCH.
type cutReader struct {
	r io.Reader
	n int64
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errors.New("connection dropped")
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}

// TestTusLongRecording is the test of issue 4: a 3-hour 16 kHz mono 16-bit
// WAV (about 345 MB, on disk, never in memory) sent in 16 MiB PATCHes,
// interrupted twice mid-PATCH and resumed after HEAD; the receipt is
// pending_review and the stored clip's SHA-256 is the source's.
func TestTusLongRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("345 MB upload")
	}
	start := time.Now()
	e := newEnv(t, server.Options{})
	src := filepath.Join(t.TempDir(), "monologue-3h.wav")
	size, err := wavtest.WriteLong(src, wavtest.PCM16, 3*3600)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // only read
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	prepared := time.Since(start)

	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	loc := sp.create(task, uuid(1), "low", size, sum)
	const chunk = 16 << 20
	cuts := map[int]int64{3: 5 << 20, 11: 9<<20 + 12345} // PATCH number → bytes sent before the drop
	var off, resent int64
	var resyncs int
	var last response
	for i := 0; off < size; i++ {
		n := min(chunk, size-off)
		var body io.Reader = io.NewSectionReader(f, off, n)
		if cut, ok := cuts[i]; ok {
			body = &cutReader{r: body, n: cut}
		}
		r, err := sp.tusReq(context.Background(), "PATCH", loc, body, n, "Content-Type", "application/offset+octet-stream", "Upload-Offset", itoa(off))
		if _, ok := cuts[i]; ok {
			if err == nil {
				t.Fatalf("PATCH %d: the dropped request got %d", i, r.status)
			}
			got := sp.offset(loc)
			if got < off || got > off+cuts[i] {
				t.Fatalf("PATCH %d: HEAD offset %d outside [%d, %d]", i, got, off, off+cuts[i])
			}
			resent += off + cuts[i] - got
			t.Logf("PATCH %d dropped after %d bytes; HEAD says %d kept", i, cuts[i], got-off)
			off = got
			continue
		}
		if err == nil && r.status == 409 && resyncs < 3 {
			// The dropped PATCH's handler can still be draining the bytes
			// that reached the server when our HEAD ran, and commit them
			// after it: the offset moved on, as a real client finds out.
			// tus-js-client answers a 409 with a HEAD and resumes; so do we.
			resyncs++
			got := sp.offset(loc)
			if got < off {
				t.Fatalf("PATCH %d: offset went back from %d to %d", i, off, got)
			}
			t.Logf("PATCH %d: 409, HEAD says %d (a dropped PATCH committed %d more bytes)", i, got, got-off)
			resent -= got - off
			off = got
			continue
		}
		if err != nil || r.status != 204 {
			t.Fatalf("PATCH %d at %d: %v %d %s", i, off, err, r.status, r.body)
		}
		off += n
		if got := r.header.Get("Upload-Offset"); got != itoa(off) {
			t.Fatalf("PATCH %d: Upload-Offset %s, want %d", i, got, off)
		}
		last = r
	}
	if last.header.Get("Clip-Status") != "pending_review" {
		t.Fatalf("last PATCH: %v %s", last.header, last.body)
	}
	rr := sp.tus("GET", loc, nil)
	var receipt recorder.Receipt
	if err := jsonUnmarshalStrict(rr.body, &receipt); rr.status != 200 || err != nil {
		t.Fatalf("receipt: %d %s", rr.status, rr.body)
	}
	if receipt.Status != corpus.StatusPendingReview || receipt.SHA256 != sum || receipt.Format.DurationS < 3*3600-1 {
		t.Fatalf("receipt %+v", receipt)
	}
	mustSameFile(t, e, receipt.ClipID, sum)
	if len(e.tmpFiles()) != 0 {
		t.Fatalf("tmp: %v", e.tmpFiles())
	}
	e.mustAudit()
	t.Logf("%d bytes: source written and hashed in %v, uploaded, checked and stored in %v; %d bytes re-sent after 2 drops",
		size, prepared.Round(time.Millisecond), (time.Since(start) - prepared).Round(time.Millisecond), resent)
}

func jsonUnmarshalStrict(b []byte, v any) error {
	if len(b) == 0 {
		return fmt.Errorf("empty body")
	}
	return json.Unmarshal(b, v)
}

// TestTusUploadSlots: a PATCH counts toward the speaker's concurrent
// uploads, like a clip POST; a handover does not need a second slot.
func TestTusUploadSlots(t *testing.T) {
	e := newEnv(t, server.Options{UploadsPerSpeaker: 1})
	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	a, b := monologue(1), monologue(2)
	locA := sp.create(task, uuid(1), "low", int64(len(a)), sha256hex(a))
	locB := sp.create(task, uuid(2), "low", int64(len(b)), sha256hex(b))
	body := &slowBody{first: bytes.NewReader(a[:1000]), release: make(chan struct{}), rest: bytes.NewReader(nil)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = sp.tusReq(context.Background(), "PATCH", locA, body, int64(len(a)), "Content-Type", "application/offset+octet-stream", "Upload-Offset", "0")
	}()
	time.Sleep(300 * time.Millisecond)
	if r := sp.patch(locB, 0, b[:100]); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("second upload at once: %d %s", r.status, r.body)
	}
	off := sp.offset(locA) // takes over A: its slot is free again
	<-done
	close(body.release)
	if r := sp.patch(locB, 0, b[:100]); r.status != 204 {
		t.Fatalf("after the handover: %d %s", r.status, r.body)
	}
	if r := sp.patch(locA, off, a[off:]); r.status != 204 || r.header.Get("Clip-Id") == "" {
		t.Fatalf("finish A: %d %s", r.status, r.body)
	}
}
