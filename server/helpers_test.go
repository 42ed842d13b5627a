package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

const testPassword = "Tâi-uân-lâng 2026"

// env is a real server on 127.0.0.1 over a real corpus in a temp dir.
type env struct {
	t       testing.TB
	db      *corpus.DB
	srv     *server.Server
	ts      *httptest.Server
	project *corpus.Project
	users   map[string]*corpus.User
}

func newEnv(t testing.TB, opts server.Options) *env {
	t.Helper()
	return newEnvWith(t, opts, corpus.Options{})
}

// newEnvWith is newEnv over a corpus opened with copts.
func newEnvWith(t testing.TB, opts server.Options, copts corpus.Options) *env {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, t.TempDir(), copts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	p := recorder.DemoProject()
	if err := db.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		t.Fatal(err)
	}
	rec := recorder.New(db, recorder.Options{Check: validate.DefaultConfig(), Lint: transcript.DefaultConfig()})
	srv, err := server.New(opts, db, rec)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, db: db, srv: srv, ts: ts, project: &p, users: map[string]*corpus.User{}}
	hash, err := server.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []corpus.User{
		{Username: "admin", Role: corpus.RoleAdmin},
		{Username: "ah-bin", Role: corpus.RoleSpeaker, ProjectID: p.ID},
		{Username: "siu-ing", Role: corpus.RoleSpeaker, ProjectID: p.ID},
		{Username: "reviewer", Role: corpus.RoleReviewer, ProjectID: p.ID},
		{Username: "vendor", Role: corpus.RoleVendor, ProjectID: p.ID},
	} {
		u := u
		u.PasswordHash = hash
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		e.users[u.Username] = &u
	}
	return e
}

// client is one browser: a cookie jar and the CSRF token of its session.
type client struct {
	e    *env
	http *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs in over the JSON API and keeps the CSRF token.
func (e *env) signIn(username string) *client {
	e.t.Helper()
	c := e.client()
	resp := c.do("POST", "/api/v1/session", map[string]string{"username": username, "password": testPassword})
	if resp.status != 200 {
		e.t.Fatalf("sign in %s: %d %s", username, resp.status, resp.body)
	}
	c.csrf = resp.json()["csrf_token"].(string)
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(r.body, &m)
	return m
}

func (r response) errCode() string {
	m := r.json()
	if e, ok := m["error"].(map[string]any); ok {
		s, _ := e["code"].(string)
		return s
	}
	return ""
}

func (c *client) do(method, path string, body any, hdr ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
		ct = "application/json"
	}
	req, err := http.NewRequestWithContext(c.e.t.Context(), method, c.e.ts.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; nothing to report
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

// clip is a prompted take: 1 s of noise at noiseDB, 3 s of speech, 1 s.
func clip(seed uint64, noiseDB float64) []byte {
	rng := rand.New(rand.NewPCG(seed, 5))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, noiseDB)
	return wavtest.Encode(wavtest.PCM16, mix)
}

// upload posts a clip form; fields come before the audio, as the page sends them.
func (c *client) upload(clientID, taskID, band, text string, audio []byte) response {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"client_clip_id", clientID}, {"task_id", taskID}, {"noise_band", band}, {"transcript", text}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("audio", "take.wav")
	_, _ = fw.Write(audio)
	_ = mw.Close()
	return c.do("POST", "/api/v1/clips", buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

func uuid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// mustAudit runs the invariant audit (reliability.md B0) after a test.
func (e *env) mustAudit() {
	e.t.Helper()
	a, err := e.db.Audit(context.Background(), true)
	if err != nil {
		e.t.Fatal(err)
	}
	if !a.OK() {
		e.t.Fatalf("audit: %+v", a)
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }

func corpusFilterAll() corpus.ClipFilter { return corpus.ClipFilter{Limit: 1000} }

const time60s = 60 * 1e9
