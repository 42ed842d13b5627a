package server

// Resumable upload of long recordings: tus 1.0.0 (https://tus.io/protocols/
// resumable-upload), served by our own code over corpus's upload state
// (reliability.md C6). Extensions: creation, creation-with-upload,
// termination, checksum (sha1, sha256) and expiration.
//
//	OPTIONS /api/v1/uploads       what the server supports
//	POST    /api/v1/uploads       creation (Upload-Length, Upload-Metadata), optionally with a first chunk
//	HEAD    /api/v1/uploads/:id   Upload-Offset, Upload-Length, Upload-Expires
//	PATCH   /api/v1/uploads/:id   a chunk at Upload-Offset; the last one finishes the upload
//	DELETE  /api/v1/uploads/:id   termination
//	GET     /api/v1/uploads/:id   (ours, not tus) the finished upload's receipt
//
// Upload-Metadata carries client_clip_id, task_id, noise_band, sha256 (the
// whole file's SHA-256 in hex, checked when the last byte arrives) and
// optionally transcript, each base64 as tus requires; other keys
// (tus-js-client's filename, filetype) are ignored and never stored.
//
// The request that brings the last byte runs the same ingest as POST
// /api/v1/clips (validation, lint, durable commit) and answers 204 as tus
// requires, with Clip-Id and Clip-Status headers; the receipt itself is at
// GET /api/v1/uploads/:id (200 with the Receipt JSON of spec/api.md; 404
// upload_incomplete until then) and at GET /api/v1/clips/:clip_id. A
// finished upload whose bytes are not a readable WAV, or whose SHA-256 is
// not the declared one, is deleted and answered like a clip POST (400/415)
// or 460. If finishing fails for a passing reason (503, 507), the upload
// stays complete: a PATCH with Upload-Offset equal to Upload-Length and no
// body finishes it again. A graceful shutdown (SIGTERM) stops a running
// PATCH: what arrived is committed and the answer is 503 server_restarting
// with Retry-After, which clients retry (HEAD, then PATCH from the offset).

import (
	"context"
	"crypto/sha1" //nolint:gosec // G505: tus 1.0.0's checksum extension requires sha1; see parseUploadChecksum
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
)

const (
	tusVersion     = "1.0.0"
	tusExtensions  = "creation,creation-with-upload,termination,checksum,expiration"
	tusChecksums   = "sha1,sha256"
	tusContentType = "application/offset+octet-stream"
	// tusMaxSize is 4 GiB − 1, the RIFF limit: 3 h at 48 kHz 24-bit
	// stereo (3.11 GB) fits.
	tusMaxSize = corpus.MaxResumableLength
	// tusChunkMax bounds one request's body (reliability.md C4); clients
	// send long recordings in chunks of at most this.
	tusChunkMax = 64 << 20
	// tusMaxMetadataKeys bounds Upload-Metadata (H-12).
	tusMaxMetadataKeys = 16
	// statusChecksumMismatch is tus's 460 Checksum Mismatch.
	statusChecksumMismatch = 460
	uploadsPath            = "/api/v1/uploads/"
)

// The statuses of bad tus headers (reliability.md H-06…H-14).
var (
	errTusVersion     = errf(http.StatusPreconditionFailed, "tus_version", "Tus-Resumable must be 1.0.0", "上傳協定的版本不符，須為 1.0.0")
	errTusOffset      = errf(http.StatusBadRequest, "bad_upload_offset", "Upload-Offset must be a non-negative integer", "上傳位置必須是非負整數")
	errTusLength      = errf(http.StatusBadRequest, "bad_upload_length", "Upload-Length must be a non-negative integer", "上傳長度必須是非負整數")
	errTusTooLong     = errf(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("Upload-Length is above Tus-Max-Size (%d)", int64(tusMaxSize)), "上傳長度超過上限")
	errTusDefer       = errf(http.StatusBadRequest, "defer_length_unsupported", "Upload-Defer-Length is not supported; send Upload-Length", "不支援延後告知上傳長度，請在開始時提供上傳長度")
	errTusContentType = errf(http.StatusUnsupportedMediaType, "bad_content_type", "a chunk must be sent as "+tusContentType, "上傳區塊的內容類型不正確")
	errTusEncoding    = errf(http.StatusUnsupportedMediaType, "encoded_body", "compressed uploads are not accepted", "不接受壓縮過的上傳內容")
	errTusOverride    = errf(http.StatusBadRequest, "method_override", "X-HTTP-Method-Override is not supported", "不支援以標頭改寫請求方法")
	errTusChecksum    = errf(http.StatusBadRequest, "bad_checksum", "Upload-Checksum must be \"sha1 <base64>\" or \"sha256 <base64>\"", "上傳校驗碼的格式錯誤")
	errTusPastLength  = errf(http.StatusRequestEntityTooLarge, "too_large", "the chunk runs past Upload-Length", "上傳區塊超過宣告的上傳長度")
	errTusChunkSize   = errf(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("a chunk may be at most %d bytes", tusChunkMax), fmt.Sprintf("每個上傳區塊最多 %d 位元組", tusChunkMax))
	errTusBody        = errf(http.StatusBadRequest, "incomplete_body", "the chunk ended early; what arrived was kept, see Upload-Offset", "上傳區塊提前中斷；已收到的部分已保存，請查詢目前的上傳位置後續傳")
)

