package corpus

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// tx is a transaction with the time it started, so every row written in it
// carries the same timestamp (WTF sqlite.Tx).
type tx struct {
	*sql.Tx // nil in a one-statement read (readOne)
	q       querier
	db      *DB
	now     time.Time
}

// querier is what statements run on: a transaction, or the reader pool.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ExecContext, QueryContext and QueryRowContext run on t's querier.
func (t *tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(ctx, query, args...)
}

func (t *tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(ctx, query, args...)
}

func (t *tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(ctx, query, args...)
}

// beginWrite starts a write transaction on the writer connection. The DSN
// makes it BEGIN IMMEDIATE: the write lock is taken up front, so a
// read-then-write transaction never fails half-way with SQLITE_BUSY. The
// caller's context is stripped of its cancellation (mattn/go-sqlite3 #769: a
// cancel mid-transaction rolls it back behind the caller's back); the busy
// timeout bounds the wait instead.
func (db *DB) beginWrite(ctx context.Context) (*tx, error) {
	t, err := db.w.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, mapErr(err)
	}
	return &tx{Tx: t, q: t, db: db, now: db.Now()}, nil
}

// beginRead starts a read transaction on the read-only pool, so reads never
// queue behind the writer.
func (db *DB) beginRead(ctx context.Context) (*tx, error) {
	t, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err)
	}
	return &tx{Tx: t, q: t, db: db, now: db.Now()}, nil
}

// commit commits and maps the error.
func (t *tx) commit() error { return mapErr(t.Commit()) }

// update runs fn in a write transaction and commits it. fn gets a context
// without the caller's cancellation, for the same reason as beginWrite: a
// client that goes away must not interrupt a statement half-way through a
// multi-step write (F-11); the write either commits whole or not at all.
func (db *DB) update(ctx context.Context, fn func(context.Context, *tx) error) error {
	ctx = context.WithoutCancel(ctx)
	t, err := db.beginWrite(ctx)
	if err != nil {
		return err
	}
	// A no-op after the commit; when fn fails, its error is the one to
	// report.
	defer func() { _ = t.Rollback() }()
	if err := fn(ctx, t); err != nil {
		return err
	}
	return t.commit()
}

// readOne runs fn, which must issue a single statement, on the reader pool
// without a transaction: SQLite reads one statement from one snapshot
// anyway, and the BEGIN and COMMIT around the few lookups every request
// makes (session, user, task, clip) were a sixth of an upload's CPU.
func (db *DB) readOne(ctx context.Context, fn func(*tx) error) error {
	return fn(&tx{q: db.r, db: db, now: db.Now()})
}

// queryIDs reads the single text column of a query, in a read transaction.
func (db *DB) queryIDs(ctx context.Context, query string, args ...any) ([]string, error) {
	var ids []string
	err := db.view(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, query, args...)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return mapErr(err)
			}
			ids = append(ids, id)
		}
		return mapErr(rows.Err())
	})
	return ids, err
}

// view runs fn in a read transaction.
func (db *DB) view(ctx context.Context, fn func(*tx) error) error {
	t, err := db.beginRead(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = t.Rollback() }() // a read transaction: ending it undoes nothing
	return fn(t)
}

// migrate applies the embedded migrations not yet recorded in the migrations
// table, in lexical order, one transaction each (WTF sqlite.migrate).
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (
		name       TEXT PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return mapErr(err)
	}
	names, err := embeddedMigrations(db.schemaMax)
	if err != nil {
		return err
	}
	// upgrade.go: refuse a newer schema; before migrating an existing
	// corpus, say so and keep a copy of the database as it was.
	st, err := readSchema(ctx, db.w)
	if err != nil {
		return err
	}
	var pending []string
	for _, name := range names {
		if !st.applied[name] {
			pending = append(pending, name)
		}
	}
	if err := db.beforeMigrate(ctx, st, names, pending); err != nil {
		return err
	}
	for _, name := range pending {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(pending) > 0 {
		_, err := db.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, migrationVersion(names[len(names)-1])))
		return mapErr(err)
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return mapErr(err)
		}
		if n != 0 {
			return nil
		}
		buf, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, string(buf)); err != nil {
			return mapErr(err)
		}
		_, err = t.ExecContext(ctx, `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, name, nanos(t.now))
		return mapErr(err)
	})
}

// newID returns 128 random bits in hex: clip and task ids, never guessable
// or sequential (S-02, S-03).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// validID reports whether s has the form of an id from newID. Ids are
// checked before they reach a file name.
func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// nanos is how times are stored: UTC unix nanoseconds.
func nanos(t time.Time) int64 { return t.UTC().UnixNano() }

// fromNanos is the inverse of nanos.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// nullNanos stores a nil time as NULL.
func nullNanos(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nanos(*t)
}

// fromNullNanos is the inverse of nullNanos.
func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}

// nullInt64 stores 0 as NULL (an optional foreign key).
func nullInt64(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// nullString stores "" as NULL (an optional foreign key).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// nullInt is a nullable INTEGER column.
type nullInt = sql.NullInt64

// nullStr is a nullable TEXT column.
type nullStr = sql.NullString
