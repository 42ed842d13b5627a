package browsertest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// audioTap slows every audio response down to a weak network's pace and
// records each request's Range header, status and bytes sent so far.
type audioTap struct {
	next http.Handler
	bps  int // bytes a second

	mu   sync.Mutex
	reqs []*audioReq
}

type audioReq struct {
	path, rng string
	status    int
	sent      int64
}

func (a *audioTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/audio") {
		a.next.ServeHTTP(w, r)
		return
	}
	req := &audioReq{path: r.URL.Path, rng: r.Header.Get("Range")}
	a.mu.Lock()
	a.reqs = append(a.reqs, req)
	a.mu.Unlock()
	a.next.ServeHTTP(&slowWriter{ResponseWriter: w, tap: a, req: req}, r)
}

// log is a copy of the requests so far.
func (a *audioTap) log(pathSuffix string) []audioReq {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audioReq
	for _, r := range a.reqs {
		if strings.HasSuffix(r.path, pathSuffix) {
			out = append(out, *r)
		}
	}
	return out
}

type slowWriter struct {
	http.ResponseWriter
	tap *audioTap
	req *audioReq
}

func (w *slowWriter) WriteHeader(code int) {
	w.tap.mu.Lock()
	w.req.status = code
	w.tap.mu.Unlock()
	w.ResponseWriter.WriteHeader(code)
}

// Write sends p a tenth of a second's worth at a time.
func (w *slowWriter) Write(p []byte) (int, error) {
	n := 0
	step := w.tap.bps / 10
	for len(p) > 0 {
		k := min(step, len(p))
		m, err := w.ResponseWriter.Write(p[:k])
		n += m
		w.tap.mu.Lock()
		if w.req.status == 0 {
			w.req.status = http.StatusOK
		}
		w.req.sent += int64(m)
		w.tap.mu.Unlock()
		if err != nil {
			return n, err
		}
		_ = http.NewResponseController(w.ResponseWriter).Flush()
		p = p[k:]
		time.Sleep(100 * time.Millisecond)
	}
	return n, nil
}

func (w *slowWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestAudioStreams (issue 17 part 4): on a connection slower than the file
// is long — a 60-second recording (1.9 MB) served at 48 KB/s, 40 s to
// download whole — the review page (space) and the transcription page
// (play) start playing within seconds, from an <audio> element that asks
// the server for byte ranges (206), never a fetch of the whole file first.
func TestAudioStreams(t *testing.T) {
	e := newEnv(t, "monologue")
	tap := &audioTap{next: e.gate.next, bps: 48 << 10}
	e.gate.next = tap
	const seconds = 60
	wav, _ := monologueFixture(seconds, [2]float64{1, 25}, [2]float64{28, 30})
	size := int64(len(wav))
	api := newAPIClient(t, e.url)
	id := api.uploadMonologue(wav)
	sp, err := e.db.UserByUsername(context.Background(), speakerName)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := server.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateUser(context.Background(), &corpus.User{Username: reviewerName, Role: corpus.RoleReviewer, ProjectID: sp.ProjectID, PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}

	started := func(ctx context.Context, page, suffix string) {
		t.Helper()
		t0 := time.Now()
		waitFor(t, ctx, 20*time.Second, page+" playing", `document.getElementById('audio').currentTime > 0.5`)
		reqs := tap.log(suffix)
		var sent int64
		ranged := false
		for _, r := range reqs {
			sent += r.sent
			ranged = ranged || (strings.HasPrefix(r.rng, "bytes=") && r.status == http.StatusPartialContent)
		}
		t.Logf("%s: playing %.1f s after play; %d bytes of %d sent by then, requests %+v", page, time.Since(t0).Seconds(), sent, size, reqs)
		if !ranged {
			t.Errorf("%s: no ranged request (206) for the audio: %+v", page, reqs)
		}
		if sent >= size*3/4 {
			t.Errorf("%s: playback started only after %d of %d bytes", page, sent, size)
		}
	}

	ctx := browser(t, "")
	signIn(t, ctx, e)
	within(t, ctx, 30*time.Second, "open the workspace", chromedp.Navigate(e.url+"/transcribe/"+id))
	waitFor(t, ctx, 20*time.Second, "the page", `document.getElementById('app').dataset.ready === 'true'`)
	if n := len(tap.log("/transcription/audio")); n != 0 {
		t.Errorf("the transcription page asked for the audio %d times before play", n)
	}
	click(t, ctx, "play")
	started(ctx, "the transcription page", "/transcription/audio")

	rctx := browser(t, "")
	within(t, rctx, 30*time.Second, "sign in as the reviewer",
		chromedp.Navigate(e.url+"/signin"),
		chromedp.SendKeys(tid("username"), reviewerName),
		chromedp.SendKeys(tid("password"), password),
		chromedp.Click(tid("sign-in")),
		chromedp.WaitVisible(tid("review-link")),
		chromedp.Navigate(e.url+"/review"),
		chromedp.WaitVisible(tid("review-clip")),
	)
	within(t, rctx, 10*time.Second, "space", chromedp.KeyEvent(" "))
	started(rctx, "the review page", "/review/"+id+"/audio")
}
