package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

const (
	speakerName = "ah-bin"
	password    = "Tâi-uân-lâng 2026"
)

// env is a real server on 127.0.0.1 over a real corpus in a temp dir. The
// server can be stopped and brought back on the same address, and its
// clip route can hold or lose a response (gate).
type env struct {
	t    *testing.T
	db   *corpus.DB
	srv  *server.Server
	gate *gate
	addr string
	url  string

	mu sync.Mutex
	hs *http.Server
}

// newEnv builds the demo project (with only the given modes, if any) and
// the speaker ah-bin, and starts serving.
func newEnv(t *testing.T, modes ...string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, t.TempDir(), corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	seed(t, db, modes...)
	rec := recorder.New(db, recorder.Options{Check: validate.DefaultConfig(), Lint: transcript.DefaultConfig()})
	srv, err := server.New(server.Options{LoginPerIPPerMinute: 1000}, db, rec)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, srv: srv, gate: &gate{next: srv.Handler()}}
	e.start("127.0.0.1:0")
	t.Cleanup(e.stop)
	return e
}

// seed adds the demo project (with only the given modes, if any) and the
// speaker ah-bin to db.
func seed(t *testing.T, db *corpus.DB, modes ...string) {
	t.Helper()
	ctx := context.Background()
	p := recorder.DemoProject()
	if len(modes) > 0 {
		p.Modes = modes
	}
	if err := db.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		t.Fatal(err)
	}
	hash, err := server.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	u := corpus.User{Username: speakerName, Role: corpus.RoleSpeaker, ProjectID: p.ID, PasswordHash: hash}
	if err := db.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
}

// start serves on addr; the same address again after stop, retrying while
// the kernel still holds it.
func (e *env) start(addr string) {
	e.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = new(net.ListenConfig).Listen(e.t.Context(), "tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("listen %s: %v", addr, err)
	}
	e.addr = ln.Addr().String()
	e.url = "http://" + e.addr
	// The server's own http.Server (its timeouts, and what its graceful
	// shutdown does to tus uploads), with the gate in front of the app.
	hs := e.srv.HTTPServer()
	hs.Handler = e.gate
	e.mu.Lock()
	e.hs = hs
	e.mu.Unlock()
	go func() { _ = hs.Serve(ln) }()
}

// stop closes the listener and every connection at once, as a crash or a
// pulled cable would: requests in flight fail.
func (e *env) stop() {
	e.mu.Lock()
	hs := e.hs
	e.hs = nil
	e.mu.Unlock()
	if hs != nil {
		_ = hs.Close()
	}
	e.gate.releaseHeld()
}

// shutdown stops the server as SIGTERM stops dialect serve (server.Serve):
// the listener closes, requests in flight end (a tus PATCH keeps what
// arrived and answers 503), then the connections close.
func (e *env) shutdown() {
	e.t.Helper()
	e.mu.Lock()
	hs := e.hs
	e.hs = nil
	e.mu.Unlock()
	if hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		e.t.Errorf("graceful shutdown: %v", err)
	}
}

