package corpus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

func reject(clip string, reviewer int64, reason, note string) corpus.ReviewInput {
	return corpus.ReviewInput{ClipID: clip, ReviewerID: reviewer, Vote: corpus.VoteReject, Reason: reason, Note: note}
}

func accept(clip string, reviewer int64) corpus.ReviewInput {
	return corpus.ReviewInput{ClipID: clip, ReviewerID: reviewer, Vote: corpus.VoteAccept}
}

func mustReview(t *testing.T, db *corpus.DB, in corpus.ReviewInput) *corpus.ReviewResult {
	t.Helper()
	r, err := db.SubmitReview(context.Background(), in)
	if err != nil {
		t.Fatalf("SubmitReview(%+v): %v", in, err)
	}
	return r
}

func mustNext(t *testing.T, db *corpus.DB, reviewer int64) string {
	t.Helper()
	it, err := db.NextReview(context.Background(), reviewer)
	if err != nil {
		t.Fatalf("NextReview(%d): %v", reviewer, err)
	}
	if it == nil {
		return ""
	}
	return it.Clip.ID
}

func TestAmountCents(t *testing.T) {
	for _, tt := range []struct {
		seconds    float64
		rate, want int64
	}{
		{5, 300, 25},       // 5 s at 3.00/min
		{60, 300, 300},     // one minute
		{0.1, 300, 1},      // 0.5 cent rounds up
		{0.0994, 300, 0},   // 99 ms: 0.495 cent rounds down
		{3.21, 600, 32},    // 32.1
		{3.25, 600, 33},    // 32.5 → 33
		{0.0005, 60000, 1}, // 0.0005 s → 1 ms (half up) → 1 cent
		{0, 300, 0},
	} {
		if got := corpus.AmountCents(corpus.DurationMS(tt.seconds), tt.rate); got != tt.want {
			t.Errorf("AmountCents(%v s, %d) = %d, want %d", tt.seconds, tt.rate, got, tt.want)
		}
	}
}