func errTusMetadata(why string) *apiError {
	return errf(http.StatusBadRequest, "bad_upload_metadata", "Upload-Metadata: "+why, "上傳的附帶資料格式錯誤")
}

// tusInt parses an Upload-Offset or Upload-Length: decimal digits only (no
// sign, no spaces), within int64.
func tusInt(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseUploadOffset parses Upload-Offset (H-06: 400).
func parseUploadOffset(s string) (int64, error) {
	n, ok := tusInt(s)
	if !ok {
		return 0, errTusOffset
	}
	return n, nil
}

// parseUploadLength parses Upload-Length (H-10: 400, or 413 above
// Tus-Max-Size).
func parseUploadLength(s string) (int64, error) {
	n, ok := tusInt(s)
	switch {
	case !ok && len(s) > 0 && strings.Trim(s, "0123456789") == "":
		return 0, errTusTooLong // all digits, past int64
	case !ok:
		return 0, errTusLength
	case n > tusMaxSize:
		return 0, errTusTooLong
	}
	return n, nil
}

// parseUploadMetadata parses Upload-Metadata: comma-separated "key value"
// pairs, the value base64 (standard alphabet, padded) and optional. Keys
// are 1–64 of [A-Za-z0-9._-], unique, at most tusMaxMetadataKeys (H-12).
func parseUploadMetadata(s string) (map[string]string, error) {
	meta := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return meta, nil
	}
	for pair := range strings.SplitSeq(s, ",") {
		pair = strings.Trim(pair, " \t")
		key, value, _ := strings.Cut(pair, " ")
		if !metadataKey(key) {
			return nil, errTusMetadata("each pair must be a key of letters, digits, '.', '_' or '-', then a space and a base64 value")
		}
		if strings.ContainsAny(value, " \t") {
			return nil, errTusMetadata("key " + strconv.Quote(key) + ": the value must be one base64 word")
		}
		v, err := base64.StdEncoding.Strict().DecodeString(value)
		if err != nil {
			return nil, errTusMetadata("key " + strconv.Quote(key) + ": the value is not base64")
		}
		if _, dup := meta[key]; dup {
			return nil, errTusMetadata("key " + strconv.Quote(key) + " appears twice")
		}
		if len(meta) == tusMaxMetadataKeys {
			return nil, errTusMetadata(fmt.Sprintf("more than %d keys", tusMaxMetadataKeys))
		}
		meta[key] = string(v)
	}
	return meta, nil
}

func metadataKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// parseUploadChecksum parses Upload-Checksum: "sha1 <base64>" or "sha256
// <base64>" (H-11: anything else is 400). An empty header is no checksum.
func parseUploadChecksum(s string) (hash.Hash, []byte, error) {
	if s == "" {
		return nil, nil, nil
	}
	alg, b64, ok := strings.Cut(s, " ")
	if !ok {
		return nil, nil, errTusChecksum
	}
	var h hash.Hash
	switch alg {
	case "sha1":
		// tus 1.0.0's checksum extension requires sha1 of every server
		// that offers it; the client chooses, per chunk, to detect damage
		// in transit. Nothing trusts it further: the finished file's
		// SHA-256 is checked against the one declared in Upload-Metadata.
		h = sha1.New() //nolint:gosec // G401: a client-chosen transit checksum the tus protocol requires, not an integrity guarantee (see above)
	case "sha256":
		h = sha256.New()
	default:
		return nil, nil, errTusChecksum
	}
	want, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(want) != h.Size() {
		return nil, nil, errTusChecksum
	}
	return h, want, nil
}

