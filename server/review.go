package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/units"
	"github.com/dialect-corpus/dialect/validate"
)

// Reviewer routes (spec/api.md, issue 6): GET /api/v1/review/next,
// POST /api/v1/review/{clip_id}, GET /api/v1/review/reasons, the audio a
// reviewer plays, and the review page GET /review. The rules (claims, two
// agreeing reviews, appeals) live in corpus/review.go.

// reviewView is a clip as a reviewer gets it: everything needed to judge
// it, nothing about who recorded it.
type reviewView struct {
	ClipID       string     `json:"clip_id"`
	AudioURL     string     `json:"audio_url"`
	ClaimedUntil *time.Time `json:"claimed_until,omitempty"`
	Mode         string     `json:"mode"`
	NoiseBand    string     `json:"noise_band"`
	DurationS    float64    `json:"duration_s"`
	SampleRate   int        `json:"sample_rate"`
	Channels     int        `json:"channels"`
	Bits         int        `json:"bits"`
	Bytes        int64      `json:"bytes"`
	SHA256       string     `json:"sha256"`
	CreatedAt    time.Time  `json:"created_at"`
	Prompt       string     `json:"prompt,omitempty"`
	Romanized    string     `json:"romanized,omitempty"`
	Transcript   string     `json:"transcript"`
	// Lint is the transcript linted now with the project's rules; Findings
	// and Measurements are the receipt's (what the speaker was told).
	Lint         []transcript.Finding   `json:"lint"`
	Findings     []recorder.Finding     `json:"findings"`
	Measurements *validate.Measurements `json:"measurements"`
	Receipt      json.RawMessage        `json:"receipt"`
	WAVInfo      []wavTag               `json:"wav_info"`
	Peaks        []float32              `json:"peaks"`
	Round        int                    `json:"round"`
	Votes        int                    `json:"votes"`
	Required     int                    `json:"reviews_required"`
	AppealNote   string                 `json:"appeal_note,omitempty"`

	// For the page.
	Segments []textSegment `json:"-"`
	// Topic: the prompt is a monologue or dialogue topic (its text has
	// lost recorder.TopicPrefix).
	Topic bool `json:"-"`
	// ModeText, FormatText and Figures are the clip's mode, format and
	// measurements for a person, in both languages and in the units of
	// their rules (issue 10).
	ModeText     units.Text             `json:"-"`
	FormatText   units.Text             `json:"-"`
	Figures      []validate.FigureGroup `json:"-"`
	PeaksCSV     string                 `json:"-"`
	ClaimMinutes int                    `json:"-"`
}

// textSegment is a run of the transcript, marked when a lint finding
// covers it.
type textSegment struct {
	Text                              string
	Rule, Severity, Message, MessageZ string
}

// modeTexts name the recording modes as the recorder page does.
var modeTexts = map[string]units.Text{
	"prompted":  {EN: "read aloud", ZH: "朗讀"},
	"monologue": {EN: "talk freely", ZH: "自由講"},
	"dialogue":  {EN: "dialogue", ZH: "對話"},
}

// formatText writes a clip's format as the command line's check --verbose
// does: "16 位元 PCM 16000 Hz 1 個聲道 5.00 秒". encoding is the receipt's
// (validate.Format.Name); a receipt without one is taken for PCM.
func formatText(encoding string, bits, rate, channels int, durationS float64) units.Text {
	if encoding == "" {
		encoding = "pcm" + strconv.Itoa(bits)
	}
	parts := []units.Text{validate.EncodingText(encoding), units.Hz(float64(rate)),
		units.Count(int64(channels), units.Channel), units.Seconds(durationS)}
	var en, zh []string
	for _, p := range parts {
		en, zh = append(en, p.EN), append(zh, p.ZH)
	}
	return units.Text{EN: strings.Join(en, " "), ZH: strings.Join(zh, " ")}
}

