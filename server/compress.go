package server

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// Pages and JSON are compressed on the fly with the standard library's
// gzip, for clients that accept it: a page of 10–40 KB (a speaker's home
// page with a few hundred receipts, the statistics, the review page) or a
// waveform's peaks becomes a fifth of that, which a phone on a weak network
// feels. Static files are not compressed here: they were compressed once at
// start-up (assets.Bundle) and arrive with their Content-Encoding already
// set, which this leaves alone, as it leaves audio, archives, tus and any
// ranged answer.

// minGzip is the size below which a response goes as it is: gzip's header
// and the work would cost more than they save.
const minGzip = 1 << 10

// gzipLevel trades a little size for speed: level 5 is within a few percent
// of the best on HTML and JSON at about a third of its CPU.
const gzipLevel = 5

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel) // a valid level: no error
	return w
}}

// compressible is the media types compressed on the fly.
func compressible(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "text/html", "application/json", "text/csv", "text/plain":
		return true
	}
	return false
}

// acceptsGzip reports whether r's Accept-Encoding accepts gzip (RFC 9110
// §12.5.3: by name or by *, with a quality above zero).
func acceptsGzip(r *http.Request) bool {
	best, spec := 0.0, -1
	for _, line := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(line, ",") {
			params := strings.Split(part, ";")
			name := strings.ToLower(strings.TrimSpace(params[0]))
			s := -1
			switch name {
			case "gzip", "x-gzip":
				s = 1
			case "*":
				s = 0
			}
			if s <= spec {
				continue
			}
			q := 1.0
			for _, p := range params[1:] {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					q = 0
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			best, spec = q, s
		}
	}
	return best > 0
}

// gzipResponses wraps the response of every route: a compressible response
// (compressible, no Content-Encoding or Content-Range of its own, a status
// with a body) of at least minGzip bytes goes gzip-encoded to a client that
// accepts it, with Vary: Accept-Encoding either way. Anything else passes
// through untouched. A HEAD request is left alone.
func (s *Server) gzipResponses(c *gin.Context) {
	if c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	w := &gzipWriter{ResponseWriter: c.Writer, accept: acceptsGzip(c.Request)}
	c.Writer = w
	// On a panic the outer middleware (recoverJSON) writes through the
	// writer it knows; what was held here is dropped.
	defer func() { c.Writer = w.ResponseWriter }()
	c.Next()
	w.finish()
}

// gzipWriter holds the first minGzip bytes of a response to decide whether
// to compress it, then compresses or passes through.
type gzipWriter struct {
	gin.ResponseWriter
	accept  bool
	checked bool // eligible has looked at the headers
	ok      bool // and found the response may be compressed
	decided bool
	held    []byte
	zw      *gzip.Writer // set when compressing
}

// eligible decides once, from the headers the handler set before its first
// write, whether the response may be compressed; it adds Vary for any
// compressible type.
func (w *gzipWriter) eligible() bool {
	if !w.checked {
		w.checked = true
		w.ok = w.check()
	}
	return w.ok
}

func (w *gzipWriter) check() bool {
	h := w.Header()
	if w.ResponseWriter.Written() { // the headers are gone (WriteHeaderNow)
		return false
	}
	if !compressible(h.Get("Content-Type")) || h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" {
		return false
	}
	switch st := w.Status(); {
	case st < 200, st == http.StatusNoContent, st == http.StatusNotModified, st == http.StatusPartialContent:
		return false
	}
	h.Add("Vary", "Accept-Encoding")
	return w.accept
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.decided {
		if !w.eligible() {
			w.decided = true
			if err := w.flushHeld(); err != nil {
				return 0, err
			}
			return w.ResponseWriter.Write(p)
		}
		w.held = append(w.held, p...)
		if len(w.held) < minGzip {
			return len(p), nil
		}
		if err := w.startGzip(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if w.zw != nil {
		return w.zw.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// startGzip switches to compressing: headers, then what was held.
func (w *gzipWriter) startGzip() error {
	w.decided = true
	h := w.Header()
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	h.Del("Accept-Ranges")
	zw, _ := gzipPool.Get().(*gzip.Writer)
	zw.Reset(w.ResponseWriter)
	w.zw = zw
	held := w.held
	w.held = nil
	_, err := zw.Write(held)
	return err
}

// flushHeld writes what was held as it is.
func (w *gzipWriter) flushHeld() error {
	if len(w.held) == 0 {
		return nil
	}
	held := w.held
	w.held = nil
	_, err := w.ResponseWriter.Write(held)
	return err
}

// Flush sends what there is now: a held response is compressed when it may
// be (the handler wants it to arrive, so it will not be small and whole).
func (w *gzipWriter) Flush() {
	if !w.decided && len(w.held) > 0 {
		if w.eligible() {
			_ = w.startGzip() // a write error shows on the next write
		} else {
			w.decided = true
			_ = w.flushHeld()
		}
	}
	if w.zw != nil {
		_ = w.zw.Flush()
	}
	w.ResponseWriter.Flush()
}

// finish ends the response: a held, small response goes as it is; a
// compressed one gets its gzip trailer.
func (w *gzipWriter) finish() {
	if !w.decided {
		w.decided = true
		_ = w.flushHeld() // the client may be gone; nothing else to tell it
	}
	if w.zw != nil {
		_ = w.zw.Close()
		w.zw.Reset(nil)
		gzipPool.Put(w.zw)
		w.zw = nil
	}
}

// Written counts held bytes as written: the handler has begun its answer.
func (w *gzipWriter) Written() bool { return len(w.held) > 0 || w.ResponseWriter.Written() }

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
