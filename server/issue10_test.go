package server_test

// Issue 10, part 4: defects found by trying to break a live server (the
// server-side items; the serve and CLI items are in cmd/dialect).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// TestT17DuplicateJSONKeys (reliability.md T-17): a body that names a key
// twice is 400 with a bilingual reason and changes nothing, however the
// second one is spelled (escaped, other case); unknown fields, trailing
// data and deep nesting stay 400; a clean body still works.
func TestT17DuplicateJSONKeys(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	good := `{"dialect_region":"臺南市","age_band":"30_39","gender":"female"}`
	if r := sp.do("PUT", "/api/v1/me/profile", good, "Content-Type", "application/json"); r.status != 200 {
		t.Fatalf("clean profile: %d %s", r.status, r.body)
	}
	before := sp.do("GET", "/api/v1/me", nil).body
	for _, tc := range []struct{ name, body, code string }{
		{"same key twice", `{"dialect_region":"臺南市","age_band":"30_39","gender":"female","gender":"male"}`, "duplicate_key"},
		{"escaped twin", `{"dialect_region":"臺南市","age_band":"30_39","gender":"female","g\u0065nder":"male"}`, "duplicate_key"},
		{"other case", `{"dialect_region":"臺南市","age_band":"30_39","gender":"female","GENDER":"male"}`, "duplicate_key"},
		{"first of three", `{"age_band":"20_29","dialect_region":"臺南市","age_band":"30_39","gender":"female"}`, "duplicate_key"},
		{"unknown field", `{"dialect_region":"臺南市","age_band":"30_39","gender":"male","speaker_id":1}`, "bad_json"},
		{"trailing value", good + `{"gender":"male"}`, "bad_json"},
		{"trailing brace", good + ` }`, "bad_json"},
		{"trailing text", good + ` x`, "bad_json"},
		{"wrong type", `{"dialect_region":"臺南市","age_band":30,"gender":"male"}`, "bad_json"},
		{"not JSON", `{"dialect_region":`, "bad_json"},
		{"nested deep", strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "bad_json"},
	} {
		r := sp.do("PUT", "/api/v1/me/profile", tc.body, "Content-Type", "application/json")
		if r.status != 400 || r.errCode() != tc.code {
			t.Errorf("%s: %d %s, want 400 %s", tc.name, r.status, r.body, tc.code)
			continue
		}
		if m, _ := r.json()["error"].(map[string]any); m["message"] == "" || m["message_zh"] == "" {
			t.Errorf("%s: not in both languages: %s", tc.name, r.body)
		}
	}
	if after := sp.do("GET", "/api/v1/me", nil).body; !bytes.Equal(before, after) {
		t.Errorf("refused bodies changed the profile:\nbefore %s\nafter  %s", before, after)
	}
	// A duplicate inside a nested object, on a route that creates things:
	// refused, and nothing created.
	admin := e.signIn("admin")
	n := len(admin.do("GET", "/api/v1/admin/projects", nil).json()["projects"].([]any))
	r := admin.do("POST", "/api/v1/admin/projects", `{"name":"Dup","slug":"dup","band_quota":{"low":1,"low":5}}`, "Content-Type", "application/json")
	if r.status != 400 || r.errCode() != "duplicate_key" || !strings.Contains(string(r.body), `\"low\"`) {
		t.Errorf("nested duplicate: %d %s", r.status, r.body)
	}
	if m := len(admin.do("GET", "/api/v1/admin/projects", nil).json()["projects"].([]any)); m != n {
		t.Errorf("projects %d → %d after a refused body", n, m)
	}
	// Sign-in: two passwords, the second right: refused before any check.
	if r := e.client().do("POST", "/api/v1/session", `{"username":"ah-bin","password":"x","password":"`+testPassword+`"}`, "Content-Type", "application/json"); r.status != 400 || r.errCode() != "duplicate_key" {
		t.Errorf("sign-in with two passwords: %d %s", r.status, r.body)
	}
}

