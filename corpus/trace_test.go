package corpus_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// TestDB_FullScans: the plan check is not vacuous: statements that read a
// table whole are reported (aliases resolved, a scan of an index too), and
// reads by a key are not.
func TestDB_FullScans(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	for _, tt := range []struct {
		query string
		args  []any
		want  []string
	}{
		{`SELECT COUNT(*) FROM clips WHERE status != 'rejected'`, nil, []string{"clips"}},
		{`SELECT c.id FROM clips c JOIN users u ON u.id = c.speaker_id WHERE u.gender = ?`, []any{"f"}, []string{"users"}},
		{`SELECT hash FROM decision_events ORDER BY id DESC LIMIT 1`, nil, []string{"decision_events"}},
		{`SELECT hash FROM decision_events WHERE id = (SELECT MAX(id) FROM decision_events)`, nil, nil},
		{`SELECT id FROM clips WHERE id = ?`, []any{"x"}, nil},
		{`UPDATE clips SET status = ? WHERE id = ?`, []any{"accepted", "x"}, nil},
		{`SAVEPOINT s`, nil, nil},
		{`INSERT INTO prompt_tallies (prompt_id, clips) VALUES (?, 1), (?, 1) ON CONFLICT (prompt_id) DO UPDATE SET clips = clips + 1`, []any{1, 2}, nil},
	} {
		got, err := db.FullScans(context.Background(), tt.query, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			plan, _ := db.QueryPlan(context.Background(), tt.query, tt.args...)
			t.Errorf("FullScans(%s) = %v, want %v (plan %q)", tt.query, got, tt.want, plan)
		}
	}
}

// TestOptions_OnStatement: a corpus opened with OnStatement reports every
// statement with its arguments, from the writer and the readers, and works
// as usual.
func TestOptions_OnStatement(t *testing.T) {
	var (
		mu   sync.Mutex
		seen []string
		args [][]any
	)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{OnStatement: func(q string, a []any) {
		mu.Lock()
		defer mu.Unlock()
		seen, args = append(seen, q), append(args, a)
	}})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	if _, err := db.User(context.Background(), f.speaker.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(context.Background(), f.project.ID, []corpus.Prompt{{Text: "prepared"}}); err != nil {
		t.Fatal(err)
	}
	mustCommitClip(t, db, newClip(f, nil, "1"), wav(10))
	MustAudit(t, db)
	mu.Lock()
	defer mu.Unlock()
	var user, insert, prepared bool
	for i, q := range seen {
		if strings.Contains(q, "INSERT INTO prompts") && len(args[i]) == 5 && args[i][1] == "prepared" {
			prepared = true // a prepared statement, reported with the arguments of its run
		}
		if strings.Contains(q, "FROM users WHERE id = ?") && len(args[i]) == 1 && args[i][0] == f.speaker.ID {
			user = true
		}
		if strings.HasPrefix(strings.TrimSpace(q), "INSERT INTO clips") {
			insert = true
		}
	}
	if !user || !insert || !prepared {
		t.Fatalf("recorded %d statements; the user lookup (%v), the clip insert (%v) or the prepared insert (%v) is missing",
			len(seen), user, insert, prepared)
	}
}
