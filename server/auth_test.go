package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// routeAccess is who may call each route. S-01: a route the router has and
// this table lacks fails the test, so no route ships without a decision.
var routeAccess = map[string]string{
	"GET /":                                   "public",
	"GET /signin":                             "public",
	"POST /signin":                            "public",
	"POST /signout":                           "speaker reviewer admin",
	"GET /signin/once":                        "public",
	"POST /signin/once":                       "public",
	"POST /account/password":                  "speaker reviewer admin",
	"GET /assets/*path":                       "public",
	"GET /favicon.ico":                        "public",
	"GET /record":                             "speaker",
	"GET /healthz":                            "public",
	"POST /api/v1/session":                    "public",
	"DELETE /api/v1/session":                  "speaker reviewer admin vendor",
	"GET /api/v1/me":                          "speaker reviewer admin",
	"PUT /api/v1/me/profile":                  "speaker",
	"POST /api/v1/consent":                    "speaker",
	"GET /api/v1/tasks/next":                  "speaker",
	"POST /api/v1/clips":                      "speaker",
	"GET /api/v1/clips":                       "speaker",
	"GET /api/v1/clips/:id":                   "speaker",
	"GET /api/v1/clips/:id/audio":             "speaker",
	"POST /api/v1/lint":                       "speaker reviewer admin",
	"OPTIONS /api/v1/uploads":                 "speaker",
	"POST /api/v1/uploads":                    "speaker",
	"HEAD /api/v1/uploads/:id":                "speaker",
	"PATCH /api/v1/uploads/:id":               "speaker",
	"DELETE /api/v1/uploads/:id":              "speaker",
	"GET /api/v1/uploads/:id":                 "speaker",
	"GET /api/v1/admin/projects":              "admin",
	"POST /api/v1/admin/projects":             "admin",
	"POST /api/v1/admin/projects/:id/prompts": "admin",
	"POST /api/v1/admin/users":                "admin",
	"GET /review":                             "reviewer",
	"POST /clips/:id/appeal":                  "speaker",
	"POST /api/v1/clips/:id/appeal":           "speaker",
	"GET /api/v1/me/ledger":                   "speaker",
	"GET /api/v1/me/ledger.csv":               "speaker",
	"GET /api/v1/review/next":                 "reviewer",
	"GET /api/v1/review/reasons":              "speaker reviewer admin",
	"POST /api/v1/review/:id":                 "reviewer",
	"GET /api/v1/review/:id/audio":            "reviewer",
	"POST /api/v1/admin/clips/:id/override":   "admin",
	"GET /stats":                              "admin",
	"POST /stats/releases":                    "admin",
	"POST /api/v1/admin/releases":             "admin",
	"GET /api/v1/releases":                    "vendor admin",
	"GET /api/v1/releases/:id/download":       "vendor admin",

	// Transcription (issue 7): transcribe.May decides per clip.
	"GET /transcribe/:id":                       "speaker reviewer admin",
	"GET /api/v1/clips/:id/segments/proposed":   "speaker reviewer admin",
	"GET /api/v1/clips/:id/peaks":               "speaker reviewer admin",
	"GET /api/v1/clips/:id/transcription/audio": "speaker reviewer admin",
	"GET /api/v1/clips/:id/transcription/draft": "speaker reviewer admin",
	"PUT /api/v1/clips/:id/transcription/draft": "speaker reviewer admin",
	"GET /api/v1/clips/:id/transcription":       "speaker reviewer admin",
	"POST /api/v1/clips/:id/transcription":      "speaker reviewer admin",
}