func (s *Server) buildReviewView(ctx context.Context, it *corpus.ReviewItem) *reviewView {
	cl := it.Clip
	v := &reviewView{ClipID: cl.ID, AudioURL: "/api/v1/review/" + cl.ID + "/audio", Mode: cl.Mode, NoiseBand: cl.NoiseBand,
		DurationS: cl.DurationS, SampleRate: cl.SampleRate, Channels: cl.Channels, Bits: cl.Bits, Bytes: cl.Bytes,
		SHA256: cl.SHA256, CreatedAt: cl.CreatedAt, Transcript: cl.Transcript, Receipt: cl.Receipt,
		Round: it.Round, Votes: it.Votes, Required: it.Required, AppealNote: it.AppealNote,
		Lint: []transcript.Finding{}, Findings: []recorder.Finding{}, WAVInfo: []wavTag{}, Peaks: []float32{}}
	if !it.ClaimedUntil.IsZero() {
		u := it.ClaimedUntil
		v.ClaimedUntil = &u
		v.ClaimMinutes = int(math.Ceil(time.Until(u).Minutes()))
	}
	if it.Prompt != nil {
		// A topic is stored with its prefix; people read the text.
		v.Prompt, v.Romanized, v.Topic = recorder.PromptText(it.Prompt.Text), it.Prompt.Romanized, recorder.IsTopic(it.Prompt.Text)
	}
	v.ModeText = modeTexts[cl.Mode]
	if v.ModeText == (units.Text{}) {
		v.ModeText = units.Text{EN: cl.Mode, ZH: cl.Mode}
	}
	encoding := ""
	var r recorder.Receipt
	if err := jsonUnmarshal(cl.Receipt, &r); err == nil {
		v.Measurements = r.Measurements
		if r.Findings != nil {
			v.Findings = r.Findings
		}
		if r.Format.Bits == cl.Bits && r.Format.Encoding != "" {
			encoding = r.Format.Name()
		}
	}
	v.FormatText = formatText(encoding, cl.Bits, cl.SampleRate, cl.Channels, cl.DurationS)
	if cl.Transcript != "" {
		if fs, _, err := s.rec.Lint(context.WithoutCancel(ctx), cl.ProjectID, cl.Transcript); err == nil && fs != nil {
			v.Lint = fs
		}
	}
	v.Segments = segments(cl.Transcript, v.Lint)
	v.Figures = storedFigures(cl.Receipt, v.Measurements)
	if f, err := s.db.OpenClipFile(cl.ID); err == nil {
		// A file that cannot be read is shown without tags or waveform (the
		// reviewer still hears what plays and can reject it) and logged: a
		// stored clip is a WAV file of cl.Bytes bytes, so this is damage.
		if wv, err := readWAVView(f, cl.Bytes, peakBuckets); err != nil {
			s.log.Warn("clip file unreadable for review", "clip_id", cl.ID, "err", err.Error())
		} else {
			if wv.Tags != nil {
				v.WAVInfo = wv.Tags
			}
			for _, p := range wv.Peaks {
				v.Peaks = append(v.Peaks, float32(math.Round(float64(p)*1000)/1000))
			}
		}
		_ = f.Close() // only read
	}
	ps := make([]string, len(v.Peaks))
	for i, p := range v.Peaks {
		ps[i] = strconv.FormatFloat(float64(p), 'f', -1, 32)
	}
	v.PeaksCSV = strings.Join(ps, ",")
	return v
}

// storedFigures groups the figures of m, a receipt's measurements, leaving
// out those the stored receipt does not have (one stored before the figure
// was measured): a missing figure is not a zero.
func storedFigures(receipt json.RawMessage, m *validate.Measurements) []validate.FigureGroup {
	if m == nil {
		return nil
	}
	var raw struct {
		Measurements map[string]json.RawMessage `json:"measurements"`
	}
	if jsonUnmarshal(receipt, &raw) != nil {
		return nil
	}
	var out []validate.FigureGroup
	for _, g := range m.FigureGroups() {
		var kept []validate.Figure
		for _, f := range g.Figures {
			if _, ok := raw.Measurements[f.Key]; ok {
				kept = append(kept, f)
			}
		}
		if len(kept) > 0 {
			g.Figures = kept
			out = append(out, g)
		}
	}
	return out
}

