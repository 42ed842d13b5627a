package browsertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

const reviewerName = "a-ling"

// pendingClip stores a 5-second take of ah-bin's straight into the corpus,
// waiting for review, with the given transcript.
func pendingClip(t *testing.T, e *env, n uint64, text string) string {
	t.Helper()
	ctx := context.Background()
	sp, err := e.db.UserByUsername(ctx, speakerName)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(n, 11))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, -65)
	up, err := e.db.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(wavtest.Encode(wavtest.PCM16, mix)); err != nil {
		t.Fatal(err)
	}
	c := &corpus.Clip{ProjectID: sp.ProjectID, SpeakerID: sp.ID, ClientClipID: fmt.Sprintf("review-%c", 'a'+n), DurationS: 5,
		SampleRate: 16000, Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: "low", Transcript: text,
		Receipt: []byte(`{"findings":[],"measurements":{"noise_floor_dbfs":-65,"speech_level_dbfs":-18.2,"snr_db":47,"active_s":3,` +
			`"leading_silence_s":1,"trailing_silence_s":1,"clipped_ratio":0,"clipped_samples":0,"clipped_runs":0,"clipped_runs_3":0,` +
			`"longest_clipped_run":0,"dc_offset":0,"peak_dbfs":-12.5,"rms_dbfs":-22,"dropouts":0,"dropout_s":0,"noise_band":"low",` +
			`"non_speech_s":2,"frames_analyzed":500}}`)}
	if err := e.db.CommitClip(ctx, c, up); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // distinct created_at: the review order is FIFO
	return c.ID
}