// rawRequest sends raw bytes to the test server and returns the status line
// and the rest.
func rawRequest(t *testing.T, addr, req string) (string, string) {
	t.Helper()
	conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }() // a test connection
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("%q: %v", req, err)
	}
	rest, _ := io.ReadAll(br)
	return strings.TrimSpace(status), string(rest)
}

// TestH18RequestTarget (reliability.md H-18) over a raw TCP connection to
// the server's handler on 127.0.0.1 (cmd/dialect's TestServeH18RequestTarget
// does the same against the binary): no Host on HTTP/1.0, and an
// absolute-form target, are 400 in the error shape (a page for a browser),
// a target over 8 KiB is 414; a state-changing request so refused changes
// nothing.
func TestH18RequestTarget(t *testing.T) {
	e := newEnv(t, server.Options{})
	addr := e.ts.Listener.Addr().String()
	sp := e.signIn("ah-bin")
	cookie := ""
	for _, ck := range sp.http.Jar.Cookies(mustURL(e.ts.URL)) {
		cookie = ck.Name + "=" + ck.Value
	}
	profile := `{"dialect_region":"臺南市","age_band":"30_39","gender":"female"}`
	put := func(target, host string) string {
		h := ""
		if host != "" {
			h = "Host: " + host + "\r\n"
		}
		return "PUT " + target + " HTTP/1.0\r\n" + h + "Cookie: " + cookie + "\r\nX-CSRF-Token: " + sp.csrf +
			"\r\nContent-Type: application/json\r\nContent-Length: " + itoa(int64(len(profile))) + "\r\n\r\n" + profile
	}
	for _, tc := range []struct{ name, req, status, body string }{
		{"1.0 no Host", "GET /healthz HTTP/1.0\r\n\r\n", "HTTP/1.0 400", `"code":"missing_host"`},
		{"1.0 no Host, browser", "GET /record HTTP/1.0\r\nAccept: text/html\r\n\r\n", "HTTP/1.0 400", "請求缺少 Host 標頭"},
		{"absolute-form", "GET http://evil.example/api/v1/me HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n", "HTTP/1.1 400", `"code":"bad_request_target"`},
		{"absolute-form, our host", "GET http://" + addr + "/ HTTP/1.1\r\nHost: " + addr + "\r\nAccept: text/html\r\nConnection: close\r\n\r\n", "HTTP/1.1 400", "請求目標必須是路徑"},
		{"absolute-form write", put("http://"+addr+"/api/v1/me/profile", addr), "HTTP/1.0 400", `"code":"bad_request_target"`},
		{"1.0 write without Host", put("/api/v1/me/profile", ""), "HTTP/1.0 400", `"code":"missing_host"`},
		{"1.0 with Host", "GET /healthz HTTP/1.0\r\nHost: " + addr + "\r\n\r\n", "HTTP/1.0 200", `"status":"ok"`},
		{"URL over 8 KiB", "GET /healthz?q=" + strings.Repeat("a", 8<<10) + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n", "HTTP/1.1 414", `"code":"uri_too_long"`},
		{"URL of 8 KiB", "GET /healthz?q=" + strings.Repeat("a", 8<<10-len("/healthz?q=")) + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n", "HTTP/1.1 200", `"status":"ok"`},
	} {
		status, rest := rawRequest(t, addr, tc.req)
		if !strings.HasPrefix(status, tc.status) || !strings.Contains(rest, tc.body) {
			t.Errorf("%s: %s\n%s\nwant %s with %q", tc.name, status, rest, tc.status, tc.body)
		}
		if !strings.HasSuffix(tc.status, "200") && !strings.Contains(rest, "X-Content-Type-Options: nosniff") {
			t.Errorf("%s: no security headers:\n%s", tc.name, rest)
		}
	}
	if me := sp.do("GET", "/api/v1/me", nil).json(); me["user"].(map[string]any)["dialect_region"] != nil {
		t.Errorf("a refused request changed the profile: %v", me["user"])
	}
	// The same write in origin form with a Host goes through (the cookie
	// and token were right).
	if status, rest := rawRequest(t, addr, put("/api/v1/me/profile", addr)); !strings.HasPrefix(status, "HTTP/1.0 200") {
		t.Errorf("origin-form write: %s\n%s", status, rest)
	}
}

// TestVendorSignOutRevokesToken (issue 10 item 5): DELETE /api/v1/session
// with a vendor's bearer token revokes that token (204), after which it is
// refused (401) everywhere, a second DELETE included; other tokens and
// people's sessions are untouched.
func TestVendorSignOutRevokesToken(t *testing.T) {
	e := newEnv(t, server.Options{})
	v, tok := e.vendorClient(t, "acme", e.project.ID)
	other, _ := e.vendorClient(t, "acme-2", e.project.ID)
	admin := e.signIn("admin")
	if r := v.get("/api/v1/releases"); r.status != 200 {
		t.Fatalf("token before: %d %s", r.status, r.body)
	}
	bearer := []string{"Authorization", "Bearer " + v.token}
	if r := v.c.do("DELETE", "/api/v1/session", nil, bearer...); r.status != http.StatusNoContent {
		t.Fatalf("DELETE /api/v1/session with a token: %d %s", r.status, r.body)
	}
	if r := v.get("/api/v1/releases"); r.status != 401 || r.errCode() != "unauthenticated" {
		t.Errorf("token after DELETE: %d %s, want 401", r.status, r.body)
	}
	if r := v.c.do("DELETE", "/api/v1/session", nil, bearer...); r.status != 401 {
		t.Errorf("second DELETE: %d %s, want 401", r.status, r.body)
	}
	if _, err := e.db.TokenByHash(context.Background(), tok.Hash); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("the token is still live in the corpus: %v", err)
	}
	if r := other.get("/api/v1/releases"); r.status != 200 {
		t.Errorf("another token after the DELETE: %d", r.status)
	}
	if r := admin.do("GET", "/api/v1/me", nil); r.status != 200 {
		t.Errorf("a person's session after the DELETE: %d", r.status)
	}
	// A person's DELETE still ends the session (S-12).
	if r := admin.do("DELETE", "/api/v1/session", nil); r.status != http.StatusNoContent {
		t.Fatalf("person's DELETE: %d", r.status)
	}
	if r := admin.do("GET", "/api/v1/me", nil); r.status != 401 {
		t.Errorf("session after sign-out: %d", r.status)
	}
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

// TestErrorPagesForPeople (issue 10 item 7): a page a role may not open,
// an unknown page, a missing CSRF token, a sign-in needed — each is an HTML
// page in zh-TW then English with the same status as before and a way on;
// the API and clients that ask for JSON keep the JSON shape.
func TestErrorPagesForPeople(t *testing.T) {
	e := newEnv(t, server.Options{})
	anon := e.client()
	sp := e.signIn("ah-bin")
	noCSRF := e.signIn("siu-ing")
	noCSRF.csrf = ""
	for _, tc := range []struct {
		name         string
		c            *client
		method, path string
		status       int
		code         string
		signInLink   bool
	}{
		{"reviewer page as speaker", sp, "GET", "/review", 404, "not_found", false},
		{"admin page as speaker", sp, "GET", "/stats", 404, "not_found", false},
		{"unknown page", sp, "GET", "/no-such-page", 404, "not_found", false},
		{"unknown page, anonymous", anon, "GET", "/no-such-page", 404, "not_found", true},
		{"form post, anonymous", anon, "POST", "/stats/releases", 401, "unauthenticated", true},
		{"form post without CSRF", noCSRF, "POST", "/signout", 403, "csrf", false},
		{"wrong method", sp, "DELETE", "/record", 405, "method_not_allowed", false},
	} {
		page := tc.c.do(tc.method, tc.path, nil, "Accept", browserAccept)
		body := string(page.body)
		if page.status != tc.status || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s (browser): %d %s, want %d HTML", tc.name, page.status, page.header.Get("Content-Type"), tc.status)
			continue
		}
		zh, en := strings.Index(body, `data-testid="error-message"`), strings.Index(body, `<span class="en" lang="en">`)
		if !strings.Contains(body, `data-testid="error-page"`) || zh < 0 || en < 0 || !strings.Contains(body, `href="/"`) ||
			!strings.Contains(body, tc.code) || strings.Contains(body, `{"error"`) {
			t.Errorf("%s (browser): not the bilingual error page:\n%s", tc.name, body)
		}
		if got := strings.Contains(body, `data-testid="error-signin"`); got != tc.signInLink {
			t.Errorf("%s: sign-in link shown %v, want %v", tc.name, got, tc.signInLink)
		}
		if tc.c == sp && !strings.Contains(body, "ah-bin") {
			t.Errorf("%s: the page header lost who is signed in", tc.name)
		}
		if page.header.Get("Content-Security-Policy") == "" || page.header.Get("X-Request-Id") == "" {
			t.Errorf("%s: security headers or request id missing", tc.name)
		}
		for _, accept := range []string{"application/json", "application/json, text/html;q=0.5"} {
			api := tc.c.do(tc.method, tc.path, nil, "Accept", accept)
			if api.status != tc.status || api.errCode() != tc.code {
				t.Errorf("%s (Accept: %s): %d %s, want JSON %d %s", tc.name, accept, api.status, api.body, tc.status, tc.code)
			}
		}
	}
	// The zh-TW message comes before the English one.
	body := string(sp.do("GET", "/review", nil, "Accept", browserAccept).body)
	if i, j := strings.Index(body, "找不到"), strings.Index(body, "not found"); i < 0 || j < 0 || i > j {
		t.Errorf("zh-TW should come first:\n%s", body)
	}
	// A page for someone not signed in is still a redirect to sign-in.
	if r := anon.do("GET", "/review", nil, "Accept", browserAccept); r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
		t.Errorf("anonymous page: %d %s", r.status, r.header.Get("Location"))
	}
	// /api/ answers JSON whatever the Accept header says.
	for _, path := range []string{"/api/v1/review/next", "/api/v1/no-such-route"} {
		r := sp.do("GET", path, nil, "Accept", browserAccept)
		if r.status != 404 || r.errCode() != "not_found" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Errorf("%s with a browser's Accept: %d %s", path, r.status, r.body)
		}
	}
	if r := anon.do("GET", "/api/v1/me", nil, "Accept", browserAccept); r.status != 401 || r.errCode() != "unauthenticated" {
		t.Errorf("API 401 with a browser's Accept: %d %s", r.status, r.body)
	}
	// Cross-origin form posts: refused the same way (page, or JSON on /api/).
	cross := []string{"Accept", browserAccept, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site",
		"Content-Type", "application/x-www-form-urlencoded"}
	if r := anon.do("POST", "/signin", url.Values{"username": {"x"}}.Encode(), cross...); r.status != 403 ||
		!strings.Contains(string(r.body), "拒絕跨來源請求") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("cross-origin form: %d %s", r.status, r.body)
	}
	if r := anon.do("POST", "/api/v1/session", "{}", cross...); r.status != 403 || r.errCode() != "cross_origin" {
		t.Errorf("cross-origin API: %d %s", r.status, r.body)
	}
}

