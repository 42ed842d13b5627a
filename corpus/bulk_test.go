package corpus_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// TestDB_BulkLoad: a bulk-loaded corpus is one the audit passes: every row
// has its (shared) file, the decisions chain, accepted clips are paid, the
// counters equal a recount.
func TestDB_BulkLoad(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	if _, err := db.AddPrompts(ctx, f.project.ID, []corpus.Prompt{{Text: "a"}, {Text: "b"}, {Text: "c"}}); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Prompts(ctx, f.project.ID)
	audio := wav(100)
	statuses := []corpus.ClipStatus{corpus.StatusPendingReview, corpus.StatusAccepted, corpus.StatusRejected, corpus.StatusRejected}
	var sp *corpus.User
	err := db.BulkLoad(ctx, audio, 120, 50, func(i int, b *corpus.BulkClip) {
		if i%10 == 0 { // ten clips a speaker, each speaker new
			sp = &corpus.User{Username: "bulk-" + strconv.Itoa(i), Role: corpus.RoleSpeaker, ProjectID: f.project.ID,
				DialectRegion: []string{"臺北市", "臺南市"}[i/10%2], Gender: "female", AgeBand: "20_29", ConsentVersion: 1}
		}
		b.Speaker = sp
		b.Task = corpus.Task{ProjectID: f.project.ID, PromptID: ps[i%len(ps)].ID,
			Mode: "prompted", NoiseBand: []string{"low", "medium", "high"}[i%3]}
		b.Clip = corpus.Clip{ClientClipID: "bulk-" + strconv.Itoa(i), DurationS: 4.5, SampleRate: 16000, Channels: 1, Bits: 16,
			Mode: "prompted", NoiseBand: b.Task.NoiseBand, Status: statuses[i%4], Receipt: []byte(`{}`)}
		if i%4 != 3 { // every fourth rejected by the automatic checks, the rest by a reviewer
			b.DecidedBy = f.reviewer.ID
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := MustAudit(t, db)
	if rep.Clips != 120 || rep.LedgerEntries != 30 {
		t.Fatalf("audit: %d clips, %d ledger entries; want 120, 30", rep.Clips, rep.LedgerEntries)
	}
	for status, want := range map[corpus.ClipStatus]int{corpus.StatusPendingReview: 30, corpus.StatusAccepted: 30, corpus.StatusRejected: 60} {
		cs, err := db.Clips(ctx, corpus.ClipFilter{ProjectID: f.project.ID, Status: status, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != want {
			t.Errorf("%s: %d clips, want %d", status, len(cs), want)
		}
	}
	if us, _ := db.Users(ctx, f.project.ID); len(us) != 2+12 {
		t.Errorf("%d users in the project, want the fixture's 2 and 12 speakers", len(us))
	}
	if n, _ := tallyOf(t, db, f.project.ID, corpus.DimRegion, "臺南市", statuses[:3]...); n != 60 {
		t.Errorf("region 臺南市: %d clips, want 60", n)
	}
	if n := dirLen(t, db.Dir()+"/tmp"); n != 0 {
		t.Errorf("tmp/ holds %d files after the load, want 0", n)
	}
}
