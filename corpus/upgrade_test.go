package corpus_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// schemaOf reads the applied migrations' newest version and user_version
// of an SQLite file through its own read-only connection.
func schemaOf(t *testing.T, path string) (newest string, count, userVersion int) {
	t.Helper()
	raw, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = raw.Close() }()
	if err := raw.QueryRowContext(t.Context(), `SELECT MAX(name), COUNT(*) FROM migrations`).Scan(&newest, &count); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if err := raw.QueryRowContext(t.Context(), `PRAGMA user_version`).Scan(&userVersion); err != nil {
		t.Fatal(err)
	}
	return newest, count, userVersion
}

// TestUpgrade_FromEveryEarlierSchema builds a corpus with only the
// migrations up to each earlier version (what the binary of that version
// made), then opens it with this binary: it says so with both versions,
// keeps dialect.db.before-vN (which opens at the old version), migrates and
// audits clean.
func TestUpgrade_FromEveryEarlierSchema(t *testing.T) {
	ctx := context.Background()
	latest := corpus.SchemaVersion()
	if latest < 2 {
		t.Fatal("one migration: nothing to upgrade from (the corpus has had several since 0002)")
	}
	for from := 1; from < latest; from++ {
		t.Run(fmt.Sprintf("v%d", from), func(t *testing.T) {
			dir := t.TempDir()
			if err := corpus.MigrateAs(ctx, dir, from); err != nil {
				t.Fatal(err)
			}
			if _, n, uv := schemaOf(t, filepath.Join(dir, "dialect.db")); uv != from {
				t.Fatalf("old corpus: %d migrations, user_version %d, want %d", n, uv, from)
			}

			var log bytes.Buffer
			db := MustOpenDBAt(t, dir, corpus.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
			MustAudit(t, db)
			MustCloseDB(t, db)
			if s := log.String(); !strings.Contains(s, fmt.Sprintf("from_schema=%d", from)) ||
				!strings.Contains(s, fmt.Sprintf("to_schema=%d", latest)) {
				t.Errorf("migration log does not name both versions:\n%s", s)
			}
			_, n, uv := schemaOf(t, filepath.Join(dir, "dialect.db"))
			if uv != latest {
				t.Errorf("migrated corpus: user_version %d (%d migrations), want %d", uv, n, latest)
			}
			cp := filepath.Join(dir, fmt.Sprintf("dialect.db.before-v%d", from))
			newest, _, uv := schemaOf(t, cp)
			if uv != from || !strings.HasPrefix(newest, fmt.Sprintf("migrations/%04d_", from)) {
				t.Errorf("copy before migrating: newest migration %s, user_version %d, want v%d", newest, uv, from)
			}
			if fi, err := os.Stat(cp); err != nil || fi.Mode().Perm() != 0o640 {
				t.Errorf("copy: %v %v", fi, err)
			}

			// Opening again migrates nothing and copies nothing.
			log.Reset()
			db = MustOpenDBAt(t, dir, corpus.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
			MustCloseDB(t, db)
			if log.Len() != 0 {
				t.Errorf("second open logged: %s", log.String())
			}
		})
	}
}

// TestUpgrade_OlderBinaryRefuses: the binary of the previous version
// refuses a corpus this one made (the issue: it opened it without a word).
func TestUpgrade_OlderBinaryRefuses(t *testing.T) {
	ctx := context.Background()
	latest := corpus.SchemaVersion()
	dir := t.TempDir()
	MustCloseDB(t, MustOpenDBAt(t, dir, corpus.Options{}))
	err := corpus.MigrateAs(ctx, dir, latest-1)
	if !errors.Is(err, corpus.ErrSchemaTooNew) || !strings.Contains(err.Error(), fmt.Sprintf("schema v%d, this binary knows up to v%d", latest, latest-1)) {
		t.Fatalf("v%d binary on a v%d corpus: %v, want ErrSchemaTooNew naming both", latest-1, latest, err)
	}
	// And this binary still opens it.
	MustCloseDB(t, MustOpenDBAt(t, dir, corpus.Options{}))
}

// TestUpgrade_RefusesNewerSchema: a corpus migrated by a newer binary (a
// migration this one lacks, or a higher user_version) is refused by Open
// and by AuditDir, naming both versions, and is left as it was.
func TestUpgrade_RefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	latest := corpus.SchemaVersion()
	for _, tc := range []struct {
		name   string
		tamper string
	}{
		{"migration", fmt.Sprintf(`INSERT INTO migrations (name, applied_at) VALUES ('migrations/%04d_future.sql', 0)`, latest+1)},
		{"user_version", fmt.Sprintf(`PRAGMA user_version = %d`, latest+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			db := MustOpenDBAt(t, dir, corpus.Options{})
			if _, err := rawDB(t, db).ExecContext(t.Context(), tc.tamper); err != nil {
				t.Fatal(err)
			}
			MustCloseDB(t, db)
			want := fmt.Sprintf("schema v%d, this binary knows up to v%d", latest+1, latest)
			_, err := corpus.Open(ctx, dir, corpus.Options{})
			var se *corpus.SchemaError
			if !errors.As(err, &se) || !errors.Is(err, corpus.ErrSchemaTooNew) || !strings.Contains(err.Error(), want) {
				t.Fatalf("Open = %v, want a SchemaError naming %q", err, want)
			}
			if _, err := corpus.AuditDir(ctx, dir, false); !errors.Is(err, corpus.ErrSchemaTooNew) {
				t.Errorf("AuditDir = %v, want ErrSchemaTooNew", err)
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), "before-v") {
					t.Errorf("a refused corpus got a copy: %s", e.Name())
				}
			}
		})
	}
}
