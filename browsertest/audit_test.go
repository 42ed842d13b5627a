package browsertest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// TestPagesAudit (issue 17 part 4, "pages that work on a phone on a weak
// network"): for each role — signed out, speaker, reviewer, admin, vendor —
// it signs in through the form and crawls every page reachable by following
// the visible links from the home page (not a fixed list), plus the error
// pages, at 360×740 as a phone and at 1280×800; the recorder is driven
// through each state a speaker passes (consent form, its error, consent
// given, room check done, recording, take ready, queued while the upload
// is held, waiting to retry, receipt, opened again once consent is given),
// the transcription page through its
// proposal and a lint finding, the review page through a clip, reject mode
// and the empty queue, the statistics through a new release. In every
// state it fails on:
//
//   - any violation of axe-core 4.14.1 (vendored in testdata/axe), with its
//     default rule set, best-practice rules included;
//   - cumulative layout shift of 0.05 or more (the largest session window
//     of layout-shift entries without recent input, as Core Web Vitals
//     count it, over the life of the document);
//   - sideways scrolling: the document wider than the viewport;
//   - English not marked: an .en element outside lang="en", Chinese inside
//     lang="en", or two English words in a row in zh-TW text;
//   - a focus style that is not a solid outline of 2 px or more with 3:1
//     contrast against what is behind it, for every Tab stop.
func TestPagesAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("the page audit drives Chromium for a few minutes")
	}
	axe, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "prompted")
	ctx0 := context.Background()
	ahBin, err := e.db.UserByUsername(ctx0, speakerName)
	if err != nil {
		t.Fatal(err)
	}
	pid := ahBin.ProjectID
	add := func(name string, role corpus.Role) *corpus.User {
		t.Helper()
		hash, err := server.HashPassword(password)
		if err != nil {
			t.Fatal(err)
		}
		u := &corpus.User{Username: name, Role: role, PasswordHash: hash}
		if role != corpus.RoleAdmin {
			u.ProjectID = pid
		}
		if err := e.db.CreateUser(ctx0, u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	helper := add("helper-rv", corpus.RoleReviewer)
	// A release, so the statistics page has its table: ah-bin consents and
	// has an accepted clip.
	newAPIClient(t, e.url)
	vote(t, e, helper, pendingClip(t, e, 90, "今仔日天氣真好。"), corpus.VoteAccept, "")
	if _, err := e.db.CreateRelease(ctx0, pid, corpus.ReleaseOptions{}); err != nil {
		t.Fatal(err)
	}
	mic := fixture(t, "room", 240, wavtest.White, -62)

	// A small phone at twice the pixels (as most are), and a laptop.
	for _, av := range []struct {
		viewport
		scale float64
	}{{viewport{"phone360", 360, 740, true}, 2}, {viewport{"desktop", 1280, 800, false}, 1}} {
		vp := av.viewport
		t.Run(vp.name, func(t *testing.T) {
			a := &auditor{t: t, e: e, axe: string(axe), vp: vp}
			// This run's people and their clips: a speaker who has not
			// consented yet, with an accepted take and monologue, a take
			// a reviewer rejected (appealable) and one the checks rejected;
			// two takes of ah-bin's waiting for this run's reviewer.
			sp := add("sp-"+vp.name, corpus.RoleSpeaker)
			vote(t, e, helper, storedClip(t, e, sp, 1, "prompted", corpus.StatusPendingReview), corpus.VoteAccept, "")
			vote(t, e, helper, storedClip(t, e, sp, 2, "prompted", corpus.StatusPendingReview), corpus.VoteReject, "wrong_text")
			storedClip(t, e, sp, 3, "prompted", corpus.StatusRejected)
			vote(t, e, helper, storedClip(t, e, sp, 4, "monologue", corpus.StatusPendingReview), corpus.VoteAccept, "")
			pendingClip(t, e, uint64(len(vp.name))*10+1, "你好,世界")
			pendingClip(t, e, uint64(len(vp.name))*10+2, "我是台南人。")
			add("rv-"+vp.name, corpus.RoleReviewer)
			add("admin-"+vp.name, corpus.RoleAdmin)
			add("vendor-"+vp.name, corpus.RoleVendor)

			ctx := browser(t, mic)
			opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(av.scale)}
			if vp.mobile {
				opts = append(opts, chromedp.EmulateMobile)
			}
			within(t, ctx, 20*time.Second, "viewport "+vp.name, chromedp.EmulateViewport(vp.width, vp.height, opts...))
			a.ctx = ctx

			// Signed out.
			a.visit("/")
			a.check("signed out", "sign-in")
			within(t, ctx, 30*time.Second, "a wrong password",
				chromedp.SendKeys(tid("username"), "nobody"), chromedp.SendKeys(tid("password"), "wrong password"),
				chromedp.Click(tid("sign-in")), chromedp.WaitVisible(tid("sign-in-error")))
			a.check("signed out", "sign-in refused")
			a.visit("/signin/once?token=not-a-token")
			a.check("signed out", "one-time link refused")
			a.visit("/no-such-page")
			a.check("signed out", "404")

			for _, role := range []string{sp.Username, "rv-" + vp.name, "admin-" + vp.name, "vendor-" + vp.name} {
				a.signIn(role)
				a.crawl(role)
				a.visit("/no-such-page")
				a.check(role, "404")
				// Signed out by forgetting the cookie: a vendor may not post
				// the sign-out form.
				within(t, ctx, 30*time.Second, "sign out "+role, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
					return err
				}))
			}
			if len(a.seen) == 0 {
				t.Fatal("nothing audited")
			}
			t.Logf("%s: %d page states audited:\n%s", vp.name, len(a.seen), strings.Join(a.seen, "\n"))
		})
	}
}

