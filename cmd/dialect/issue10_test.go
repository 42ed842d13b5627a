package main

// Issue 10, part 4: defects found by trying to break a live server. Each
// test runs the real binary as a child process on a real data folder.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var linkRE = regexp.MustCompile(`(https?://\S+)?(/signin/once\?token=[A-Za-z0-9_-]+)`)

// useLink posts a one-time link's token as the page's button does; it
// returns the status and the client (signed in on success).
func useLink(t *testing.T, base, link string) (int, *http.Client) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	hc := newHTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := url.Values{"token": {u.Query().Get("token")}}
	req, err := http.NewRequestWithContext(t.Context(), "POST", base+"/signin/once", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // drained above
	return resp.StatusCode, hc
}

// getStatus is a GET's status with the client's cookies.
func getStatus(t *testing.T, hc *http.Client, u string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // drained above
	return resp.StatusCode
}

// printedLink is the one-time link a serve child printed, "" if none.
func printedLink(p *proc) string {
	if m := linkRE.FindStringSubmatch(p.out.String()); m != nil {
		return m[0]
	}
	return ""
}

// waitFor waits until the child's stdout contains s.
func waitFor(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("stdout lacks %q after 30 s:\n%s\nstderr: %s", s, p.out, p.err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeAdminLinkOnlyUntilFirstSignIn (issue 10 item 1): serve prints a
// one-time admin link while no admin has signed in — a restart before then
// prints a new one and the old stops working; once the link is used, a
// restart prints no link (but how to get one, in both languages) and the
// used link stays refused; `dialect user link admin`, run beside the live
// server, prints a link that works once.
func TestServeAdminLinkOnlyUntilFirstSignIn(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")

	p0 := serve(t, dir)
	waitFor(t, p0, "sign-in link")
	stale := printedLink(p0)
	if stale == "" || !strings.Contains(p0.out.String(), "一次性管理員登入連結") {
		t.Fatalf("first start: no link, or not in both languages:\n%s", p0.out)
	}
	if _, code := p0.term(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, p0.err)
	}

	p1 := serve(t, dir)
	waitFor(t, p1, "sign-in link")
	link := printedLink(p1)
	if link == "" || link == stale {
		t.Fatalf("a restart before any admin signed in: want a new link, got %q (old %q)", link, stale)
	}
	if code, _ := useLink(t, p1.base, stale); code != http.StatusGone {
		t.Errorf("the link of the earlier start: %d, want 410 (replaced)", code)
	}
	code, admin := useLink(t, p1.base, link)
	if code != http.StatusSeeOther {
		t.Fatalf("printed link: %d, want 303", code)
	}
	if s := getStatus(t, admin, p1.base+"/api/v1/admin/projects"); s != 200 {
		t.Fatalf("admin API after the link: %d", s)
	}
	if code, _ := useLink(t, p1.base, link); code != http.StatusGone {
		t.Errorf("the link a second time: %d, want 410", code)
	}
	if _, code := p1.term(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, p1.err)
	}

	p2 := serve(t, dir)
	waitFor(t, p2, "管理員已登入過")
	out := p2.out.String()
	if strings.Contains(out, "/signin/once") || !strings.Contains(out, "dialect user link admin --data-dir ") ||
		!strings.Contains(out, "an admin has signed in before") {
		t.Fatalf("restart after the admin signed in: want no link, and how to get one in both languages:\n%s", out)
	}
	if code, _ := useLink(t, p2.base, link); code != http.StatusGone {
		t.Errorf("the used link after a restart: %d, want 410", code)
	}

	// The CLI beside the live server.
	code, stdout, stderr := runDialect(t, dir, "user", "link", "--base-url", p2.base, "admin")
	if code != 0 || !strings.HasPrefix(stdout, p2.base+"/signin/once?token=") || !strings.Contains(stderr, "一次性登入連結") {
		t.Fatalf("user link: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	cliLink := strings.TrimSpace(stdout)
	code, admin = useLink(t, p2.base, cliLink)
	if code != http.StatusSeeOther || getStatus(t, admin, p2.base+"/api/v1/admin/projects") != 200 {
		t.Fatalf("the CLI's link: %d", code)
	}
	if code, _ := useLink(t, p2.base, cliLink); code != http.StatusGone {
		t.Errorf("the CLI's link a second time: %d, want 410", code)
	}
	// Without --base-url the link starts with server.addr.
	code, stdout, _ = runDialect(t, dir, "user", "link", "admin")
	if code != 0 || !strings.HasPrefix(stdout, "http://127.0.0.1:0/signin/once?token=") {
		t.Errorf("user link without --base-url: exit %d, %q", code, stdout)
	}
	// Bad input: a clear error, exit 2.
	for _, args := range [][]string{
		{"user", "link", "nobody"},
		{"user", "link", "--valid", "0s", "admin"},
		{"user", "link", "--base-url", "ftp://x", "admin"},
		{"user", "link"},
	} {
		if code, _, stderr := runDialect(t, dir, args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a reason", args, code, stderr)
		}
	}
}

// TestServeSecondOnOneDataDir (issue 10 item 2): a second `dialect serve` on
// the same data directory exits 2 naming the first one's pid, and the first
// keeps serving; the other commands run beside it; once the first is killed
// (no clean exit), a new server starts: the kernel dropped the lock.
func TestServeSecondOnOneDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p1 := serve(t, dir)
	pid := p1.cmd.Process.Pid
	if b, err := os.ReadFile(filepath.Join(dir, "LOCK")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Fatalf("LOCK holds %q (%v), want the server's pid %d", b, err, pid)
	}

	p2 := startDialect(t, dir, nil, "serve")
	code, ok := p2.wait(30 * time.Second)
	if !ok {
		t.Fatalf("a second serve on the same data directory is still running\nstdout: %s", p2.out)
	}
	stderr := p2.err.String()
	if code != 2 || !strings.Contains(stderr, fmt.Sprintf("in use by another dialect serve (pid %d)", pid)) ||
		!strings.Contains(stderr, fmt.Sprintf("正由另一個 dialect serve（pid %d）使用中", pid)) {
		t.Fatalf("second serve: exit %d, want 2 naming pid %d\nstderr: %s", code, pid, stderr)
	}
	if strings.Contains(p2.out.String(), "serving") {
		t.Errorf("the second serve got as far as serving:\n%s", p2.out)
	}
	if !p1.running() || getStatus(t, newHTTPClient(), p1.base+"/healthz") != 200 {
		t.Fatal("the first server stopped or does not answer")
	}

	// Commands that write run beside the server (README: only serve takes
	// the lock), and the server sees what they wrote.
	if code, _, stderr := runDialect(t, dir, "project", "create", "--name", "Beside", "--slug", "beside"); code != 0 {
		t.Fatalf("project create beside serve: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runDialect(t, dir, "user", "add", "--role", "reviewer", "--username", "lim", "--project", "beside"); code != 0 {
		t.Fatalf("user add beside serve: exit %d: %s", code, stderr)
	}

	p1.kill()
	p3 := serve(t, dir)
	if b, err := os.ReadFile(filepath.Join(dir, "LOCK")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(p3.cmd.Process.Pid) {
		t.Fatalf("after kill -9 and a restart, LOCK holds %q (%v), want pid %d", b, err, p3.cmd.Process.Pid)
	}
	if _, code := p3.term(); code != 0 {
		t.Fatalf("serve exited %d: %s", code, p3.err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "LOCK")); err != nil || len(b) != 0 {
		t.Errorf("after a clean exit LOCK holds %q (%v), want it empty", b, err)
	}
}

// rawHTTP sends a request as bytes over TCP and returns the status line and
// the rest of the response.
func rawHTTP(t *testing.T, addr, request string) (status string, rest string) {
	t.Helper()
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }() // a test connection
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err = br.ReadString('\n')
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	b, _ := io.ReadAll(br)
	return strings.TrimSpace(status), string(b)
}

// TestServeH18RequestTarget (issue 10 item 4, reliability.md H-18) against
// the real binary: HTTP/1.0 without Host and absolute-form targets are 400,
// with the usual error in both languages; the same requests in origin form
// with a Host are served.
func TestServeH18RequestTarget(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	seedCorpus(t, dir, 1)
	p := serve(t, dir)
	for _, tc := range []struct{ name, req, status, body string }{
		{"HTTP/1.0 without Host", "GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.0 400", `"code":"missing_host"`},
		{"HTTP/1.0 page without Host", "GET / HTTP/1.0\r\nAccept: text/html\r\n\r\n", "HTTP/1.0 400", "請求缺少 Host 標頭"},
		{"absolute-form, other host", "GET http://evil.example/api/v1/me HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", "HTTP/1.1 400", `"code":"bad_request_target"`},
		{"absolute-form, our host", "GET http://" + p.addr + "/healthz HTTP/1.1\r\nHost: " + p.addr + "\r\nConnection: close\r\n\r\n", "HTTP/1.1 400", `"message_zh":"請求目標必須是路徑`},
		{"absolute-form sign-in", "POST http://" + p.addr + "/api/v1/session HTTP/1.1\r\nHost: " + p.addr + "\r\nContent-Type: application/json\r\nContent-Length: 55\r\nConnection: close\r\n\r\n" +
			`{"username":"speaker-00","password":"` + strings.Repeat("x", 17) + `"}`, "HTTP/1.1 400", `"code":"bad_request_target"`},
		{"HTTP/1.1 without Host (net/http)", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 400", ""},
		{"HTTP/1.0 with Host", "GET /healthz HTTP/1.0\r\nHost: " + p.addr + "\r\n\r\n", "HTTP/1.0 200", `"status":"ok"`},
		{"HTTP/1.1 origin form", "GET /healthz HTTP/1.1\r\nHost: " + p.addr + "\r\nConnection: close\r\n\r\n", "HTTP/1.1 200", `"status":"ok"`},
	} {
		status, rest := rawHTTP(t, p.addr, tc.req)
		if !strings.HasPrefix(status, tc.status) || !strings.Contains(rest, tc.body) {
			t.Errorf("%s: %q\n%s\nwant %s with %q", tc.name, status, rest, tc.status, tc.body)
		}
	}
	// The refused sign-in started no session: nothing changed.
	if n := len(p.logLines("signed in")); n != 0 {
		t.Errorf("%d sign-ins logged after refused requests", n)
	}
	if n := len(p.logLines("request refused")); n < 5 {
		t.Errorf("%d refusals logged, want one per refused request", n)
	}
}

// TestCheckStdin (issue 10 item 6): `dialect check -` reads one WAV from
// standard input, reports it as <stdin> with the same findings as the file,
// in text and JSON; "-" twice is a usage error; more than the cap is exit 2
// with the reason; the temporary copy never outlives the command.
func TestCheckStdin(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	noisy := writeClip(t, dir, "noisy.wav", 2, -38)
	wav, err := os.ReadFile(noisy)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := func(stdin []byte, args ...string) (int, string, string) {
		cmd := exec.CommandContext(t.Context(), exe, args...)
		cmd.Env = append(childEnv(dir), "TMPDIR="+tmp)
		cmd.Stdin = bytes.NewReader(stdin) // a pipe, not a file: the case that failed
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), out.String(), errb.String()
	}

	_, fileOut, _ := child(nil, "check", "--band", "low", noisy)
	code, out, errs := child(wav, "check", "--band", "low", "-")
	if code != 1 || out != strings.ReplaceAll(fileOut, noisy, "<stdin>") || !strings.Contains(out, "<stdin>: error[A012]") {
		t.Fatalf("check - (text): exit %d\nstdout: %s\nstderr: %s\nthe file gave: %s", code, out, errs, fileOut)
	}
	code, out, _ = child(wav, "check", "--band", "low", "--format", "json", "-")
	var rep struct {
		Path string `json:"path"`
		Pass bool   `json:"pass"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Path != "<stdin>" || code != 1 {
		t.Fatalf("check - (json): exit %d, %q: %v", code, out, err)
	}
	// Standard input beside files: each is reported under its own name.
	quiet := writeClip(t, dir, "quiet.wav", 1, -65)
	code, out, _ = child(wav, "check", "--band", "low", quiet, "-")
	if code != 1 || !strings.Contains(out, "<stdin>: error[A012]") || strings.Contains(out, "quiet.wav") {
		t.Errorf("a file and -: exit %d\n%s", code, out)
	}
	if code, _, errs := child(wav, "check", "-", "-"); code != 2 || !strings.Contains(errs, "may be given once") {
		t.Errorf("check - -: exit %d, %q", code, errs)
	}
	// Empty standard input is a file that is not a WAV: a finding, exit 1.
	if code, out, _ := child(nil, "check", "-"); code != 1 || !strings.Contains(out, "<stdin>: error[A001]") {
		t.Errorf("empty stdin: exit %d, %q", code, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary copies left in TMPDIR: %v", left)
	}

	// Over the cap (lowered here: the real one is 4 GiB): exit 2 with the
	// reason, nothing checked, nothing left.
	t.Setenv("TMPDIR", tmp)
	old := maxStdinWAV
	maxStdinWAV = int64(len(wav)) - 1
	defer func() { maxStdinWAV = old }()
	var so, se bytes.Buffer
	code = run(context.Background(), []string{"check", "-"}, bytes.NewReader(wav), &so, &se)
	if code != 2 || so.Len() != 0 || !strings.Contains(se.String(), "larger than a WAV file can be") {
		t.Errorf("over the cap: exit %d\nstdout: %s\nstderr: %s", code, so.String(), se.String())
	}
	maxStdinWAV = int64(len(wav))
	if code := run(context.Background(), []string{"check", "--band", "low", "-"}, bytes.NewReader(wav), &so, &se); code != 1 {
		t.Errorf("exactly at the cap: exit %d, want 1 (checked)\n%s", code, se.String())
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary copies left in TMPDIR: %v", left)
	}
}