// checkTUSContentType checks a chunk's Content-Type (H-08: 415).
func checkTUSContentType(ct string) error {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != tusContentType {
		return errTusContentType
	}
	return nil
}

// checkTUSResumable checks the Tus-Resumable request header (H-09: 412).
func checkTUSResumable(v string) error {
	if v != tusVersion {
		return errTusVersion
	}
	return nil
}

// chunkRoom is how many bytes a chunk at offset may carry into an upload
// of length: what is left, at most tusChunkMax. Both are non-negative, so
// nothing overflows.
func chunkRoom(length, offset int64) (int64, error) {
	if offset > length {
		return 0, corpus.ErrOffsetMismatch
	}
	return min(length-offset, tusChunkMax), nil
}

// resumableRequest reads a creation request's metadata.
func resumableRequest(meta map[string]string, length int64) (recorder.ResumableRequest, error) {
	for _, k := range []string{"client_clip_id", "task_id", "noise_band", "sha256"} {
		if meta[k] == "" {
			return recorder.ResumableRequest{}, errTusMetadata(k + " is required")
		}
	}
	return recorder.ResumableRequest{ClientClipID: meta["client_clip_id"], TaskID: meta["task_id"],
		NoiseBand: meta["noise_band"], Transcript: meta["transcript"], Length: length, SHA256: meta["sha256"]}, nil
}

func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// tus runs before every tus handler but OPTIONS: every response says the
// protocol version, a request that speaks another is refused (412), and
// method overriding is refused outright (H-15).
func (s *Server) tus(c *gin.Context) {
	c.Header("Tus-Resumable", tusVersion)
	if _, ok := c.Request.Header["X-Http-Method-Override"]; ok {
		fail(c, errTusOverride)
		return
	}
	if err := checkTUSResumable(c.GetHeader("Tus-Resumable")); err != nil {
		c.Header("Tus-Version", tusVersion)
		fail(c, err)
		return
	}
	c.Next()
}

// tusOptions is OPTIONS /api/v1/uploads: what the server supports.
func (s *Server) tusOptions(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Tus-Resumable", tusVersion)
	h.Set("Tus-Version", tusVersion)
	h.Set("Tus-Extension", tusExtensions)
	h.Set("Tus-Max-Size", strconv.FormatInt(tusMaxSize, 10))
	h.Set("Tus-Checksum-Algorithm", tusChecksums)
	c.Status(http.StatusNoContent)
}

// ownUpload loads the caller's upload: another speaker's is the same 404 as
// none (S-02); an expired one is 410 until the reconciler removes it.
func (s *Server) ownUpload(c *gin.Context) (*corpus.ResumableUpload, bool) {
	up, err := s.db.Resumable(c.Request.Context(), c.Param("id"))
	switch {
	case errors.Is(err, corpus.ErrNotFound) || err == nil && up.SpeakerID != currentUser(c).ID:
		fail(c, errNotFound)
		return nil, false
	case err != nil:
		fail(c, err)
		return nil, false
	case up.Expired(s.db.Now()):
		fail(c, corpus.ErrUploadExpired)
		return nil, false
	}
	return up, true
}

// lockUpload takes the upload's lock (asking a running request to stop)
// and reloads the upload, which that request may have moved.
func (s *Server) lockUpload(c *gin.Context, id string) (*heldUpload, *corpus.ResumableUpload, bool) {
	h, err := s.tusLocks.acquire(c.Request.Context(), id, tusLockWait)
	if err != nil {
		if errors.Is(err, errLockTimeout) {
			c.Header("Retry-After", "5")
		}
		fail(c, err)
		return nil, nil, false
	}
	up, err := s.db.Resumable(c.Request.Context(), id)
	if err != nil {
		h.release()
		fail(c, err)
		return nil, nil, false
	}
	if up.Expired(s.db.Now()) {
		h.release()
		fail(c, corpus.ErrUploadExpired)
		return nil, nil, false
	}
	return h, up, true
}