// TestReviewPageKeyboard: a reviewer opens the review page, plays the clip
// (space), rejects it with a reason by keyboard (r, 2), and the next clip
// appears; that clip's transcript is `<img src=x onerror=alert(1)>`, shown
// as text, and no dialog ever opens (S-17). Then a accepts it, and the page
// says there is nothing left.
func TestReviewPageKeyboard(t *testing.T) {
	e := newEnv(t)
	ctx0 := context.Background()
	sp, _ := e.db.UserByUsername(ctx0, speakerName)
	hash, err := server.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	rv := corpus.User{Username: reviewerName, Role: corpus.RoleReviewer, ProjectID: sp.ProjectID, PasswordHash: hash}
	if err := e.db.CreateUser(ctx0, &rv); err != nil {
		t.Fatal(err)
	}
	first := pendingClip(t, e, 1, "你食飽未？")
	const hostile = `<img src=x onerror=alert(1)>`
	second := pendingClip(t, e, 2, hostile)

	ctx := browser(t, fixture(t, "silence", 2, wavtest.White, -90))
	var dialogs atomic.Int32
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 30*time.Second, "sign in as the reviewer",
		chromedp.Navigate(e.url+"/signin"),
		chromedp.SendKeys(tid("username"), reviewerName),
		chromedp.SendKeys(tid("password"), password),
		chromedp.Click(tid("sign-in")),
		chromedp.WaitVisible(chromedp.CSS(`header form`)),
		chromedp.Navigate(e.url+"/review"),
		chromedp.WaitVisible(tid("review-clip")),
	)
	if id := eval[string](t, ctx, `document.querySelector('[data-testid=review-clip]').dataset.clipId`); id != first {
		t.Fatalf("review page shows %s, want the oldest clip %s", id, first)
	}
	waitFor(t, ctx, 10*time.Second, "the waveform", `document.getElementById('waveform').dataset.peaks.split(',').length > 100`)
	reviewMeasurements(t, ctx)
	// Space plays.
	within(t, ctx, 10*time.Second, "space", chromedp.KeyEvent(" "))
	waitFor(t, ctx, 15*time.Second, "playback", `document.getElementById('review').dataset.playing === 'true' || document.getElementById('audio').currentTime > 0`)
	// r, then 2: rejected as unintelligible; the page loads the next clip.
	within(t, ctx, 10*time.Second, "r 2", chromedp.KeyEvent("r"), chromedp.KeyEvent("2"))
	waitAcross(t, ctx, 20*time.Second, "the next clip", `(document.querySelector('[data-testid=review-clip]') || {dataset: {}}).dataset.clipId === '`+second+`'`)
	ds, err := e.db.Decisions(ctx0, first)
	if err != nil {
		t.Fatal(err)
	}
	if last := ds[len(ds)-1]; last.To != corpus.StatusRejected || last.Reason != "unintelligible" || last.AuthorID != rv.ID {
		t.Fatalf("first clip's last decision %+v, want rejected/unintelligible by %d", last, rv.ID)
	}

	// S-17: the hostile transcript is text.
	if got := eval[string](t, ctx, `document.querySelector('[data-testid=review-transcript]').textContent`); got != hostile {
		t.Fatalf("transcript text %q, want %q", got, hostile)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('img, [data-testid=review-transcript] *:not(mark)').length`); n != 0 {
		t.Fatalf("%d elements made from the transcript", n)
	}
	time.Sleep(300 * time.Millisecond) // an onerror would have fired by now
	if n := dialogs.Load(); n != 0 {
		t.Fatalf("%d JavaScript dialogs opened", n)
	}
	t.Logf("screenshot: %s", shoot(t, ctx, desktop, "review-hostile"))
	// a accepts it; nothing is left.
	within(t, ctx, 10*time.Second, "a", chromedp.KeyEvent("a"))
	waitAcross(t, ctx, 20*time.Second, "the empty page", `document.querySelector('[data-testid=review-empty]') !== null`)
	if c, _ := e.db.Clip(ctx0, second); c.Status != corpus.StatusAccepted {
		t.Fatalf("second clip %s, want accepted", c.Status)
	}
	if dialogs.Load() != 0 {
		t.Fatal("a JavaScript dialog opened")
	}
	e.audit()
}

// reviewMeasurements checks the measurement table a reviewer sees (issue
// 10 §2): grouped under level, noise, clipping and silence, every label in
// zh-TW with its English beside (lang="en"), every figure in its unit, and
// no JSON key; the table is on screen when scrolled to.
func reviewMeasurements(t *testing.T, ctx context.Context) {
	t.Helper()
	groups := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=review-measurements] tbody[data-group]')].map((b) => b.dataset.group)`)
	if strings.Join(groups, " ") != "level noise clipping silence" {
		t.Errorf("measurement groups %q, want level noise clipping silence", groups)
	}
	heads := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid=review-measurements] th[scope=rowgroup]')].map((th) => th.innerText)`)
	if strings.Join(heads, "|") != "音量 level|噪音 noise|爆音 clipping|語音與靜音 speech and silence" {
		t.Errorf("group headings %q", heads)
	}
	rows := eval[[][]string](t, ctx, `[...document.querySelectorAll('[data-testid=review-measurements] th[scope=row]')].map((th) => {
		const en = th.querySelector('span[lang=en]');
		return [th.firstChild.textContent.trim(), en ? en.textContent : '', th.nextElementSibling ? th.nextElementSibling.innerText : ''];
	})`)
	want := map[string][2]string{
		"背景噪音": {"noise floor", "-65.0 dBFS"}, "訊噪比": {"SNR", "47.0 dB"},
		"爆音": {"clipped", "0%"}, "語音長度": {"speech", "3.00 秒 3.00 s"}, "噪音等級": {"noise band", "低噪音 low"}, "斷音": {"dropouts", "0 處斷音 0 dropouts"},
	}
	got := map[string][2]string{}
	for _, r := range rows {
		if len(r) == 3 {
			got[r[0]] = [2]string{r[1], r[2]}
			if r[1] == "" {
				t.Errorf("row %q has no English beside it", r[0])
			}
		}
	}
	for zh, w := range want {
		if g, ok := got[zh]; !ok || g[0] != w[0] || (w[1] != "" && g[1] != w[1]) {
			t.Errorf("measurement %s = %q, want %q", zh, g, w)
		}
	}
	text := eval[string](t, ctx, `document.querySelector('[data-testid=review-measurements]').innerText`)
	for _, key := range []string{"noise_floor_dbfs", "snr_db", "clipped_runs_3", "_"} {
		if strings.Contains(text, key) {
			t.Errorf("the measurements show %q:\n%s", key, text)
		}
	}
	visible := eval[bool](t, ctx, `(() => {
		const tb = document.querySelector('[data-testid=review-measurements] tbody[data-group=noise]');
		tb.scrollIntoView();
		const r = tb.getBoundingClientRect();
		return r.height > 0 && r.width > 0 && r.top < window.innerHeight && getComputedStyle(tb).visibility !== 'hidden';
	})()`)
	if !visible {
		t.Errorf("the measurement table is not visible")
	}
	t.Logf("measurements:\n%s", text)
	eval[bool](t, ctx, `(window.scrollTo(0, 0), true)`)
}

// waitAcross polls a predicate across page loads (the review page loads
// itself again after each decision, which ends a running Poll).
func waitAcross(t *testing.T, ctx context.Context, d time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	failShot(t, ctx, what)
	t.Fatalf("waiting for %s (%s): timed out after %v", what, js, d)
}