// segments cuts text into runs, marking those a finding covers (the first
// finding wins where two overlap).
func segments(text string, fs []transcript.Finding) []textSegment {
	type span struct {
		start, end int
		f          transcript.Finding
	}
	var spans []span
	for _, f := range fs {
		start := int(f.ByteOffset)
		end := start + len(f.Text)
		if start < 0 || end > len(text) || (end == start) || text[start:end] != f.Text {
			continue
		}
		spans = append(spans, span{start, end, f})
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out []textSegment
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			continue
		}
		if sp.start > pos {
			out = append(out, textSegment{Text: text[pos:sp.start]})
		}
		out = append(out, textSegment{Text: text[sp.start:sp.end], Rule: sp.f.Rule, Severity: string(sp.f.Severity),
			Message: sp.f.Message, MessageZ: sp.f.MessageZh})
		pos = sp.end
	}
	if pos < len(text) {
		out = append(out, textSegment{Text: text[pos:]})
	}
	return out
}

// Two tabs, one reviewer (issue 21): a claim names the tab or session it
// was handed to (corpus.NextReviewFor), so each of a reviewer's tabs gets a
// clip of its own and none is reviewed twice. A tab is named by ?tab=ID
// (1–64 letters, digits, '-' or '_'); a request without one is held by its
// session. The review page makes a tab id when it is opened without one,
// and keeps it in its address (a reload keeps the clip) and in the link to
// the next clip.

// validTab reports whether s can name a tab.
func validTab(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// newTab makes a tab id for a review page opened without one.
func newTab() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// tabHolder is the claim holder of a tab.
func tabHolder(tab string) string { return "tab:" + tab }

// sessionHolder is the claim holder of a request that names no tab: its
// session (a prefix of the token's hash: enough to tell a reviewer's
// sessions apart, and no way back to the token).
func sessionHolder(c *gin.Context) string {
	if sess := currentSession(c); sess != nil && len(sess.TokenHash) >= 8 {
		return "session:" + hex.EncodeToString(sess.TokenHash[:8])
	}
	return ""
}

// getReviewNext is GET /api/v1/review/next[?tab=ID]: the next clip,
// claimed for the reviewer's tab (or session); 204 when there is none.
func (s *Server) getReviewNext(c *gin.Context) {
	holder := sessionHolder(c)
	if tab, ok := c.GetQuery("tab"); ok {
		if !validTab(tab) {
			fail(c, errf(http.StatusBadRequest, "bad_tab", "tab must be 1-64 letters, digits, '-' or '_'", "分頁代號格式不對，請重新整理頁面"))
			return
		}
		holder = tabHolder(tab)
	}
	it, err := s.db.NextReviewFor(c.Request.Context(), currentUser(c).ID, holder)
	if err != nil {
		fail(c, err)
		return
	}
	if it == nil {
		c.Status(http.StatusNoContent)
		return
	}
	c.JSON(http.StatusOK, s.buildReviewView(c.Request.Context(), it))
}

func (s *Server) getReviewReasons(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"reasons": corpus.ReviewReasons, "decisions": []string{"accept", "reject"}})
}

type reviewRequest struct {
	Decision string   `json:"decision"`
	Reason   string   `json:"reason"`
	Note     string   `json:"note"`
	MarkerS  *float64 `json:"marker_s"`
}

// postReview is POST /api/v1/review/{clip_id}.
func (s *Server) postReview(c *gin.Context) {
	var req reviewRequest
	if !decodeJSON(c, &req) {
		return
	}
	u := currentUser(c)
	in := corpus.ReviewInput{ClipID: c.Param("id"), ReviewerID: u.ID, Vote: corpus.Vote(req.Decision), Reason: req.Reason, Note: req.Note}
	if req.MarkerS != nil {
		if *req.MarkerS < 0 || *req.MarkerS > 86400 || math.IsNaN(*req.MarkerS) {
			fail(c, errf(http.StatusBadRequest, "bad_marker", "marker_s must be a time into the clip, in seconds", "時間標記必須是錄音中的秒數"))
			return
		}
		ms := int64(math.Round(*req.MarkerS * 1000))
		in.MarkerMS = &ms
	}
	// The write runs on a context the client cannot cancel (F-11): a
	// decision is made whole or not at all.
	res, err := s.db.SubmitReview(context.WithoutCancel(c.Request.Context()), in)
	if err != nil {
		s.logRefusedReview(c, in.ClipID, err)
		fail(c, err)
		return
	}
	s.log.Info("review", "reviewer_id", u.ID, "clip_id", in.ClipID, "decision", req.Decision, "reason", in.Reason,
		"status", string(res.Status), "replayed", res.Replayed)
	c.JSON(http.StatusOK, res)
}

