package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// Issue #17, part 3: no take lost to the network, a restart or a key.

// idbCount counts the records of an object store of the recorder's
// IndexedDB ("takes", "recordings", "chunks").
func idbCount(t *testing.T, ctx context.Context, store string) int {
	t.Helper()
	return eval[int](t, ctx, `new Promise((resolve, reject) => { const q = indexedDB.open('dialect-recorder'); q.onerror = () => reject(q.error);
		q.onsuccess = () => { const g = q.result.transaction('`+store+`').objectStore('`+store+`').count(); g.onsuccess = () => { q.result.close(); resolve(g.result); }; }; })`)
}

// recorderState is the recorder's data-state: idle, ready, recording or
// review (a take not yet sent).
func recorderState(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.getElementById('recorder').dataset.state`)
}

// takeToReview signs in, consents, checks the room and records a take of
// at least seconds, then stops: the take is under review, not yet sent.
func takeToReview(t *testing.T, ctx context.Context, e *env, seconds float64) {
	t.Helper()
	signIn(t, ctx, e)
	openRecorder(t, ctx)
	consent(t, ctx)
	if band, _ := roomCheck(t, ctx); band != "low" {
		t.Fatalf("room check band %s, want low", band)
	}
	record(t, ctx, seconds)
	click(t, ctx, "stop")
	waitFor(t, ctx, 20*time.Second, "the take to review", `!document.querySelector('[data-testid=submit]').disabled`)
	if st := recorderState(t, ctx); st != "review" {
		t.Fatalf("recorder state %q after stop, want review", st)
	}
}

// blur leaves focus on the page itself.
func blur(t *testing.T, ctx context.Context) {
	t.Helper()
	if tag := eval[string](t, ctx, `(document.activeElement && document.activeElement.blur(), document.activeElement ? document.activeElement.tagName : '')`); tag != "BODY" {
		t.Fatalf("focus is on %s after blur, want BODY", tag)
	}
}

// TestRecorderShutdownMidPatch (a): a long take goes through tus; the
// server is shut down gracefully (SIGTERM) in the middle of its PATCH. The
// bytes that arrived are kept, the PATCH answers 503, the page shows the
// take waiting and, when the server is back on the same address, uploads
// the rest by itself: the receipt arrives without a click.
func TestRecorderShutdownMidPatch(t *testing.T) {
	e := newEnv(t, "monologue")
	wav := fixture(t, "restart", 40, wavtest.Pink, quietDB, [2]float64{5, 6}, [2]float64{12, 4})
	ctx := browser(t, wav)
	takeToReview(t, ctx, e, 12)
	if mode := eval[string](t, ctx, `document.getElementById('task-mode').textContent`); !strings.Contains(mode, "Talk freely") {
		t.Fatalf("task mode %q, want a monologue (tus)", mode)
	}
	const first = 64 << 10
	tr := e.gate.slowNextPatch(first)
	click(t, ctx, "submit")
	select {
	case <-tr.arrived:
	case <-time.After(60 * time.Second):
		t.Fatal("no PATCH of the take reached the server")
	}
	addr := e.addr
	t0 := time.Now()
	e.shutdown()
	path, read, status := tr.state()
	t.Logf("shut down in %v, %d bytes of the PATCH read, answered %d", time.Since(t0).Round(time.Millisecond), read, status)
	if status != 503 {
		t.Errorf("the PATCH cut by the shutdown answered %d, want 503", status)
	}
	up, err := e.db.Resumable(context.Background(), strings.TrimPrefix(path, "/api/v1/uploads/"))
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	if up.Offset < first || up.Offset != read || up.Offset >= up.Length {
		t.Fatalf("offset after the shutdown %d of %d; the server read %d (≥ %d): what arrived must be kept", up.Offset, up.Length, read, first)
	}

	waitFor(t, ctx, 30*time.Second, "the page to say the server is away",
		`document.querySelector('[data-testid=queue] li[data-state=retrying]') && document.getElementById('queue-status').dataset.serverDown === 'true'`)
	if n := idbCount(t, ctx, "takes"); n != 1 {
		t.Fatalf("takes in IndexedDB while the server is away: %d, want 1", n)
	}
	if st := eval[string](t, ctx, `document.querySelector('[data-testid=receipt]').dataset.status || ''`); st != "" {
		t.Fatalf("a receipt (%s) while the server is away", st)
	}
	if f := eval[string](t, ctx, `(document.querySelector('[data-testid=queue] li[data-state=failed]') || {}).innerText || ''`); f != "" {
		t.Fatalf("the take is marked refused: %q", f)
	}

	e.start(addr) // the restart, on the same address; nobody clicks anything
	if st := receipt(t, ctx, 120*time.Second); st != "pending_review" {
		t.Fatalf("receipt %s after the restart: %s", st, eval[string](t, ctx, `document.querySelector('[data-testid=receipt]').innerText`))
	}
	waitFor(t, ctx, 20*time.Second, "an empty queue", `document.querySelector('[data-testid=queue]').children.length === 0`)
	if n := idbCount(t, ctx, "takes"); n != 0 {
		t.Errorf("takes left in IndexedDB after the receipt: %d", n)
	}
	clips := e.clips()
	if len(clips) != 1 || clips[0].Mode != "monologue" || clips[0].Status != corpus.StatusPendingReview {
		t.Fatalf("clips %+v, want one pending monologue", clips)
	}
	if log := e.gate.uploads(); len(log) != 0 {
		t.Errorf("the take went through POST /api/v1/clips (%v), want tus only", log)
	}
	t.Logf("clip %.2f s, %d bytes; %d of them had arrived before the shutdown", clips[0].DurationS, up.Length, up.Offset)
	e.audit()
}

// TestRecorderSpaceOnFocusedSend (b): Space (and Enter) on a focused
// control presses that control, not the recorder's shortcut: Enter on Play
// plays the take, Space on Send sends it, and no new recording starts.
func TestRecorderSpaceOnFocusedSend(t *testing.T) {
	e := newEnv(t)
	wav := fixture(t, "keys", 25, wavtest.Pink, quietDB, [2]float64{6, 3})
	ctx := browser(t, wav)
	takeToReview(t, ctx, e, 6)

	within(t, ctx, 20*time.Second, "Enter on a focused Play", chromedp.Focus(tid("play")), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, 10*time.Second, "the take to play", `document.getElementById('playback').currentTime > 0`)
	if st := recorderState(t, ctx); st != "review" {
		t.Fatalf("recorder state %q after Enter on Play, want review", st)
	}

	within(t, ctx, 20*time.Second, "Space on a focused Send", chromedp.Focus(tid("submit")), chromedp.KeyEvent(" "))
	if st := receipt(t, ctx, 90*time.Second); st == "" {
		t.Fatal("no receipt after Space on Send")
	}
	if n := idbCount(t, ctx, "recordings"); n != 0 {
		t.Fatalf("%d recordings in progress after Space on Send: the key started a new take", n)
	}
	if st := recorderState(t, ctx); st == "recording" {
		t.Fatal("Space on Send started a new recording")
	}
	if n := len(e.clips()); n != 1 {
		t.Fatalf("%d clips, want the one sent", n)
	}
	e.audit()
}

// TestRecorderSpaceKeepsUnsentTake (c): with a take not yet sent and focus
// on the page itself, Space neither starts a new recording nor touches the
// take; the page says what to do, and the take is still whole when sent.
func TestRecorderSpaceKeepsUnsentTake(t *testing.T) {
	e := newEnv(t)
	wav := fixture(t, "unsent", 25, wavtest.Pink, quietDB, [2]float64{6, 3})
	ctx := browser(t, wav)
	takeToReview(t, ctx, e, 6)
	id := eval[string](t, ctx, `new Promise((resolve) => { const q = indexedDB.open('dialect-recorder'); q.onsuccess = () => { const g = q.result.transaction('takes').objectStore('takes').getAll(); g.onsuccess = () => { q.result.close(); resolve(g.result.map((x) => x.id + ' ' + x.state + ' ' + x.wav.size).join()); }; }; })`)
	if !strings.Contains(id, " draft ") {
		t.Fatalf("takes in IndexedDB: %q, want one draft", id)
	}
	if dis := eval[bool](t, ctx, `document.querySelector('[data-testid=record]').disabled`); !dis {
		t.Error("Record is enabled while a take is not yet sent")
	}

	blur(t, ctx)
	for i := 0; i < 3; i++ {
		within(t, ctx, 20*time.Second, "Space on the page", chromedp.KeyEvent(" "))
		time.Sleep(700 * time.Millisecond)
	}
	if st := recorderState(t, ctx); st != "review" {
		t.Fatalf("recorder state %q after Space with an unsent take, want review", st)
	}
	if n := idbCount(t, ctx, "recordings"); n != 0 {
		t.Fatalf("%d recordings started by Space", n)
	}
	again := eval[string](t, ctx, `new Promise((resolve) => { const q = indexedDB.open('dialect-recorder'); q.onsuccess = () => { const g = q.result.transaction('takes').objectStore('takes').getAll(); g.onsuccess = () => { q.result.close(); resolve(g.result.map((x) => x.id + ' ' + x.state + ' ' + x.wav.size).join()); }; }; })`)
	if again != id {
		t.Fatalf("takes after Space: %q, want %q unchanged", again, id)
	}
	msg := eval[string](t, ctx, `document.getElementById('status-line').innerText`)
	if !strings.Contains(msg, "not been sent") || !strings.Contains(msg, "還沒送出") {
		t.Errorf("the page does not say why Space did nothing: %q", msg)
	}
	if ok := eval[bool](t, ctx, `!!document.getElementById('playback').src && !document.querySelector('[data-testid=submit]').disabled`); !ok {
		t.Fatal("the take under review is gone from the page")
	}

	click(t, ctx, "submit")
	if st := receipt(t, ctx, 90*time.Second); st == "" {
		t.Fatal("no receipt for the kept take")
	}
	clips := e.clips()
	if len(clips) != 1 || !strings.HasPrefix(id, clips[0].ClientClipID+" ") {
		t.Fatalf("clips %+v; want the kept take %q", clips, id)
	}
	e.audit()
}

// TestRecorderDiscardAsks (d): "Record again" on a take not yet sent asks
// first, in an in-page dialog in both languages with focus on "Keep it".
// Keep and Esc keep the take (Space under the dialog records nothing);
// only "Discard it" deletes it.
func TestRecorderDiscardAsks(t *testing.T) {
	e := newEnv(t)
	wav := fixture(t, "discard", 25, wavtest.Pink, quietDB, [2]float64{6, 3})
	ctx := browser(t, wav)
	takeToReview(t, ctx, e, 5)
	open := `document.querySelector('[data-testid=confirm-discard]').open`

	click(t, ctx, "rerecord")
	waitFor(t, ctx, 10*time.Second, "the confirmation", open)
	text := eval[string](t, ctx, `document.querySelector('[data-testid=confirm-discard]').innerText`)
	if !strings.Contains(text, "Discard this take?") || !strings.Contains(text, "要放棄這段錄音嗎") || !strings.Contains(text, "Keep it") || !strings.Contains(text, "保留") {
		t.Fatalf("the confirmation is not in both languages: %q", text)
	}
	if f := eval[string](t, ctx, `document.activeElement.dataset.testid || document.activeElement.tagName`); f != "confirm-discard-keep" {
		t.Errorf("focus in the confirmation is on %s, want Keep it", f)
	}
	if role := eval[string](t, ctx, `(() => { const d = document.querySelector('[data-testid=confirm-discard]'); return d.tagName + ' ' + (d.getAttribute('aria-labelledby') || ''); })()`); role != "DIALOG confirm-discard-title" {
		t.Errorf("the confirmation is %q, want a labelled <dialog>", role)
	}
	click(t, ctx, "confirm-discard-keep")
	waitFor(t, ctx, 10*time.Second, "the confirmation to close", `!`+open)
	if n := idbCount(t, ctx, "takes"); n != 1 || recorderState(t, ctx) != "review" {
		t.Fatalf("after Keep it: %d takes, state %s; want the take under review", n, recorderState(t, ctx))
	}

	click(t, ctx, "rerecord")
	waitFor(t, ctx, 10*time.Second, "the confirmation again", open)
	within(t, ctx, 10*time.Second, "Esc", chromedp.KeyEvent(kb.Escape))
	waitFor(t, ctx, 10*time.Second, "Esc to close the confirmation", `!`+open)
	if n := idbCount(t, ctx, "takes"); n != 1 || recorderState(t, ctx) != "review" {
		t.Fatalf("after Esc: %d takes, state %s; want the take under review", n, recorderState(t, ctx))
	}

	click(t, ctx, "rerecord")
	waitFor(t, ctx, 10*time.Second, "the confirmation a third time", open)
	within(t, ctx, 10*time.Second, "Space on the dialog's Keep it", chromedp.KeyEvent(" "))
	waitFor(t, ctx, 10*time.Second, "Space to press Keep it", `!`+open)
	if n := idbCount(t, ctx, "recordings"); n != 0 || recorderState(t, ctx) != "review" {
		t.Fatalf("Space in the dialog: %d recordings, state %s", n, recorderState(t, ctx))
	}

	click(t, ctx, "rerecord")
	waitFor(t, ctx, 10*time.Second, "the confirmation to discard", open)
	click(t, ctx, "confirm-discard-yes")
	waitFor(t, ctx, 10*time.Second, "the take to go", `document.getElementById('recorder').dataset.state === 'ready'`)
	if n := idbCount(t, ctx, "takes"); n != 0 {
		t.Fatalf("%d takes in IndexedDB after a confirmed discard, want 0", n)
	}
	if n := len(e.clips()); n != 0 {
		t.Fatalf("%d clips from a discarded take", n)
	}
}