// TestReviewFlow: claims, one's own clip, reject with a reason, the appeal
// to another reviewer, accept, the ledger, an override and its reversal.
func TestReviewFlow(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testEpoch)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	r2 := mustUser(t, db, f.project.ID, "reviewer-2", corpus.RoleReviewer)
	admin := mustUser(t, db, 0, "admin-1", corpus.RoleAdmin)
	other := mustProject(t, db, "other")
	outsider := mustUser(t, db, other.ID, "reviewer-x", corpus.RoleReviewer)
	// A reviewer who also records: never offered their own clip.
	c1 := mustCommitClip(t, db, newClip(f, nil, "1"), wav(10))
	clk.Add(time.Second)
	own := newClip(fixture{project: f.project, speaker: r2}, nil, "own")
	mustCommitClip(t, db, own, wav(10))

	if got := mustNext(t, db, f.reviewer.ID); got != c1.ID {
		t.Fatalf("reviewer-1 next = %q, want %s", got, c1.ID)
	}
	// Claimed: reviewer-2 is not handed c1, and their own clip is not offered.
	if got := mustNext(t, db, r2.ID); got != "" {
		t.Fatalf("reviewer-2 next = %q, want none (c1 claimed, the other is their own)", got)
	}
	if _, err := db.SubmitReview(ctx, accept(c1.ID, r2.ID)); !errors.Is(err, corpus.ErrClaimed) {
		t.Fatalf("vote on a clip claimed by another: %v, want ErrClaimed", err)
	}
	if _, err := db.SubmitReview(ctx, accept(own.ID, r2.ID)); !errors.Is(err, corpus.ErrForbiddenClip) || !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("vote on one's own clip: %v, want ErrForbiddenClip", err)
	}
	if _, err := db.SubmitReview(ctx, accept(c1.ID, outsider.ID)); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("vote from another project: %v, want ErrNotFound", err)
	}
	if _, err := db.SubmitReview(ctx, reject(c1.ID, f.reviewer.ID, "other", "")); !errors.Is(err, corpus.ErrInvalid) {
		t.Fatalf("other without a note: %v, want ErrInvalid", err)
	}
	if _, err := db.SubmitReview(ctx, reject(c1.ID, f.reviewer.ID, "bogus", "")); !errors.Is(err, corpus.ErrInvalid) {
		t.Fatalf("unknown reason: %v, want ErrInvalid", err)
	}
	marker := int64(1250)
	in := reject(c1.ID, f.reviewer.ID, "wrong_text", "第二個字讀錯")
	in.MarkerMS = &marker
	res := mustReview(t, db, in)
	if res.Status != corpus.StatusRejected || res.Decision.Reason != "wrong_text" || res.Decision.AuthorID != f.reviewer.ID {
		t.Fatalf("reject: %+v", res)
	}
	// The same vote again (a lost response): the first result.
	if again := mustReview(t, db, in); !again.Replayed || again.Decision.ID != res.Decision.ID {
		t.Fatalf("replay: %+v", again)
	}
	if _, err := db.SubmitReview(ctx, accept(c1.ID, f.reviewer.ID)); !errors.Is(err, corpus.ErrAlreadyReviewed) {
		t.Fatalf("a second, different vote: %v, want ErrAlreadyReviewed", err)
	}
	if _, err := db.Appeal(ctx, r2.ID, c1.ID, "x"); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("appeal of another's clip: %v", err)
	}
	if _, err := db.Appeal(ctx, f.speaker.ID, c1.ID, "我讀的是對的"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Appeal(ctx, f.speaker.ID, c1.ID, "again"); !errors.Is(err, corpus.ErrNotAppealable) {
		t.Fatalf("a second appeal: %v, want ErrNotAppealable", err)
	}
	// The appeal goes to another reviewer.
	if got := mustNext(t, db, f.reviewer.ID); got != own.ID {
		t.Fatalf("reviewer-1 next = %q, want reviewer-2's own clip, never the appeal of c1", got)
	}
	it, err := db.NextReview(ctx, r2.ID)
	if err != nil || it == nil || it.Clip.ID != c1.ID || it.Round != 1 || it.AppealNote != "我讀的是對的" {
		t.Fatalf("reviewer-2 next = %+v, %v; want c1 in round 1 with the appeal note", it, err)
	}
	res = mustReview(t, db, accept(c1.ID, r2.ID))
	if res.Status != corpus.StatusAccepted {
		t.Fatalf("accept: %+v", res)
	}
	l, err := db.SpeakerLedger(ctx, f.speaker.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 5 s at 6.00 TWD per minute = 50 cents.
	if len(l.Entries) != 1 || l.BalanceCents != 50 || l.Entries[0].DecisionID != res.Decision.ID || l.Entries[0].Kind != corpus.LedgerEarning {
		t.Fatalf("ledger %+v", l)
	}
	rep := MustAudit(t, db)
	if rep.LedgerCents != 50 || rep.AcceptedCents != 50 || rep.LedgerEntries != 1 {
		t.Fatalf("audit %+v", rep)
	}

	// An admin overturns it: a reversal; and back: a new earning.
	if _, err := db.Override(ctx, admin.ID, c1.ID, corpus.StatusRejected, "wrong_dialect", "聽起來是客語"); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.SpeakerLedger(ctx, f.speaker.ID); len(l.Entries) != 2 || l.BalanceCents != 0 || l.Entries[1].Reverses != l.Entries[0].ID {
		t.Fatalf("after override: %+v", l)
	}
	MustAudit(t, db)
	if _, err := db.Override(ctx, admin.ID, c1.ID, corpus.StatusAccepted, "", "複查後確認為臺語"); err != nil {
		t.Fatal(err)
	}
	if l, _ := db.SpeakerLedger(ctx, f.speaker.ID); len(l.Entries) != 3 || l.BalanceCents != 50 {
		t.Fatalf("after re-accept: %+v", l)
	}
	if _, err := db.Override(ctx, r2.ID, c1.ID, corpus.StatusRejected, "other", "x"); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("override by a reviewer: %v", err)
	}

	h, err := db.History(ctx, []string{c1.ID})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []corpus.EventKind
	for _, ev := range h[c1.ID] {
		kinds = append(kinds, ev.Kind)
	}
	want := []corpus.EventKind{corpus.KindAuto, corpus.KindReview, corpus.KindAppeal, corpus.KindReview, corpus.KindOverride, corpus.KindOverride}
	if len(kinds) != len(want) {
		t.Fatalf("history kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("history kinds %v, want %v", kinds, want)
		}
	}
	if ev := h[c1.ID][1]; ev.Vote != corpus.VoteReject || ev.MarkerMS == nil || *ev.MarkerMS != 1250 || ev.Note != "第二個字讀錯" {
		t.Fatalf("review event %+v", ev)
	}
	MustAudit(t, db)
}

