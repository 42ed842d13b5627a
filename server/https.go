package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
)

// ServeTLS is Serve over TLS: cfg supplies the certificate (its
// GetCertificate, so a renewed one is served without a restart), and
// HTTP/2 is offered besides HTTP/1.1. Every request then arrives with
// r.TLS set, which turns on HSTS and the __Host- session cookie.
func (s *Server) ServeTLS(ctx context.Context, ln net.Listener, cfg *tls.Config) error {
	return s.serve(ctx, ln, cfg)
}

// RedirectHTTPS is the plain-HTTP side of a server that serves HTTPS
// itself (server.http_addr): GET and HEAD are sent, with a permanent
// redirect, to the same host and path over HTTPS on httpsPort (left out
// when it is 443); any other method gets 400, so a form is never silently
// re-posted from an insecure page. The answer carries both languages.
// ACME HTTP-01 challenges are answered in front of it (autocert).
func RedirectHTTPS(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header(), false)
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			writeJSONError(w, errf(http.StatusBadRequest, "https_required",
				"this server answers only over HTTPS", "這個伺服器只接受 HTTPS 連線"))
			return
		}
		if httpsPort != "" && httpsPort != "443" {
			host = net.JoinHostPort(host, httpsPort)
		} else if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			host = "[" + host + "]"
		}
		target := "https://" + host + r.URL.RequestURI()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeJSONError(w, errf(http.StatusBadRequest, "https_required",
				"this server answers only over HTTPS: use "+target, "這個伺服器只接受 HTTPS 連線，請改用 "+target))
			return
		}
		w.Header().Set("Location", target)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusPermanentRedirect)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte("請改用安全連線（https://）。\nUse the secure address (https://).\n"))
		}
	})
}

// writeJSONError writes e as the API's error body, outside gin.
func writeJSONError(w http.ResponseWriter, e *apiError) {
	b, _ := json.Marshal(map[string]*apiError{"error": e})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}
