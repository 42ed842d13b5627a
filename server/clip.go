package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
)

func (s *Server) getNextTask(c *gin.Context) {
	t, err := s.rec.NextTask(c.Request.Context(), currentUser(c))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

// maxFieldBytes bounds each text field of the clip form (a transcript of
// a long monologue fits).
const maxFieldBytes = 256 << 10

// postClip is POST /api/v1/clips. The multipart body is streamed: the text
// fields come first, then the audio part goes straight to a temp file on
// the corpus's disk, never through memory or gin's multipart spill files.
func (s *Server) postClip(c *gin.Context) {
	u := currentUser(c)
	if c.Request.Header.Get("Content-Encoding") != "" {
		fail(c, errf(http.StatusUnsupportedMediaType, "encoded_body", "compressed uploads are not accepted", "不接受壓縮過的上傳內容"))
		return
	}
	limit := s.opts.MaxClipBytes + maxFieldBytes*4
	if c.Request.ContentLength > limit {
		fail(c, errf(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a clip upload may be at most %d bytes", limit), fmt.Sprintf("錄音上傳不得超過 %d 位元組", limit)))
		return
	}
	if !s.auth.startUpload(u.ID, s.opts.UploadsPerSpeaker) {
		c.Header("Retry-After", "5")
		fail(c, errf(http.StatusTooManyRequests, "too_many_uploads", "too many uploads at once; they will continue by themselves", "同時上傳數量過多，稍後會自動繼續"))
		return
	}
	defer s.auth.endUpload(u.ID)
	body := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Request.Body = &deadlineReader{r: body, rc: http.NewResponseController(c.Writer)}

	mediaType, params, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		fail(c, errf(http.StatusBadRequest, "not_multipart", "send the clip as multipart/form-data", "錄音必須以表單方式上傳，請重新整理頁面再試"))
		return
	}
	// A larger buffer under the multipart reader's own 4 KiB one: a
	// clip arrives in a few socket reads instead of forty.
	mr := multipart.NewReader(bufio.NewReaderSize(c.Request.Body, 64<<10), params["boundary"])
	var sub recorder.Submission
	fields := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			fail(c, errf(http.StatusBadRequest, "no_audio", "the form has no audio part", "表單中沒有錄音檔"))
			return
		}
		if err != nil {
			fail(c, badMultipart(err))
			return
		}
		if fields++; fields > 16 {
			fail(c, errf(http.StatusBadRequest, "too_many_parts", "too many form parts", "表單欄位過多"))
			return
		}
		name := part.FormName()
		if name == "audio" {
			sub.Audio = part
			break
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		if err != nil {
			fail(c, badMultipart(err))
			return
		}
		if len(v) > maxFieldBytes {
			fail(c, errf(http.StatusRequestEntityTooLarge, "field_too_large", "form field "+strconv.Quote(name)+" is too large", "表單欄位過大"))
			return
		}
		switch name {
		case "client_clip_id":
			sub.ClientClipID = string(v)
		case "task_id":
			sub.TaskID = string(v)
		case "noise_band":
			sub.NoiseBand = string(v)
		case "transcript":
			sub.Transcript = string(v)
		default:
			fail(c, errf(http.StatusBadRequest, "unknown_field", "unknown form field "+strconv.Quote(name), "不明的表單欄位"))
			return
		}
	}
	r, created, err := s.rec.Ingest(c.Request.Context(), u, sub)
	if err != nil {
		fail(c, err)
		return
	}
	s.metrics.clips.WithLabelValues(string(r.Status)).Inc()
	status := http.StatusCreated
	if !created {
		status = http.StatusOK // a retry: the first receipt, never an error
	}
	c.JSON(status, r)
}

func badMultipart(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return errf(http.StatusBadRequest, "bad_multipart", "the upload form is malformed", "上傳表單格式錯誤")
}

// deadlineReader extends the connection's read deadline after every read,
// as tusd does: a dead connection is noticed within a minute, a live slow
// one is never cut (reliability.md C3).
type deadlineReader struct {
	r  io.ReadCloser
	rc *http.ResponseController
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if n > 0 {
		_ = d.rc.SetReadDeadline(time.Now().Add(60 * time.Second))
		_ = d.rc.SetWriteDeadline(time.Now().Add(120 * time.Second))
	}
	return n, err
}

func (d *deadlineReader) Close() error { return d.r.Close() }

// clipView is a clip as its speaker sees it.
type clipView struct {
	*corpus.Clip
	Receipt *recorder.Receipt `json:"receipt"`
	// Decisions is the clip's decision history with reasons (review.go).
	Decisions []decisionView `json:"decisions,omitempty"`
	// Loc is the project's time zone, for pages (timezone.go).
	Loc *time.Location `json:"-"`
}

func viewClip(cl *corpus.Clip) clipView {
	v := clipView{Clip: cl}
	var r recorder.Receipt
	if err := jsonUnmarshal(cl.Receipt, &r); err == nil {
		v.Receipt = &r
	}
	return v
}

func (s *Server) listClips(c *gin.Context) {
	u := currentUser(c)
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "100"))
	offset, _ := strconv.Atoi(c.DefaultQuery("offset", "0"))
	clips, err := s.db.Clips(c.Request.Context(), corpus.ClipFilter{SpeakerID: u.ID, Limit: min(max(limit, 1), 1000), Offset: max(offset, 0)})
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]clipView, len(clips))
	for i, cl := range clips {
		out[i] = viewClip(cl)
	}
	s.addHistory(c.Request.Context(), out)
	c.JSON(http.StatusOK, gin.H{"clips": out})
}

