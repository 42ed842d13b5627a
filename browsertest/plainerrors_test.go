package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// TestPlainErrors (issue 17 part 4): when the server cannot be reached, the
// transcription and review pages say so in plain words in both languages —
// no exception text ("Failed to fetch", "TypeError", "HTTP 502") in what a
// person reads — and keep the technical cause in the element's data-error
// (and the console) for support.
func TestPlainErrors(t *testing.T) {
	e := newEnv(t, "monologue")
	wav, _ := monologueFixture(20, [2]float64{1, 8}, [2]float64{11, 7})
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

	plain := func(ctx context.Context, what, sel, wantZH, wantEN string) {
		t.Helper()
		waitFor(t, ctx, 20*time.Second, what, `(document.querySelector('`+sel+`') || {}).dataset?.error`)
		text := eval[string](t, ctx, `document.querySelector('`+sel+`').innerText`)
		detail := eval[string](t, ctx, `document.querySelector('`+sel+`').dataset.error`)
		enText := eval[string](t, ctx, `[...document.querySelectorAll('`+sel+` [lang=en]')].map((s) => s.textContent).join(' ')`)
		if !strings.Contains(text, wantZH) || !strings.Contains(enText, wantEN) {
			t.Errorf("%s: %q (English %q), want %q and %q", what, text, enText, wantZH, wantEN)
		}
		for _, raw := range []string{"Failed to fetch", "TypeError", "NetworkError", "HTTP "} {
			if strings.Contains(text, raw) {
				t.Errorf("%s shows %q: %q", what, raw, text)
			}
		}
		if !strings.Contains(detail, "TypeError") {
			t.Errorf("%s: data-error %q, want the exception", what, detail)
		}
	}

	ctx := browser(t, "")
	signIn(t, ctx, e)
	within(t, ctx, 30*time.Second, "open the workspace", chromedp.Navigate(e.url+"/transcribe/"+id))
	waitFor(t, ctx, 20*time.Second, "the proposal", `document.getElementById('app').dataset.ready === 'true' && !document.getElementById('proposal').hidden`)
	e.stop()
	within(t, ctx, 10*time.Second, "propose again", chromedp.Click(chromedp.ID("repropose")))
	plain(ctx, "the proposal's failure", "[data-testid=status-line]", "無法建議段落", "Could not propose segments")
	e.start(e.addr)

	// The review page: the decision cannot be sent.
	pendingClip(t, e, 1, "我是台南人。")
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
	e.stop()
	within(t, rctx, 10*time.Second, "a", chromedp.KeyEvent("a"))
	plain(rctx, "the decision's failure", "[data-testid=review-status]", "網路錯誤", "Network error")
	e.start(e.addr)
}