// vote records a reviewer's vote on a clip.
func vote(t *testing.T, e *env, rv *corpus.User, clipID string, v corpus.Vote, reason string) {
	t.Helper()
	if _, err := e.db.SubmitReview(context.Background(), corpus.ReviewInput{ClipID: clipID, ReviewerID: rv.ID, Vote: v, Reason: reason}); err != nil {
		t.Fatalf("vote %s on %s: %v", v, clipID, err)
	}
}

// storedClip stores a 5-second (prompted) or 12-second (monologue) take of
// u's straight into the corpus with a receipt that has a finding (rejected)
// or none.
func storedClip(t *testing.T, e *env, u *corpus.User, n uint64, mode string, status corpus.ClipStatus) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(n, 13))
	speech := 3.0
	if mode == "monologue" {
		speech = 10
	}
	mix, _ := wavtest.Clip(rng, 16000, 1, speech, 1, -18, wavtest.White, -65)
	up, err := e.db.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(wavtest.Encode(wavtest.PCM16, mix)); err != nil {
		t.Fatal(err)
	}
	receipt := `{"findings":[],"measurements":{"noise_floor_dbfs":-65,"speech_level_dbfs":-18.2,"snr_db":47,"noise_band":"low"}}`
	if status == corpus.StatusRejected {
		receipt = `{"findings":[{"rule":"A011","severity":"error","message":"SNR 8.0 dB is below the low band's minimum of 25 dB",` +
			`"message_zh":"訊噪比 8.0 dB，低於低噪音等級的下限 25 dB","measured":8,"threshold":">= 25","unit":"dB",` +
			`"measured_text":"8.0 dB","measured_text_zh":"8.0 dB","threshold_text":"at least 25.0 dB","threshold_text_zh":"至少 25.0 dB"}],` +
			`"measurements":{"noise_floor_dbfs":-30,"speech_level_dbfs":-22,"snr_db":8,"noise_band":"high"}}`
	}
	c := &corpus.Clip{ProjectID: u.ProjectID, SpeakerID: u.ID, ClientClipID: fmt.Sprintf("%s-%d", u.Username, n), DurationS: speech + 2,
		SampleRate: 16000, Channels: 1, Bits: 16, Mode: mode, NoiseBand: "low", Transcript: "我是台南人。", Status: status, Receipt: []byte(receipt)}
	if err := e.db.CommitClip(context.Background(), c, up); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond) // distinct created_at: the review order is FIFO
	return c.ID
}

// auditor crawls and checks pages in one browser tab.
type auditor struct {
	t    *testing.T
	e    *env
	ctx  context.Context
	axe  string
	vp   viewport
	seen []string
}

func (a *auditor) visit(path string) {
	a.t.Helper()
	within(a.t, a.ctx, 30*time.Second, "open "+path, chromedp.Navigate(a.e.url+path))
	a.settle()
}

