package corpus_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// TestProjectTimeZone: a project keeps its IANA time zone; an unknown one
// is refused; unset, its Location is UTC.
func TestProjectTimeZone(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	p := &corpus.Project{Slug: "tw", Name: "TW", Dialect: "nan-TW", Modes: []string{"prompted"}, TimeZone: "Asia/Taipei"}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := db.Project(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.TimeZone != "Asia/Taipei" || got.Location().String() != "Asia/Taipei" {
		t.Errorf("time zone %q, location %v", got.TimeZone, got.Location())
	}
	for _, bad := range []string{"Asia/Taipie", "Local", "+08:00"} {
		q := &corpus.Project{Slug: "bad", Name: "Bad", Dialect: "nan-TW", Modes: []string{"prompted"}, TimeZone: bad}
		if err := db.CreateProject(ctx, q); !errors.Is(err, corpus.ErrInvalid) {
			t.Errorf("time zone %q: %v, want ErrInvalid", bad, err)
		}
	}
	if loc := (&corpus.Project{}).Location(); loc.String() != "UTC" {
		t.Errorf("unset zone: %v", loc)
	}
	MustAudit(t, db)
}

// TestMigrationTimeZone: 0011_time_zone gives projects made before it a
// zone: Asia/Taipei for a Taiwanese dialect (their times were shown in UTC
// without saying so), none (UTC, named) for others.
func TestMigrationTimeZone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := corpus.MigrateAs(ctx, dir, 10); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "dialect.db")+"?_journal_mode=WAL&_synchronous=FULL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(ctx, `INSERT INTO projects (slug, name, dialect, created_at) VALUES
		('tw', 'TW', 'nan-TW', 1), ('hk', 'HK', 'yue-HK', 1)`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer MustCloseDB(t, db)
	for slug, want := range map[string]string{"tw": "Asia/Taipei", "hk": ""} {
		p, err := db.ProjectBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		if p.TimeZone != want {
			t.Errorf("project %s after 0011: time zone %q, want %q", slug, p.TimeZone, want)
		}
	}
}
