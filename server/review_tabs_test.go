package server_test

import (
	"regexp"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/server"
)

// pageClip reads the clip and the tab of a review page.
func pageClip(t *testing.T, r response) (clipID, tab string) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("review page: %d %s", r.status, r.body)
	}
	m := regexp.MustCompile(`id="review"[^>]* data-tab="([0-9a-zA-Z_-]+)"(?: data-clip-id="([0-9a-f]+)")?`).FindSubmatch(r.body)
	if m == nil {
		t.Fatalf("review page without its tab:\n%s", r.body)
	}
	return string(m[2]), string(m[1])
}

// TestReviewTwoTabs (issue 21): two tabs of one reviewer, as two sessions
// or as two tabs of one browser (one session, two tab ids), are handed two
// different clips, and each vote does new work: none is answered as a
// replay. The same tab asking again keeps its clip.
func TestReviewTwoTabs(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	e.addUser("reviewer-2", corpus.RoleReviewer)
	sp := e.speaker("ah-bin")
	for i := range 6 {
		sp.record(i+1, "", nil)
	}
	next := func(c *client, query string) string {
		t.Helper()
		r := c.do("GET", "/api/v1/review/next"+query, nil)
		switch r.status {
		case 204:
			return ""
		case 200:
			return r.json()["clip_id"].(string)
		}
		t.Fatalf("next%s: %d %s", query, r.status, r.body)
		return ""
	}

	// Two sessions of one reviewer.
	a, b := e.signIn("reviewer"), e.signIn("reviewer")
	ca, cb := next(a, ""), next(b, "")
	if ca == "" || cb == "" || ca == cb {
		t.Fatalf("two sessions were handed %q and %q, want two different clips", ca, cb)
	}
	if again := next(a, ""); again != ca {
		t.Fatalf("the same session asking again got %s, want its clip %s", again, ca)
	}
	// Two tabs of one browser: one session, two tab ids.
	c1, c2 := next(a, "?tab=one"), next(a, "?tab=two")
	if c1 == "" || c2 == "" || c1 == c2 || c1 == ca || c1 == cb || c2 == ca || c2 == cb {
		t.Fatalf("tabs one and two got %q and %q (the sessions hold %s, %s), want two more clips", c1, c2, ca, cb)
	}
	if again := next(a, "?tab=one"); again != c1 {
		t.Fatalf("tab one asking again got %s, want %s", again, c1)
	}
	// Pages: a page opened without a tab is a new tab; its address keeps it.
	p1, tab1 := pageClip(t, a.do("GET", "/review", nil))
	p2, tab2 := pageClip(t, a.do("GET", "/review", nil))
	if p1 == "" || p2 == "" || p1 == p2 || tab1 == tab2 {
		t.Fatalf("two review pages: clips %q, %q, tabs %q, %q; want two clips, two tabs", p1, p2, tab1, tab2)
	}
	for _, held := range []string{ca, cb, c1, c2} {
		if p1 == held || p2 == held {
			t.Fatalf("a new page was handed %s, which another tab holds", held)
		}
	}
	if again, tab := pageClip(t, a.do("GET", "/review?tab="+tab1, nil)); again != p1 || tab != tab1 {
		t.Fatalf("reloading tab %s showed %s, want %s", tab1, again, p1)
	}
	// Six clips, six tabs: nothing is left, for this reviewer or another.
	if c := next(b, "?tab=three"); c != "" {
		t.Fatalf("a seventh tab got %s, want none", c)
	}
	if c := next(e.signIn("reviewer-2"), ""); c != "" {
		t.Fatalf("another reviewer got %s, held by reviewer's tabs", c)
	}
	if r := a.do("GET", "/api/v1/review/next?tab=no%20spaces", nil); r.status != 400 || r.errCode() != "bad_tab" {
		t.Fatalf("a bad tab id: %d %s", r.status, r.body)
	}

	// Every tab votes on its own clip: six decisions, no replay.
	for _, v := range []struct {
		c    *client
		clip string
	}{{a, ca}, {b, cb}, {a, c1}, {a, c2}, {a, p1}, {a, p2}} {
		r := v.c.do("POST", "/api/v1/review/"+v.clip, map[string]string{"decision": "accept"})
		if r.status != 200 || r.json()["status"] != "accepted" || r.json()["replayed"] == true {
			t.Fatalf("accept %s: %d %s", v.clip, r.status, r.body)
		}
	}
	if c := next(a, ""); c != "" {
		t.Fatalf("after six votes next = %s, want none", c)
	}
	bal := sp.do("GET", "/api/v1/me/ledger", nil).json()
	if entries := bal["entries"].([]any); len(entries) != 6 {
		t.Fatalf("ledger: %d entries, want 6", len(entries))
	}
	e.mustAudit()
}