// tusCreate is POST /api/v1/uploads (creation, creation-with-upload). A
// creation repeated after a lost response (same take, length and digest)
// gets the first upload back, at its current offset.
func (s *Server) tusCreate(c *gin.Context) {
	u := currentUser(c)
	if c.GetHeader("Upload-Defer-Length") != "" {
		fail(c, errTusDefer)
		return
	}
	length, err := parseUploadLength(c.GetHeader("Upload-Length"))
	if err != nil {
		fail(c, err)
		return
	}
	meta, err := parseUploadMetadata(c.GetHeader("Upload-Metadata"))
	if err != nil {
		fail(c, err)
		return
	}
	req, err := resumableRequest(meta, length)
	if err != nil {
		fail(c, err)
		return
	}
	// creation-with-upload: a body is the first chunk.
	withBody := c.Request.ContentLength != 0
	var sum hash.Hash
	var want []byte
	if withBody {
		if err := s.checkChunkHeaders(c); err != nil {
			fail(c, err)
			return
		}
		if sum, want, err = parseUploadChecksum(c.GetHeader("Upload-Checksum")); err != nil {
			fail(c, err)
			return
		}
		if c.Request.ContentLength > length {
			fail(c, errTusPastLength)
			return
		}
		if c.Request.ContentLength > tusChunkMax {
			fail(c, errTusChunkSize)
			return
		}
	}
	up, created, err := s.rec.CreateResumable(c.Request.Context(), u, req)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", uploadsPath+up.ID)
	c.Header("Upload-Offset", strconv.FormatInt(up.Offset, 10))
	c.Header("Upload-Expires", httpTime(up.ExpiresAt))
	if (withBody && created) || up.Complete() && !up.Done() {
		h, up, ok := s.lockUpload(c, up.ID)
		if !ok {
			return
		}
		defer h.release()
		if withBody && created {
			if up, ok = s.tusAppend(c, h, up, 0, sum, want); !ok {
				return
			}
		}
		if up.Complete() && !up.Done() && !s.tusFinish(c, up) {
			return
		}
	}
	c.Status(http.StatusCreated)
}

// checkChunkHeaders checks what a request carrying a chunk must say.
func (s *Server) checkChunkHeaders(c *gin.Context) error {
	if c.GetHeader("Content-Encoding") != "" {
		return errTusEncoding // H-20: no transparent decompression
	}
	return checkTUSContentType(c.GetHeader("Content-Type"))
}

// tusHead is HEAD /api/v1/uploads/:id. It takes the upload's lock, so a
// PATCH still running on a dead connection stops and saves what it got,
// and the answer is the offset a resume must use.
func (s *Server) tusHead(c *gin.Context) {
	up, ok := s.ownUpload(c)
	if !ok {
		return
	}
	h, _, ok := s.lockUpload(c, up.ID)
	if !ok {
		return
	}
	defer h.release()
	up, err := s.db.RecoverResumable(c.Request.Context(), up.ID)
	if err != nil {
		fail(c, err)
		return
	}
	hd := c.Writer.Header()
	hd.Set("Upload-Offset", strconv.FormatInt(up.Offset, 10))
	hd.Set("Upload-Length", strconv.FormatInt(up.Length, 10))
	hd.Set("Upload-Expires", httpTime(up.ExpiresAt))
	hd.Set("Cache-Control", "no-store")
	c.Status(http.StatusOK)
}

// tusPatch is PATCH /api/v1/uploads/:id: one chunk at Upload-Offset.
func (s *Server) tusPatch(c *gin.Context) {
	if err := s.checkChunkHeaders(c); err != nil {
		fail(c, err)
		return
	}
	off, err := parseUploadOffset(c.GetHeader("Upload-Offset"))
	if err != nil {
		fail(c, err)
		return
	}
	sum, want, err := parseUploadChecksum(c.GetHeader("Upload-Checksum"))
	if err != nil {
		fail(c, err)
		return
	}
	up, ok := s.ownUpload(c)
	if !ok {
		return
	}
	h, up, ok := s.lockUpload(c, up.ID)
	if !ok {
		return
	}
	defer h.release()
	if up.Done() {
		c.Header("Upload-Offset", strconv.FormatInt(up.Offset, 10))
		fail(c, corpus.ErrUploadFinished) // H-13
		return
	}
	if up, ok = s.tusAppend(c, h, up, off, sum, want); !ok {
		return
	}
	if up.Complete() && !s.tusFinish(c, up) {
		return
	}
	c.Header("Upload-Expires", httpTime(up.ExpiresAt))
	c.Status(http.StatusNoContent)
}