// logRefusedReview logs a reviewer acting where they may not (S-05): on
// their own recording, another project's clip, or one another reviewer holds.
func (s *Server) logRefusedReview(c *gin.Context, clipID string, err error) {
	var why string
	switch {
	case errors.Is(err, corpus.ErrForbiddenClip):
		why = "own recording or another project's clip"
	case errors.Is(err, corpus.ErrClaimed):
		why = "claimed by another reviewer"
	case errors.Is(err, corpus.ErrAlreadyReviewed):
		why = "already reviewed"
	default:
		return
	}
	u := currentUser(c)
	s.log.Warn("review refused", "user_id", u.ID, "role", string(u.Role), "clip_id", clipID, "reason", why, "ip", clientIP(c))
}

// getReviewAudio serves a clip to a reviewer of its project (never their
// own): audio/wav, nosniff (set for every response), inline only for the
// <audio> element, a server-made name (S-18).
func (s *Server) getReviewAudio(c *gin.Context) {
	it, err := s.db.ReviewClip(c.Request.Context(), currentUser(c).ID, c.Param("id"))
	if err != nil {
		s.logRefusedReview(c, c.Param("id"), err)
		fail(c, err)
		return
	}
	s.serveClipFile(c, it.Clip)
}

// reviewPage is what review.html gets.
type reviewPage struct {
	pageData
	Item    *reviewView
	Reasons []corpus.ReviewReason
	Tab     string // this tab's id: the page keeps it in its address
}

