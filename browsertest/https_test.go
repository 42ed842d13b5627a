package browsertest

// The recorder and secure contexts: browsers give the microphone only to
// https:// (or localhost). Over plain HTTP from a real name the page says
// so first, in both languages; a microphone that fails shows a plain
// message, never an exception's text; and over HTTPS with a certificate
// from a real ACME server (Pebble) a speaker signs in and records.

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server/tlstest"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// rawErrorText is what an exception's text looks like; none of it may
// reach a speaker.
var rawErrorText = []string{"TypeError", "Cannot read properties", "getUserMedia", "undefined", "NotAllowedError", "NotReadableError", "DOMException"}

func noRawErrors(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	text := eval[string](t, ctx, `document.body.innerText`)
	for _, s := range rawErrorText {
		if strings.Contains(text, s) {
			t.Errorf("%s: the page shows %q to the speaker:\n%s", where, s, text)
		}
	}
}

// TestRecorderInsecureOrigin: the recorder opened over plain HTTP from a
// name (http://dialect.test:PORT; Chromium counts http://localhost and
// 127.x as secure) says first, before any consent, in zh-TW then English,
// that this address cannot record, and names the https:// address of the
// same host and path. No exception's text shows.
func TestRecorderInsecureOrigin(t *testing.T) {
	e := newEnv(t)
	_, port, _ := net.SplitHostPort(e.addr)
	e.url = "http://dialect.test:" + port
	ctx := browser(t, fixture(t, "insecure", 3, wavtest.White, quietDB),
		chromedp.Flag("host-resolver-rules", "MAP dialect.test 127.0.0.1"))
	signIn(t, ctx, e)
	openRecorder(t, ctx)
	waitFor(t, ctx, 20*time.Second, "the page to decide", `document.body.dataset.recorderReady === 'insecure'`)
	if secure := eval[bool](t, ctx, `window.isSecureContext`); secure {
		t.Fatal("http://dialect.test counts as a secure context: the test proves nothing")
	}
	r := eval[struct {
		Shown   bool   `json:"shown"`
		Text    string `json:"text"`
		Href    string `json:"href"`
		Link    string `json:"link"`
		Consent bool   `json:"consent"`
		First   bool   `json:"first"`
	}](t, ctx, `(() => {
		const box = document.querySelector('[data-testid=insecure]');
		const a = document.querySelector('[data-testid=https-link]');
		const visible = [...document.querySelectorAll('#app > section, #app > p')].filter((n) => !n.hidden && n.offsetParent !== null);
		return {shown: !box.hidden && box.offsetParent !== null, text: box.innerText, href: a.href, link: a.textContent,
			consent: !document.getElementById('consent').hidden, first: visible[0] === box || visible[1] === box};
	})()`)
	want := "https://dialect.test:" + port + "/record"
	if !r.Shown || r.Consent || !r.First {
		t.Fatalf("insecure notice shown %v, consent shown %v, notice first %v", r.Shown, r.Consent, r.First)
	}
	if r.Href != want || r.Link != want {
		t.Errorf("https link %q (%q), want %q", r.Link, r.Href, want)
	}
	zh, en := strings.Index(r.Text, "瀏覽器不讓網頁使用麥克風"), strings.Index(r.Text, "the browser does not let the page use the microphone")
	if zh < 0 || en < 0 || zh > en {
		t.Errorf("the notice is not zh-TW then English (zh at %d, en at %d):\n%s", zh, en, r.Text)
	}
	// Nothing else starts later either.
	time.Sleep(2 * time.Second)
	if n := eval[int](t, ctx, `document.querySelectorAll('#consent:not([hidden]), #task:not([hidden]), #room:not([hidden]), #recorder:not([hidden])').length`); n != 0 {
		t.Errorf("%d recording sections appeared under the notice", n)
	}
	noRawErrors(t, ctx, "insecure origin")
	setViewport(t, ctx, phone)
	t.Logf("screenshot: %s", shoot(t, ctx, phone, "recorder-insecure"))
}