func (e *env) clips() []*corpus.Clip {
	e.t.Helper()
	cs, err := e.db.Clips(context.Background(), corpus.ClipFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *env) audit() {
	e.t.Helper()
	a, err := e.db.Audit(context.Background(), true)
	if err != nil {
		e.t.Fatal(err)
	}
	if !a.OK() {
		e.t.Fatalf("audit: %+v", a)
	}
}

// gate sits in front of the server's handler and breaks POST /api/v1/clips
// on demand: hold blocks the next upload after reading part of its body
// (the test then stops the server mid-upload); lose lets the server store
// the next upload and then drops the connection before the answer. It can
// also slow the next tus PATCH down (slowNextPatch).
type gate struct {
	next http.Handler

	mu      sync.Mutex
	hold    bool
	held    chan struct{} // closed when a held upload has arrived
	release chan struct{}
	lose    int
	log     []string // "held", "lost 201", "200", ... per upload
	slow    *trickle // the next PATCH's, if any
}

// trickle is a tus PATCH whose body reaches the server at full speed for
// its first after bytes, then at about 10 KB/s: a test stops the server
// while that PATCH is surely still running.
type trickle struct {
	after   int64
	arrived chan struct{} // closed when the first after bytes are read

	mu     sync.Mutex
	closed bool
	path   string // the upload's URL path
	read   int64  // body bytes the server has read
	status int    // the PATCH's answer
}

// slowNextPatch slows the next tus PATCH down after its first after bytes.
func (g *gate) slowNextPatch(after int64) *trickle {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.slow = &trickle{after: after, arrived: make(chan struct{})}
	return g.slow
}

// state is what the trickled PATCH has done so far.
func (tr *trickle) state() (path string, read int64, status int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.path, tr.read, tr.status
}

type trickleBody struct {
	r  io.ReadCloser
	tr *trickle
}

func (b *trickleBody) Close() error { return b.r.Close() }

func (b *trickleBody) Read(p []byte) (int, error) {
	tr := b.tr
	tr.mu.Lock()
	left := tr.after - tr.read
	if left <= 0 && !tr.closed {
		tr.closed = true
		close(tr.arrived)
	}
	tr.mu.Unlock()
	if left <= 0 {
		time.Sleep(100 * time.Millisecond)
		left = 1024
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.r.Read(p)
	tr.mu.Lock()
	tr.read += int64(n)
	tr.mu.Unlock()
	return n, err
}

func (g *gate) holdNext() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = true
	g.held = make(chan struct{})
	g.release = make(chan struct{})
	return g.held
}

func (g *gate) releaseHeld() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release != nil {
		close(g.release)
		g.release = nil
	}
}

func (g *gate) loseNext(n int) {
	g.mu.Lock()
	g.lose = n
	g.mu.Unlock()
}

func (g *gate) uploads() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.log...)
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPatch {
		g.mu.Lock()
		tr := g.slow
		g.slow = nil
		g.mu.Unlock()
		if tr != nil {
			tr.mu.Lock()
			tr.path = r.URL.Path
			tr.mu.Unlock()
			r.Body = &trickleBody{r: r.Body, tr: tr}
			sw := &statusWriter{ResponseWriter: w, code: 200}
			g.next.ServeHTTP(sw, r)
			tr.mu.Lock()
			tr.status = sw.code
			tr.mu.Unlock()
			return
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/clips" {
		g.next.ServeHTTP(w, r)
		return
	}
	g.mu.Lock()
	hold, lose := g.hold, g.lose > 0
	var held, release chan struct{}
	if hold {
		g.hold = false
		held, release = g.held, g.release
		g.log = append(g.log, "held")
	} else if lose {
		g.lose--
	}
	g.mu.Unlock()
	switch {
	case hold:
		_, _ = io.CopyN(io.Discard, r.Body, 4096) // the upload has begun
		close(held)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler)
	case lose:
		rec := httptest.NewRecorder()
		g.next.ServeHTTP(rec, r)
		g.record(fmt.Sprintf("lost %d", rec.Code))
		panic(http.ErrAbortHandler) // the answer never leaves
	default:
		sw := &statusWriter{ResponseWriter: w, code: 200}
		g.next.ServeHTTP(sw, r)
		g.record(fmt.Sprint(sw.code))
	}
}

