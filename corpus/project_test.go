package corpus_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_CreateProject(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		p := &corpus.Project{
			Slug: "minnan-tw", Name: "Minnan", Dialect: "nan-TW", Modes: []string{"prompted"},
			BandQuota: map[string]int{"low": 3}, RateCentsPerMinute: 500, Currency: "TWD",
			ConsentText: "ok", CheckConfig: json.RawMessage(`{"min_duration_s":2}`),
		}
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.CreatedAt.IsZero() {
			t.Fatalf("ID=%d CreatedAt=%v, want both set", p.ID, p.CreatedAt)
		}
		if got, want := p.ConsentVersion, 1; got != want {
			t.Fatalf("ConsentVersion=%d, want %d", got, want)
		}
		got, err := db.Project(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("Project=%+v, want %+v", got, p)
		}
		MustAudit(t, db)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		mustProject(t, db, "dup")
		wantErr(t, db.CreateProject(ctx, &corpus.Project{Slug: "dup", Name: "again"}), corpus.ErrConflict)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		for _, p := range []*corpus.Project{
			{Slug: "Upper", Name: "x"},
			{Slug: "", Name: "x"},
			{Slug: "ok", Name: ""},
			{Slug: "ok", Name: "x", LintConfig: json.RawMessage(`{`)},
		} {
			if err := db.CreateProject(ctx, p); err == nil {
				t.Errorf("CreateProject(%+v) = nil, want an error", p)
			}
		}
	})
}

func TestDB_Project(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	a, b := mustProject(t, db, "a"), mustProject(t, db, "b")
	t.Run("OK", func(t *testing.T) {
		got, err := db.ProjectBySlug(ctx, "b")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("ProjectBySlug=%+v, want %+v", got, b)
		}
		ps, err := db.Projects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 2 || ps[0].ID != a.ID || ps[1].ID != b.ID {
			t.Fatalf("Projects=%v, want [a b]", ps)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := db.Project(ctx, 999)
		wantErr(t, err, corpus.ErrNotFound)
		_, err = db.ProjectBySlug(ctx, "nope")
		wantErr(t, err, corpus.ErrNotFound)
	})
}
