// Package corpus is the domain and its storage: projects, people, prompts,
// tasks, clips, decisions; an SQLite database with versioned migrations;
// clip files stored durably under server-generated names. It is the only
// package that speaks SQL.
//
// API CONTRACT: the signatures in this package are what recorder/ and
// server/ are written against. Implementations may change; signatures only
// by agreement.
package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Errors the callers branch on (server/errors.go maps them to statuses).
var (
	// ErrNotFound: no such record, or not visible to the caller.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique key already exists (username, slug, client clip id).
	ErrConflict = errors.New("conflict")
	// ErrBusy: the database stayed locked past the busy timeout (→ 503 + Retry-After).
	ErrBusy = errors.New("database busy")
	// ErrNoSpace: the disk is full (→ 507); nothing was half-written.
	ErrNoSpace = errors.New("no space left on device")
	// ErrInvalid: a record breaks its own rules (a bad slug, username,
	// status); the wrapped error says which (→ 400).
	ErrInvalid = errors.New("invalid")
	// ErrCorrupt: a row lacks its file, or the database fails its check;
	// the server refuses to start (B0).
	ErrCorrupt = errors.New("corpus corrupt")
)

// Options configure Open.
type Options struct {
	// Grace is how old an orphan clip file must be before the reconciler
	// quarantines it (default 1 h); temp files older than 24 h are removed.
	Grace time.Duration
	// Now replaces the clock in tests (default time.Now).
	Now func() time.Time
	// OnStatement, when set, is called with every SQL statement the corpus
	// sends to SQLite, and its arguments, before it runs (trace.go): for
	// tests that check what a request runs. Nil in production.
	OnStatement func(query string, args []any)
	// Logger gets the notice Open gives before it migrates an existing
	// corpus (both schema versions, the copy it kept); default slog's.
	Logger *slog.Logger
}

// DB is the corpus: a data directory holding dialect.db (SQLite, WAL),
// clips/, tmp/ and quarantine/.
type DB struct {
	dir   string
	now   func() time.Time
	grace time.Duration

	// w is the single writer connection (reliability.md C1): every write
	// transaction is BEGIN IMMEDIATE on it, so writers queue in Go instead of
	// failing with SQLITE_BUSY. r is a read-only pool for plain reads.
	w *sql.DB
	r *sql.DB

	// root is an os.Root on the data directory and clips one on clips/:
	// every file is opened through them, so a planted symlink cannot lead
	// outside (S-08).
	root  *os.Root
	clips *os.Root

	// reconciled is what the reconciler did when Open ran it.
	reconciled ReconcileReport

	// group batches clip commits (groupcommit.go).
	group groupCommit

	// onStatement is Options.OnStatement.
	onStatement func(query string, args []any)

	// log is Options.Logger. schemaMax, when set (tests), makes the corpus
	// behave like the binary whose newest migration has that version.
	log       *slog.Logger
	schemaMax int
}

// Layout of the data directory.
const (
	dbName        = "dialect.db"
	clipsDir      = "clips"
	tmpDir        = "tmp"
	quarantineDir = "quarantine"

	dirPerm  = 0o750
	filePerm = 0o640

	defaultGrace = time.Hour
	tempMaxAge   = 24 * time.Hour
)

// busyTimeoutMS is how long a connection waits on a lock before SQLITE_BUSY
// (C1: 10 s). A variable only so tests can shorten it.
var busyTimeoutMS = 10000

// writerDSN is the DSN of the writer connection. Pragmas go in the DSN so that
// every connection the pool opens gets them; the driver's defaults are
// synchronous=NORMAL and deferred transactions, which lose acked writes on
// power loss and fail read-then-write transactions with SQLITE_BUSY.
// _stmt_cache_size keeps each connection's prepared statements: preparing
// was most of the cost of the short lookups a request makes (about 30 µs
// of a 35 µs primary-key read), and the statements are a fixed set.
func writerDSN(path string) string {
	return fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=%d&_txlock=immediate&_foreign_keys=1&_stmt_cache_size=128",
		escapeURIPath(path), busyTimeoutMS)
}

// readerDSN is the DSN of the read-only pool. Never cache=shared.
func readerDSN(path string) string {
	return fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=%d&_foreign_keys=1&_stmt_cache_size=128&mode=ro",
		escapeURIPath(path), busyTimeoutMS)
}