// pageReview is GET /review[?tab=ID]: the tab's clip, rendered on the server
// (html/template escapes every transcript and metadata string, S-17); the
// module /assets/review/review.js adds the waveform, playback, keyboard
// shortcuts and sends the decision, then loads /review?tab=ID again. A page
// opened without a (valid) tab id is a new tab: it gets a new id, so a
// second tab of the same reviewer is handed another clip.
func (s *Server) pageReview(c *gin.Context) {
	tab := c.Query("tab")
	if !validTab(tab) {
		tab = newTab()
	}
	it, err := s.db.NextReviewFor(c.Request.Context(), currentUser(c).ID, tabHolder(tab))
	if err != nil {
		fail(c, err)
		return
	}
	d := reviewPage{pageData: pageData{Title: "審核"}, Reasons: corpus.ReviewReasons, Tab: tab}
	if it != nil {
		d.Item = s.buildReviewView(c.Request.Context(), it)
	}
	d.User = currentUser(c)
	if sess := currentSession(c); sess != nil {
		d.CSRF = sess.CSRFToken
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := s.pages.ExecuteTemplate(c.Writer, "review.html", d); err != nil {
		s.log.Error("render", "page", "review.html", "err", err.Error())
	}
}

// ---- the speaker's side: history and appeal -------------------------------

// decisionView is one event of a clip's history as its speaker sees it:
// what happened, why (in both languages), never who the reviewer was.
type decisionView struct {
	ID         int64             `json:"id"`
	Kind       corpus.EventKind  `json:"kind"`
	At         time.Time         `json:"at"`
	From       corpus.ClipStatus `json:"from"`
	To         corpus.ClipStatus `json:"to"`
	Vote       corpus.Vote       `json:"vote,omitempty"`
	Reason     string            `json:"reason"`
	ReasonZH   string            `json:"reason_zh"`
	ReasonEN   string            `json:"reason_en"`
	Note       string            `json:"note,omitempty"`
	MarkerS    *float64          `json:"marker_s,omitempty"`
	Round      int               `json:"round"`
	Hash       string            `json:"hash"`
	KindZH     string            `json:"-"`
	KindEN     string            `json:"-"`
	Appealable bool              `json:"-"`
}

var eventKindLabels = map[corpus.EventKind][2]string{
	corpus.KindAuto:     {"自動檢查", "automatic checks"},
	corpus.KindReview:   {"審核", "review"},
	corpus.KindAppeal:   {"申訴", "appeal"},
	corpus.KindOverride: {"管理員裁定", "administrator's decision"},
}

func reasonLabels(reason string) (zh, en string) {
	if r, ok := corpus.ReasonByCode(reason); ok {
		return r.ZH, r.EN
	}
	switch reason {
	case corpus.ReasonAccept:
		return "通過", "accepted"
	case corpus.ReasonAuto:
		return "自動檢查結果（見收據）", "result of the automatic checks (see the receipt)"
	case corpus.ReasonAppeal:
		return "說話者提出申訴", "the speaker appealed"
	}
	return reason, reason
}

func viewHistory(evs []*corpus.HistoryEvent) []decisionView {
	out := make([]decisionView, 0, len(evs))
	for _, ev := range evs {
		zh, en := reasonLabels(ev.Reason)
		kl := eventKindLabels[ev.Kind]
		dv := decisionView{ID: ev.ID, Kind: ev.Kind, At: ev.CreatedAt, From: ev.From, To: ev.To, Vote: ev.Vote,
			Reason: ev.Reason, ReasonZH: zh, ReasonEN: en, Note: ev.Note, Round: ev.Round, Hash: ev.Hash,
			KindZH: kl[0], KindEN: kl[1]}
		if ev.MarkerMS != nil {
			m := float64(*ev.MarkerMS) / 1000
			dv.MarkerS = &m
		}
		out = append(out, dv)
	}
	// The last event may be appealed when it is a review rejection and no
	// appeal came before (corpus.Appeal decides; this only shows the form).
	appealed := false
	for _, d := range out {
		if d.Kind == corpus.KindAppeal {
			appealed = true
		}
	}
	if n := len(out); n > 0 && !appealed && out[n-1].To == corpus.StatusRejected && out[n-1].Kind == corpus.KindReview {
		out[n-1].Appealable = true
	}
	return out
}

// addHistory fills the decision history of each clip view.
func (s *Server) addHistory(ctx context.Context, views []clipView) {
	ids := make([]string, len(views))
	for i, v := range views {
		ids[i] = v.ID
	}
	h, err := s.db.History(ctx, ids)
	if err != nil {
		s.log.Warn("clip history", "err", err.Error())
		return
	}
	for i := range views {
		views[i].Decisions = viewHistory(h[views[i].ID])
	}
}

// historyArgs is what the "clip-history" template gets: the clip and the
// page's CSRF token for the appeal form.
type historyArgs struct {
	Clip clipView
	CSRF string
}

type appealRequest struct {
	Note string `json:"note"`
}

// postAppeal is POST /api/v1/clips/{id}/appeal: once per clip, for a
// rejection by review.
func (s *Server) postAppeal(c *gin.Context) {
	var req appealRequest
	if !decodeJSON(c, &req) {
		return
	}
	d, err := s.db.Appeal(context.WithoutCancel(c.Request.Context()), currentUser(c).ID, c.Param("id"), req.Note)
	if err != nil {
		fail(c, err)
		return
	}
	s.log.Info("appeal", "user_id", currentUser(c).ID, "clip_id", d.ClipID)
	c.JSON(http.StatusOK, gin.H{"clip_id": d.ClipID, "status": d.To, "decision_id": d.ID})
}

// formAppeal is the home page's appeal form (no script needed).
func (s *Server) formAppeal(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10)
	if _, err := s.db.Appeal(context.WithoutCancel(c.Request.Context()), currentUser(c).ID, c.Param("id"), c.PostForm("note")); err != nil {
		fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/#clip-"+c.Param("id"))
}

type overrideRequest struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// adminOverride is POST /api/v1/admin/clips/{id}/override: an admin's
// decision over the reviews, with a required note; an event like any
// other, shown to the speaker, with its ledger entry (S-21).
func (s *Server) adminOverride(c *gin.Context) {
	var req overrideRequest
	if !decodeJSON(c, &req) {
		return
	}
	u := currentUser(c)
	d, err := s.db.Override(context.WithoutCancel(c.Request.Context()), u.ID, c.Param("id"), corpus.ClipStatus(req.Status), req.Reason, req.Note)
	if err != nil {
		fail(c, err)
		return
	}
	s.log.Warn("override", "admin_id", u.ID, "clip_id", d.ClipID, "from", string(d.From), "to", string(d.To), "reason", d.Reason)
	c.JSON(http.StatusOK, d)
}
