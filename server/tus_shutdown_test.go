package server_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestTusShutdownKeepsProgress: on SIGTERM (Serve's context cancelled), a
// PATCH in flight stops reading, commits what it received and answers 503
// with Retry-After and a message in both languages (not a 4xx, which tus
// clients take for final), so the server stops at once and the client
// resumes from there: the offset advanced by what arrived, and after the
// restart (the same Server serving again) HEAD and PATCH finish the upload
// (F-12 for long uploads; reliability.md C3).
func TestTusShutdownKeepsProgress(t *testing.T) {
	e := openTusEnv(t, t.TempDir(), nil)
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	e.ts.URL = "http://" + ln.Addr().String() // the client now talks to Serve

	sp := e.signIn("ah-bin")
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(2)
	loc := sp.create(task, uuid(1), "low", int64(len(audio)), sha256hex(audio))
	acked := int64(100_000)
	if r := sp.patch(loc, 0, audio[:acked]); r.status != 204 {
		t.Fatalf("first PATCH: %d %s", r.status, r.body)
	}
	body := &slowBody{first: bytes.NewReader(audio[acked : acked+40_000]), release: make(chan struct{}), rest: bytes.NewReader(nil)}
	defer close(body.release)
	answered := make(chan response, 1)
	go func() {
		r, _ := sp.tusReq(context.Background(), "PATCH", loc, body, int64(len(audio))-acked, "Content-Type", "application/offset+octet-stream", "Upload-Offset", itoa(acked))
		answered <- r
	}()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown waited for the stalled PATCH")
	}
	t.Logf("shut down in %v", time.Since(start).Round(time.Millisecond))
	select {
	case r := <-answered:
		m, _ := r.json()["error"].(map[string]any)
		en, _ := m["message"].(string)
		zh, _ := m["message_zh"].(string)
		switch {
		case r.status != 503 || r.errCode() != "server_restarting":
			t.Errorf("stopped PATCH answered %d %s, want 503 server_restarting", r.status, r.body)
		case r.header.Get("Retry-After") == "":
			t.Errorf("stopped PATCH: 503 without Retry-After")
		case en == "" || zh == "" || !hasHan(zh):
			t.Errorf("stopped PATCH: message %q / %q, want English and zh-TW", en, zh)
		case r.header.Get("Upload-Offset") != itoa(acked+40_000):
			t.Errorf("stopped PATCH: Upload-Offset %q, want %d", r.header.Get("Upload-Offset"), acked+40_000)
		}
		t.Logf("stopped PATCH: %d, Retry-After %s, %s", r.status, r.header.Get("Retry-After"), r.body)
	case <-time.After(5 * time.Second):
		t.Error("the stopped PATCH got no answer")
	}
	up, err := e.db.Resumable(context.Background(), strings.TrimPrefix(loc, "/api/v1/uploads/"))
	if err != nil {
		t.Fatal(err)
	}
	if up.Offset != acked+40_000 {
		t.Fatalf("offset after shutdown %d, want %d: what arrived must be kept", up.Offset, acked+40_000)
	}

	// The restart: the same Server serves again (its shutdown is over for
	// the new listener), and the client resumes from HEAD's offset.
	ln2, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	served2 := make(chan error, 1)
	go func() { served2 <- e.srv.Serve(ctx2, ln2) }()
	defer func() {
		cancel2()
		if err := <-served2; err != nil {
			t.Errorf("Serve after the restart: %v", err)
		}
	}()
	e.ts.URL = "http://" + ln2.Addr().String()
	off := sp.offset(loc)
	if off != acked+40_000 {
		t.Fatalf("HEAD after the restart: %d, want %d", off, acked+40_000)
	}
	r := sp.patch(loc, off, audio[off:])
	if r.status != 204 || r.header.Get("Clip-Status") != "pending_review" {
		t.Fatalf("PATCH after the restart: %d %s", r.status, r.body)
	}
	mustSameFile(t, e, r.header.Get("Clip-Id"), sha256hex(audio))
	e.mustAudit()
}

// hasHan reports whether s has a Han character (a zh-TW message).
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
