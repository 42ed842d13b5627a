package corpus_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// tallyOf sums a project's counters of one dimension and value over the
// statuses given: clips and milliseconds.
func tallyOf(t *testing.T, db *corpus.DB, projectID int64, dim, value string, statuses ...corpus.ClipStatus) (clips int, ms int64) {
	t.Helper()
	ts, err := db.Tallies(context.Background(), projectID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if x.Dimension != dim || x.Value != value {
			continue
		}
		for _, s := range statuses {
			if x.Status == s {
				clips += x.Clips
				ms += x.DurationMS
			}
		}
	}
	return clips, ms
}

// TestTallies: every way a clip's status changes (the commit, a review, an
// appeal, an override) and a profile change keep the counters equal to a
// recount (the audit checks it after each step), and task assignment's
// reads see them.
func TestTallies(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	admin := mustUser(t, db, 0, "admin-1", corpus.RoleAdmin)
	if err := db.UpdateProfile(ctx, f.speaker.ID, "臺南市", "30-39", "female"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(ctx, f.project.ID, []corpus.Prompt{{Text: "a"}, {Text: "b"}}); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Prompts(ctx, f.project.ID)
	ta, tb := mustTask(t, db, f, ps[0].ID), mustTask(t, db, f, ps[1].ID)

	c1 := newClip(f, ta, "1")
	c1.DurationS = 2.0004 // 2000.4 ms: 2000
	mustCommitClip(t, db, c1, wav(10))
	c2 := newClip(f, tb, "2")
	c2.DurationS, c2.NoiseBand = 3.0005, "medium" // 3000.5 ms: 3001
	mustCommitClip(t, db, c2, wav(10))
	c3 := newClip(f, tb, "3")
	c3.Status = corpus.StatusRejected
	mustCommitClip(t, db, c3, wav(10))
	MustAudit(t, db)

	all := []corpus.ClipStatus{corpus.StatusPendingReview, corpus.StatusAccepted, corpus.StatusRejected}
	if n, ms := tallyOf(t, db, f.project.ID, corpus.DimRegion, "臺南市", all...); n != 3 || ms != 2000+3001+5000 {
		t.Fatalf("region 臺南市: %d clips, %d ms; want 3, 10001", n, ms)
	}
	if n, ms := tallyOf(t, db, f.project.ID, corpus.DimBand, "medium", corpus.StatusPendingReview); n != 1 || ms != 3001 {
		t.Fatalf("band medium pending: %d clips, %d ms; want 1, 3001", n, ms)
	}

	// A review accepts c1, then rejects c2; the speaker appeals c2; an admin
	// overrides c1 to rejected.
	if got := mustNext(t, db, f.reviewer.ID); got != c1.ID {
		t.Fatalf("next = %s, want c1", got)
	}
	mustReview(t, db, accept(c1.ID, f.reviewer.ID))
	MustAudit(t, db)
	if n, ms := tallyOf(t, db, f.project.ID, corpus.DimMode, "prompted", corpus.StatusAccepted); n != 1 || ms != 2000 {
		t.Fatalf("mode prompted accepted: %d clips, %d ms; want 1, 2000", n, ms)
	}
	mustNext(t, db, f.reviewer.ID)
	mustReview(t, db, reject(c2.ID, f.reviewer.ID, "wrong_text", ""))
	MustAudit(t, db)
	use, err := db.PromptUse(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int{ps[0].ID: 1, ps[1].ID: 0}; !reflect.DeepEqual(use, want) {
		t.Fatalf("PromptUse = %v, want %v", use, want)
	}
	rec, err := db.RecordedPrompts(ctx, f.speaker.ID, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []corpus.RecordedPrompt{{Mode: "prompted", PromptID: ps[0].ID}}; !reflect.DeepEqual(rec, want) {
		t.Fatalf("RecordedPrompts = %v, want %v", rec, want)
	}
	if _, err := db.Appeal(ctx, f.speaker.ID, c2.ID, "請再聽一次"); err != nil {
		t.Fatal(err)
	}
	MustAudit(t, db)
	if rec, _ = db.RecordedPrompts(ctx, f.speaker.ID, f.project.ID); len(rec) != 2 {
		t.Fatalf("after the appeal RecordedPrompts = %v, want both prompts", rec)
	}
	if _, err := db.Override(ctx, admin.ID, c1.ID, corpus.StatusRejected, "wrong_dialect", "不是臺語"); err != nil {
		t.Fatal(err)
	}
	MustAudit(t, db)
	bands, err := db.BandCounts(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"medium": 1}; !reflect.DeepEqual(bands, want) {
		t.Fatalf("BandCounts = %v, want %v", bands, want)
	}

	// The profile moves the speaker's clips; the other dimensions stay.
	if err := db.UpdateProfile(ctx, f.speaker.ID, "高雄市", "30-39", "female"); err != nil {
		t.Fatal(err)
	}
	MustAudit(t, db)
	if n, _ := tallyOf(t, db, f.project.ID, corpus.DimRegion, "臺南市", all...); n != 0 {
		t.Fatalf("region 臺南市 after the move: %d clips, want 0", n)
	}
	if n, ms := tallyOf(t, db, f.project.ID, corpus.DimRegion, "高雄市", all...); n != 3 || ms != 10001 {
		t.Fatalf("region 高雄市: %d clips, %d ms; want 3, 10001", n, ms)
	}
	if err := db.UpdateProfile(ctx, 999, "高雄市", "", ""); err == nil {
		t.Fatal("UpdateProfile(unknown user) succeeded")
	}
}

// TestAudit_Tallies: a counter that differs from its recount, or is
// missing, fails the audit.
func TestAudit_Tallies(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	if _, err := db.AddPrompts(ctx, f.project.ID, []corpus.Prompt{{Text: "a"}}); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Prompts(ctx, f.project.ID)
	mustCommitClip(t, db, newClip(f, mustTask(t, db, f, ps[0].ID), "1"), wav(10))
	MustAudit(t, db)
	raw := rawDB(t, db)
	for _, tamper := range []struct{ name, do, undo string }{
		{"clip_tallies off by one", `UPDATE clip_tallies SET clips = clips + 1 WHERE dimension = 'band'`,
			`UPDATE clip_tallies SET clips = clips - 1 WHERE dimension = 'band'`},
		{"prompt_tallies row missing", `DELETE FROM prompt_tallies`,
			`INSERT INTO prompt_tallies (prompt_id, clips) SELECT id, 1 FROM prompts`},
		{"speaker_prompts row extra", `INSERT INTO speaker_prompts (speaker_id, mode, prompt_id, clips) SELECT ` +
			strconv.FormatInt(f.speaker.ID, 10) + `, 'monologue', id, 1 FROM prompts`, `DELETE FROM speaker_prompts WHERE mode = 'monologue'`},
		{"tasks.live_clips reset", `UPDATE tasks SET live_clips = 0`, `UPDATE tasks SET live_clips = 1`},
	} {
		if _, err := raw.ExecContext(ctx, tamper.do); err != nil {
			t.Fatal(err)
		}
		rep, err := db.Audit(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || rep.TallyMismatches != 1 {
			t.Errorf("%s: audit OK=%v, tally mismatches %d; want a failed audit with 1", tamper.name, rep.OK(), rep.TallyMismatches)
		}
		if _, err := raw.ExecContext(ctx, tamper.undo); err != nil {
			t.Fatal(err)
		}
		MustAudit(t, db)
	}
}

func nonzero(ts []corpus.Tally) []corpus.Tally {
	var out []corpus.Tally
	for _, x := range ts {
		if x.Clips != 0 || x.DurationMS != 0 {
			out = append(out, x)
		}
	}
	return out
}

// TestTallies_Migration: the migration that creates the counters fills them
// from the clips already there.
func TestTallies_Migration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	f := mustFixture(t, db)
	if err := db.UpdateProfile(ctx, f.speaker.ID, "臺中市", "60+", "male"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPrompts(ctx, f.project.ID, []corpus.Prompt{{Text: "a"}, {Text: "b"}}); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Prompts(ctx, f.project.ID)
	for i, status := range []corpus.ClipStatus{corpus.StatusPendingReview, corpus.StatusRejected, corpus.StatusPendingReview} {
		c := newClip(f, mustTask(t, db, f, ps[i%2].ID), strconv.Itoa(i))
		c.Status, c.DurationS = status, 1.2345*float64(i+1)
		mustCommitClip(t, db, c, wav(10))
	}
	mustNext(t, db, f.reviewer.ID)
	mustReview(t, db, accept(mustNext(t, db, f.reviewer.ID), f.reviewer.ID))
	want, err := db.Tallies(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	want = nonzero(want) // counters moved away from hold zeros; a recount has no such rows
	wantUse, _ := db.PromptUse(ctx, f.project.ID)
	wantRec, _ := db.RecordedPrompts(ctx, f.speaker.ID, f.project.ID)
	wantOpen, err := db.OpenTask(ctx, f.speaker.ID) // the task of the rejected clip
	if err != nil {
		t.Fatal(err)
	}

	// Back to the corpus before the migration: no counters, not applied.
	raw := rawDB(t, db)
	for _, q := range []string{`DROP TABLE clip_tallies`, `DROP TABLE prompt_tallies`, `DROP TABLE speaker_prompts`,
		`DROP INDEX tasks_open`, `ALTER TABLE tasks DROP COLUMN live_clips`,
		`DELETE FROM migrations WHERE name LIKE '%\_tallies.sql' ESCAPE '\'`} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	MustCloseDB(t, db)
	db = MustOpenDBAt(t, dir, corpus.Options{})
	defer MustCloseDB(t, db)
	got, err := db.Tallies(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the migration Tallies =\n%v\nwant\n%v", got, want)
	}
	gotUse, _ := db.PromptUse(ctx, f.project.ID)
	gotRec, _ := db.RecordedPrompts(ctx, f.speaker.ID, f.project.ID)
	if !reflect.DeepEqual(gotUse, wantUse) || !reflect.DeepEqual(gotRec, wantRec) {
		t.Fatalf("after the migration PromptUse %v, RecordedPrompts %v; want %v, %v", gotUse, gotRec, wantUse, wantRec)
	}
	if open, err := db.OpenTask(ctx, f.speaker.ID); err != nil || open.ID != wantOpen.ID {
		t.Fatalf("after the migration OpenTask = %v, %v; want %s", open, err, wantOpen.ID)
	}
	MustAudit(t, db)
}