// micFailure replaces getUserMedia with one that fails as
// localStorage.micError says: an exception with a raw message, or the
// DOMExceptions browsers give for a refusal and a busy device.
const micFailure = `(() => {
	if (!navigator.mediaDevices) return;
	const errors = {
		type: () => new TypeError("Cannot read properties of undefined (reading 'getUserMedia')"),
		denied: () => new DOMException('Permission denied', 'NotAllowedError'),
		busy: () => new DOMException('Could not start audio source', 'NotReadableError'),
	};
	navigator.mediaDevices.getUserMedia = () => Promise.reject((errors[localStorage.getItem('micError')] || errors.type)());
})()`

// TestRecorderMicErrorsArePlain: when the microphone cannot be opened the
// speaker reads a plain instruction in both languages, chosen by what
// went wrong; the exception's own text goes only to data-error (and the
// console).
func TestRecorderMicErrorsArePlain(t *testing.T) {
	e := newEnv(t)
	ctx := browser(t, fixture(t, "nomic", 3, wavtest.White, quietDB))
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: micFailure}); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, e)
	openRecorder(t, ctx)
	consent(t, ctx)
	for i, c := range []struct{ name, zh, en, detail string }{
		{"type", "無法使用麥克風", "The microphone could not be used", "TypeError: Cannot read properties of undefined"},
		{"denied", "麥克風的使用權限被拒絕了", "Microphone access was refused", "NotAllowedError: Permission denied"},
		{"busy", "麥克風無法啟動", "another app (a call, say) may be using it", "NotReadableError: Could not start audio source"},
	} {
		if i > 0 {
			within(t, ctx, 30*time.Second, "reload for "+c.name,
				chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`localStorage.setItem('micError', %q)`, c.name)),
				chromedp.Reload(), chromedp.WaitVisible(tid("room-check-start")))
		}
		click(t, ctx, "room-check-start")
		waitFor(t, ctx, 20*time.Second, "the microphone message", `document.getElementById('status-line').dataset.error`)
		r := eval[struct {
			Text   string `json:"text"`
			Detail string `json:"detail"`
			Room   string `json:"room"`
		}](t, ctx, `({text: document.getElementById('status-line').innerText, detail: document.getElementById('status-line').dataset.error,
			room: document.querySelector('[data-testid=room-check]').innerText})`)
		zh, en := strings.Index(r.Text, c.zh), strings.Index(r.Text, c.en)
		if zh < 0 || en < 0 || zh > en {
			t.Errorf("%s: status line %q; want %q then %q", c.name, r.Text, c.zh, c.en)
		}
		if !strings.HasPrefix(r.Detail, c.detail) {
			t.Errorf("%s: data-error %q, want %q…", c.name, r.Detail, c.detail)
		}
		if !strings.Contains(r.Room, "無法完成檢查") || !strings.Contains(r.Room, "The check could not run") {
			t.Errorf("%s: room check box %q", c.name, r.Room)
		}
		noRawErrors(t, ctx, c.name)
	}
}

// child is a `dialect serve` process built from this module.
type child struct {
	cmd      *exec.Cmd
	out, err *lockedBuffer
	done     chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildDialect builds the dialect binary into a temporary folder.
func buildDialect(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dialect")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/dialect-corpus/dialect/cmd/dialect").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/dialect: %v\n%s", err, out)
	}
	return bin
}

// startServe runs `bin serve` on dir with env (and no other DIALECT_
// variable) until the test ends.
func startServe(t *testing.T, bin, dir string, env ...string) *child {
	t.Helper()
	c := &child{out: &lockedBuffer{}, err: &lockedBuffer{}, done: make(chan struct{})}
	c.cmd = exec.CommandContext(context.Background(), bin, "serve")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DIALECT_") {
			c.cmd.Env = append(c.cmd.Env, kv)
		}
	}
	c.cmd.Env = append(c.cmd.Env, append([]string{"DIALECT_DATA_DIR=" + dir, "DIALECT_SERVER_ADDR=127.0.0.1:0",
		"DIALECT_LIMITS_LOGIN_PER_IP_PER_MINUTE=1000"}, env...)...)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.err
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
		if t.Failed() {
			t.Logf("dialect serve stdout:\n%s\nstderr:\n%s", c.out, c.err)
		}
	})
	return c
}

