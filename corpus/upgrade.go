package corpus

// Upgrades that cannot hurt (issue #18 part 2). The schema version of a
// corpus is the number of the newest migration applied to it (the numeric
// prefix of migrations/NNNN_name.sql), also kept in PRAGMA user_version.
// Before a binary applies migrations to an existing corpus it logs both
// versions and keeps a copy of the database as it was
// (dialect.db.before-vN, beside it); a binary refuses a corpus whose schema
// is newer than the migrations it carries, naming both versions.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrSchemaTooNew: the corpus was migrated by a newer binary. The
// *SchemaError that wraps it names both versions.
var ErrSchemaTooNew = errors.New("corpus schema is newer than this binary")

// SchemaError is the refusal of a corpus whose schema this binary does not
// know: newer than its newest migration, or carrying a migration it lacks.
type SchemaError struct {
	Dir     string   // the data directory (or backup) refused
	Corpus  int      // the corpus's schema version
	Known   int      // the newest version this binary knows
	Unknown []string // applied migrations this binary does not carry
}

func (e *SchemaError) Error() string {
	msg := fmt.Sprintf("corpus %s has schema v%d, this binary knows up to v%d", e.Dir, e.Corpus, e.Known)
	if len(e.Unknown) > 0 {
		msg += " (unknown migrations: " + strings.Join(e.Unknown, ", ") + ")"
	}
	return msg + ": use the newer dialect binary that migrated it, or restore a copy made before (dialect.db.before-vN or a backup)"
}

func (e *SchemaError) Unwrap() error { return ErrSchemaTooNew }

// Migration is what Open tells Options.Logger before it migrates an
// existing corpus.
type Migration struct {
	From, To int    // schema versions
	Copy     string // path of the copy of the database as it was
}

// migrationVersion is the numeric prefix of a migration file name
// ("migrations/0010_release_layout.sql" → 10); 0 when there is none.
func migrationVersion(name string) int {
	base := path.Base(name)
	i := strings.IndexFunc(base, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0
	}
	n, err := strconv.Atoi(base[:i])
	if err != nil {
		return 0
	}
	return n
}

// embeddedMigrations lists the migrations this binary carries, oldest
// first, up to version max (0: all).
func embeddedMigrations(max int) ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	if max <= 0 {
		return names, nil
	}
	var out []string
	for _, n := range names {
		if migrationVersion(n) <= max {
			out = append(out, n)
		}
	}
	return out, nil
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int {
	names, _ := embeddedMigrations(0) // the pattern is constant: Glob cannot fail
	v := 0
	for _, n := range names {
		v = max(v, migrationVersion(n))
	}
	return v
}

// schemaState is what a database says about its schema.
type schemaState struct {
	applied     map[string]bool
	version     int // newest applied migration
	userVersion int // PRAGMA user_version
}

