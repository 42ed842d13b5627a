package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServe_FirstRun runs `dialect serve` on its defaults (port 0, a temp
// data folder): the demo project exists, the printed one-time link signs the
// admin in, the server stops cleanly on cancel, and a second start reuses
// the same data and, the admin having signed in, prints no link but how to
// get one (TestServeAdminLinkOnlyUntilFirstSignIn covers the rest).
func TestServe_FirstRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dialect-data")
	t.Setenv("DIALECT_DATA_DIR", dir)
	t.Setenv("DIALECT_SERVER_ADDR", "127.0.0.1:0")
	for round := 1; round <= 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuffer
		done := make(chan int, 1)
		go func() { done <- run(ctx, []string{"serve"}, strings.NewReader(""), &out, &errb) }()
		var base, link string
		deadline := time.Now().Add(20 * time.Second)
		if round == 2 {
			for time.Now().Before(deadline) && !strings.Contains(out.String(), "dialect user link admin") {
				time.Sleep(20 * time.Millisecond)
			}
			if strings.Contains(out.String(), "/signin/once?token=") || !strings.Contains(out.String(), "管理員已登入過") {
				t.Errorf("round 2, after the admin signed in: want no link and how to get one, got:\n%s", out.String())
			}
			if strings.Contains(out.String(), "created demo project") {
				t.Errorf("second run created the demo project again")
			}
			cancel()
			if code := <-done; code != 0 {
				t.Fatalf("serve exited %d: %s", code, errb.String())
			}
			continue
		}
		for time.Now().Before(deadline) && link == "" {
			for _, line := range strings.Split(out.String(), "\n") {
				if i := strings.Index(line, "http://"); i >= 0 && strings.Contains(line, "sign-in link") {
					link = strings.TrimSpace(line[i:])
					u, _ := url.Parse(link)
					base = "http://" + u.Host
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if link == "" {
			cancel()
			t.Fatalf("round %d: no sign-in link printed\nstdout: %s\nstderr: %s", round, out.String(), errb.String())
		}
		if round == 1 && !strings.Contains(out.String(), "created demo project") {
			t.Errorf("first run did not create the demo project: %s", out.String())
		}
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar}
		req, err := http.NewRequestWithContext(t.Context(), "GET", base+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz: %v %v", err, resp)
		}
		_ = resp.Body.Close() // only the status matters
		u, _ := url.Parse(link)
		form := url.Values{"token": {u.Query().Get("token")}}
		req, err = http.NewRequestWithContext(t.Context(), "POST", base+"/signin/once", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err = hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close() // read to the end above
		if resp.StatusCode != 200 || !strings.Contains(string(body), "demo") {
			t.Fatalf("one-time sign-in: %d\n%s", resp.StatusCode, body)
		}
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d: %s", code, errb.String())
			}
		case <-time.After(35 * time.Second):
			t.Fatal("serve did not stop on cancel")
		}
	}
}
