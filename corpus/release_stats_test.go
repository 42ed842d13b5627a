package corpus_test

import (
	"context"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_Stats(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustReleaseFixture(t, db)
	f.addClip(t, db, f.speaker, 1, true)
	f.addClip(t, db, f.other, 2, false)
	c := newClip(f.fixture, nil, "rejected-1")
	c.Status = corpus.StatusRejected
	c.NoiseBand = "high"
	c.Receipt = []byte(`{"findings":[{"rule":"A011","severity":"error"},{"rule":"A013","severity":"warning"},{"rule":"T004","severity":"error"}]}`)
	mustCommitClip(t, db, c, wav(100))
	bad := newClip(f.fixture, nil, "rejected-2")
	bad.Status = corpus.StatusRejected
	bad.Receipt = nil // no receipt at all: skipped, not an error
	mustCommitClip(t, db, bad, wav(100))

	st, err := db.Stats(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Clips != 4 || st.Accepted != 1 || st.Rejected != 2 || st.Pending != 1 || st.Speakers != 2 {
		t.Fatalf("stats = %+v", st)
	}
	if len(st.TopRules) != 2 || st.TopRules[0].Clips != 1 {
		t.Fatalf("top rules = %+v, want A011 and T004", st.TopRules)
	}
	var low *corpus.QuotaRow
	for i := range st.Quotas {
		if st.Quotas[i].Band == "low" {
			low = &st.Quotas[i]
		}
	}
	if low == nil || low.Target != 10 || low.Accepted != 1 || low.Collected != 3 {
		t.Fatalf("quotas = %+v", st.Quotas)
	}
	if st.Quotas[0].Band != "low" {
		t.Fatalf("quota order = %+v", st.Quotas)
	}
	if len(st.ByRegion) != 1 || st.ByRegion[0].Key != "臺南 Tainan" {
		t.Fatalf("by region = %+v", st.ByRegion)
	}
}
