package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// get sends a GET with the given Cookie header and returns the status.
func getWithCookie(t *testing.T, hc *http.Client, url, cookie string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close() // drained above
	return resp.StatusCode
}

// sessionToken signs username in and returns the raw value of the cookie
// the server set, and the cookie's attributes as sent.
func sessionToken(t *testing.T, hc *http.Client, base, username string) (name, value, setCookie string) {
	t.Helper()
	body := strings.NewReader(`{"username":"` + username + `","password":"` + testPassword + `"}`)
	req, err := http.NewRequestWithContext(t.Context(), "POST", base+"/api/v1/session", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the cookie matters
	if resp.StatusCode != 200 {
		t.Fatalf("sign in %s: %d", username, resp.StatusCode)
	}
	cks := resp.Cookies()
	if len(cks) != 1 {
		t.Fatalf("sign in set %d cookies, want 1", len(cks))
	}
	return cks[0].Name, cks[0].Value, resp.Header.Get("Set-Cookie")
}

// TestSessionCookieOnlyTheApplicableName: with secure cookies (a TLS
// origin, or secure_cookies behind a proxy) a session id presented in a
// plain "sid" cookie signs nobody in, so a cookie planted by a sibling
// subdomain or over plain HTTP cannot sign a victim into the planter's
// account. Without them, only "sid" counts.
func TestSessionCookieOnlyTheApplicableName(t *testing.T) {
	t.Run("secure_cookies", func(t *testing.T) {
		e := newEnv(t, server.Options{SecureCookies: true})
		hc := e.ts.Client()
		name, v, _ := sessionToken(t, hc, e.ts.URL, "ah-bin")
		if name != "__Host-sid" {
			t.Fatalf("cookie %s, want __Host-sid", name)
		}
		if got := getWithCookie(t, hc, e.ts.URL+"/api/v1/me", "__Host-sid="+v); got != 200 {
			t.Fatalf("__Host-sid: %d, want 200", got)
		}
		// The attacker's own valid session, planted as "sid".
		if got := getWithCookie(t, hc, e.ts.URL+"/api/v1/me", "sid="+v); got != 401 {
			t.Fatalf("planted sid with secure cookies on: %d, want 401", got)
		}
		// Planted first, beside an empty __Host-sid: still nobody.
		if got := getWithCookie(t, hc, e.ts.URL+"/api/v1/me", "sid="+v+"; __Host-sid="); got != 401 {
			t.Fatalf("planted sid beside an empty __Host-sid: %d, want 401", got)
		}
	})
	t.Run("tls", func(t *testing.T) {
		e := newEnv(t, server.Options{})
		ts := httptest.NewTLSServer(e.srv.Handler())
		t.Cleanup(ts.Close)
		hc := ts.Client()
		name, v, _ := sessionToken(t, hc, ts.URL, "ah-bin")
		if name != "__Host-sid" {
			t.Fatalf("cookie over TLS %s, want __Host-sid", name)
		}
		if got := getWithCookie(t, hc, ts.URL+"/api/v1/me", "__Host-sid="+v); got != 200 {
			t.Fatalf("__Host-sid over TLS: %d, want 200", got)
		}
		if got := getWithCookie(t, hc, ts.URL+"/api/v1/me", "sid="+v); got != 401 {
			t.Fatalf("plain sid over TLS: %d, want 401", got)
		}
	})
	t.Run("plain_http", func(t *testing.T) {
		e := newEnv(t, server.Options{})
		hc := e.ts.Client()
		name, v, _ := sessionToken(t, hc, e.ts.URL, "ah-bin")
		if name != "sid" {
			t.Fatalf("cookie over plain HTTP %s, want sid", name)
		}
		if got := getWithCookie(t, hc, e.ts.URL+"/api/v1/me", "sid="+v); got != 200 {
			t.Fatalf("sid over plain HTTP: %d, want 200", got)
		}
		if got := getWithCookie(t, hc, e.ts.URL+"/api/v1/me", "__Host-sid="+v); got != 401 {
			t.Fatalf("__Host-sid over plain HTTP: %d, want 401", got)
		}
	})
}

// TestTLSImpliesSecureCookiesAndHSTS: over TLS, with no setting, every
// response carries HSTS and the session cookie is __Host-sid, Secure,
// HttpOnly, Path=/, without Domain; plain HTTP gets no HSTS.
func TestTLSImpliesSecureCookiesAndHSTS(t *testing.T) {
	e := newEnv(t, server.Options{})
	ts := httptest.NewTLSServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	hc := ts.Client()
	jar, _ := cookiejar.New(nil)
	hc.Jar = jar
	_, _, set := sessionToken(t, hc, ts.URL, "ah-bin")
	for _, want := range []string{"__Host-sid=", "Secure", "HttpOnly", "Path=/", "SameSite=Lax"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(strings.ToLower(set), "domain=") {
		t.Errorf("Set-Cookie %q has a Domain", set)
	}
	for _, path := range []string{"/signin", "/api/v1/me", "/no-such-page"} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+path, nil)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // headers only
		if h := resp.Header.Get("Strict-Transport-Security"); h != "max-age=63072000; includeSubDomains" {
			t.Errorf("%s over TLS: Strict-Transport-Security %q", path, h)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", e.ts.URL+"/signin", nil)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // headers only
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("plain HTTP carries Strict-Transport-Security %q", h)
	}
}

// TestRedirectHTTPS: the plain-HTTP side sends GET and HEAD to the same
// host and path over HTTPS (the port left out when it is 443), and refuses
// other methods with a bilingual error rather than following them.
func TestRedirectHTTPS(t *testing.T) {
	cases := []struct {
		port, method, host, target string
		status                     int
		want                       string
	}{
		{"443", "GET", "corpus.example.org", "/record?x=1", 308, "https://corpus.example.org/record?x=1"},
		{"", "HEAD", "corpus.example.org:80", "/", 308, "https://corpus.example.org/"},
		{"8443", "GET", "dialect.test:8080", "/signin", 308, "https://dialect.test:8443/signin"},
		{"443", "GET", "[::1]:80", "/a", 308, "https://[::1]/a"},
		{"443", "POST", "corpus.example.org", "/api/v1/session", 400, ""},
	}
	for _, c := range cases {
		req := httptest.NewRequestWithContext(context.Background(), c.method, "http://"+c.host+c.target, nil)
		req.Host = c.host
		w := httptest.NewRecorder()
		server.RedirectHTTPS(c.port).ServeHTTP(w, req)
		if w.Code != c.status || w.Header().Get("Location") != c.want {
			t.Errorf("%s %s%s (https port %q): %d Location %q; want %d %q", c.method, c.host, c.target, c.port, w.Code, w.Header().Get("Location"), c.status, c.want)
		}
		body := w.Body.String()
		switch {
		case c.method == "GET" && (!strings.Contains(body, "請改用") || !strings.Contains(body, "Use the secure address")):
			t.Errorf("redirect body is not bilingual: %q", body)
		case c.status == 400 && (!strings.Contains(body, `"code":"https_required"`) || !strings.Contains(body, "message_zh")):
			t.Errorf("refusal body: %q", body)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no security headers", c.method, c.host)
		}
	}
}

// protoCount counts responses that did not come over HTTP/2.
type protoCount struct {
	rt    http.RoundTripper
	other atomic.Int32
}

func (p *protoCount) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := p.rt.RoundTrip(r)
	if err == nil && resp.ProtoMajor != 2 {
		p.other.Add(1)
	}
	return resp, err
}

