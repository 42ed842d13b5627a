package server_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// TestTusShutdownKeepsProgress: on SIGTERM (Serve's context cancelled), a
// PATCH in flight stops reading, commits what it received and answers, so
// the server stops at once and the client resumes from there (F-12 for long
// uploads; reliability.md C3).
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
		if r.status == 204 || r.status/100 == 5 {
			t.Errorf("stopped PATCH answered %d %s", r.status, r.body)
		}
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
}