// escapeURIPath escapes the characters that end or escape the path part of
// an SQLite URI filename (the driver cuts the DSN at the first '?').
func escapeURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Open opens (creating if needed) the corpus in dir: applies migrations,
// checks the pragmas (synchronous=FULL, WAL, busy_timeout), runs PRAGMA
// quick_check and the reconciler. It returns ErrCorrupt when a clip row
// lacks its file.
func Open(ctx context.Context, dir string, opts Options) (_ *DB, err error) {
	if dir == "" {
		return nil, errors.New("open corpus: empty data directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	db := &DB{dir: abs, now: opts.Now, grace: opts.Grace, onStatement: opts.OnStatement, log: opts.Logger}
	if db.now == nil {
		db.now = time.Now
	}
	if db.grace <= 0 {
		db.grace = defaultGrace
	}
	defer func() {
		if err != nil {
			_ = db.Close()
		}
	}()
	if err := db.openFiles(true); err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	if err := db.openWriter(ctx); err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	if err := db.openReader(ctx); err != nil {
		return nil, fmt.Errorf("open corpus: %w", err)
	}
	rep, err := db.Reconcile(ctx)
	if err != nil {
		return nil, fmt.Errorf("open corpus: reconcile: %w", err)
	}
	if rep.RowsWithoutFile > 0 {
		return nil, fmt.Errorf("open corpus: %d clip rows without a file: %w", rep.RowsWithoutFile, ErrCorrupt)
	}
	db.reconciled = *rep
	return db, nil
}

// Reconciled is what the startup reconciler did when Open ran it, for the
// server to log (reliability.md F-13: "logs counts").
func (db *DB) Reconciled() ReconcileReport { return db.reconciled }

// openFiles creates (when create is set) and opens the directory layout.
func (db *DB) openFiles(create bool) error {
	if create {
		for _, d := range []string{db.dir, filepath.Join(db.dir, clipsDir), filepath.Join(db.dir, tmpDir), filepath.Join(db.dir, quarantineDir)} {
			if err := os.MkdirAll(d, dirPerm); err != nil {
				return mapErr(err)
			}
		}
	}
	root, err := os.OpenRoot(db.dir)
	if err != nil {
		return err
	}
	db.root = root
	if db.clips, err = root.OpenRoot(clipsDir); err != nil {
		return err
	}
	if create {
		// SQLite creates its files 0644; create the database first so it
		// (and the -wal and -shm files, which copy its mode) are 0640.
		f, err := root.OpenFile(dbName, os.O_RDWR|os.O_CREATE, filePerm)
		if err != nil {
			return mapErr(err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// openWriter opens the writer connection, checks its pragmas, migrates and
// runs PRAGMA quick_check.
func (db *DB) openWriter(ctx context.Context) error {
	w := db.openSQL(writerDSN(filepath.Join(db.dir, dbName)))
	db.w = w
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := db.checkPragmas(ctx); err != nil {
		return err
	}
	if err := db.migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var check string
	if err := w.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return fmt.Errorf("quick_check: %w", mapErr(err))
	}
	if check != "ok" {
		return fmt.Errorf("quick_check: %s: %w", check, ErrCorrupt)
	}
	return nil
}

// openReader opens the read-only pool (after the writer has created and
// migrated the database: mode=ro cannot create it).
func (db *DB) openReader(ctx context.Context) error {
	r := db.openSQL(readerDSN(filepath.Join(db.dir, dbName)))
	db.r = r
	r.SetMaxOpenConns(2 * runtime.GOMAXPROCS(0))
	r.SetMaxIdleConns(2 * runtime.GOMAXPROCS(0))
	return mapErr(r.PingContext(ctx))
}

// pragmas reads the settings C1 requires from the writer connection.
func (db *DB) pragmas(ctx context.Context) (synchronous int, journalMode string, busyTimeout, foreignKeys int, err error) {
	for _, p := range []struct {
		name string
		dest any
	}{
		{"synchronous", &synchronous},
		{"journal_mode", &journalMode},
		{"busy_timeout", &busyTimeout},
		{"foreign_keys", &foreignKeys},
	} {
		if err := db.w.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(p.dest); err != nil {
			return 0, "", 0, 0, fmt.Errorf("pragma %s: %w", p.name, mapErr(err))
		}
	}
	return synchronous, journalMode, busyTimeout, foreignKeys, nil
}

// checkPragmas refuses to run with settings that lose acknowledged writes
// (the driver silently defaults to synchronous=NORMAL).
func (db *DB) checkPragmas(ctx context.Context) error {
	sync, mode, busy, fk, err := db.pragmas(ctx)
	if err != nil {
		return err
	}
	switch {
	case sync != 2:
		return fmt.Errorf("pragma synchronous=%d, want 2 (FULL)", sync)
	case !strings.EqualFold(mode, "wal"):
		return fmt.Errorf("pragma journal_mode=%s, want wal", mode)
	case busy != busyTimeoutMS:
		return fmt.Errorf("pragma busy_timeout=%d, want %d", busy, busyTimeoutMS)
	case fk != 1:
		return fmt.Errorf("pragma foreign_keys=%d, want 1", fk)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopBackground() // background hashing of release archives
	var errs []error
	// Readers first: the last connection to close checkpoints the WAL, and
	// only the writer can.
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if db.clips != nil {
		errs = append(errs, db.clips.Close())
	}
	if db.root != nil {
		errs = append(errs, db.root.Close())
	}
	return errors.Join(errs...)
}

// Dir is the data directory.
func (db *DB) Dir() string { return db.dir }

// Now is the corpus clock.
func (db *DB) Now() time.Time { return db.now().UTC() }