// TestRouteRoleMatrix calls every route as anonymous and as each role.
// Allowed callers get past authorization (whatever the handler then says
// of an empty body); others get 401 (anonymous) or 404 (signed in).
func TestRouteRoleMatrix(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	clients := map[string]*client{"anonymous": e.client()}
	for _, r := range []string{"speaker", "reviewer", "admin"} {
		name := map[string]string{"speaker": "ah-bin", "reviewer": "reviewer", "admin": "admin"}[r]
		clients[r] = e.signIn(name)
	}
	for _, rt := range e.srv.Routes() {
		key := rt.Method + " " + rt.Path
		allowed, ok := routeAccess[key]
		if !ok {
			t.Errorf("route %s has no entry in routeAccess: decide who may call it", key)
			continue
		}
		path := strings.NewReplacer(":id", "00000000000000000000000000000000", "*path", "app.css").Replace(rt.Path)
		for role, c := range clients {
			if rt.Method == "POST" && (rt.Path == "/signout" || rt.Path == "/api/v1/session") || rt.Method == "DELETE" {
				continue // these end or start sessions; covered below
			}
			r := c.do(rt.Method, path, nil)
			may := allowed == "public" || strings.Contains(allowed, role)
			switch {
			case may && (r.errCode() == "unauthenticated" || (r.errCode() == "not_found" && !strings.Contains(rt.Path, ":id"))):
				t.Errorf("%s as %s: %d %s, want access", key, role, r.status, r.body)
			case !may && role == "anonymous" && rt.Method == "GET" && !strings.HasPrefix(rt.Path, "/api/"):
				if r.status != http.StatusSeeOther || r.header.Get("Location") != "/signin" {
					t.Errorf("page %s as anonymous: %d, want a redirect to /signin", key, r.status)
				}
			case !may && role == "anonymous" && r.status != 401:
				t.Errorf("%s as anonymous: %d, want 401", key, r.status)
			case !may && role != "anonymous" && r.status != 404:
				t.Errorf("%s as %s: %d, want 404", key, role, r.status)
			}
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	token := sp.csrf
	sp.csrf = ""
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}); r.status != 403 || r.errCode() != "csrf" {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	sp.csrf = "wrong" + token[5:]
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}); r.status != 403 {
		t.Fatalf("wrong token: %d", r.status)
	}
	sp.csrf = token
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); r.status != 403 {
		t.Fatalf("cross-site: %d %s", r.status, r.body)
	}
	if r := sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}, "Sec-Fetch-Site", "same-origin"); r.status != 200 {
		t.Fatalf("same-origin: %d %s", r.status, r.body)
	}
	u, _ := e.db.User(t.Context(), e.users["ah-bin"].ID)
	if u.ConsentVersion != 1 {
		t.Fatalf("consent not recorded")
	}
}

func TestSessionCookieAndLifecycle(t *testing.T) {
	e := newEnv(t, server.Options{})
	c := e.client()
	r := c.do("POST", "/api/v1/session", map[string]string{"username": "ah-bin", "password": testPassword})
	ck := r.header.Get("Set-Cookie")
	for _, want := range []string{"sid=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, "Domain") {
		t.Errorf("cookie has a Domain: %q", ck)
	}
	c.csrf = r.json()["csrf_token"].(string)
	old := c.http.Jar.Cookies(mustURL(e.ts.URL))
	if r := c.do("DELETE", "/api/v1/session", nil); r.status != 204 {
		t.Fatalf("sign out: %d", r.status)
	}
	// Replaying the old cookie after sign-out: 401 (S-12).
	replay := e.client()
	replay.http.Jar.SetCookies(mustURL(e.ts.URL), old)
	if r := replay.do("GET", "/api/v1/me", nil); r.status != 401 {
		t.Fatalf("replayed cookie: %d", r.status)
	}

	secure := newEnv(t, server.Options{SecureCookies: true})
	r = secure.client().do("POST", "/api/v1/session", map[string]string{"username": "ah-bin", "password": testPassword})
	if ck := r.header.Get("Set-Cookie"); !strings.HasPrefix(ck, "__Host-sid=") || !strings.Contains(ck, "Secure") {
		t.Fatalf("secure cookie %q", ck)
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	e := newEnv(t, server.Options{})
	a, b := e.signIn("ah-bin"), e.signIn("ah-bin")
	form := url.Values{"csrf_token": {a.csrf}, "password": {"a new long passphrase"}}.Encode()
	r := a.do("POST", "/account/password", form, "Content-Type", "application/x-www-form-urlencoded")
	if r.status != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	if r := b.do("GET", "/api/v1/me", nil); r.status != 401 {
		t.Fatalf("other session after password change: %d", r.status)
	}
	me := a.do("GET", "/api/v1/me", nil)
	if me.status != 200 {
		t.Fatalf("the changing session: %d", me.status)
	}
	a.csrf = me.json()["csrf_token"].(string) // a new session, a new token
	form = url.Values{"csrf_token": {a.csrf}, "password": {"password123"}}.Encode()
	if r := a.do("POST", "/account/password", form, "Content-Type", "application/x-www-form-urlencoded"); r.status != 400 {
		t.Fatalf("common password accepted: %d", r.status)
	}
}

func TestLoginDefences(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	c := e.client()
	bad := func(user string) response {
		return c.do("POST", "/api/v1/session", map[string]string{"username": user, "password": "wrong password"})
	}
	known, unknown := bad("ah-bin"), bad("nobody-here")
	if known.status != 401 || unknown.status != 401 || string(known.json()["error"].(map[string]any)["message"].(string)) != unknown.json()["error"].(map[string]any)["message"] {
		t.Fatalf("known %d %s / unknown %d %s", known.status, known.body, unknown.status, unknown.body)
	}
	for range 4 {
		bad("ah-bin")
	}
	r := bad("ah-bin")
	if r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("after 6 failures: %d %v", r.status, r.header)
	}
	// Even the right password waits out the backoff.
	if r := c.do("POST", "/api/v1/session", map[string]string{"username": "ah-bin", "password": testPassword}); r.status != 429 {
		t.Fatalf("right password during backoff: %d", r.status)
	}

	e2 := newEnv(t, server.Options{LoginPerIPPerMinute: 2})
	c2 := e2.client()
	codes := []int{}
	for range 6 {
		codes = append(codes, c2.do("POST", "/api/v1/session", map[string]string{"username": "x", "password": "y"}, "X-Forwarded-For", "10.0.0.9").status)
	}
	if codes[3] != 401 || codes[4] != 429 {
		t.Fatalf("per-IP limit (burst 4, XFF ignored): %v", codes)
	}
}