func (g *gate) record(s string) {
	g.mu.Lock()
	g.log = append(g.log, s)
	g.mu.Unlock()
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int)        { w.code = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ---- fixtures ----------------------------------------------------------------

// fixture is a microphone recording: noise of a colour at noiseDB for
// seconds, speech at -18 dBFS laid over it at each [start, length] in
// speech, then 1.5 s of digital silence (with %noloop, Chromium repeats the
// file's last 10 ms forever). 16 kHz mono 16-bit, into dir.
func fixture(t *testing.T, name string, seconds float64, colour string, noiseDB float64, speech ...[2]float64) string {
	t.Helper()
	const sr = 16000
	rng := rand.New(rand.NewPCG(uint64(len(name)), 7))
	x := wavtest.Noise(rng, colour, int(seconds*sr), sr, noiseDB)
	for _, s := range speech {
		sp := wavtest.Speech(rng, sr, s[1], -18)
		off := int(s[0] * sr)
		for i, v := range sp {
			if off+i < len(x) {
				x[off+i] += v
			}
		}
	}
	x = append(x, make([]float64, sr*3/2)...)
	dir := t.TempDir()
	if strings.Contains(dir, "%") {
		t.Fatalf("temp dir %q has a %%: Chromium would misread the fake-capture flag", dir)
	}
	path := filepath.Join(dir, name+".wav")
	if err := os.WriteFile(path, wavtest.Encode(wavtest.PCM16, x), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---- the browser -----------------------------------------------------------------

// browser starts a headless Chromium whose microphone plays wav, and
// returns a context for its tab. Console messages and page errors are
// logged when the test fails. extra adds flags (a host-resolver rule, a
// certificate to trust).
func browser(t *testing.T, wav string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is not on PATH (run `make browser-deps`): %v", err)
		}
		t.Skipf("chromium is not on PATH: install it (make browser-deps, or apt-get install chromium fonts-noto-cjk) to run the browser tests")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-features", "Translate"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav+"%noloop"),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	// The first Do binds the browser's life to its context: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var lines []string
	lctx, stopLog := context.WithCancel(ctx)
	go func() {
		for m, err := range chromedp.Console(lctx) {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, m.String())
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stopLog()
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			for _, l := range lines {
				t.Logf("console: %s", l)
			}
		}
	})
	return ctx
}

// within runs steps with a timeout, failing the test with what on error.
func within(t *testing.T, ctx context.Context, d time.Duration, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(c, steps...); err != nil {
		failShot(t, ctx, what)
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates js and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript predicate until it is truthy.
func waitFor(t *testing.T, ctx context.Context, d time.Duration, what, js string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(d)))
	if err != nil {
		failShot(t, ctx, what)
		t.Fatalf("waiting for %s (%s): %v", what, js, err)
	}
}

func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// click clicks a button once it is enabled.
func click(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	within(t, ctx, 30*time.Second, "click "+id, chromedp.WaitEnabled(tid(id)), chromedp.Click(tid(id)))
}

