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
	var b [8]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	c.Set("request_id", id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString("request_id") }

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
				c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"error": errInternal, "request_id": requestID(c)})
			}
		}
	}()
	c.Next()
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
	if c.Request.TLS != nil {
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
	attrs := []any{
		"request_id", requestID(c), "method", c.Request.Method, "route", route,
		"path", c.Request.URL.Path, "status", c.Writer.Status(), "bytes", c.Writer.Size(),
		"ms", float64(s.opts.Now().Sub(start).Microseconds()) / 1000, "ip", clientIP(c),
	}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user_id", u.ID)
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, "error", c.Errors[0].Err.Error())
	}
	s.log.Info("request", attrs...)
}

// clientIP is the socket's address: no proxy is trusted (S-15).
func clientIP(c *gin.Context) string { return c.RemoteIP() }

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