// settle waits for the page's scripts to have done what they do on load
// (each page's own marker), then a second more for anything late.
func (a *auditor) settle() {
	a.t.Helper()
	waitFor(a.t, a.ctx, 30*time.Second, "the page to load", `document.readyState === 'complete' &&
		(!document.querySelector('.recorder') || !!document.body.dataset.recorderReady || !document.getElementById('consent').hidden) &&
		(!document.querySelector('.transcribe') || document.getElementById('app').dataset.ready === 'true')`)
	time.Sleep(time.Second)
}

func (a *auditor) signIn(username string) {
	a.t.Helper()
	within(a.t, a.ctx, 30*time.Second, "sign in as "+username,
		chromedp.Navigate(a.e.url+"/signin"),
		chromedp.SendKeys(tid("username"), username),
		chromedp.SendKeys(tid("password"), password),
		chromedp.Click(tid("sign-in")),
		chromedp.WaitVisible(tid("sign-out")),
	)
	a.settle()
}

// crawl visits every page the role reaches by following visible links from
// the home page, driving the pages with states through them.
func (a *auditor) crawl(role string) {
	a.t.Helper()
	queue := []string{"/"}
	done := map[string]bool{}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if done[p] {
			continue
		}
		done[p] = true
		switch {
		case p == "/record":
			a.visit(p)
			a.recorder(role)
		case p == "/review":
			a.visit(p)
			a.review(role)
		case strings.HasPrefix(p, "/transcribe/"):
			a.visit(p)
			a.transcribe(role)
		case p == "/stats":
			a.visit(p)
			a.check(role, p)
			// The form's answer: the page again, with its notice.
			within(a.t, a.ctx, 60*time.Second, "create a release", chromedp.Click(tid("create-release")), chromedp.WaitVisible(tid("notice")))
			a.settle()
			a.check(role, "/stats: release created")
		default:
			a.visit(p)
			a.check(role, p)
		}
		// The links of the page as it was first shown (the review page
		// has moved on by now: its links are the same).
		for _, l := range a.links() {
			if !done[l] {
				queue = append(queue, l)
			}
		}
	}
}

// links are the same-origin pages the visible links of the current page
// lead to: API addresses (downloads, the CSV statement) and files are not
// pages; a query or fragment does not make another page.
func (a *auditor) links() []string {
	a.t.Helper()
	hrefs := eval[[]string](a.t, a.ctx, `[...document.querySelectorAll('a[href]')].filter((l) => l.checkVisibility() && !l.hasAttribute('download')).map((l) => l.href)`)
	var out []string
	for _, h := range hrefs {
		u, err := url.Parse(h)
		if err != nil || u.Host != a.e.addr || strings.HasPrefix(u.Path, "/api/") || strings.HasPrefix(u.Path, "/assets/") {
			continue
		}
		out = append(out, u.Path)
	}
	sort.Strings(out)
	return out
}

// recorder drives /record through a speaker's states.
func (a *auditor) recorder(role string) {
	t, ctx := a.t, a.ctx
	within(t, ctx, 30*time.Second, "the consent form", chromedp.WaitVisible(tid("consent-accept")))
	a.check(role, "/record: consent form")
	click(t, ctx, "consent-accept")
	within(t, ctx, 10*time.Second, "the consent form's error", chromedp.WaitVisible(chromedp.ID("consent-error")))
	a.check(role, "/record: consent form with its error")
	within(t, ctx, 30*time.Second, "fill the profile",
		chromedp.SetValue(chromedp.ID("region"), "臺南市"),
		chromedp.SetValue(chromedp.ID("age-band"), "20_29"),
		chromedp.SetValue(chromedp.ID("gender"), "female"),
	)
	click(t, ctx, "consent-accept")
	within(t, ctx, 30*time.Second, "the task after consent", chromedp.WaitVisible(tid("room-check-start")))
	time.Sleep(time.Second)
	a.check(role, "/record: consent given, task shown")
	roomCheck(t, ctx)
	time.Sleep(time.Second)
	a.check(role, "/record: room check done")
	record(t, ctx, 5) // long enough for the too-quiet warning
	a.check(role, "/record: recording")
	click(t, ctx, "stop")
	waitFor(t, ctx, 20*time.Second, "the take", `!document.querySelector('[data-testid=submit]').disabled`)
	time.Sleep(time.Second)
	a.check(role, "/record: take ready")
	held := a.e.gate.holdNext()
	click(t, ctx, "submit")
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the upload did not start")
	}
	waitFor(t, ctx, 20*time.Second, "the queued take", `document.querySelector('[data-testid=queue] li[data-state=uploading]') !== null`)
	time.Sleep(time.Second)
	a.check(role, "/record: queued, uploading")
	a.e.stop() // the server goes away mid-upload
	waitFor(t, ctx, 20*time.Second, "the retry", `document.querySelector('[data-testid=queue] li[data-state=retrying]') !== null`)
	time.Sleep(time.Second)
	a.check(role, "/record: queued, waiting to retry")
	a.e.start(a.e.addr)
	receipt(t, ctx, 60*time.Second)
	time.Sleep(time.Second)
	a.check(role, "/record: receipt")
	// How a speaker who consented before finds the page: the task at once.
	a.visit("/record")
	a.check(role, "/record: opened again, consent given")
}

