package server_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// TestRecordPage: the recorder page is the speaker's; it carries every
// data-testid of issue 5 and loads its script from /assets/ only (the CSP
// allows no inline script). The browser itself is tested in browsertest/.
func TestRecordPage(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.signIn("ah-bin")
	r := sp.do("GET", "/record", nil)
	if r.status != 200 {
		t.Fatalf("GET /record as speaker: %d %s", r.status, r.body)
	}
	page := string(r.body)
	for _, id := range []string{"record", "stop", "play", "submit", "rerecord", "level", "room-check", "queue", "receipt", "room-check-start", "consent-accept"} {
		if !strings.Contains(page, `data-testid="`+id+`"`) {
			t.Errorf("page lacks data-testid=%q", id)
		}
	}
	if !regexp.MustCompile(`<script type="module" src="/assets/recorder/record\.[0-9a-f]{12}\.js"></script>`).MatchString(page) {
		t.Error("page does not load /assets/recorder/record.js under its hashed name")
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, " onclick=") {
		t.Error("inline script or handler: the CSP refuses it")
	}
	for _, region := range []string{"臺南市", "海外"} {
		if !strings.Contains(page, region) {
			t.Errorf("profile form lacks region %s", region)
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "worker-src 'self' blob:") || !strings.Contains(r.header.Get("Permissions-Policy"), "microphone=(self)") {
		t.Errorf("headers: CSP %q, Permissions-Policy %q", csp, r.header.Get("Permissions-Policy"))
	}
	for _, f := range []string{"recorder/record.js", "recorder/audio.js", "recorder/store.js", "recorder/worklet.js"} {
		a := e.client().do("GET", "/assets/"+f, nil)
		if a.status != 200 || !strings.Contains(a.header.Get("Content-Type"), "javascript") {
			t.Errorf("/assets/%s: %d %s", f, a.status, a.header.Get("Content-Type"))
		}
	}
	home := sp.do("GET", "/", nil)
	if !strings.Contains(string(home.body), `href="/record"`) {
		t.Error("the speaker's home page does not link to /record")
	}
	if r := e.signIn("reviewer").do("GET", "/record", nil); r.status != 404 {
		t.Errorf("GET /record as reviewer: %d, want 404", r.status)
	}
	if r := e.client().do("GET", "/record", nil); r.status != 303 || r.header.Get("Location") != "/signin" {
		t.Errorf("GET /record anonymous: %d, want a redirect to /signin", r.status)
	}
}
