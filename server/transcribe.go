package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/transcribe"
)

// The transcription workspace (issue 7): the page /transcribe/:id and its
// API under /api/v1/clips/:id/. Every route admits speakers, reviewers and
// admins; transcribe.May then decides per clip (the clip's speaker, the
// reviewers of its project as transcribers, admins), and anything else is
// the 404 of a clip that does not exist.

// transcribers holds each Server's transcribe.Service (its analysis cache),
// made on first use: kept beside Server rather than in it, so this feature
// lives in its own file.
var transcribers sync.Map // *Server → *transcribe.Service

func (s *Server) transcriber() *transcribe.Service {
	if v, ok := transcribers.Load(s); ok {
		return v.(*transcribe.Service)
	}
	v, _ := transcribers.LoadOrStore(s, transcribe.New(s.db, s.rec, transcribe.Options{}))
	return v.(*transcribe.Service)
}

// transcribeBodyLimit bounds a draft or a submission: 1 MiB of text plus
// the times of up to 20,000 segments.
const transcribeBodyLimit = 4 << 20

// transcribeLimit is jsonLimit with room for a long transcript.
var transcribeLimit = limitBody(transcribeBodyLimit, "4 MiB", 60*time.Second)

// transcribeClip loads the route's clip if the caller may transcribe it.
func (s *Server) transcribeClip(c *gin.Context) (*corpus.Clip, bool) {
	cl, err := s.transcriber().Clip(c.Request.Context(), currentUser(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return cl, true
}

// transcribeData is what transcribe.html gets.
type transcribeData struct {
	pageData
	Clip *corpus.Clip
}

// pageTranscribe is GET /transcribe/:id: a shell the script
// /assets/transcribe/transcribe.js fills over the JSON API.
func (s *Server) pageTranscribe(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	// Start the pass over the audio now: by the time the script asks for
	// the peaks, they are ready or nearly.
	tr := s.transcriber()
	go func() { _, _ = tr.Analysis(context.Background(), cl) }()
	d := transcribeData{pageData: pageData{Title: "逐字稿", Speaker: currentUser(c).Role == corpus.RoleSpeaker}, Clip: cl}
	d.User = currentUser(c)
	if sess := currentSession(c); sess != nil {
		d.CSRF = sess.CSRFToken
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := s.pages.ExecuteTemplate(c.Writer, "transcribe.html", d); err != nil {
		s.log.Error("render", "page", "transcribe.html", "err", err.Error())
	}
}

// getTranscriptionAudio serves the clip to whoever may transcribe it, with
// Range (http.ServeContent): the page streams a 3-hour recording instead
// of downloading it. Same headers as getClipAudio (S-18).
func (s *Server) getTranscriptionAudio(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	s.serveClipFile(c, cl)
}

// getProposedSegments is GET /api/v1/clips/:id/segments/proposed?gap=0.6:
// speech-activity segments per channel, split at pauses longer than gap
// seconds (0.1–10, default 0.6).
func (s *Server) getProposedSegments(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	gap := 0.0
	if q := c.Query("gap"); q != "" {
		v, err := strconv.ParseFloat(q, 64)
		if err != nil || v < 0.1 || v > 10 {
			fail(c, errf(http.StatusBadRequest, "bad_gap", "gap must be a number of seconds from 0.1 to 10", "停頓長度必須是 0.1 到 10 秒之間的數字"))
			return
		}
		gap = v
	}
	segs, err := s.transcriber().Propose(c.Request.Context(), cl, gap)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"clip_id": cl.ID, "duration_s": cl.DurationS, "channels": cl.Channels, "segments": segs})
}

// maxPeaks bounds one peaks answer per channel.
const maxPeaks = 8192

// getPeaks is GET /api/v1/clips/:id/peaks?per=N&from=I&count=M: the
// waveform at a zoom level, as the smallest and largest sample (int8) of
// each run of per hops of 10 ms, for peaks from … from+count (at most
// 8192 per request, whatever the recording's length). Without per, the
// whole recording in count (default 2000) peaks.
func (s *Server) getPeaks(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	a, err := s.transcriber().Analysis(c.Request.Context(), cl)
	if err != nil {
		fail(c, err)
		return
	}
	bad := func() {
		fail(c, errf(http.StatusBadRequest, "bad_range", "per, from and count must be whole numbers: per ≥ 1, from ≥ 0, 1 ≤ count ≤ 8192", "波形的範圍參數必須是整數：每點長度至少 1、起點至少 0、點數 1 至 8192"))
	}
	count, err := strconv.Atoi(c.DefaultQuery("count", "2000"))
	if err != nil || count < 1 || count > maxPeaks {
		bad()
		return
	}
	from, err := strconv.Atoi(c.DefaultQuery("from", "0"))
	if err != nil || from < 0 {
		bad()
		return
	}
	hops := a.Hops()
	per := (hops + count - 1) / count
	if q := c.Query("per"); q != "" {
		if per, err = strconv.Atoi(q); err != nil || per < 1 || per > max(hops, 1) {
			bad()
			return
		}
	}
	per = max(per, 1)
	type channel struct {
		Min []int8 `json:"min"`
		Max []int8 `json:"max"`
	}
	chans := make([]channel, a.Channels)
	for ch := range a.Channels {
		mins, maxs := a.Peaks(ch, per, from, count)
		chans[ch] = channel{Min: orEmpty(mins), Max: orEmpty(maxs)}
	}
	c.JSON(http.StatusOK, gin.H{"clip_id": cl.ID, "duration_s": a.DurationS(), "sample_rate": a.SampleRate,
		"hop_s": transcribe.HopS, "hops": hops, "per": per, "from": from, "channels": chans})
}

func orEmpty(x []int8) []int8 {
	if x == nil {
		return []int8{}
	}
	return x
}

// draftView is a draft as the API shows it.
type draftView struct {
	ClipID    string           `json:"clip_id"`
	Version   int64            `json:"version"`
	Segments  []corpus.Segment `json:"segments"`
	Cursor    corpus.Cursor    `json:"cursor"`
	UpdatedAt *time.Time       `json:"updated_at,omitempty"`
}

// getDraft is GET /api/v1/clips/:id/transcription/draft: the draft, or
// version 0 with no segments when there is none yet.
func (s *Server) getDraft(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	d, err := s.db.Draft(c.Request.Context(), cl.ID)
	switch {
	case err == nil:
		c.JSON(http.StatusOK, draftView{ClipID: cl.ID, Version: d.Version, Segments: d.Segments, Cursor: d.Cursor, UpdatedAt: &d.UpdatedAt})
	case errors.Is(err, corpus.ErrNotFound):
		c.JSON(http.StatusOK, draftView{ClipID: cl.ID, Segments: []corpus.Segment{}})
	default:
		fail(c, err)
	}
}

type draftRequest struct {
	// Version is the version the draft was based on (0 for the first).
	Version  int64            `json:"version"`
	Segments []corpus.Segment `json:"segments"`
	Cursor   corpus.Cursor    `json:"cursor"`
}

// putDraft is PUT /api/v1/clips/:id/transcription/draft: stored if based
// on the current version (200 with the new version), else 409 stale_draft.
func (s *Server) putDraft(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	var req draftRequest
	if !decodeJSON(c, &req) {
		return
	}
	d := &corpus.TranscriptionDraft{Segments: req.Segments, Cursor: req.Cursor}
	if err := s.transcriber().SaveDraft(context.WithoutCancel(c.Request.Context()), currentUser(c), cl, d, req.Version); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, draftView{ClipID: cl.ID, Version: d.Version, Segments: d.Segments, Cursor: d.Cursor, UpdatedAt: &d.UpdatedAt})
}

type submitRequest struct {
	Segments []corpus.Segment `json:"segments"`
}

// postTranscription is POST /api/v1/clips/:id/transcription: 201 with the
// stored transcription, or 422 transcript_errors with every error placed
// by segment and column.
func (s *Server) postTranscription(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	var req submitRequest
	if !decodeJSON(c, &req) {
		return
	}
	tr, err := s.transcriber().Submit(context.WithoutCancel(c.Request.Context()), currentUser(c), cl, req.Segments)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, tr)
}

// getTranscription is GET /api/v1/clips/:id/transcription: the newest
// submitted transcription (404 when there is none).
func (s *Server) getTranscription(c *gin.Context) {
	cl, ok := s.transcribeClip(c)
	if !ok {
		return
	}
	tr, err := s.db.LatestTranscription(c.Request.Context(), cl.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, tr)
}
