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
	"errors"
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
}
