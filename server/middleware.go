package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const jsonBodyLimit = 1 << 20

func (s *Server) requestID(c *gin.Context) {
	id := newRequestID()
	c.Set("request_id", id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString("request_id") }

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recoverJSON turns a panic into a generic 500 with the request id; the
// stack goes to the log, never to the client (S-22).
func (s *Server) recoverJSON(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(p)
			}
			s.log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				c.Abort()
				s.writeError(c.Writer, c.Request, errInternal, requestID(c), nil, "")
			}
		}
	}()
	c.Next()
}

// maxRequestURI bounds the request target (H-18): none of ours comes near.
const maxRequestURI = 8 << 10

// checkTarget refuses what an origin server should not serve (H-18): a
// request without a Host (HTTP/1.0 lets one through net/http), an
// absolute-form target ("GET http://other/ HTTP/1.1", meant for a proxy;
// net/http would serve it as if it were ours), and a target over 8 KiB
// (414). "OPTIONS *" never gets here: net/http answers it.
func (s *Server) checkTarget(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ae *apiError
		switch {
		case r.Host == "":
			ae = errNoHost
		case !strings.HasPrefix(r.RequestURI, "/"):
			ae = errAbsoluteTarget
		case len(r.RequestURI) > maxRequestURI:
			ae = errURITooLong
		default:
			next.ServeHTTP(w, r)
			return
		}
		id := newRequestID()
		setSecurityHeaders(w.Header(), true)
		w.Header().Set("X-Request-Id", id)
		w.Header().Set("Connection", "close")
		s.log.Warn("request refused", "request_id", id, "method", r.Method, "proto", r.Proto,
			"status", ae.Status, "error", ae.Code, "ip", s.clientAddr(r))
		s.writeError(w, r, ae, id, nil, "")
	})
}

// setSecurityHeaders writes the headers every response carries
// (reliability.md C5). The microphone stays allowed for our own origin:
// `microphone=()` would break the recorder. script-src adds only
// 'wasm-unsafe-eval' to 'self': the room check compiles our own
// roomcheck.wasm (validate/ in the browser); no inline script, no eval.
func setSecurityHeaders(h http.Header, api bool) {
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; media-src 'self' blob:; worker-src 'self' blob:")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "microphone=(self), camera=(), geolocation=()")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if api {
		h.Set("Cache-Control", "no-store")
	}
}

func (s *Server) securityHeaders(c *gin.Context) {
	setSecurityHeaders(c.Writer.Header(), strings.HasPrefix(c.Request.URL.Path, "/api/"))
	if clientFrom(c).HTTPS {
		c.Header("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	c.Next()
}

func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Next()
}

// logRequests writes one structured line per request. Cookies,
// Authorization and query strings (one-time tokens) are never logged; slog
// escapes every field, so a username with a newline cannot forge a line
// (S-23).
func (s *Server) logRequests(c *gin.Context) {
	start := s.opts.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	size := int64(c.Writer.Size())
	if n, ok := c.Get(bytesSentKey); ok { // written past gin's writer (downloads)
		size, _ = n.(int64)
	}
	attrs := []any{
		"request_id", requestID(c), "method", c.Request.Method, "route", route,
		"path", c.Request.URL.Path, "status", c.Writer.Status(), "bytes", size,
		"ms", float64(s.opts.Now().Sub(start).Microseconds()) / 1000, "ip", clientIP(c),
	}
	if ci := clientFrom(c); ci.Proxied {
		// Through a trusted proxy: its address, and the scheme it reports.
		attrs = append(attrs, "via", ci.Peer.String(), "https", ci.HTTPS)
	}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user_id", u.ID)
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, "error", c.Errors[0].Err.Error())
	}
	s.log.Info("request", attrs...)
}

// jsonLimit bounds a JSON body at 1 MiB.
var jsonLimit = limitBody(jsonBodyLimit, "1 MiB", 30*time.Second)

// limitBody bounds a request body at n bytes (label says how much, for the
// message) and sets read and write deadlines. Compressed bodies are refused:
// no transparent decompression, so no decompression bomb (H-20).
func limitBody(n int64, label string, deadline time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.Header.Get("Content-Encoding") != "" {
			fail(c, errf(http.StatusUnsupportedMediaType, "encoded_body", "compressed request bodies are not accepted", "不接受壓縮過的請求內容"))
			return
		}
		if c.Request.ContentLength > n {
			fail(c, errf(http.StatusRequestEntityTooLarge, "too_large", "the request body is larger than "+label, "請求內容超過 "+label))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		rc := http.NewResponseController(c.Writer)
		_ = rc.SetReadDeadline(time.Now().Add(deadline))
		_ = rc.SetWriteDeadline(time.Now().Add(deadline))
		c.Next()
	}
}

// isJSON reports whether the request says it carries JSON.
func isJSON(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return ct == "" || strings.HasPrefix(ct, "application/json")
}