// signIn signs in through the sign-in form and opens the recorder from the
// home page's link.
func signIn(t *testing.T, ctx context.Context, e *env) {
	t.Helper()
	within(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(e.url+"/signin"),
		chromedp.SendKeys(tid("username"), speakerName),
		chromedp.SendKeys(tid("password"), password),
		chromedp.Click(tid("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/record"]`)),
	)
}

func openRecorder(t *testing.T, ctx context.Context) {
	t.Helper()
	within(t, ctx, 30*time.Second, "open the recorder",
		chromedp.Click(chromedp.CSS(`a[href="/record"]`)),
		chromedp.WaitReady(tid("queue")),
	)
}

// consent fills the profile and accepts the consent text.
func consent(t *testing.T, ctx context.Context) {
	t.Helper()
	within(t, ctx, 30*time.Second, "consent form", chromedp.WaitVisible(tid("consent-accept")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#recorder:not([hidden]), #room:not([hidden])').length`); n != 0 {
		t.Fatalf("the recorder is shown before consent")
	}
	within(t, ctx, 30*time.Second, "fill the profile",
		chromedp.SetValue(chromedp.ID("region"), "臺南市"),
		chromedp.SetValue(chromedp.ID("age-band"), "20_29"),
		chromedp.SetValue(chromedp.ID("gender"), "female"),
	)
	click(t, ctx, "consent-accept")
	within(t, ctx, 30*time.Second, "the task after consent", chromedp.WaitVisible(tid("room-check-start")))
}

// roomCheck runs the room check and returns its band and noise level.
func roomCheck(t *testing.T, ctx context.Context) (band string, noise float64) {
	t.Helper()
	click(t, ctx, "room-check-start")
	waitFor(t, ctx, 30*time.Second, "the room check", `document.querySelector('[data-testid=room-check]').dataset.band`)
	r := eval[struct {
		Band  string `json:"band"`
		Noise string `json:"noise"`
	}](t, ctx, `(() => { const d = document.querySelector('[data-testid=room-check]').dataset; return {band: d.band, noise: d.noiseDbfs}; })()`)
	if _, err := fmt.Sscan(r.Noise, &noise); err != nil {
		t.Fatalf("room check data-noise-dbfs %q: %v", r.Noise, err)
	}
	return r.Band, noise
}

// record records until the take is at least seconds long.
func record(t *testing.T, ctx context.Context, seconds float64) {
	t.Helper()
	click(t, ctx, "record")
	waitFor(t, ctx, time.Duration(seconds*float64(time.Second))+30*time.Second, "recording",
		fmt.Sprintf(`Number(document.getElementById('timer').dataset.elapsedS || 0) >= %g`, seconds))
}

// receipt waits for the receipt and returns its status.
func receipt(t *testing.T, ctx context.Context, d time.Duration) string {
	t.Helper()
	waitFor(t, ctx, d, "the receipt", `document.querySelector('[data-testid=receipt]').dataset.status`)
	return eval[string](t, ctx, `document.querySelector('[data-testid=receipt]').dataset.status`)
}

func queueLen(t *testing.T, ctx context.Context) int {
	t.Helper()
	return eval[int](t, ctx, `document.querySelector('[data-testid=queue]').children.length`)
}

// receiptOf decodes a clip's stored receipt.
func receiptOf(t *testing.T, c *corpus.Clip) recorder.Receipt {
	t.Helper()
	var r recorder.Receipt
	if err := json.NewDecoder(bytes.NewReader(c.Receipt)).Decode(&r); err != nil {
		t.Fatalf("clip %s receipt: %v", c.ID, err)
	}
	return r
}

// ---- screenshots -------------------------------------------------------------------

var (
	shotsOnce sync.Once
	shotsDir  string
)

func screenshotDir(t *testing.T) string {
	shotsOnce.Do(func() {
		shotsDir = os.Getenv("DIALECT_SCREENSHOTS")
		if shotsDir == "" {
			shotsDir = filepath.Join(os.TempDir(), "dialect-screenshots")
		}
		_ = os.MkdirAll(shotsDir, 0o755)
	})
	return shotsDir
}

type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	phone   = viewport{"phone", 390, 844, true}
	desktop = viewport{"desktop", 1280, 800, false}
)

func setViewport(t *testing.T, ctx context.Context, v viewport) {
	t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if v.mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	within(t, ctx, 20*time.Second, "viewport "+v.name, chromedp.EmulateViewport(v.width, v.height, opts...))
}

// shoot saves a full-page PNG of the current page at the viewport.
func shoot(t *testing.T, ctx context.Context, v viewport, name string) string {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screenshotDir(t), fmt.Sprintf("%s-%s.png", name, v.name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// failShot saves what the page looked like when a step failed.
func failShot(t *testing.T, ctx context.Context, what string) {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		return
	}
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name() + "-" + what)
	path := filepath.Join(screenshotDir(t), "FAILED-"+name+".png")
	if os.WriteFile(path, png, 0o644) == nil {
		t.Logf("screenshot of the failure: %s", path)
	}
	if html, err := chromedp.Run(c, chromedp.Evaluate[string](`document.querySelector('main').innerText`)); err == nil {
		t.Logf("page text at failure:\n%s", html)
	}
}
