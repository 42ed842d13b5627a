package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release/releasetest"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// monologueFixture is seconds of pink noise at -60 dBFS with speech (at -18
// dBFS) in each [start, length] stretch, 16 kHz mono 16-bit. truth holds
// where each stretch's speech really starts and ends (its first and last
// non-zero sample), the boundaries a segment proposal should find.
func monologueFixture(seconds float64, stretches ...[2]float64) (wav []byte, truth [][2]float64) {
	const sr = 16000
	rng := rand.New(rand.NewPCG(11, 7))
	x := wavtest.Noise(rng, wavtest.Pink, int(seconds*sr), sr, -60)
	for _, s := range stretches {
		sp := wavtest.Speech(rng, sr, s[1], -18)
		off, first, last := int(s[0]*sr), -1, -1
		for i, v := range sp {
			if v != 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
			x[off+i] += v
		}
		truth = append(truth, [2]float64{float64(off+first) / sr, float64(off+last+1) / sr})
	}
	return wavtest.Encode(wavtest.PCM16, x), truth
}

// apiClient is the speaker over the JSON API (cookie and CSRF token).
type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newAPIClient(t *testing.T, base string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &apiClient{t: t, base: base, http: &http.Client{Jar: jar}}
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	c.do("POST", "/api/v1/session", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, speakerName, password)), 200, &s)
	c.csrf = s.CSRF
	c.do("PUT", "/api/v1/me/profile", "application/json", strings.NewReader(`{"dialect_region":"臺南市","age_band":"20_29","gender":"female"}`), 200, nil)
	c.do("POST", "/api/v1/consent", "application/json", strings.NewReader(`{"consent_version":1}`), 200, nil)
	return c
}