// transcribe drives the transcription page: the proposal, then segments
// with a lint finding.
func (a *auditor) transcribe(role string) {
	t, ctx := a.t, a.ctx
	a.check(role, "/transcribe: proposal")
	if eval[bool](t, ctx, `!document.getElementById('proposal').hidden`) {
		click(t, ctx, "accept-proposed")
	}
	within(t, ctx, 20*time.Second, "a segment", chromedp.WaitVisible(tid("segment-text")))
	within(t, ctx, 20*time.Second, "type a finding", chromedp.Click(tid("segment-text")), chromedp.KeyEvent("你好,世界"))
	waitFor(t, ctx, 20*time.Second, "the finding", `document.querySelector('[data-testid=findings] li') !== null`)
	time.Sleep(time.Second)
	a.check(role, "/transcribe: segments with a finding")
}

// review drives the review page: a clip, reject mode, then accepting every
// clip until the queue is empty.
func (a *auditor) review(role string) {
	t, ctx := a.t, a.ctx
	if eval[bool](t, ctx, `document.querySelector('[data-testid=review-clip]') !== null`) {
		a.check(role, "/review: a clip")
		within(t, ctx, 10*time.Second, "r", chromedp.KeyEvent("r"))
		a.check(role, "/review: reject mode")
		within(t, ctx, 10*time.Second, "Esc", chromedp.KeyEvent(kb.Escape))
	}
	for i := 0; i < 20 && eval[bool](t, ctx, `document.querySelector('[data-testid=review-clip]') !== null`); i++ {
		id := eval[string](t, ctx, `document.querySelector('[data-testid=review-clip]').dataset.clipId`)
		within(t, ctx, 10*time.Second, "a", chromedp.KeyEvent("a"))
		waitAcross(t, ctx, 20*time.Second, "the next page", `document.readyState === 'complete' && (document.querySelector('[data-testid=review-clip]') || {dataset: {}}).dataset.clipId !== '`+id+`'`)
	}
	a.settle()
	a.check(role, "/review: nothing left")
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

type axeResult struct {
	Version    string         `json:"version"`
	Passed     int            `json:"passed"`
	Violations []axeViolation `json:"violations"`
}

type shiftReport struct {
	CLS    float64  `json:"cls"`
	Total  float64  `json:"total"`
	Shifts []string `json:"shifts"`
	Error  string   `json:"error"`
}

type focusReport struct {
	Key    string `json:"key"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// check audits the page in its current state.
func (a *auditor) check(role, state string) {
	t, ctx := a.t, a.ctx
	t.Helper()
	name := fmt.Sprintf("%s · %s", role, state)
	a.seen = append(a.seen, name)
	shot := strings.NewReplacer("/", "_", " ", "-", "·", "", ",", "", ":", "").Replace(fmt.Sprintf("audit-%s-%s", role, state))
	shoot(t, ctx, a.vp, shot)

	// Layout shift over the life of this document.
	sh := eval[shiftReport](t, ctx, clsJS)
	if sh.Error != "" {
		t.Errorf("%s: layout shift: %s", name, sh.Error)
	} else if sh.CLS >= 0.05 {
		t.Errorf("%s: cumulative layout shift %.3f (want < 0.05); shifts:\n  %s", name, sh.CLS, strings.Join(sh.Shifts, "\n  "))
	}

	// Sideways scrolling.
	if w := eval[int](t, ctx, `document.documentElement.scrollWidth`); w > int(a.vp.width) {
		wide := eval[[]string](t, ctx, wideJS)
		t.Errorf("%s: the page is %d px wide at %d px: %v", name, w, a.vp.width, wide)
	}

	// English marked as English.
	for _, p := range eval[[]string](t, ctx, langJS) {
		t.Errorf("%s: %s", name, p)
	}

	// axe-core, default rules (best practices included).
	if !eval[bool](t, ctx, `typeof window.axe === 'object'`) {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := chromedp.Run(c, chromedp.Evaluate[chromedp.Void](a.axe))
		cancel()
		if err != nil {
			t.Fatalf("%s: load axe-core: %v", name, err)
		}
	}
	c, cancel := context.WithTimeout(ctx, 90*time.Second)
	res, err := chromedp.Run(c, chromedp.Evaluate[axeResult](`axe.run(document, {resultTypes: ['violations']}).then((r) => ({
		version: axe.version, passed: r.passes.length,
		violations: r.violations.map((v) => ({
			id: v.id, impact: v.impact || '', help: v.help,
			nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').replace(/\s+/g, ' ')),
		})),
	}))`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil {
		t.Fatalf("%s: axe.run: %v", name, err)
	}
	if res.Version != "4.14.1" || res.Passed < 10 {
		t.Fatalf("%s: axe-core %q passed %d rules: it did not run", name, res.Version, res.Passed)
	}
	a.seen[len(a.seen)-1] += fmt.Sprintf(" (CLS %.3f, axe rules passed %d)", sh.CLS, res.Passed)
	for _, v := range res.Violations {
		t.Errorf("%s: axe %s (%s): %s\n  %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n  "))
	}

	// Every Tab stop shows a focus outline of 3:1 or more.
	a.focusStops(name)
}

// focusStops presses Tab through the page (at most 60 stops) and checks
// the focus style at each.
func (a *auditor) focusStops(name string) {
	t, ctx := a.t, a.ctx
	eval[bool](t, ctx, `(document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true)`)
	seen := map[string]bool{}
	stops := 0
	for i := 0; i < 60; i++ {
		within(t, ctx, 10*time.Second, "Tab", chromedp.KeyEvent(kb.Tab))
		f := eval[focusReport](t, ctx, focusJS)
		if f.Key == "" || seen[f.Key] {
			if stops > 0 {
				break
			}
			continue
		}
		seen[f.Key] = true
		stops++
		if !f.OK {
			t.Errorf("%s: focus on %s: %s", name, f.Key, f.Detail)
		}
	}
	if stops == 0 {
		t.Errorf("%s: Tab reached nothing", name)
	}
	eval[bool](t, ctx, `(document.activeElement && document.activeElement.blur(), window.scrollTo(0, 0), true)`)
}

// clsJS is the page's cumulative layout shift as Core Web Vitals count it:
// the largest session window (shifts less than 1 s apart, at most 5 s
// long) of layout-shift entries without recent input, from the buffer of
// this document's entries; with the shifted elements of that window.
const clsJS = `new Promise((resolve) => {
	const all = [];
	let po;
	try {
		po = new PerformanceObserver((l) => all.push(...l.getEntries()));
		po.observe({ type: 'layout-shift', buffered: true });
	} catch (e) { resolve({ cls: 0, total: 0, shifts: [], error: String(e) }); return; }
	setTimeout(() => {
		all.push(...po.takeRecords());
		po.disconnect();
		const es = all.filter((e) => !e.hadRecentInput).sort((a, b) => a.startTime - b.startTime);
		const desc = (n) => !n ? '?' : n.nodeType !== 1 ? '#text in ' + desc(n.parentElement) :
			n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') + (typeof n.className === 'string' && n.className.trim() ? '.' + n.className.trim().split(/\s+/).join('.') : '');
		let max = 0, cur = 0, first = 0, prev = 0, win = [], worst = [];
		for (const e of es) {
			if (win.length && (e.startTime - prev > 1000 || e.startTime - first > 5000)) { cur = 0; win = []; }
			if (!win.length) first = e.startTime;
			win.push(e); cur += e.value; prev = e.startTime;
			if (cur > max) { max = cur; worst = win.slice(); }
		}
		resolve({ cls: max, total: es.reduce((s, e) => s + e.value, 0), error: '', shifts: worst.map((e) =>
			Math.round(e.startTime) + ' ms: ' + e.value.toFixed(4) + ' ' + (e.sources || []).map((s) =>
				desc(s.node) + ' y ' + Math.round(s.previousRect.y) + '→' + Math.round(s.currentRect.y) + ' h ' + Math.round(s.previousRect.height) + '→' + Math.round(s.currentRect.height)).join('; ')) });
	}, 100);
})`

// wideJS names the visible elements that reach past the viewport's right edge.
const wideJS = `[...document.querySelectorAll('body *')].filter((el) => {
	const r = el.getBoundingClientRect();
	return r.width > 0 && r.right > document.documentElement.clientWidth + 1;
}).slice(0, 8).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' right ' + Math.round(el.getBoundingClientRect().right))`

// langJS lists English not marked as such: an .en element whose language
// is not en, Chinese inside lang="en", and two English words in a row in
// visible zh-TW text (options, titles and labels in attributes cannot
// carry a lang of their own; code and kbd are not prose; what people wrote,
// names of projects and accounts, is in <bdi>, its language unknown).
const langJS = `(() => {
	const out = [];
	const langOf = (el) => ((el.closest('[lang]') || document.documentElement).getAttribute('lang') || '').toLowerCase();
	const snip = (el) => el.outerHTML.replace(/\s+/g, ' ').slice(0, 140);
	for (const el of document.querySelectorAll('.en')) {
		if (!el.checkVisibility()) continue;
		if (langOf(el) !== 'en') out.push('English without lang="en": ' + snip(el));
	}
	for (const el of document.querySelectorAll('[lang=en]')) {
		if (el.checkVisibility() && /[\u3400-\u9fff\uf900-\ufaff]/.test(el.textContent)) out.push('Chinese inside lang="en": ' + snip(el));
	}
	const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n; (n = w.nextNode());) {
		const p = n.parentElement;
		if (!p || !p.checkVisibility() || p.closest('code, kbd, pre, script, style, option, textarea, noscript, bdi')) continue;
		if (!langOf(p).startsWith('zh')) continue;
		const m = n.data.match(/\b[A-Za-z][a-z]+[ ,']+[a-z]{2,}\b/);
		if (m) out.push('English in zh-TW text ("' + m[0] + '"): ' + snip(p));
	}
	return out;
})()`

// focusJS describes the focused element's focus style: a solid (not
// "auto") outline of at least 2 px whose colour has 3:1 contrast against
// the first opaque background behind the element.
const focusJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body || el === document.documentElement) return { key: '', ok: true, detail: '' };
	const key = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '') + ' "' + (el.textContent || el.value || '').trim().slice(0, 20) + '"';
	const cs = getComputedStyle(el);
	const rgb = (s) => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null; const v = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
	const lum = (c) => { const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
	const width = parseFloat(cs.outlineWidth) || 0;
	if (cs.outlineStyle === 'none' || cs.outlineStyle === 'auto' || width < 2) {
		return { key, ok: false, detail: 'outline ' + cs.outlineStyle + ' ' + cs.outlineWidth + ' ' + cs.outlineColor + ' (want a solid outline of 2 px or more)' };
	}
	let bg = null;
	for (let p = el.parentElement; p && !bg; p = p.parentElement) { const c = rgb(getComputedStyle(p).backgroundColor); if (c && c[3] > 0.5) bg = c; }
	bg = bg || [255, 255, 255, 1];
	const oc = rgb(cs.outlineColor);
	if (!oc) return { key, ok: false, detail: 'outline colour ' + cs.outlineColor };
	const [hi, lo] = [lum(oc), lum(bg)].sort((a, b) => b - a);
	const ratio = (hi + 0.05) / (lo + 0.05);
	return { key, ok: ratio >= 3, detail: 'outline ' + cs.outlineColor + ' on ' + 'rgb(' + bg.slice(0, 3).join(', ') + ') ' + ratio.toFixed(2) + ':1 (want 3:1)' };
})()`