// TestReviewTwoAgreeing: with two required, agreement decides; a
// disagreement waits for a third review.
func TestReviewTwoAgreeing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	if err := db.SetReviewsRequired(ctx, f.project.ID, 2); err != nil {
		t.Fatal(err)
	}
	r2 := mustUser(t, db, f.project.ID, "reviewer-2", corpus.RoleReviewer)
	r3 := mustUser(t, db, f.project.ID, "reviewer-3", corpus.RoleReviewer)
	a := mustCommitClip(t, db, newClip(f, nil, "a"), wav(10))
	b := mustCommitClip(t, db, newClip(f, nil, "b"), wav(10))

	if r := mustReview(t, db, accept(a.ID, f.reviewer.ID)); r.Status != corpus.StatusPendingReview || r.Votes != 1 || r.Required != 2 {
		t.Fatalf("first accept: %+v", r)
	}
	if r := mustReview(t, db, accept(a.ID, r2.ID)); r.Status != corpus.StatusAccepted {
		t.Fatalf("second accept: %+v", r)
	}
	mustReview(t, db, accept(b.ID, f.reviewer.ID))
	if r := mustReview(t, db, reject(b.ID, r2.ID, "unintelligible", "")); r.Status != corpus.StatusPendingReview {
		t.Fatalf("disagreement: %+v", r)
	}
	if got := mustNext(t, db, r3.ID); got != b.ID {
		t.Fatalf("third reviewer next = %q, want b", got)
	}
	if r := mustReview(t, db, reject(b.ID, r3.ID, "unintelligible", "")); r.Status != corpus.StatusRejected || r.Votes != 3 {
		t.Fatalf("third review: %+v", r)
	}
	if _, err := db.SubmitReview(ctx, accept(b.ID, r3.ID)); !errors.Is(err, corpus.ErrAlreadyReviewed) {
		t.Fatalf("re-vote: %v", err)
	}
	rep := MustAudit(t, db)
	if rep.LedgerEntries != 1 || rep.LedgerCents != 50 {
		t.Fatalf("audit %+v", rep)
	}
}

// TestReviewAutoRejected: a clip the automatic checks rejected is not
// offered, cannot be voted on, and cannot be appealed.
func TestReviewAutoRejected(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	c := newClip(f, nil, "noisy")
	c.Status = corpus.StatusRejected
	mustCommitClip(t, db, c, wav(10))
	if got := mustNext(t, db, f.reviewer.ID); got != "" {
		t.Fatalf("offered an auto-rejected clip")
	}
	if _, err := db.SubmitReview(ctx, accept(c.ID, f.reviewer.ID)); !errors.Is(err, corpus.ErrNotReviewable) {
		t.Fatalf("vote on an auto-rejected clip: %v", err)
	}
	if _, err := db.Appeal(ctx, f.speaker.ID, c.ID, ""); !errors.Is(err, corpus.ErrNotAppealable) {
		t.Fatalf("appeal of an auto-rejected clip: %v", err)
	}
	MustAudit(t, db)
}

// TestLedger_AppendOnly is S-21 for the ledger: direct SQL cannot edit or
// delete an entry; an edit after dropping the triggers breaks the chain,
// and an entry deleted with its acceptance is found by B0 item 5.
func TestLedger_AppendOnly(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	c := mustCommitClip(t, db, newClip(f, nil, "1"), wav(10))
	c2 := mustCommitClip(t, db, newClip(f, nil, "2"), wav(10))
	mustReview(t, db, accept(c.ID, f.reviewer.ID))
	mustReview(t, db, accept(c2.ID, f.reviewer.ID))
	raw := rawDB(t, db)
	if _, err := raw.ExecContext(ctx, `UPDATE ledger_entries SET amount_cents = 99999`); err == nil {
		t.Fatal("UPDATE ledger_entries succeeded")
	}
	if _, err := raw.ExecContext(ctx, `DELETE FROM ledger_entries`); err == nil {
		t.Fatal("DELETE FROM ledger_entries succeeded")
	}
	if _, err := raw.ExecContext(ctx, `DELETE FROM reviews`); err == nil {
		t.Fatal("DELETE FROM reviews succeeded")
	}
	MustAudit(t, db)
	for _, q := range []string{
		`DROP TRIGGER ledger_entries_no_update`,
		`UPDATE ledger_entries SET amount_cents = 99999 WHERE clip_id = '` + c.ID + `'`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, err := db.Audit(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.LedgerChainOK || rep.OK() || rep.LedgerMismatches != 1 {
		t.Fatalf("after an edited amount: %+v", *rep)
	}
	// A status flipped to accepted with no entry: a mismatch.
	for _, q := range []string{
		`DROP TRIGGER decision_events_no_update`,
		`UPDATE decision_events SET to_status = 'rejected' WHERE clip_id = '` + c2.ID + `' AND reason = 'accept'`,
		`UPDATE clips SET status = 'rejected' WHERE id = '` + c2.ID + `'`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rep, _ = db.Audit(ctx, false)
	if rep.LedgerMismatches != 2 || rep.OK() {
		t.Fatalf("a rejected clip with a live earning: %+v", *rep)
	}
}