// TestTusAndClipsOverHTTP2: serving TLS itself the server offers HTTP/2,
// which phones then use; a resumable upload (its per-request deadlines
// and chunked PATCHes) and a clip POST work over it, and the session is the
// __Host- cookie.
func TestTusAndClipsOverHTTP2(t *testing.T) {
	e := newEnv(t, server.Options{})
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	t.Cleanup(ts.Close)
	e.ts = ts
	pc := &protoCount{rt: ts.Client().Transport}
	sp := e.client()
	sp.http.Transport = pc
	r := sp.do("POST", "/api/v1/session", map[string]string{"username": "ah-bin", "password": testPassword})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Set-Cookie"), "__Host-sid=") {
		t.Fatalf("sign in over HTTP/2: %d %q", r.status, r.header.Get("Set-Cookie"))
	}
	sp.csrf = r.json()["csrf_token"].(string)
	task := e.monologueTask("ah-bin", "low")
	audio := monologue(7)
	loc := sp.create(task, uuid(71), "low", int64(len(audio)), sha256hex(audio))
	half := len(audio) / 2
	if r := sp.patch(loc, 0, audio[:half]); r.status != 204 {
		t.Fatalf("PATCH 1 over HTTP/2: %d %s", r.status, r.body)
	}
	if got := sp.offset(loc); got != int64(half) {
		t.Fatalf("HEAD over HTTP/2: offset %d, want %d", got, half)
	}
	r = sp.patch(loc, int64(half), audio[half:])
	if r.status != 204 || r.header.Get("Clip-Status") != "pending_review" {
		t.Fatalf("last PATCH over HTTP/2: %d %v %s", r.status, r.header, r.body)
	}
	if r := sp.upload(uuid(72), task, "low", "", monologue(8)); r.status != 201 {
		t.Fatalf("clip POST over HTTP/2: %d %s", r.status, r.body)
	}
	if n := pc.other.Load(); n != 0 {
		t.Fatalf("%d responses did not come over HTTP/2", n)
	}
	e.mustAudit()
}