func (c *apiClient) do(method, path, ct string, body io.Reader, want int, out any) {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("X-CSRF-Token", c.csrf)
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below; nothing to report
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// uploadMonologue stores wav as a monologue through POST /api/v1/clips.
func (c *apiClient) uploadMonologue(wav []byte) string {
	c.t.Helper()
	var task struct {
		ID   string `json:"task_id"`
		Mode string `json:"mode"`
		Band string `json:"noise_band"`
	}
	c.do("GET", "/api/v1/tasks/next", "", nil, 200, &task)
	if task.Mode != "monologue" {
		c.t.Fatalf("task mode %s, want monologue", task.Mode)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("client_clip_id", "00000000-0000-4000-8000-000000000077")
	_ = mw.WriteField("task_id", task.ID)
	_ = mw.WriteField("noise_band", task.Band)
	fw, _ := mw.CreateFormFile("audio", "take.wav")
	_, _ = fw.Write(wav)
	_ = mw.Close()
	var r struct {
		ClipID string `json:"clip_id"`
		Status string `json:"status"`
	}
	c.do("POST", "/api/v1/clips", mw.FormDataContentType(), &buf, 201, &r)
	return r.ClipID
}

// signInAt signs the browser in through the form at base.
func signInAt(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	within(t, ctx, 30*time.Second, "sign in",
		chromedp.Navigate(base+"/signin"),
		chromedp.SendKeys(tid("username"), speakerName),
		chromedp.SendKeys(tid("password"), password),
		chromedp.Click(tid("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/record"]`)),
	)
}

func key(k string) chromedp.Action[chromedp.Void] { return chromedp.KeyEvent(k) }

// TestTranscribeWorkspace: a 2-minute monologue stored through the API;
// the page proposes segments at its pauses (boundaries within 0.1 s of the
// speech), they are accepted, a 、 typed is flagged in place with both
// messages, F2 fixes it, a reload comes back to the same segment and
// cursor, the transcription is submitted, and once accepted its segments
// are in a release's Kaldi directory.
func TestTranscribeWorkspace(t *testing.T) {
	e := newEnv(t, "monologue")
	stretches := [][2]float64{{1, 12}, {15, 9}, {26.5, 14}, {43, 10}, {55.5, 13}, {71, 8}, {81.5, 15}, {99, 9}, {110.5, 7}}
	wav, truth := monologueFixture(120, stretches...)
	api := newAPIClient(t, e.url)
	id := api.uploadMonologue(wav)

	ctx := browser(t, "")
	signIn(t, ctx, e)
	within(t, ctx, 30*time.Second, "open the workspace", chromedp.Navigate(e.url+"/transcribe/"+id))
	waitFor(t, ctx, 20*time.Second, "the proposal", `document.getElementById('app').dataset.ready === 'true' && !document.getElementById('proposal').hidden`)

	type seg struct {
		Start float64 `json:"start"`
		End   float64 `json:"end"`
	}
	segs := eval[[]seg](t, ctx, `[...document.querySelectorAll('[data-testid=segment]')].map(li => ({start: Number(li.dataset.start), end: Number(li.dataset.end)}))`)
	if len(segs) != len(truth) {
		t.Fatalf("%d proposed segments %v, want %d at %v", len(segs), segs, len(truth), truth)
	}
	for i, s := range segs {
		if math.Abs(s.Start-truth[i][0]) > 0.1 || math.Abs(s.End-truth[i][1]) > 0.1 {
			t.Errorf("segment %d [%.3f, %.3f], want within 0.1 s of [%.3f, %.3f]", i+1, s.Start, s.End, truth[i][0], truth[i][1])
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('.shortcuts dt').length`); n < 8 {
		t.Errorf("%d shortcuts listed, want 8", n)
	}

	click(t, ctx, "accept-proposed")
	waitFor(t, ctx, 10*time.Second, "the first draft save", `document.getElementById('app').dataset.version === '1'`)

	first := chromedp.CSS(`[data-testid=segment][data-index="0"] textarea`)
	within(t, ctx, 10*time.Second, "type with a 、", chromedp.Click(first), chromedp.SendKeys(first, "我、你"))
	waitFor(t, ctx, 10*time.Second, "the 、 flagged", `document.querySelector('[data-testid=segment][data-index="0"] mark[data-rule=T001]')?.textContent === '、'`)
	msg := eval[string](t, ctx, `document.querySelector('[data-testid=segment][data-index="0"] .findings li').textContent`)
	if !strings.Contains(msg, "T001") || !strings.ContainsAny(msg, "，") || !strings.Contains(strings.ToLower(msg), "use") {
		t.Errorf("finding message %q: want the rule and its zh-TW and English messages", msg)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-testid=submit]').disabled`) {
		t.Error("submit enabled while a segment has an error")
	}
	within(t, ctx, 10*time.Second, "F2", key(kb.F2))
	waitFor(t, ctx, 10*time.Second, "the fix", `document.querySelector('[data-testid=segment][data-index="0"] textarea').value === '我，你' && document.querySelector('[data-testid=segment][data-index="0"]').dataset.linted === 'true' && !document.querySelector('[data-testid=segment][data-index="0"] mark')`)
	// The cursor goes to the middle of the text, on the second segment's
	// neighbour: segment 1, offset 1.
	within(t, ctx, 10*time.Second, "move the cursor", chromedp.Evaluate[chromedp.Void](`(() => { const t = document.querySelector('[data-testid=segment][data-index="0"] textarea'); t.focus(); t.setSelectionRange(1, 1); t.dispatchEvent(new KeyboardEvent('keyup')); })()`))
	waitFor(t, ctx, 10*time.Second, "the draft saved", `document.querySelector('[data-testid=save-state]').dataset.state === 'saved'`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := e.db.Draft(context.Background(), id)
		if err == nil && d.Segments[0].Text == "我，你" && d.Cursor == (corpus.Cursor{Segment: 0, Offset: 1}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server draft %+v %v: want the fixed text and the cursor at 0:1", d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	within(t, ctx, 20*time.Second, "reload", chromedp.Reload())
	waitFor(t, ctx, 20*time.Second, "the draft after reload", `document.getElementById('app').dataset.ready === 'true'`)
	got := eval[[]string](t, ctx, `[document.querySelector('[data-testid=segment][data-index="0"] textarea').value, document.getElementById('app').dataset.restored, String(document.activeElement.dataset.index), String(document.activeElement.selectionStart)]`)
	if got[0] != "我，你" || got[1] != "0:1" || got[2] != "0" || got[3] != "1" {
		t.Fatalf("after reload: text, restored, focused segment, cursor = %q; want 我，你, 0:1, 0, 1", got)
	}

	// Fill the other segments, then submit.
	within(t, ctx, 10*time.Second, "fill the rest", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('[data-testid=segment-text]').forEach((t, i) => { if (i > 0) { t.value = '好。'; t.dispatchEvent(new Event('input')); } })`))
	click(t, ctx, "submit")
	waitFor(t, ctx, 20*time.Second, "the submission", `document.getElementById('app').dataset.submitted`)
	cl, err := e.db.Clip(context.Background(), id)
	if err != nil || !strings.HasPrefix(cl.Transcript, "我，你\n好。") {
		t.Fatalf("clip transcript %q %v", cl.Transcript, err)
	}
	tr, err := e.db.LatestTranscription(context.Background(), id)
	if err != nil || len(tr.Segments) != len(truth) || !tr.Applied {
		t.Fatalf("transcription %+v %v", tr, err)
	}

	// Accepted, the clip's segments are in the next release's Kaldi
	// directory, one utterance each, with the submitted texts.
	if err := e.db.AppendDecision(context.Background(), &corpus.Decision{ClipID: id, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	rel, err := e.db.CreateRelease(context.Background(), cl.ProjectID, corpus.ReleaseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	af, err := e.db.ReleaseArchive(context.Background(), rel.ID, "kaldi")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = af.Close() }() // only read
	a, err := releasetest.Verify(af, "kaldi")
	if err != nil {
		t.Fatalf("release archive: %v", err)
	}
	// The speaker's split decides the folder (data/train, data/dev or
	// data/test): gather every split's segments and text.
	var kaldiSegs, texts string
	for name, b := range a.Files {
		switch path.Base(name) {
		case "segments":
			kaldiSegs += string(b)
		case "text":
			texts += string(b)
		}
	}
	var n int
	for _, l := range strings.Split(kaldiSegs, "\n") {
		if strings.Contains(l, "-"+id+"-1-") {
			n++
		}
	}
	if n != len(truth) || !strings.Contains(texts, "-"+id+"-1-00001 我，你\n") {
		t.Fatalf("release's Kaldi segments of %s: %d, want %d; text:\n%s", id, n, len(truth), texts)
	}
	e.audit()
}

// countingHandler counts the bytes of each response body by route kind.
type countingHandler struct {
	next http.Handler
	mu   sync.Mutex
	n    map[string]int64
}

type countWriter struct {
	http.ResponseWriter
	h    *countingHandler
	kind string
}

func (w *countWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.h.mu.Lock()
	w.h.n[w.kind] += int64(n)
	w.h.mu.Unlock()
	return n, err
}

func (w *countWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := "other"
	switch {
	case strings.HasSuffix(r.URL.Path, "/transcription/audio"):
		kind = "audio"
	case strings.HasSuffix(r.URL.Path, "/peaks"):
		kind = "peaks"
	}
	h.next.ServeHTTP(&countWriter{ResponseWriter: w, h: h, kind: kind}, r)
}

func (h *countingHandler) bytes(kind string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[kind]
}

// TestTranscribeThreeHourOpensFast: the page of a 3-hour recording is
// ready (waveform drawn from peaks, segments proposed) in under 3 s, with
// the peaks answers bounded and the audio not downloaded: playing it
// streams a few ranges, not the 345 MB.
func TestTranscribeThreeHourOpensFast(t *testing.T) {
	e := newEnv(t, "monologue")
	ctx := browser(t, "")
	path := filepath.Join(t.TempDir(), "long.wav")
	if _, err := wavtest.WriteLong(path, wavtest.PCM16, 3*3600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.db.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(up, f); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()       // only read
	_ = os.Remove(path) // early, for the disk's sake: t.TempDir removes it anyway
	u, err := e.db.UserByUsername(context.Background(), speakerName)
	if err != nil {
		t.Fatal(err)
	}
	cl := &corpus.Clip{ProjectID: u.ProjectID, SpeakerID: u.ID, ClientClipID: "long", DurationS: 3 * 3600, SampleRate: 16000,
		Channels: 1, Bits: 16, Mode: "monologue", NoiseBand: "low", Receipt: []byte(`{"measurements":{"noise_floor_dbfs":-58,"dc_offset":0}}`)}
	if err := e.db.CommitClip(context.Background(), cl, up); err != nil {
		t.Fatal(err)
	}

	// Serve through a counter of response bytes.
	h := &countingHandler{next: e.srv.Handler(), n: map[string]int64{}}
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	base := "http://" + ln.Addr().String()

	signInAt(t, ctx, base)
	start := time.Now()
	within(t, ctx, 30*time.Second, "open the workspace", chromedp.Navigate(base+"/transcribe/"+cl.ID))
	waitFor(t, ctx, 10*time.Second, "the page ready", `document.getElementById('app').dataset.ready === 'true' && document.getElementById('app').dataset.peaksLoaded === 'true'`)
	took := time.Since(start)
	t.Logf("3-hour recording: page ready in %v; peaks %d bytes, audio %d bytes", took, h.bytes("peaks"), h.bytes("audio"))
	if took > 3*time.Second {
		t.Errorf("the page took %v to open, want < 3 s", took)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid=segment]').length`); n < 100 {
		t.Errorf("%d segments proposed over 3 hours of 10-second stretches", n)
	}
	if b := h.bytes("peaks"); b > 512<<10 {
		t.Errorf("peaks answers: %d bytes, want bounded (< 512 KiB)", b)
	}
	if b := h.bytes("audio"); b != 0 {
		t.Errorf("audio fetched before playing: %d bytes", b)
	}
	// Playing from the middle streams ranges, never the whole file.
	within(t, ctx, 10*time.Second, "seek and play", chromedp.Evaluate[chromedp.Void](`(() => { const a = document.getElementById('audio'); a.src = a.src || '/api/v1/clips/`+cl.ID+`/transcription/audio'; a.currentTime = 5400; })()`), key(kb.Escape))
	waitFor(t, ctx, 15*time.Second, "playback", `Number(document.getElementById('clock').dataset.t) > 5400.3`)
	if b := h.bytes("audio"); b == 0 || b > 64<<20 {
		t.Errorf("audio bytes after playing: %d, want some but far from the 345 MB file", b)
	}
}
