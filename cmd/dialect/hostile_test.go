package main

// Security cases of reliability.md B3 that need the real process: its
// net/http timeouts (S-20), its log output (S-23) and its memory (S-25).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestS20Slowloris is S-20: a client that trickles header lines, one every
// half second, is cut off at ReadHeaderTimeout (10 s) however busy it
// keeps the connection.
func TestS20Slowloris(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	seedCorpus(t, dir, 0)
	p := serve(t, dir)
	var dialer net.Dialer
	conn, err := dialer.DialContext(t.Context(), "tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }() // the server is expected to have closed it
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		b := make([]byte, 512)
		for {
			if _, err := conn.Read(b); err != nil {
				closed <- time.Since(start)
				return
			}
		}
	}()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for {
		select {
		case d := <-closed:
			t.Logf("S-20: trickling client (%d header lines sent) closed after %v", sent, d.Round(time.Millisecond))
			if d < 9*time.Second || d > 11*time.Second {
				t.Errorf("closed after %v, want ReadHeaderTimeout 10 s ± 1 s", d)
			}
			mustAuditDir(t, dir)
			return
		case <-tick.C:
			if _, err := fmt.Fprintf(conn, "X-Trickle-%d: a\r\n", sent); err == nil {
				sent++
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the trickling connection is still open after 20 s")
		}
	}
}

// TestS23LogInjection is S-23: a username carrying CR LF and a forged JSON
// record is logged as one escaped field of one record, in the real
// server's log.
func TestS23LogInjection(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	seedCorpus(t, dir, 0)
	p := serve(t, dir)
	evil := "mallory\r\n{\"level\":\"INFO\",\"msg\":\"signed in\",\"user_id\":1,\"role\":\"admin\"}\n"
	c := &speakerClient{base: p.base, hc: newHTTPClient()}
	defer c.close()
	status, body, _, err := c.do("POST", "/api/v1/session", map[string]string{"username": evil, "password": "wrong password"})
	if err != nil || status != 401 {
		t.Fatalf("sign-in: %d %s %v", status, body, err)
	}
	var failed []map[string]any
	for wait := 0; wait < 100 && len(failed) == 0; wait++ {
		time.Sleep(10 * time.Millisecond)
		failed = p.logLines("sign-in failed")
	}
	sc := bufio.NewScanner(bytes.NewReader(p.err.Bytes()))
	lines := 0
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("a log line is not one JSON record: %q", sc.Text())
		}
	}
	if len(failed) != 1 || failed[0]["username"] != evil {
		t.Fatalf("want one sign-in failed record carrying the username verbatim, got %v", failed)
	}
	if forged := p.logLines("signed in"); len(forged) != 0 {
		t.Errorf("a forged record made it into the log: %v", forged)
	}
	t.Logf("S-23: %d log lines, all single JSON records; the username is one escaped field", lines)
	mustAuditDir(t, dir)
}

// vmHWM is a process's peak resident set, from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		if os.Getenv("CI") == "true" { // a skip must not hide a missing tool in CI
			t.Fatalf("no /proc: %v", err)
		}
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	if os.Getenv("CI") == "true" { // a skip must not hide a missing tool in CI
		t.Fatal("no VmHWM in /proc status")
	}
	t.Skip("no VmHWM in /proc status")
	return 0
}

// TestS25Argon2Storm is S-25: 30 concurrent wrong-password sign-ins. Each
// argon2id hash holds 19 MiB; uncapped, 30 at once would need 570 MiB. The
// server's semaphore runs at most GOMAXPROCS at once, so the peak RSS of
// the process grows by no more than about that many hashes (with the Go
// heap's slack: three times, plus 64 MiB). Measured here: about 96 MiB
// capped at 2, 573 MiB with the semaphore removed.
func TestS25Argon2Storm(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	seedCorpus(t, dir, 0)
	p := serve(t, dir)
	pid := p.cmd.Process.Pid
	start := vmHWM(t, pid)
	signIn := func(user string) (int, error) {
		c := &speakerClient{base: p.base, hc: newHTTPClient()}
		defer c.close()
		status, _, _, err := c.do("POST", "/api/v1/session", map[string]string{"username": user, "password": "wrong password"})
		return status, err
	}
	// One on its own first: its time is the cost of a hash.
	t0 := time.Now()
	if s, err := signIn("warm-up"); err != nil || s != 401 {
		t.Fatalf("warm-up: %d %v", s, err)
	}
	one := time.Since(t0)
	const n = 30
	var wg sync.WaitGroup
	gate := make(chan struct{})
	codes := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			s, err := signIn(fmt.Sprintf("ghost-%02d", i))
			if err != nil {
				t.Error(err)
			}
			codes <- s
		}()
	}
	t0 = time.Now()
	close(gate)
	wg.Wait()
	storm := time.Since(t0)
	close(codes)
	tally := map[int]int{}
	for c := range codes {
		tally[c]++
	}
	peak := vmHWM(t, pid)
	k := int64(runtime.GOMAXPROCS(0))
	bound := 3*k*19<<20 + 64<<20
	t.Logf("S-25: %d concurrent wrong-password sign-ins: statuses %v in %v (one alone: %v); peak RSS %d MiB, %d MiB over start (bound %d MiB for GOMAXPROCS=%d; uncapped would need %d MiB)",
		n, tally, storm.Round(time.Millisecond), one.Round(time.Millisecond), peak>>20, (peak-start)>>20, bound>>20, k, n*19)
	if tally[401]+tally[429] != n {
		t.Errorf("statuses %v, want only 401 (or 429)", tally)
	}
	if peak-start > bound {
		t.Errorf("peak RSS grew by %d MiB, more than %d MiB: argon2 hashes are not capped at GOMAXPROCS", (peak-start)>>20, bound>>20)
	}
	p.term()
	mustAuditDir(t, dir)
}
