package corpus

// This file lists every method of the API contract with a stub body; the
// implementation replaces each stub in the file of its record
// (project.go, user.go, session.go, token.go, prompt.go, task.go, clip.go,
// decision.go, audit.go, upload.go). Delete this file when done.

import (
	"context"
	"errors"
	"os"
	"time"
)

var errUnimplemented = errors.New("corpus: unimplemented")

// DB is the corpus: a data directory holding dialect.db (SQLite, WAL),
// clips/, tmp/ and quarantine/.
type DB struct {
	dir string
	now func() time.Time
}

// Open opens (creating if needed) the corpus in dir: applies migrations,
// checks the pragmas (synchronous=FULL, WAL, busy_timeout), runs PRAGMA
// quick_check and the reconciler. It returns ErrCorrupt when a clip row
// lacks its file.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) { return nil, errUnimplemented }

// Close closes the database.
func (db *DB) Close() error { return errUnimplemented }

// Dir is the data directory.
func (db *DB) Dir() string { return db.dir }

// Now is the corpus clock.
func (db *DB) Now() time.Time { return db.now() }

// CreateProject stores p, setting ID, CreatedAt and ConsentVersion (1 if 0).
// ErrConflict if the slug exists.
func (db *DB) CreateProject(ctx context.Context, p *Project) error { return errUnimplemented }

// Project returns the project with id.
func (db *DB) Project(ctx context.Context, id int64) (*Project, error) { return nil, errUnimplemented }

// ProjectBySlug returns the project with slug.
func (db *DB) ProjectBySlug(ctx context.Context, slug string) (*Project, error) {
	return nil, errUnimplemented
}

// Projects lists all projects by id.
func (db *DB) Projects(ctx context.Context) ([]*Project, error) { return nil, errUnimplemented }

// CreateUser stores u, setting ID and CreatedAt. ErrConflict if the
// username exists (case-insensitively).
func (db *DB) CreateUser(ctx context.Context, u *User) error { return errUnimplemented }

// User returns the user with id.
func (db *DB) User(ctx context.Context, id int64) (*User, error) { return nil, errUnimplemented }

// UserByUsername returns the user with that username (case-insensitive).
func (db *DB) UserByUsername(ctx context.Context, username string) (*User, error) {
	return nil, errUnimplemented
}

// Users lists the users of a project (0: all), by id.
func (db *DB) Users(ctx context.Context, projectID int64) ([]*User, error) {
	return nil, errUnimplemented
}

// UpdateProfile sets a speaker's dialect region, age band and gender.
func (db *DB) UpdateProfile(ctx context.Context, userID int64, region, ageBand, gender string) error {
	return errUnimplemented
}

// RecordConsent records that the user accepted consent text version v now.
func (db *DB) RecordConsent(ctx context.Context, userID int64, version int) error {
	return errUnimplemented
}

// SetPassword replaces the password hash and deletes all the user's
// sessions in the same transaction.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string) error {
	return errUnimplemented
}

// SetDisabled disables or enables an account; disabling deletes its sessions.
func (db *DB) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	return errUnimplemented
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s *Session) error { return errUnimplemented }

// SessionByHash returns the live session with that token hash; ErrNotFound
// when unknown, idle past its IdleTimeout or past ExpiresAt (and deletes it).
func (db *DB) SessionByHash(ctx context.Context, hash []byte) (*Session, error) {
	return nil, errUnimplemented
}

// TouchSession sets LastSeen to now.
func (db *DB) TouchSession(ctx context.Context, hash []byte) error { return errUnimplemented }

// DeleteSession removes one session (sign-out).
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error { return errUnimplemented }

// CreateToken stores a vendor token (t.Hash set by the caller), setting ID
// and CreatedAt.
func (db *DB) CreateToken(ctx context.Context, t *Token) error { return errUnimplemented }

// TokenByHash returns the unrevoked token with that hash.
func (db *DB) TokenByHash(ctx context.Context, hash []byte) (*Token, error) {
	return nil, errUnimplemented
}

// AddPrompts stores prompts for a project, skipping any whose Text already
// exists in it; it returns how many were added.
func (db *DB) AddPrompts(ctx context.Context, projectID int64, prompts []Prompt) (int, error) {
	return 0, errUnimplemented
}

// Prompts lists a project's prompts by id.
func (db *DB) Prompts(ctx context.Context, projectID int64) ([]*Prompt, error) {
	return nil, errUnimplemented
}

