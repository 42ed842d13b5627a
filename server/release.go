package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
)

// Vendor downloads (spec/api.md, reliability.md S-04, H-21, L-04, C5).
//
// A release's archive for a format is assembled by corpus at each request
// from its member plan and the stored clip files (issue 21), and served
// with http.ServeContent: Range and If-Range come for free, the bytes are
// the same at every request, the first byte goes out at once whatever the
// size, and the kernel's sendfile moves each file (downloadWriter.ReadFrom,
// corpus's CopyTo). The archive's SHA-256 (ETag, X-Archive-SHA256) is
// worked out once in the background when the release is created.

// maxDownloadsPerVendor is C5's per-vendor concurrency.
const maxDownloadsPerVendor = 4

// maxRanges bounds the ranges of one request: a resume asks for one, a
// media player a few; 1,000 ranges are abuse (H-21).
const maxRanges = 8

// downloadSlots counts each caller's downloads in flight.
type downloadSlots struct {
	mu sync.Mutex
	n  map[string]int
}

// slotsByServer holds one downloadSlots per Server (kept outside Server's
// struct, which this file does not own).
var slotsByServer sync.Map // *Server → *downloadSlots

func (s *Server) downloadSlots() *downloadSlots {
	v, _ := slotsByServer.LoadOrStore(s, &downloadSlots{n: map[string]int{}})
	return v.(*downloadSlots)
}

func (d *downloadSlots) acquire(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n[key] >= maxDownloadsPerVendor {
		return false
	}
	d.n[key]++
	return true
}

func (d *downloadSlots) release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n[key]--; d.n[key] <= 0 {
		delete(d.n, key)
	}
}

func currentToken(c *gin.Context) *corpus.Token {
	v, _ := c.Get("token")
	t, _ := v.(*corpus.Token)
	return t
}

// readableProject is the project a vendor may read: its token's, or a vendor
// user's; 0 with all=true for an admin.
func readableProject(c *gin.Context) (projectID int64, all bool) {
	if u := currentUser(c); u != nil {
		if u.Role == corpus.RoleAdmin {
			return 0, true
		}
		return u.ProjectID, false
	}
	if t := currentToken(c); t != nil {
		return t.ProjectID, false
	}
	return -1, false
}

// listReleases is GET /api/v1/releases: the published releases of the
// projects the caller may read.
func (s *Server) listReleases(c *gin.Context) {
	pid, all := readableProject(c)
	if pid <= 0 && !all {
		c.JSON(http.StatusOK, gin.H{"releases": []any{}})
		return
	}
	rs, err := s.db.Releases(c.Request.Context(), pid)
	if err != nil {
		fail(c, err)
		return
	}
	if rs == nil {
		rs = []*corpus.Release{}
	}
	c.JSON(http.StatusOK, gin.H{"releases": rs, "formats": []string{"kaldi", "hf", "nemo", "cv"}})
}

// visibleRelease loads the release in the path if the caller may read it.
// Another project's release is the same 404 as no release (S-04).
func (s *Server) visibleRelease(c *gin.Context) (*corpus.Release, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, errNotFound)
		return nil, false
	}
	r, err := s.db.Release(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return nil, false
	}
	if pid, all := readableProject(c); !all && pid != r.ProjectID {
		fail(c, errNotFound)
		return nil, false
	}
	return r, true
}

