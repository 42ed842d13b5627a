package corpus_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_AddPrompts(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	p := mustProject(t, db, "p")
	q := mustProject(t, db, "q")
	t.Run("OK", func(t *testing.T) {
		n, err := db.AddPrompts(ctx, p.ID, []corpus.Prompt{
			{Text: "你好", Romanized: "lí hó"}, {Text: "多謝", Note: "thanks"}, {Text: "你好"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("added %d, want 2", n)
		}
		if n, err = db.AddPrompts(ctx, p.ID, []corpus.Prompt{{Text: "多謝"}, {Text: "食飽未"}}); err != nil || n != 1 {
			t.Fatalf("AddPrompts again = %d, %v; want 1, nil", n, err)
		}
		// The same text in another project is another prompt.
		if n, err = db.AddPrompts(ctx, q.ID, []corpus.Prompt{{Text: "你好"}}); err != nil || n != 1 {
			t.Fatalf("AddPrompts(q) = %d, %v; want 1, nil", n, err)
		}
		ps, err := db.Prompts(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, pr := range ps {
			texts = append(texts, pr.Text)
		}
		if want := []string{"你好", "多謝", "食飽未"}; !reflect.DeepEqual(texts, want) {
			t.Fatalf("Prompts = %q, want %q", texts, want)
		}
		got, err := db.Prompt(ctx, ps[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ps[0]) || got.Romanized != "lí hó" {
			t.Fatalf("Prompt = %+v, want %+v", got, ps[0])
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.AddPrompts(ctx, 999, []corpus.Prompt{{Text: "x"}})
		wantErr(t, err, corpus.ErrNotFound)
		_, err = db.Prompt(ctx, 999)
		wantErr(t, err, corpus.ErrNotFound)
	})
}

func TestDB_PromptUse(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	if _, err := db.AddPrompts(ctx, f.project.ID, []corpus.Prompt{{Text: "a"}, {Text: "b"}}); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Prompts(ctx, f.project.ID)
	ta, tb := mustTask(t, db, f, ps[0].ID), mustTask(t, db, f, ps[1].ID)
	mustCommitClip(t, db, newClip(f, ta, "1"), wav(10))
	c2 := newClip(f, ta, "2")
	c2.NoiseBand = "medium"
	mustCommitClip(t, db, c2, wav(10))
	c3 := newClip(f, tb, "3")
	c3.Status = corpus.StatusRejected
	mustCommitClip(t, db, c3, wav(10))

	use, err := db.PromptUse(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[int64]int{ps[0].ID: 2, ps[1].ID: 0}; !reflect.DeepEqual(use, want) {
		t.Fatalf("PromptUse = %v, want %v", use, want)
	}
	bands, err := db.BandCounts(ctx, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"low": 1, "medium": 1}; !reflect.DeepEqual(bands, want) {
		t.Fatalf("BandCounts = %v, want %v", bands, want)
	}
	if bands, _ = db.BandCounts(ctx, 999); len(bands) != 0 {
		t.Fatalf("BandCounts(unknown) = %v, want empty", bands)
	}
	MustAudit(t, db)
}
