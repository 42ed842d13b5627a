package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/corpus/corpustest"
	"github.com/dialect-corpus/dialect/server"
)

// TestRequestStatementsUseIndexes (issue 21): every SQL statement the
// task, upload and review paths run — recorded at the driver while real
// requests go through the server — is planned by SQLite as reads by a key:
// no SCAN of a table that grows with the corpus (corpustest.SmallTables may
// be scanned). So the cost of a request does not grow with the corpus. Run
// with -v to see each path's statements.
func TestRequestStatementsUseIndexes(t *testing.T) {
	var rec corpustest.Recorder
	e := newEnvWith(t, server.Options{LoginPerIPPerMinute: 1000}, corpus.Options{OnStatement: rec.Hook})
	e.addUser("reviewer-2", corpus.RoleReviewer)
	// Something to plan against: other speakers' clips, waiting and decided.
	other := e.speaker("siu-ing")
	for i := range 4 {
		other.record(100+i, "", nil)
	}

	rec.Path("sign-in")
	sp := e.signIn("ah-bin")
	rv := e.signIn("reviewer")
	rv2 := e.signIn("reviewer-2")
	admin := e.signIn("admin")

	rec.Path("profile")
	for _, r := range []response{
		sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1}),
		sp.do("PUT", "/api/v1/me/profile", map[string]string{"dialect_region": "臺南市", "age_band": "30_39", "gender": "female"}),
		sp.do("GET", "/api/v1/me", nil),
	} {
		if r.status != 200 {
			t.Fatalf("profile: %d %s", r.status, r.body)
		}
	}

	rec.Path("task")
	task := sp.do("GET", "/api/v1/tasks/next", nil) // a new task
	if task.status != 200 {
		t.Fatalf("task: %d %s", task.status, task.body)
	}
	tj := task.json()
	taskID, band := tj["task_id"].(string), tj["noise_band"].(string)
	if again := sp.do("GET", "/api/v1/tasks/next", nil); again.json()["task_id"] != taskID { // the open one
		t.Fatalf("task again: %s, want %s", again.body, taskID)
	}

	rec.Path("upload")
	up := sp.upload(uuid(1), taskID, band, "", clip(1, -20)) // too loud for any band: stored as rejected
	if up.status != 201 || up.json()["status"] != "rejected" {
		t.Fatalf("rejected upload: %d %s", up.status, up.body)
	}
	up = sp.upload(uuid(2), taskID, band, "", clip(2, bandNoise[band]))
	if up.status != 201 || up.json()["status"] != "pending_review" {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	clipID := up.json()["clip_id"].(string)
	if r := sp.upload(uuid(2), taskID, band, "", clip(2, bandNoise[band])); r.status != 200 { // a retry
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/api/v1/clips?mine=1", "/api/v1/clips/" + clipID, "/api/v1/me/ledger"} {
		if r := sp.do("GET", path, nil); r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
	}

	rec.Path("resumable")
	next := sp.do("GET", "/api/v1/tasks/next", nil).json()
	audio := clip(3, bandNoise[next["noise_band"].(string)])
	sum := sha256.Sum256(audio)
	loc := sp.create(next["task_id"].(string), uuid(3), next["noise_band"].(string), int64(len(audio)), hex.EncodeToString(sum[:]))
	if r := sp.patch(loc, 0, audio[:len(audio)/2]); r.status != 204 {
		t.Fatalf("PATCH: %d %s", r.status, r.body)
	}
	if off := sp.offset(loc); off != int64(len(audio)/2) {
		t.Fatalf("HEAD offset %d", off)
	}
	if r := sp.patch(loc, int64(len(audio)/2), audio[len(audio)/2:]); r.status != 204 {
		t.Fatalf("last PATCH: %d %s", r.status, r.body)
	}
	if r := sp.tus("GET", loc, nil); r.status != 200 {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}

	rec.Path("review")
	n1 := rv.do("GET", "/api/v1/review/next?tab=a", nil)
	page := rv.do("GET", "/review", nil) // another tab: another clip
	if n1.status != 200 || page.status != 200 {
		t.Fatalf("review next: %d, page: %d", n1.status, page.status)
	}
	first := n1.json()["clip_id"].(string)
	if r := rv.do("GET", "/api/v1/review/"+first+"/audio", nil); r.status != 200 {
		t.Fatalf("audio: %d", r.status)
	}
	// Every clip decided: ah-bin's rejected (and the vote sent twice, a
	// replay), the others accepted.
	for id := first; id != ""; {
		vote := map[string]string{"decision": "accept"}
		if id == clipID {
			vote = map[string]string{"decision": "reject", "reason": "wrong_text"}
			rv.do("POST", "/api/v1/review/"+id, vote)
		}
		if r := rv.do("POST", "/api/v1/review/"+id, vote); r.status != 200 {
			t.Fatalf("vote: %d %s", r.status, r.body)
		}
		id = ""
		if n := rv.do("GET", "/api/v1/review/next?tab=a", nil); n.status == 200 {
			id = n.json()["clip_id"].(string)
		}
	}
	if r := sp.do("POST", "/api/v1/clips/"+clipID+"/appeal", map[string]string{"note": "請再聽一次"}); r.status != 200 {
		t.Fatalf("appeal: %d %s", r.status, r.body)
	}
	if n := rv2.do("GET", "/api/v1/review/next", nil); n.status != 200 || n.json()["clip_id"] != clipID {
		t.Fatalf("after the appeal: %d %s", n.status, n.body)
	}
	if r := rv2.do("POST", "/api/v1/review/"+clipID, map[string]string{"decision": "accept"}); r.status != 200 {
		t.Fatalf("accept after the appeal: %d %s", r.status, r.body)
	}
	if r := admin.do("POST", "/api/v1/admin/clips/"+clipID+"/override",
		map[string]string{"status": "rejected", "reason": "wrong_dialect", "note": "不是臺語"}); r.status != 200 {
		t.Fatalf("override: %d %s", r.status, r.body)
	}
	rec.Path("")

	stmts := rec.Statements()
	for _, p := range []string{"sign-in", "profile", "task", "upload", "resumable", "review"} {
		if !strings.Contains(corpustest.Count(stmts), p+" ") {
			t.Fatalf("no statements recorded for %s (%s)", p, corpustest.Count(stmts))
		}
	}
	t.Logf("statements per path: %s", corpustest.Count(stmts))
	corpustest.CheckPlans(t, e.db, stmts)
	e.mustAudit()
}
