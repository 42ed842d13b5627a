package corpus_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_AppendDecision(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testEpoch)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	c1 := mustCommitClip(t, db, newClip(f, nil, "1"), wav(10))
	c2 := mustCommitClip(t, db, newClip(f, nil, "2"), wav(10))

	t.Run("OK", func(t *testing.T) {
		clk.Add(1000)
		d := &corpus.Decision{ClipID: c1.ID, AuthorID: f.reviewer.ID, To: corpus.StatusAccepted, Reason: "review", Note: "clear | good"}
		if err := db.AppendDecision(ctx, d); err != nil {
			t.Fatal(err)
		}
		if d.ID == 0 || d.From != corpus.StatusPendingReview || !d.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("ID=%d From=%q CreatedAt=%v, want set, pending_review, %v", d.ID, d.From, d.CreatedAt, clk.Now())
		}
		if got, want := d.Hash, corpus.DecisionHash(d); got != want {
			t.Fatalf("Hash=%s, want %s", got, want)
		}
		c, err := db.Clip(ctx, c1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := c.Status, corpus.StatusAccepted; got != want {
			t.Fatalf("Status=%q, want %q", got, want)
		}
		// An appeal: a new event, never an edit.
		appeal := &corpus.Decision{ClipID: c1.ID, AuthorID: f.reviewer.ID, To: corpus.StatusRejected, Reason: "appeal"}
		if err := db.AppendDecision(ctx, appeal); err != nil {
			t.Fatal(err)
		}
		if appeal.From != corpus.StatusAccepted || appeal.PrevHash != d.Hash {
			t.Fatalf("From=%q PrevHash=%s, want accepted and %s", appeal.From, appeal.PrevHash, d.Hash)
		}
		ds, err := db.Decisions(ctx, c1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 3 || ds[0].Reason != "auto" || ds[1].ID != d.ID || ds[2].ID != appeal.ID {
			t.Fatalf("Decisions = %+v, want auto, review, appeal", ds)
		}
		if ds[1].Note != "clear | good" || !ds[1].CreatedAt.Equal(d.CreatedAt) || ds[1].Hash != d.Hash {
			t.Fatalf("stored event = %+v, want %+v", ds[1], d)
		}
		// One global chain: the first event of the table starts from zeros,
		// and c2's first event follows c1's.
		ds2, _ := db.Decisions(ctx, c2.ID)
		if ds[0].PrevHash != strings.Repeat("0", 64) || ds2[0].PrevHash != ds[0].Hash {
			t.Fatalf("chain start = %s, %s; want zeros and %s", ds[0].PrevHash, ds2[0].PrevHash, ds[0].Hash)
		}
		rep := MustAudit(t, db)
		if got, want := rep.Decisions, 4; got != want {
			t.Fatalf("Decisions=%d, want %d", got, want)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, d := range []*corpus.Decision{
			{ClipID: "0123456789abcdef0123456789abcdef", To: corpus.StatusAccepted, Reason: "r"},
			{ClipID: "../../x", To: corpus.StatusAccepted, Reason: "r"},
			{ClipID: c2.ID, AuthorID: 999, To: corpus.StatusAccepted, Reason: "r"},
		} {
			wantErr(t, db.AppendDecision(ctx, d), corpus.ErrNotFound)
		}
		_, err := db.Decisions(ctx, "0123456789abcdef0123456789abcdef")
		wantErr(t, err, corpus.ErrNotFound)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, d := range []*corpus.Decision{
			{ClipID: c2.ID, To: "paid", Reason: "r"},
			{ClipID: c2.ID, To: corpus.StatusAccepted},
		} {
			if err := db.AppendDecision(ctx, d); err == nil {
				t.Errorf("AppendDecision(%+v) = nil, want an error", d)
			}
		}
	})
	MustAudit(t, db)
}

// TestDecisionEvents_AppendOnly is S-21: direct SQL cannot edit or delete
// an event, and an edit made after dropping the triggers breaks the chain.
func TestDecisionEvents_AppendOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	c := mustCommitClip(t, db, newClip(f, nil, "1"), wav(10))
	if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: c.ID, AuthorID: f.reviewer.ID, To: corpus.StatusRejected, Reason: "noise"}); err != nil {
		t.Fatal(err)
	}
	mustCommitClip(t, db, newClip(f, nil, "2"), wav(10))
	raw := rawDB(t, db)

	t.Run("UpdateFails", func(t *testing.T) {
		if _, err := raw.ExecContext(ctx, `UPDATE decision_events SET reason = 'ok' WHERE clip_id = ?`, c.ID); err == nil {
			t.Fatal("UPDATE decision_events = nil error, want the trigger's")
		}
	})
	t.Run("DeleteFails", func(t *testing.T) {
		if _, err := raw.ExecContext(ctx, `DELETE FROM decision_events`); err == nil {
			t.Fatal("DELETE FROM decision_events = nil error, want the trigger's")
		}
		MustAudit(t, db)
	})
	t.Run("EditDetected", func(t *testing.T) {
		// Flip a rejection to an acceptance and the clip's status with it.
		for _, q := range []string{
			`DROP TRIGGER decision_events_no_update`,
			`UPDATE decision_events SET to_status = 'accepted' WHERE reason = 'noise'`,
			`UPDATE clips SET status = 'accepted' WHERE id = '` + c.ID + `'`,
		} {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		rep, err := db.Audit(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.ChainOK || rep.OK() {
			t.Fatalf("Audit = %+v, want ChainOK=false and not OK", *rep)
		}
		if rep.StatusMismatches != 0 {
			t.Fatalf("StatusMismatches=%d, want 0 (the tamperer was consistent)", rep.StatusMismatches)
		}
	})
	t.Run("DeleteDetected", func(t *testing.T) {
		dir := t.TempDir()
		db := MustOpenDBAt(t, dir, corpus.Options{})
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		c := mustCommitClip(t, db, newClip(f, nil, "1"), wav(10))
		mustCommitClip(t, db, newClip(f, nil, "2"), wav(10))
		raw := rawDB(t, db)
		for _, q := range []string{
			`DROP TRIGGER decision_events_no_delete`,
			`DELETE FROM decision_events WHERE clip_id = '` + c.ID + `'`,
		} {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		rep, err := db.Audit(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if rep.ChainOK || rep.StatusMismatches != 1 {
			t.Fatalf("ChainOK=%v StatusMismatches=%d, want false and 1", rep.ChainOK, rep.StatusMismatches)
		}
	})
}