// readSchema reads the applied migrations and user_version through q. A
// database without a migrations table is empty (version 0).
func readSchema(ctx context.Context, q querier) (*schemaState, error) {
	st := &schemaState{applied: map[string]bool{}}
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&st.userVersion); err != nil {
		return nil, mapErr(err)
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).Scan(&n); err != nil {
		return nil, mapErr(err)
	}
	if n == 0 {
		return st, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT name FROM migrations`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, mapErr(err)
		}
		st.applied[name] = true
		st.version = max(st.version, migrationVersion(name))
	}
	return st, mapErr(rows.Err())
}

// check refuses a schema newer than the migrations known, or one carrying
// a migration they lack.
func (st *schemaState) check(dir string, known []string) error {
	have := map[string]bool{}
	top := 0
	for _, n := range known {
		have[n] = true
		top = max(top, migrationVersion(n))
	}
	var unknown []string
	for n := range st.applied {
		if !have[n] {
			unknown = append(unknown, path.Base(n))
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 || st.version > top || st.userVersion > top {
		return &SchemaError{Dir: dir, Corpus: max(st.version, st.userVersion), Known: top, Unknown: unknown}
	}
	return nil
}

// checkSchemaRead refuses, through the read-only pool, a corpus newer than
// this binary (for the commands that read without opening: audit, backup).
func (db *DB) checkSchemaRead(ctx context.Context) error {
	st, err := readSchema(ctx, db.r)
	if err != nil {
		return err
	}
	known, err := embeddedMigrations(db.schemaMax)
	if err != nil {
		return err
	}
	return st.check(db.dir, known)
}

// beforeMigrate runs before the pending migrations are applied to a corpus
// that has some already: it refuses a newer schema, copies the database
// (online, consistent: VACUUM INTO) to dialect.db.before-vFROM, and logs
// both versions. It returns the versions so migrate can record the new one.
func (db *DB) beforeMigrate(ctx context.Context, st *schemaState, known, pending []string) error {
	if err := st.check(db.dir, known); err != nil {
		return err
	}
	if len(pending) == 0 || len(st.applied) == 0 {
		return nil // up to date, or a new corpus: nothing to keep
	}
	to := 0
	for _, n := range known {
		to = max(to, migrationVersion(n))
	}
	m := Migration{From: st.version, To: to}
	db.logger().Warn("migrating corpus: keeping a copy of the database first",
		"data_dir", db.dir, "from_schema", m.From, "to_schema", m.To, "pending", len(pending))
	cp, err := db.copyBeforeMigrate(ctx, st.version)
	if err != nil {
		return fmt.Errorf("copy the database before migrating v%d → v%d: %w", m.From, m.To, err)
	}
	m.Copy = cp
	db.logger().Warn("migrating corpus", "data_dir", db.dir, "from_schema", m.From, "to_schema", m.To, "copy", cp)
	return nil
}

// copyBeforeMigrate writes a consistent copy of the database to
// dialect.db.before-vN (…-vN.2 and so on when that name is taken): VACUUM
// INTO a temp name, fsync, rename, fsync the directory.
func (db *DB) copyBeforeMigrate(ctx context.Context, version int) (string, error) {
	base := fmt.Sprintf("%s.before-v%d", dbName, version)
	name := base
	for i := 2; ; i++ {
		if _, err := db.root.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return "", err
		}
		name = base + "." + strconv.Itoa(i)
	}
	tmp := name + ".tmp"
	if err := db.root.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := vacuumInto(ctx, db.w, filepath.Join(db.dir, tmp)); err != nil {
		return "", err
	}
	// VACUUM INTO writes a rollback-journal database; the copy is to be
	// the corpus's database again if need be, so it gets WAL, like the
	// original (and a read-only audit can open it).
	if err := setWAL(ctx, filepath.Join(db.dir, tmp)); err != nil {
		return "", err
	}
	if err := syncFileIn(db.root, tmp); err != nil {
		return "", err
	}
	if err := db.root.Rename(tmp, name); err != nil {
		return "", err
	}
	if err := syncDir(db.root, "."); err != nil {
		return "", err
	}
	return filepath.Join(db.dir, name), nil
}

// vacuumInto writes a transactionally consistent copy of the database q
// reads to path (which must not exist), as SQLite's VACUUM INTO does: one
// read transaction, so writers carry on beside it.
func vacuumInto(ctx context.Context, q querier, path string) error {
	_, err := q.ExecContext(ctx, `VACUUM INTO ?`, path)
	return mapErr(err)
}

// syncFileIn fsyncs a file under root and sets its mode to filePerm
// (SQLite creates files 0644).
func syncFileIn(root *os.Root, name string) error {
	f, err := root.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Chmod(filePerm); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// logger is Options.Logger, or slog's default (standard error).
func (db *DB) logger() *slog.Logger {
	if db.log != nil {
		return db.log
	}
	return slog.Default()
}

// setWAL puts the database file in WAL mode through its own connection,
// which checkpoints and removes its -wal and -shm files when it closes.
func setWAL(ctx context.Context, file string) error {
	d, _ := sql.Open("sqlite3", "file:"+escapeURIPath(file)+"?_busy_timeout=10000") // only fails for an unknown driver name
	var mode string
	err := d.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err == nil && !strings.EqualFold(mode, "wal") {
		err = fmt.Errorf("journal_mode %s, want wal", mode)
	}
	return mapErr(err)
}