// waitOutput waits up to d for re to match what the child printed (out)
// or logged (err), and returns the match.
func (c *child) waitOutput(t *testing.T, stream *lockedBuffer, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	for deadline := time.Now().Add(d); ; {
		if m := re.FindStringSubmatch(stream.String()); m != nil {
			return m
		}
		select {
		case <-c.done:
			t.Fatalf("dialect serve exited %d (waiting for %s)", c.cmd.ProcessState.ExitCode(), re)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("dialect serve: no %s within %v", re, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRecorderOverACME: `dialect serve` gets a certificate for
// dialect.test from Pebble (a real ACME server), and Chromium, resolving
// dialect.test to loopback and trusting that certificate, signs in and
// records a prompted take over https://dialect.test:PORT. The take lands in
// the corpus.
func TestRecorderOverACME(t *testing.T) {
	wav := fixture(t, "acme", 25, wavtest.Pink, quietDB, [2]float64{6.5, 3})
	pb := tlstest.StartPebble(t)
	bin := buildDialect(t)
	dir := t.TempDir()
	db, err := corpus.Open(context.Background(), dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seed(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, bin, dir,
		"DIALECT_SERVER_TLS_ACME_DOMAINS=dialect.test",
		"DIALECT_SERVER_TLS_ACME_DIRECTORY="+pb.Directory,
		"DIALECT_SERVER_TLS_ACME_CA_ROOTS="+pb.APIRoots,
		"DIALECT_SERVER_HTTP_ADDR=127.0.0.1:0")
	addr := srv.waitOutput(t, srv.out, regexp.MustCompile(`serving https://(\S+) `), 60*time.Second)[1]
	srv.waitOutput(t, srv.err, regexp.MustCompile(`"msg":"acme certificate ready"`), 90*time.Second)

	// The certificate is Pebble's: it verifies against the root Pebble
	// issues from, for dialect.test.
	d := tls.Dialer{Config: &tls.Config{ServerName: "dialect.test", RootCAs: pb.IssuingRoots(t), MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatalf("the served certificate does not verify against Pebble's root: %v", err)
	}
	tc, ok := conn.(*tls.Conn)
	if !ok {
		t.Fatalf("not a TLS connection: %T", conn)
	}
	leaf := tc.ConnectionState().PeerCertificates[0]
	_ = conn.Close() // only the certificate was wanted

	_, port, _ := net.SplitHostPort(addr)
	e := &env{t: t, url: "https://dialect.test:" + port}
	ctx := browser(t, wav,
		chromedp.Flag("host-resolver-rules", "MAP dialect.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors-spki-list", tlstest.SPKIHash(leaf)))
	signIn(t, ctx, e)
	openRecorder(t, ctx)
	if !eval[bool](t, ctx, `window.isSecureContext && location.protocol === 'https:'`) {
		t.Fatal("the recorder over https://dialect.test is not a secure context")
	}
	consent(t, ctx)
	if band, noise := roomCheck(t, ctx); band != "low" {
		t.Fatalf("room check: band %s, noise %.1f dBFS; want low", band, noise)
	}
	record(t, ctx, 8)
	click(t, ctx, "stop")
	waitFor(t, ctx, 20*time.Second, "the take to review", `!document.querySelector('[data-testid=submit]').disabled`)
	click(t, ctx, "submit")
	if st := receipt(t, ctx, 60*time.Second); st != "pending_review" {
		t.Fatalf("receipt status %s, want pending_review", st)
	}
	noRawErrors(t, ctx, "over https")

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.done:
		if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("dialect serve exited %d after SIGTERM", code)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("dialect serve did not stop within 40 s of SIGTERM")
	}
	db, err = corpus.Open(context.Background(), dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }() // read-only use
	clips, err := db.Clips(context.Background(), corpus.ClipFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(clips) != 1 || clips[0].SampleRate != 16000 || clips[0].Channels != 1 || clips[0].Bits != 16 {
		t.Fatalf("clips after the take over HTTPS: %+v; want one 16 kHz mono 16-bit", clips)
	}
}