// ownClip loads a clip only if it belongs to the caller; anything else is
// the same 404 as a clip that does not exist (S-02).
func (s *Server) ownClip(c *gin.Context) (*corpus.Clip, bool) {
	cl, err := s.db.Clip(c.Request.Context(), c.Param("id"))
	if err != nil || cl.SpeakerID != currentUser(c).ID {
		fail(c, errNotFound)
		return nil, false
	}
	return cl, true
}

func (s *Server) getClip(c *gin.Context) {
	cl, ok := s.ownClip(c)
	if !ok {
		return
	}
	v := []clipView{viewClip(cl)}
	s.addHistory(c.Request.Context(), v)
	c.JSON(http.StatusOK, v[0])
}

// getClipAudio serves a speaker's own clip for playback.
func (s *Server) getClipAudio(c *gin.Context) {
	cl, ok := s.ownClip(c)
	if !ok {
		return
	}
	s.serveClipFile(c, cl)
}

// serveClipFile serves a stored clip: exact type, nosniff, a server-made
// file name, never text/html (S-18); Range through http.ServeContent, so a
// long recording streams instead of downloading whole.
func (s *Server) serveClipFile(c *gin.Context, cl *corpus.Clip) {
	f, err := s.db.OpenClipFile(cl.ID)
	if err != nil {
		fail(c, err)
		return
	}
	defer func() { _ = f.Close() }() // only read
	c.Header("Content-Type", "audio/wav")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", `inline; filename="`+cl.ID+`.wav"`)
	c.Header("Cache-Control", "private, no-store")
	http.ServeContent(c.Writer, c.Request, cl.ID+".wav", cl.CreatedAt, f)
}

type lintRequest struct {
	Text string `json:"text"`
}

// postLint is POST /api/v1/lint: the project's rules, for live checking.
func (s *Server) postLint(c *gin.Context) {
	var req lintRequest
	if !decodeJSON(c, &req) {
		return
	}
	findings, fixed, err := s.rec.Lint(context.WithoutCancel(c.Request.Context()), currentUser(c).ProjectID, req.Text)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"findings": findings, "fixed": fixed})
}