// tusAppend receives the request body as the chunk at off into up, whose
// lock h the caller holds, and returns the upload after it. On failure it
// has answered (with Upload-Offset) and returns false.
func (s *Server) tusAppend(c *gin.Context, h *heldUpload, up *corpus.ResumableUpload, off int64,
	sum hash.Hash, want []byte) (*corpus.ResumableUpload, bool) {
	setOffset := func(n int64) { c.Header("Upload-Offset", strconv.FormatInt(n, 10)) }
	setOffset(up.Offset)
	if off != up.Offset {
		fail(c, corpus.ErrOffsetMismatch) // H-07
		return nil, false
	}
	switch cl := c.Request.ContentLength; {
	case cl > up.Length-up.Offset:
		fail(c, errTusPastLength) // H-13, refused before reading
		return nil, false
	case cl > tusChunkMax:
		fail(c, errTusChunkSize)
		return nil, false
	}
	if c.Request.ContentLength != 0 {
		if shuttingDown(c.Request) {
			// Came in as the server began to stop: nothing is read, the
			// client resumes after the restart.
			c.Header("Retry-After", shutdownRetryAfter)
			fail(c, errShuttingDown)
			return nil, false
		}
		u := currentUser(c)
		// A slot is taken only now, after any running request for this
		// upload handed it back.
		if !s.auth.startUpload(u.ID, s.opts.UploadsPerSpeaker) {
			c.Header("Retry-After", "5")
			fail(c, errf(http.StatusTooManyRequests, "too_many_uploads", "too many uploads at once; they will continue by themselves", "同時上傳數量過多，稍後會自動繼續"))
			return nil, false
		}
		defer s.auth.endUpload(u.ID)
	}
	body := newTUSBody(c.Request.Body, c.Writer)
	stopWatching := body.watch(h.stop)
	n, err := s.db.AppendResumable(c.Request.Context(), up.ID, corpus.Chunk{Offset: off, Body: body,
		Limit: tusChunkMax, Checksum: sum, Want: want})
	stopWatching()
	setOffset(n)
	switch {
	case body.interrupted.Load() && (err == nil || errors.Is(err, errInterrupted)) && shuttingDown(c.Request):
		// Stopped by a graceful shutdown: what arrived is committed; 503
		// so the client retries rather than giving up (a 400 is final to
		// tus clients).
		c.Header("Retry-After", shutdownRetryAfter)
		fail(c, errShuttingDown)
		return nil, false
	case body.interrupted.Load() && (err == nil || errors.Is(err, errInterrupted)):
		fail(c, errInterrupted)
		return nil, false
	case err != nil && body.err != nil && errors.Is(err, body.err):
		fail(c, errTusBody) // the client went away; what arrived is kept
		return nil, false
	case err != nil:
		fail(c, err)
		return nil, false
	}
	up, err = s.db.Resumable(context.WithoutCancel(c.Request.Context()), up.ID)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return up, true
}

// tusFinish runs the ingest of a complete upload and sets Clip-Id and
// Clip-Status. Once the last byte is in, a client that hangs up does not
// stop it.
func (s *Server) tusFinish(c *gin.Context, up *corpus.ResumableUpload) bool {
	// Measuring hours of audio takes a while: keep the answer deliverable.
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Now().Add(10 * time.Minute))
	r, created, err := s.rec.IngestResumable(context.WithoutCancel(c.Request.Context()), currentUser(c), up.ID)
	if err != nil {
		fail(c, err)
		return false
	}
	if created {
		s.metrics.clips.WithLabelValues(string(r.Status)).Inc()
	}
	c.Header("Upload-Offset", strconv.FormatInt(up.Length, 10))
	c.Header("Clip-Id", r.ClipID)
	c.Header("Clip-Status", string(r.Status))
	return true
}

// tusDelete is DELETE /api/v1/uploads/:id (termination). A running PATCH is
// stopped first. A finished upload's clip stays.
func (s *Server) tusDelete(c *gin.Context) {
	up, ok := s.ownUpload(c)
	if !ok {
		return
	}
	h, _, ok := s.lockUpload(c, up.ID)
	if !ok {
		return
	}
	defer h.release()
	if err := s.db.DeleteResumable(context.WithoutCancel(c.Request.Context()), up.ID); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// getUpload is GET /api/v1/uploads/:id: the finished upload's receipt (the
// same JSON as POST /api/v1/clips answers), or 404 upload_incomplete.
func (s *Server) getUpload(c *gin.Context) {
	up, ok := s.ownUpload(c)
	if !ok {
		return
	}
	r, err := s.rec.ResumableReceipt(c.Request.Context(), currentUser(c), up.ID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, r)
}