// TestFavicon: /favicon.ico is an icon (ICO with a PNG inside), the SVG
// is under /assets/, and every page links them.
func TestFavicon(t *testing.T) {
	e := newEnv(t, server.Options{})
	c := e.client()
	r := c.do("GET", "/favicon.ico", nil, "Accept", "image/avif,image/webp,*/*")
	if r.status != 200 || r.header.Get("Content-Type") != "image/x-icon" || !bytes.HasPrefix(r.body, []byte{0, 0, 1, 0}) ||
		!bytes.Contains(r.body, []byte("\x89PNG")) || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("favicon.ico: %d %q % x", r.status, r.header.Get("Content-Type"), r.body[:min(len(r.body), 8)])
	}
	if r := c.do("GET", "/assets/favicon.svg", nil); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "image/svg+xml") {
		t.Errorf("favicon.svg: %d %q", r.status, r.header.Get("Content-Type"))
	}
	page := string(c.do("GET", "/signin", nil).body)
	if !regexp.MustCompile(`<link rel="icon" href="/assets/favicon\.[0-9a-f]{12}\.svg"`).MatchString(page) || !strings.Contains(page, `<link rel="icon" href="/favicon.ico"`) {
		t.Errorf("the sign-in page does not link the icon:\n%s", page)
	}
}