func TestJSONStrictness(t *testing.T) {
	e := newEnv(t, server.Options{})
	sp := e.signIn("ah-bin")
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"dialect_region":"臺南市","age_band":"20_29","gender":"female","speaker_id":2}`, 400},
		{`{"dialect_region":"臺南市","age_band":"20_29","gender":"female"} {}`, 400},
		{`{"dialect_region":1}`, 400},
		{`not json`, 400},
		{`{"dialect_region":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
		{`{"dialect_region":"火星","age_band":"20_29","gender":"female"}`, 400},
	} {
		r := sp.do("PUT", "/api/v1/me/profile", tt.body, "Content-Type", "application/json")
		if r.status != tt.status {
			t.Errorf("%.60s: %d %s, want %d", tt.body, r.status, r.body, tt.status)
		}
	}
	u, _ := e.db.User(t.Context(), e.users["ah-bin"].ID)
	if u.DialectRegion != "" {
		t.Fatalf("profile changed by a refused request: %+v", u)
	}
}

func TestPageSignIn(t *testing.T) {
	e := newEnv(t, server.Options{})
	c := e.client()
	page := c.do("GET", "/signin", nil)
	for _, id := range []string{`data-testid="username"`, `data-testid="password"`, `data-testid="sign-in"`} {
		if !strings.Contains(string(page.body), id) {
			t.Errorf("sign-in page lacks %s", id)
		}
	}
	r := c.do("POST", "/signin", url.Values{"username": {"ah-bin"}, "password": {"nope nope nope"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != 401 || !strings.Contains(string(r.body), "帳號或密碼錯誤") {
		t.Fatalf("wrong password page: %d", r.status)
	}
	r = c.do("POST", "/signin", url.Values{"username": {"ah-bin"}, "password": {testPassword}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %v", r.status, r.header)
	}
	if r := c.do("GET", "/", nil); r.status != 200 || !strings.Contains(string(r.body), "我的錄音") {
		t.Fatalf("home: %d", r.status)
	}
}

func TestOneTimeAdminLink(t *testing.T) {
	e := newEnv(t, server.Options{})
	path, err := e.srv.OneTimeSignIn(t.Context(), e.users["admin"].ID, time60s)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(path, "/signin/once?token=")
	c := e.client()
	if r := c.do("GET", path, nil); r.status != 200 || !strings.Contains(string(r.body), token) {
		t.Fatalf("once page: %d", r.status)
	}
	form := url.Values{"token": {token}}.Encode()
	if r := c.do("POST", "/signin/once", form, "Content-Type", "application/x-www-form-urlencoded"); r.status != http.StatusSeeOther {
		t.Fatalf("once sign-in: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/api/v1/admin/projects", nil); r.status != 200 {
		t.Fatalf("admin after once: %d", r.status)
	}
	if r := e.client().do("POST", "/signin/once", form, "Content-Type", "application/x-www-form-urlencoded"); r.status != http.StatusGone {
		t.Fatalf("second use: %d", r.status)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