// downloadRelease is GET /api/v1/releases/{id}/download?format=…
func (s *Server) downloadRelease(c *gin.Context) {
	r, ok := s.visibleRelease(c)
	if !ok {
		return
	}
	format := c.Query("format")
	switch format {
	case "kaldi", "hf", "nemo", "cv":
	default:
		fail(c, errf(http.StatusBadRequest, "bad_format", "format is kaldi, hf, nemo or cv", "格式須為 kaldi、hf、nemo 或 cv"))
		return
	}
	key, vendorName, tokenID, userID := downloader(c)
	slots := s.downloadSlots()
	if !slots.acquire(key) {
		c.Header("Retry-After", "5")
		fail(c, errf(http.StatusTooManyRequests, "too_many_downloads",
			fmt.Sprintf("at most %d downloads at once per vendor", maxDownloadsPerVendor),
			fmt.Sprintf("每個廠商最多同時下載 %d 個檔案", maxDownloadsPerVendor)))
		return
	}
	defer slots.release(key)

	ctx := c.Request.Context()
	af, err := s.db.ReleaseArchive(ctx, r.ID, format)
	if err != nil {
		fail(c, err)
		return
	}
	defer func() { _ = af.Close() }() // only read
	rng := c.GetHeader("Range")
	if rng != "" && !rangeOK(rng, af.Size) {
		c.Header("Content-Range", fmt.Sprintf("bytes */%d", af.Size))
		fail(c, errf(http.StatusRequestedRangeNotSatisfiable, "bad_range",
			fmt.Sprintf("Range must be 1 to %d non-overlapping ranges within the %d-byte archive", maxRanges, af.Size),
			fmt.Sprintf("Range 須為 1 至 %d 個不重疊、且在 %d 位元組內的範圍", maxRanges, af.Size)))
		return
	}
	if err := s.db.LogDownload(context.WithoutCancel(ctx), &corpus.Download{ReleaseID: r.ID, Format: format,
		TokenID: tokenID, UserID: userID, Vendor: vendorName, Range: rng, RemoteAddr: clientIP(c)}); err != nil {
		fail(c, err)
		return
	}
	s.log.Info("release download", "request_id", requestID(c), "release_id", r.ID, "format", format,
		"vendor", vendorName, "token_id", tokenID, "user_id", userID, "range", rng)

	h := c.Writer.Header()
	h.Set("Content-Type", "application/x-tar")
	h.Set("Content-Disposition", `attachment; filename="`+af.Name+`"`)
	if af.SHA256 != "" {
		// Until the SHA-256 is worked out (in the background, once), the
		// archive goes out without: If-Range falls back to the date.
		h.Set("ETag", `"`+af.SHA256+`"`)
		h.Set("X-Archive-SHA256", af.SHA256)
	}
	w := &downloadWriter{ResponseWriter: c.Writer, rc: http.NewResponseController(c.Writer)}
	w.extend()
	http.ServeContent(w, c.Request, af.Name, af.ModTime, af.ReadSeekCloser)
	// The bytes went out through ReadFrom, past gin's count: the request
	// log takes them from here.
	c.Set(bytesSentKey, w.written)
}

// bytesSentKey holds, for a handler that writes past gin's writer, the
// bytes of the body it sent, for the request log.
const bytesSentKey = "dialect.bytes_sent"

// rangeCopier is an archive assembled from several files (corpus): it
// copies n bytes from its position to w, handing each file to w's
// ReadFrom so that sendfile(2) moves them.
type rangeCopier interface {
	CopyTo(w io.Writer, n int64) (int64, error)
}

// downloader names who is downloading, for the concurrency limit and the log.
func downloader(c *gin.Context) (key, vendorName string, tokenID, userID int64) {
	if u := currentUser(c); u != nil {
		return "u" + strconv.FormatInt(u.ID, 10), u.Username, 0, u.ID
	}
	t := currentToken(c)
	return "t" + strconv.FormatInt(t.ID, 10), t.Vendor, t.ID, 0
}

// rangeOK accepts a Range header that http.ServeContent can answer cheaply:
// bytes ranges, at most maxRanges, each non-empty, starting inside the
// file, not overlapping (H-21). Anything else is answered 416.
func rangeOK(h string, size int64) bool {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || len(h) > 1024 {
		return false
	}
	parts := strings.Split(spec, ",")
	if len(parts) > maxRanges {
		return false
	}
	type span struct{ a, b int64 }
	var spans []span
	for _, p := range parts {
		first, last, ok := strings.Cut(strings.TrimSpace(p), "-")
		if !ok {
			return false
		}
		var sp span
		switch first {
		case "":
			n, err := strconv.ParseInt(last, 10, 64)
			if err != nil || n <= 0 {
				return false
			}
			sp = span{max(size-n, 0), size - 1}
		default:
			a, err := strconv.ParseInt(first, 10, 64)
			if err != nil || a < 0 || a >= size {
				return false
			}
			b := size - 1
			if last != "" {
				if b, err = strconv.ParseInt(last, 10, 64); err != nil || b < a {
					return false
				}
				b = min(b, size-1)
			}
			sp = span{a, b}
		}
		for _, o := range spans {
			if sp.a <= o.b && o.a <= sp.b {
				return false
			}
		}
		spans = append(spans, sp)
	}
	return len(spans) > 0
}

// downloadWriter extends the connection's write deadline every MiB, so a
// live slow download goes on and a stalled one is cut within a minute
// (reliability.md C3). Its ReadFrom hands the file to net/http's own
// ReadFrom a MiB at a time, which keeps sendfile(2) in play; gin's writer
// alone would copy through a 32 KiB buffer.
type downloadWriter struct {
	gin.ResponseWriter
	rc      *http.ResponseController
	written int64
	rf      io.ReaderFrom // net/http's, found once (readerFrom)
}

const downloadChunk = 1 << 20

