package server_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"html"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// syncBuffer is a log sink the server writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// addUser adds a person to the env's project (or to projectID when set).
func (e *env) addUser(name string, role corpus.Role, projectID ...int64) *corpus.User {
	e.t.Helper()
	hash, err := server.HashPassword(testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	pid := e.project.ID
	if len(projectID) > 0 {
		pid = projectID[0]
	}
	u := &corpus.User{Username: name, Role: role, ProjectID: pid, PasswordHash: hash}
	if err := e.db.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	e.users[name] = u
	return u
}

// speakerClient signs a speaker in and accepts the consent text.
func (e *env) speaker(name string) *client {
	e.t.Helper()
	sp := e.signIn(name)
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}); r.status != 200 {
		e.t.Fatalf("consent %s: %d %s", name, r.status, r.body)
	}
	return sp
}

// record uploads one good prompted take (5 s) and returns its clip id and
// status. text "" means the prompt itself.
func (c *client) record(n int, text string, audio []byte) (id, status string) {
	c.e.t.Helper()
	task := c.do("GET", "/api/v1/tasks/next", nil)
	if task.status != 200 {
		c.e.t.Fatalf("task: %d %s", task.status, task.body)
	}
	tj := task.json()
	if text == "" {
		text = tj["prompt"].(string)
	}
	if audio == nil {
		// A noise floor inside the task's band (audio-checks.md A012).
		audio = clip(uint64(n), map[string]float64{"low": -65, "medium": -48, "high": -33}[tj["noise_band"].(string)])
	}
	r := c.upload(uuid(n), tj["task_id"].(string), tj["noise_band"].(string), text, audio)
	if r.status != 201 {
		c.e.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return r.json()["clip_id"].(string), r.json()["status"].(string)
}

// directClip stores a clip for any user straight through the corpus (a
// reviewer who also records, a speaker of another project).
func (e *env) directClip(u *corpus.User, projectID int64, n int) string {
	e.t.Helper()
	up, err := e.db.NewUpload()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := up.Write(clip(uint64(n), -65)); err != nil {
		e.t.Fatal(err)
	}
	c := &corpus.Clip{ProjectID: projectID, SpeakerID: u.ID, ClientClipID: uuid(n), DurationS: 5, SampleRate: 16000,
		Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: "low", Transcript: "x", Receipt: []byte(`{"findings":[]}`)}
	if err := e.db.CommitClip(context.Background(), c, up); err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

func decisions(r response) []map[string]any {
	var out []map[string]any
	for _, d := range r.json()["decisions"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// TestReviewFlowHTTP: a speaker's clip, a rejection with a reason the
// speaker sees in both languages, an appeal that goes to a second reviewer,
// an acceptance, and the ledger entry, balance and CSV statement.
func TestReviewFlowHTTP(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	e.addUser("reviewer-2", corpus.RoleReviewer)
	sp := e.speaker("ah-bin")
	id, st := sp.record(1, "", nil)
	if st != "pending_review" {
		t.Fatalf("clip status %s", st)
	}
	rv := e.signIn("reviewer")
	if home := rv.do("GET", "/", nil); !strings.Contains(string(home.body), `href="/review"`) {
		t.Errorf("the reviewer's home page does not link to /review")
	}
	next := rv.do("GET", "/api/v1/review/next", nil)
	nj := next.json()
	if next.status != 200 || nj["clip_id"] != id || nj["audio_url"] != "/api/v1/review/"+id+"/audio" {
		t.Fatalf("next: %d %s", next.status, next.body)
	}
	for _, k := range []string{"prompt", "transcript", "measurements", "receipt", "findings", "lint", "peaks", "claimed_until"} {
		if _, ok := nj[k]; !ok {
			t.Errorf("review/next lacks %q", k)
		}
	}
	if p := nj["peaks"].([]any); len(p) < 100 {
		t.Errorf("%d peaks", len(p))
	}
	if a := rv.do("GET", nj["audio_url"].(string), nil); a.status != 200 || a.header.Get("Content-Type") != "audio/wav" || len(a.body) == 0 {
		t.Fatalf("audio: %d %v", a.status, a.header)
	}
	reasons := rv.do("GET", "/api/v1/review/reasons", nil)
	if reasons.status != 200 || len(reasons.json()["reasons"].([]any)) != 7 {
		t.Fatalf("reasons: %d %s", reasons.status, reasons.body)
	}
	for _, tt := range []struct {
		body any
		code string
	}{
		{map[string]any{"decision": "reject", "reason": "other"}, "invalid"},
		{map[string]any{"decision": "reject", "reason": "bored"}, "invalid"},
		{map[string]any{"decision": "reject"}, "invalid"},
		{map[string]any{"decision": "maybe"}, "invalid"},
		{map[string]any{"decision": "accept", "speaker_id": 1}, "bad_json"},
		{map[string]any{"decision": "reject", "reason": "wrong_text", "marker_s": -1}, "bad_marker"},
	} {
		if r := rv.do("POST", "/api/v1/review/"+id, tt.body); r.status != 400 || r.errCode() != tt.code {
			t.Errorf("%v: %d %s, want 400 %s", tt.body, r.status, r.body, tt.code)
		}
	}
	rej := rv.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "reject", "reason": "wrong_text", "note": "第二個字不對", "marker_s": 1.5})
	if rej.status != 200 || rej.json()["status"] != "rejected" {
		t.Fatalf("reject: %d %s", rej.status, rej.body)
	}
	// A retry of the same decision: the same answer; another decision: 409.
	if r := rv.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "reject", "reason": "wrong_text", "note": "第二個字不對", "marker_s": 1.5}); r.status != 200 || r.json()["replayed"] != true {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	if r := rv.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "accept"}); r.status != 409 || r.errCode() != "already_reviewed" {
		t.Fatalf("second decision: %d %s", r.status, r.body)
	}

	// The speaker sees the reason, in both languages, over the API and on the page.
	got := sp.do("GET", "/api/v1/clips/"+id, nil)
	ds := decisions(got)
	if got.status != 200 || len(ds) != 2 || ds[1]["kind"] != "review" || ds[1]["reason"] != "wrong_text" ||
		ds[1]["reason_zh"] != "錄音內容與文字不符" || ds[1]["note"] != "第二個字不對" || ds[1]["marker_s"] != 1.5 {
		t.Fatalf("clip as the speaker sees it: %d %s", got.status, got.body)
	}
	if _, ok := ds[1]["author_id"]; ok {
		t.Errorf("the speaker is shown who reviewed")
	}
	home := sp.do("GET", "/", nil)
	if !strings.Contains(string(home.body), "錄音內容與文字不符") || !strings.Contains(string(home.body), `data-testid="appeal"`) {
		t.Fatalf("home page lacks the reason or the appeal form:\n%s", home.body)
	}
	// Another speaker cannot appeal it, or see it.
	other := e.speaker("siu-ing")
	if r := other.do("POST", "/api/v1/clips/"+id+"/appeal", map[string]string{"note": "x"}); r.status != 404 {
		t.Fatalf("appeal of another's clip: %d", r.status)
	}
	if r := sp.do("POST", "/api/v1/clips/"+id+"/appeal", map[string]string{"note": "我讀的是對的"}); r.status != 200 || r.json()["status"] != "pending_review" {
		t.Fatalf("appeal: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", "/api/v1/clips/"+id+"/appeal", map[string]string{"note": "again"}); r.status != 409 || r.errCode() != "not_appealable" {
		t.Fatalf("second appeal: %d %s", r.status, r.body)
	}
	// The appeal goes to another reviewer.
	if r := rv.do("GET", "/api/v1/review/next", nil); r.status != 204 {
		t.Fatalf("the rejecting reviewer gets the appeal: %d %s", r.status, r.body)
	}
	rv2 := e.signIn("reviewer-2")
	n2 := rv2.do("GET", "/api/v1/review/next", nil)
	if n2.status != 200 || n2.json()["clip_id"] != id || n2.json()["round"] != 1.0 || n2.json()["appeal_note"] != "我讀的是對的" {
		t.Fatalf("second reviewer's next: %d %s", n2.status, n2.body)
	}
	if r := rv2.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "accept"}); r.status != 200 || r.json()["status"] != "accepted" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}

	// 5 s at 300 cents a minute: 25 cents.
	l := sp.do("GET", "/api/v1/me/ledger", nil)
	lj := l.json()
	entries := lj["entries"].([]any)
	if l.status != 200 || lj["balance_cents"] != 25.0 || len(entries) != 1 || entries[0].(map[string]any)["clip_id"] != id {
		t.Fatalf("ledger: %d %s", l.status, l.body)
	}
	st2 := sp.do("GET", "/api/v1/me/ledger.csv", nil)
	rows, err := csv.NewReader(bytes.NewReader(st2.body)).ReadAll()
	if err != nil || st2.status != 200 || !strings.HasPrefix(st2.header.Get("Content-Type"), "text/csv") || len(rows) != 2 {
		t.Fatalf("CSV: %d %v %q", st2.status, err, st2.body)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["amount_cents"]] != "25" || rows[1][col["balance_cents"]] != "25" || rows[1][col["clip_id"]] != id || rows[1][col["duration_s"]] != "5.000" {
		t.Fatalf("CSV row %v", rows[1])
	}
	if r := other.do("GET", "/api/v1/me/ledger", nil); r.json()["balance_cents"] != 0.0 {
		t.Fatalf("another speaker's balance: %s", r.body)
	}
	if home := sp.do("GET", "/", nil); !strings.Contains(string(home.body), "0.25 TWD") {
		t.Errorf("home page lacks the balance")
	}

	// An admin overturns it: the speaker sees it, the balance goes to 0.
	admin := e.signIn("admin")
	if r := admin.do("POST", "/api/v1/admin/clips/"+id+"/override", map[string]string{"status": "rejected", "reason": "wrong_dialect", "note": "複查：客語"}); r.status != 200 {
		t.Fatalf("override: %d %s", r.status, r.body)
	}
	if r := sp.do("GET", "/api/v1/me/ledger", nil); r.json()["balance_cents"] != 0.0 || len(r.json()["entries"].([]any)) != 2 {
		t.Fatalf("ledger after override: %s", r.body)
	}
	if ds := decisions(sp.do("GET", "/api/v1/clips/"+id, nil)); ds[len(ds)-1]["kind"] != "override" || ds[len(ds)-1]["reason_en"] != "wrong language or dialect" {
		t.Fatalf("override not shown: %v", ds)
	}
	e.mustAudit()
}