// Prompt returns one prompt.
func (db *DB) Prompt(ctx context.Context, id int64) (*Prompt, error) { return nil, errUnimplemented }

// PromptUse counts, per prompt of the project, the clips not rejected.
func (db *DB) PromptUse(ctx context.Context, projectID int64) (map[int64]int, error) {
	return nil, errUnimplemented
}

// BandCounts counts a project's clips not rejected, per declared noise band.
func (db *DB) BandCounts(ctx context.Context, projectID int64) (map[string]int, error) {
	return nil, errUnimplemented
}

// CreateTask stores t, setting ID (128-bit random hex) and CreatedAt.
func (db *DB) CreateTask(ctx context.Context, t *Task) error { return errUnimplemented }

// Task returns one task.
func (db *DB) Task(ctx context.Context, id string) (*Task, error) { return nil, errUnimplemented }

// OpenTask returns the speaker's newest task that has no clip that is
// pending review or accepted (a task may take several clips: retakes).
// ErrNotFound when there is none.
func (db *DB) OpenTask(ctx context.Context, speakerID int64) (*Task, error) {
	return nil, errUnimplemented
}

// Upload is a clip being received: a temp file in tmp/ on the same
// filesystem as clips/, hashed as it is written.
type Upload struct {
	f    *os.File
	path string
	n    int64
	sum  []byte
}

// NewUpload creates a temp file for an incoming clip.
func (db *DB) NewUpload() (*Upload, error) { return nil, errUnimplemented }

// Write appends to the upload and its running SHA-256; ErrNoSpace when the
// disk is full.
func (u *Upload) Write(p []byte) (int, error) { return 0, errUnimplemented }

// ReadAt reads what was written (for validation before commit).
func (u *Upload) ReadAt(p []byte, off int64) (int, error) { return 0, errUnimplemented }

// Size is the number of bytes written.
func (u *Upload) Size() int64 { return u.n }

// SHA256 is the hex digest of what was written.
func (u *Upload) SHA256() string { return "" }

// Discard removes the temp file; safe to call after CommitClip.
func (u *Upload) Discard() error { return errUnimplemented }

// CommitClip makes the upload the clip c, durably (reliability.md C2): fsync
// and close the temp file, rename it to clips/<c.ID>.wav, fsync clips/, then
// insert the row and its first decision event (author 0, From "", To
// c.Status, Reason "auto") in one transaction. It sets c.ID (128-bit random
// hex) when empty, c.SHA256, c.Bytes and c.CreatedAt. If the speaker already
// has a clip with c.ClientClipID it returns ErrConflict and leaves no file.
// A crash at any point leaves the whole clip or none of it.
func (db *DB) CommitClip(ctx context.Context, c *Clip, u *Upload) error { return errUnimplemented }

// Clip returns one clip.
func (db *DB) Clip(ctx context.Context, id string) (*Clip, error) { return nil, errUnimplemented }

// ClipByClientID returns a speaker's clip with that client clip id.
func (db *DB) ClipByClientID(ctx context.Context, speakerID int64, clientClipID string) (*Clip, error) {
	return nil, errUnimplemented
}

// Clips lists clips, newest first.
func (db *DB) Clips(ctx context.Context, f ClipFilter) ([]*Clip, error) {
	return nil, errUnimplemented
}

// OpenClipFile opens a clip's file read-only through an os.Root on clips/.
func (db *DB) OpenClipFile(id string) (*os.File, error) { return nil, errUnimplemented }

// AppendDecision appends d to the clip's history (setting ID, From, hashes,
// CreatedAt) and sets the clip's status to d.To, in one transaction.
func (db *DB) AppendDecision(ctx context.Context, d *Decision) error { return errUnimplemented }

// Decisions returns a clip's history, oldest first.
func (db *DB) Decisions(ctx context.Context, clipID string) ([]*Decision, error) {
	return nil, errUnimplemented
}

// Audit runs the invariant audit (B0 items 1–4); verifyHashes re-reads
// every clip file and compares SHA-256.
func (db *DB) Audit(ctx context.Context, verifyHashes bool) (*AuditReport, error) {
	return nil, errUnimplemented
}

// Reconcile quarantines orphan clip files older than the grace period,
// removes temp files older than 24 h and counts rows without a file.
func (db *DB) Reconcile(ctx context.Context) (*ReconcileReport, error) {
	return nil, errUnimplemented
}