// TestSignInLinks: one-time links live in the corpus (so `dialect user link`
// from another process works): a link signs its account in once; a newer
// link replaces an older one; an expired one is refused; the first admin
// sign-in is recorded and voids the links serve printed, not the CLI's.
func TestSignInLinks(t *testing.T) {
	now := time.Now()
	e := newEnv(t, server.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	take := func(path string) int {
		token := strings.TrimPrefix(path, "/signin/once?token=")
		return e.client().do("POST", "/signin/once", url.Values{"token": {token}}.Encode(), "Content-Type", "application/x-www-form-urlencoded").status
	}
	issue := func(user, origin string, life time.Duration) string {
		p, err := server.IssueSignInLink(ctx, e.db, e.users[user].ID, origin, life)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A speaker who lost a password: the CLI's link works once.
	l := issue("ah-bin", corpus.LinkCLI, time.Hour)
	if s := take(l); s != http.StatusSeeOther {
		t.Errorf("speaker link: %d", s)
	}
	if s := take(l); s != http.StatusGone {
		t.Errorf("speaker link again: %d", s)
	}
	old, newer := issue("siu-ing", corpus.LinkCLI, time.Hour), issue("siu-ing", corpus.LinkCLI, time.Hour)
	if s := take(old); s != http.StatusGone {
		t.Errorf("replaced link: %d", s)
	}
	if s := take(newer); s != http.StatusSeeOther {
		t.Errorf("newer link: %d", s)
	}
	short, err := server.IssueSignInLink(ctx, e.db, e.users["reviewer"].ID, corpus.LinkCLI, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // the corpus clock is the wall clock
	if s := take(short); s != http.StatusGone {
		t.Errorf("expired link: %d", s)
	}
	r := e.client().do("POST", "/signin/once", url.Values{"token": {"not-a-token"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != http.StatusGone || !strings.Contains(string(r.body), "dialect user link") || !strings.Contains(string(r.body), "請在伺服器上執行") {
		t.Errorf("unknown token: %d\n%s", r.status, r.body)
	}

	// The first admin sign-in (by password here) is recorded and voids the
	// link serve printed; a CLI link for the admin made before still works.
	if in, err := e.db.AdminHasSignedIn(ctx); err != nil || in {
		t.Fatalf("admin signed in before anyone did: %v %v", in, err)
	}
	served := issue("admin", corpus.LinkServe, 24*time.Hour)
	cli := issue("reviewer", corpus.LinkCLI, time.Hour)
	e.signIn("admin")
	if in, err := e.db.AdminHasSignedIn(ctx); err != nil || !in {
		t.Fatalf("the admin's sign-in was not recorded: %v %v", in, err)
	}
	if s := take(served); s != http.StatusGone {
		t.Errorf("serve's link after the admin signed in: %d", s)
	}
	if s := take(cli); s != http.StatusSeeOther {
		t.Errorf("a CLI link after the admin signed in: %d", s)
	}
	// A disabled account gets no link, and its link stops working.
	l = issue("siu-ing", corpus.LinkCLI, time.Hour)
	if err := e.db.SetDisabled(ctx, e.users["siu-ing"].ID, true); err != nil {
		t.Fatal(err)
	}
	if s := take(l); s != http.StatusGone {
		t.Errorf("a disabled account's link: %d", s)
	}
	if _, err := server.IssueSignInLink(ctx, e.db, e.users["siu-ing"].ID, corpus.LinkCLI, time.Hour); !errors.Is(err, corpus.ErrInvalid) {
		t.Errorf("link for a disabled account: %v", err)
	}
}