func (w *downloadWriter) extend() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(60 * time.Second))
}

func (w *downloadWriter) Write(p []byte) (int, error) {
	if w.written/downloadChunk != (w.written+int64(len(p)))/downloadChunk {
		w.extend()
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

func (w *downloadWriter) ReadFrom(src io.Reader) (int64, error) {
	w.WriteHeaderNow()
	base, remain := src, int64(1<<62)
	lr, limited := src.(*io.LimitedReader)
	if limited {
		base, remain = lr.R, lr.N
	}
	if rc, ok := base.(rangeCopier); ok {
		// Each of its files comes back here as a LimitedReader of an
		// *os.File, and goes on below.
		n, err := rc.CopyTo(writerFrom{w}, remain)
		if limited {
			lr.N -= n
		}
		return n, err
	}
	rf := w.readerFrom()
	if rf == nil {
		return io.Copy(writerOnly{w}, src)
	}
	var total int64
	for remain > 0 {
		w.extend()
		chunk := min(remain, downloadChunk)
		n, err := rf.ReadFrom(&io.LimitedReader{R: base, N: chunk})
		total, remain = total+n, remain-n
		w.written += n
		if limited {
			lr.N -= n
		}
		if err != nil {
			return total, err
		}
		if n < chunk {
			break // end of the source
		}
	}
	return total, nil
}

// readerFrom is net/http's own response writer beneath gin's and the
// middleware's wrappers (each Unwrap()s to the one below; gzipResponses's
// passes an archive through, and holds nothing once the header is out),
// whose ReadFrom hands an *os.File to the connection's sendfile(2); nil
// when there is none.
func (w *downloadWriter) readerFrom() io.ReaderFrom {
	if w.rf != nil {
		return w.rf
	}
	var cur http.ResponseWriter = w.ResponseWriter
	for range 8 {
		u, ok := cur.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		cur = u.Unwrap()
		if _, wrapper := cur.(gin.ResponseWriter); wrapper {
			continue
		}
		if rf, ok := cur.(io.ReaderFrom); ok {
			w.rf = rf
			return rf
		}
	}
	return nil
}

// writerOnly hides ReadFrom, so io.Copy does not recurse.
type writerOnly struct{ io.Writer }

// writerFrom is the downloadWriter as an io.Writer and io.ReaderFrom only.
type writerFrom struct{ w *downloadWriter }

func (w writerFrom) Write(p []byte) (int, error)         { return w.w.Write(p) }
func (w writerFrom) ReadFrom(r io.Reader) (int64, error) { return w.w.ReadFrom(r) }

// releaseRequest is POST /api/v1/admin/releases.
type releaseRequest struct {
	ProjectID int64 `json:"project_id"`
}

// adminCreateRelease freezes a project's accepted clips into a release.
func (s *Server) adminCreateRelease(c *gin.Context) {
	var req releaseRequest
	if !decodeJSON(c, &req) {
		return
	}
	r, err := s.createRelease(c, req.ProjectID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, r)
}

// formCreateRelease is the admin page's button (POST /stats/releases).
func (s *Server) formCreateRelease(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10)
	id, _ := strconv.ParseInt(c.PostForm("project_id"), 10, 64)
	r, err := s.createRelease(c, id)
	if err != nil {
		ae := toAPIError(err)
		if ae.Status >= 500 {
			fail(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/stats?error="+ae.Code)
		return
	}
	c.Redirect(http.StatusSeeOther, "/stats?release="+strconv.FormatInt(r.ID, 10))
}

func (s *Server) createRelease(c *gin.Context, projectID int64) (*corpus.Release, error) {
	if projectID <= 0 {
		return nil, errf(http.StatusBadRequest, "bad_project", "project_id is required", "需要 project_id")
	}
	check, _ := json.Marshal(validate.DefaultConfig())
	lint, _ := json.Marshal(transcript.DefaultConfig())
	r, err := s.db.CreateRelease(context.WithoutCancel(c.Request.Context()), projectID,
		corpus.ReleaseOptions{CheckConfig: check, LintConfig: lint})
	if err != nil {
		if errors.Is(err, corpus.ErrNotFound) {
			return nil, errf(http.StatusBadRequest, "bad_project", "no such project", "沒有這個計畫")
		}
		return nil, err
	}
	s.log.Info("release created", "by", currentUser(c).ID, "release_id", r.ID, "project_id", r.ProjectID,
		"number", r.Number, "clips", r.Clips)
	// Each format's plan and SHA-256, once, in the background; a download
	// meanwhile is served all the same.
	s.db.PrepareInBackground(r.ID)
	return r, nil
}