// TestReviewRefusals: one's own clip is never offered and refused; another
// project's clip is 404 (and logged); a clip the automatic checks rejected
// cannot be decided; a clip claimed by another reviewer cannot be decided.
func TestReviewRefusals(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	rvUser := e.users["reviewer"]
	own := e.directClip(rvUser, e.project.ID, 1)
	p2 := &corpus.Project{Slug: "other", Name: "Other", Dialect: "nan-TW", Modes: []string{"prompted"}, RateCentsPerMinute: 100, Currency: "TWD"}
	if err := e.db.CreateProject(t.Context(), p2); err != nil {
		t.Fatal(err)
	}
	foreign := e.directClip(e.addUser("outsider", corpus.RoleSpeaker, p2.ID), p2.ID, 2)

	rv := e.signIn("reviewer")
	if r := rv.do("GET", "/api/v1/review/next", nil); r.status != 204 {
		t.Fatalf("next with only one's own and another project's clips: %d %s", r.status, r.body)
	}
	for _, cid := range []string{own, foreign} {
		if r := rv.do("POST", "/api/v1/review/"+cid, map[string]any{"decision": "accept"}); r.status != 404 || r.errCode() != "not_found" {
			t.Errorf("decide %s: %d %s, want 404", cid, r.status, r.body)
		}
		if r := rv.do("GET", "/api/v1/review/"+cid+"/audio", nil); r.status != 404 {
			t.Errorf("audio %s: %d, want 404", cid, r.status)
		}
	}
	if n := strings.Count(logs.String(), `"msg":"review refused"`); n < 4 {
		t.Errorf("%d refusals logged, want 4 (S-05)\n%s", n, logs.String())
	}
	// A clip the automatic checks rejected (too noisy for its band).
	sp := e.speaker("ah-bin")
	noisy, st := sp.record(3, "", clip(3, -20)) // too noisy for any band
	if st != "rejected" {
		t.Fatalf("noisy clip status %s", st)
	}
	if r := rv.do("POST", "/api/v1/review/"+noisy, map[string]any{"decision": "accept"}); r.status != 409 || r.errCode() != "not_reviewable" {
		t.Fatalf("decide an auto-rejected clip: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", "/api/v1/clips/"+noisy+"/appeal", map[string]string{"note": "x"}); r.status != 409 {
		t.Fatalf("appeal an auto-rejected clip: %d %s", r.status, r.body)
	}
	// Claims: the first reviewer holds the clip; the second is not offered it
	// and may not decide it.
	good, _ := sp.record(4, "", nil)
	if r := rv.do("GET", "/api/v1/review/next", nil); r.json()["clip_id"] != good {
		t.Fatalf("next: %s", r.body)
	}
	e.addUser("reviewer-2", corpus.RoleReviewer)
	rv2 := e.signIn("reviewer-2")
	if r := rv2.do("GET", "/api/v1/review/next", nil); r.json()["clip_id"] != own {
		t.Fatalf("reviewer-2 next: %d %.200s; want the first reviewer's own clip, not the claimed one", r.status, r.body)
	}
	if r := rv2.do("POST", "/api/v1/review/"+good, map[string]any{"decision": "accept"}); r.status != 409 || r.errCode() != "claimed" {
		t.Fatalf("decide a clip claimed by another: %d %s", r.status, r.body)
	}
	// Speakers and admins have no reviewer routes.
	if r := sp.do("GET", "/api/v1/review/next", nil); r.status != 404 {
		t.Fatalf("speaker on review/next: %d", r.status)
	}
	e.mustAudit()
}

// TestReviewTwoAgreeingHTTP: a project requiring two agreeing reviews; a
// disagreement goes to a third reviewer.
func TestReviewTwoAgreeingHTTP(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	if err := e.db.SetReviewsRequired(t.Context(), e.project.ID, 2); err != nil {
		t.Fatal(err)
	}
	e.addUser("reviewer-2", corpus.RoleReviewer)
	e.addUser("reviewer-3", corpus.RoleReviewer)
	sp := e.speaker("ah-bin")
	a, sa := sp.record(1, "", nil)
	b, sb := sp.record(3, "", nil)
	if sa != "pending_review" || sb != "pending_review" {
		t.Fatalf("statuses %s %s", sa, sb)
	}
	decide := func(who, id, decision, reason string) string {
		t.Helper()
		c := e.signIn(who)
		for {
			n := c.do("GET", "/api/v1/review/next", nil)
			if n.status != 200 {
				t.Fatalf("%s next: %d %s", who, n.status, n.body)
			}
			if n.json()["clip_id"] == id {
				break
			}
			// Not this one: decide the other the same way, so order does not matter.
			t.Fatalf("%s was offered %v, want %s", who, n.json()["clip_id"], id)
		}
		r := c.do("POST", "/api/v1/review/"+id, map[string]any{"decision": decision, "reason": reason})
		if r.status != 200 {
			t.Fatalf("%s %s: %d %s", who, decision, r.status, r.body)
		}
		return r.json()["status"].(string)
	}
	if st := decide("reviewer", a, "accept", ""); st != "pending_review" {
		t.Fatalf("one accept: %s", st)
	}
	if st := decide("reviewer", b, "accept", ""); st != "pending_review" {
		t.Fatalf("one accept of b: %s", st)
	}
	if st := decide("reviewer-2", a, "accept", ""); st != "accepted" {
		t.Fatalf("two accepts: %s", st)
	}
	if st := decide("reviewer-2", b, "reject", "multiple_speakers"); st != "pending_review" {
		t.Fatalf("a disagreement: %s", st)
	}
	if st := decide("reviewer-3", b, "reject", "multiple_speakers"); st != "rejected" {
		t.Fatalf("the third review: %s", st)
	}
	if r := sp.do("GET", "/api/v1/me/ledger", nil); r.json()["balance_cents"] != 25.0 {
		t.Fatalf("ledger: %s", r.body)
	}
	e.mustAudit()
}

// withInfo returns a WAV with a LIST/INFO chunk holding tags, inserted
// before the data chunk.
func withInfo(wav []byte, tags map[string]string) []byte {
	var info bytes.Buffer
	info.WriteString("INFO")
	for _, id := range []string{"INAM", "ICMT", "ISFT"} {
		v, ok := tags[id]
		if !ok {
			continue
		}
		b := append([]byte(v), 0)
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		info.WriteString(id)
		_ = binary.Write(&info, binary.LittleEndian, uint32(len(b)))
		info.Write(b)
	}
	i := bytes.Index(wav, []byte("data"))
	var out bytes.Buffer
	out.Write(wav[:i])
	out.WriteString("LIST")
	_ = binary.Write(&out, binary.LittleEndian, uint32(info.Len()))
	out.Write(info.Bytes())
	out.Write(wav[i:])
	b := out.Bytes()
	binary.LittleEndian.PutUint32(b[4:8], uint32(len(b)-8))
	return b
}

// TestReviewPageHostile is S-17 and S-18: a hostile transcript and hostile
// WAV LIST/INFO metadata reach the reviewer's page only escaped, under a CSP
// without inline script; the audio is audio/wav with nosniff, never HTML.
func TestReviewPageHostile(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	// The clip goes straight into the corpus as pending: the transcript
	// linter may well refuse such text at upload, and the point here is what
	// the reviewer is shown if it ever gets through.
	hostile := `<img src=x onerror=alert(1)>`
	meta := `<script>alert("INAM")</script><html><body onload=alert(2)>`
	up, _ := e.db.NewUpload()
	audio := withInfo(clip(7, -65), map[string]string{"INAM": meta, "ICMT": `"><svg onload=alert(3)>`})
	_, _ = up.Write(audio)
	c := &corpus.Clip{ProjectID: e.project.ID, SpeakerID: e.users["ah-bin"].ID, ClientClipID: uuid(7), DurationS: 5,
		SampleRate: 16000, Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: "low", Transcript: hostile,
		Receipt: []byte(`{"findings":[{"rule":"T999","severity":"warning","message":"<b>bold</b>","message_zh":"<i>x</i>"}],"measurements":{"noise_floor_dbfs":-65}}`)}
	if err := e.db.CommitClip(t.Context(), c, up); err != nil {
		t.Fatal(err)
	}
	rv := e.signIn("reviewer")
	page := rv.do("GET", "/review", nil)
	body := string(page.body)
	if page.status != 200 || !strings.Contains(body, `data-clip-id="`+c.ID+`"`) {
		t.Fatalf("review page: %d\n%s", page.status, body)
	}
	for _, bad := range []string{"<img src=x", "<script>alert", "<svg", "<body onload", "<b>bold</b>", "<i>x</i>"} {
		if strings.Contains(body, bad) {
			t.Errorf("review page contains %q unescaped", bad)
		}
	}
	// The transcript, its lint marks taken away, reads back as the text.
	i := strings.Index(body, `data-testid="review-transcript">`)
	j := strings.Index(body[i:], "</p>")
	if i < 0 || j < 0 {
		t.Fatal("no transcript on the page")
	}
	para := body[i+len(`data-testid="review-transcript">`) : i+j]
	if text := html.UnescapeString(regexp.MustCompile(`</?mark[^>]*>`).ReplaceAllString(para, "")); text != hostile {
		t.Errorf("transcript on the page reads %q, want %q", text, hostile)
	}
	if !strings.Contains(body, `data-rule="T001"`) {
		t.Errorf("the lint findings are not highlighted")
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;INAM&#34;)&lt;/script&gt;", "INAM", "ICMT"} {
		if !strings.Contains(body, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	csp := page.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") || page.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("page headers: CSP %q", csp)
	}
	if strings.Contains(body, "<script>") || strings.Count(body, "<script") != 1 {
		t.Errorf("the page has inline script")
	}
	// The JSON view carries the same strings as data (asked for by the
	// page's tab, which holds the clip).
	tab := regexp.MustCompile(`data-tab="([^"]+)"`).FindStringSubmatch(body)
	if tab == nil {
		t.Fatal("the review page names no tab")
	}
	n := rv.do("GET", "/api/v1/review/next?tab="+tab[1], nil)
	if n.json()["transcript"] != hostile {
		t.Errorf("transcript in JSON: %v", n.json()["transcript"])
	}
	if info := n.json()["wav_info"].([]any); len(info) != 2 || info[0].(map[string]any)["value"] != meta {
		t.Errorf("wav_info: %v", info)
	}
	// S-18: the polyglot is served as audio, not sniffable, byte for byte.
	a := rv.do("GET", "/api/v1/review/"+c.ID+"/audio", nil)
	if a.status != 200 || a.header.Get("Content-Type") != "audio/wav" || a.header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(a.header.Get("Content-Disposition"), "inline; filename=\""+c.ID+".wav\"") || !bytes.Equal(a.body, audio) {
		t.Fatalf("audio: %d %v", a.status, a.header)
	}
	// The module and its style sheet are served as such.
	for _, f := range []string{"review/review.js", "review/review.css"} {
		if r := rv.do("GET", "/assets/"+f, nil); r.status != 200 {
			t.Errorf("/assets/%s: %d", f, r.status)
		}
	}
	e.mustAudit()
}

// TestAppealForm: the home page's appeal form (no script) appeals once.
func TestAppealForm(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.speaker("ah-bin")
	id, _ := sp.record(1, "", nil)
	rv := e.signIn("reviewer")
	if r := rv.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "reject", "reason": "noise_band_wrong"}); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	form := url.Values{"csrf_token": {sp.csrf}, "note": {"<b>我的房間很安靜</b>"}}.Encode()
	token := sp.csrf
	sp.csrf = "" // the form carries it
	r := sp.do("POST", "/clips/"+id+"/appeal", form, "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 303 || r.header.Get("Location") != "/#clip-"+id {
		t.Fatalf("form appeal: %d %v %s", r.status, r.header, r.body)
	}
	sp.csrf = token
	if c, _ := e.db.Clip(t.Context(), id); c.Status != corpus.StatusPendingReview {
		t.Fatalf("status after appeal %s", c.Status)
	}
	home := string(sp.do("GET", "/", nil).body)
	if !strings.Contains(home, "&lt;b&gt;我的房間很安靜&lt;/b&gt;") || strings.Contains(home, `data-testid="appeal"`) {
		t.Fatalf("home after the appeal: the note escaped, no second appeal form")
	}
	e.mustAudit()
}

// TestReviewDamagedClipFile: a clip whose stored file is shorter than its
// recorded size is still shown to the reviewer (who can reject it), with no
// waveform rather than one whose unread part is drawn as silence, and the
// damage is logged for the operator.
func TestReviewDamagedClipFile(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	sp := e.speaker("ah-bin")
	id, _ := sp.record(1, "", nil)
	path := filepath.Join(e.db.Dir(), "clips", id+".wav")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	rv := e.signIn("reviewer")
	next := rv.do("GET", "/api/v1/review/next", nil)
	nj := next.json()
	if next.status != 200 || nj["clip_id"] != id {
		t.Fatalf("next: %d %s", next.status, next.body)
	}
	if p, ok := nj["peaks"].([]any); !ok || len(p) != 0 {
		t.Errorf("peaks of a half-unreadable clip: %v, want none", nj["peaks"])
	}
	if !strings.Contains(logs.String(), id) || !strings.Contains(logs.String(), "unexpected EOF") {
		t.Errorf("the damaged clip file is not logged: %s", logs.String())
	}
}
