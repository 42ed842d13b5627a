package corpus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// validate checks what the caller must set before CommitClip.
func (c *Clip) validate() error {
	switch {
	case c.ProjectID == 0:
		return errors.New("clip project id is required")
	case c.SpeakerID == 0:
		return errors.New("clip speaker id is required")
	case c.ClientClipID == "" || len(c.ClientClipID) > 128:
		return errors.New("clip client id must be 1-128 bytes")
	case c.ID != "" && !validID(c.ID):
		return fmt.Errorf("clip id %q is not 32 lowercase hex digits", c.ID)
	case c.TaskID != "" && !validID(c.TaskID):
		return fmt.Errorf("clip task id %q: %w", c.TaskID, ErrNotFound)
	case len(c.Receipt) != 0 && !json.Valid(c.Receipt):
		return errors.New("clip receipt is not valid JSON")
	}
	if c.Status != "" && !validStatus(c.Status) {
		return fmt.Errorf("unknown clip status %q", c.Status)
	}
	return nil
}

func validStatus(s ClipStatus) bool {
	switch s {
	case StatusPendingReview, StatusRejected, StatusAccepted:
		return true
	}
	return false
}

// clipName is the file name of a clip under clips/: always server-generated.
func clipName(id string) string { return id + ".wav" }

// CommitClip makes the upload the clip c, durably (reliability.md C2): fsync
// and close the temp file, rename it to clips/<c.ID>.wav, fsync clips/, then
// insert the row and its first decision event (author 0, From "", To
// c.Status, Reason "auto") in one transaction. It sets c.ID (128-bit random
// hex) when empty, c.SHA256, c.Bytes and c.CreatedAt. If the speaker already
// has a clip with c.ClientClipID it returns ErrConflict and leaves no file.
// A crash at any point leaves the whole clip or none of it.
//
// An empty c.Status means StatusPendingReview. The upload is used up either
// way: on error neither its temp file nor a clip file is left behind.
func (db *DB) CommitClip(ctx context.Context, c *Clip, u *Upload) (err error) {
	if u == nil || u.db != db {
		return errors.New("commit clip: upload from another corpus")
	}
	if u.gone || u.sum != nil {
		return fmt.Errorf("commit clip: %w", errUploadDone)
	}
	defer func() {
		if err != nil {
			_ = u.Discard() // no-op once renamed; the clip file is handled below
		}
	}()
	if err := c.validate(); err != nil {
		return fmt.Errorf("commit clip: %w: %w", ErrInvalid, err)
	}
	if c.Status == "" {
		c.Status = StatusPendingReview
	}
	callerID := c.ID != ""
	if !callerID {
		c.ID = newID()
	}
	// A retry with the same idempotency key is the usual conflict: answer it
	// before touching clips/. A race between two commits is caught by the
	// UNIQUE constraint below.
	if _, err := db.ClipByClientID(ctx, c.SpeakerID, c.ClientClipID); err == nil {
		return fmt.Errorf("commit clip: client clip id %q: %w", c.ClientClipID, ErrConflict)
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("commit clip: %w", err)
	}

	failpoint("after-temp-write")
	// C2 1–2: the bytes are on disk before they get a name.
	if err := u.finish(); err != nil {
		return fmt.Errorf("commit clip: %w", err)
	}
	failpoint("after-fsync")
	c.SHA256, c.Bytes = u.SHA256(), u.n
	// The reconciler's grace period counts from the file's mtime, which is
	// its last write: the end of the upload, just before this commit.
	name := clipName(c.ID)
	if callerID {
		// os.Rename replaces silently: a caller-chosen id must not overwrite
		// another clip's file.
		if _, err := db.clips.Lstat(name); err == nil {
			return fmt.Errorf("commit clip: clip %s: %w", c.ID, ErrConflict)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("commit clip: %w", err)
		}
	}
	// C2 3–4: rename into clips/ and make the new name durable.
	if err := db.root.Rename(u.path, path.Join(clipsDir, name)); err != nil {
		return fmt.Errorf("commit clip: %w", mapErr(err))
	}
	u.gone = true
	failpoint("after-rename")
	// C2 4–5: fsync clips/ and commit the row, batched with concurrent
	// commits (groupcommit.go); on failure the file is removed.
	if err := db.commitRow(ctx, c); err != nil {
		return fmt.Errorf("commit clip: %w", err)
	}
	failpoint("after-commit")
	return nil
}

// removeUnlessRow removes a clip file whose row failed to commit. It first
// asks the writer whether the row exists after all (a commit can report an
// I/O error and still be durable): a row without its file is the one state
// that must never happen, while an orphan file is only quarantined later.
func (db *DB) removeUnlessRow(ctx context.Context, id string) {
	var n int
	if err := db.w.QueryRowContext(context.WithoutCancel(ctx), `SELECT COUNT(*) FROM clips WHERE id = ?`, id).Scan(&n); err != nil || n != 0 {
		return
	}
	if err := db.clips.Remove(clipName(id)); err == nil {
		_ = syncDir(db.root, clipsDir)
	}
}

// syncDir fsyncs a directory so the names in it survive a power loss.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}

// Clip returns one clip.
func (db *DB) Clip(ctx context.Context, id string) (c *Clip, err error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	err = db.readOne(ctx, func(t *tx) error {
		c, err = findClip(ctx, t, `WHERE id = ?`, id)
		return err
	})
	return c, err
}

// ClipByClientID returns a speaker's clip with that client clip id.
func (db *DB) ClipByClientID(ctx context.Context, speakerID int64, clientClipID string) (c *Clip, err error) {
	err = db.readOne(ctx, func(t *tx) error {
		c, err = findClip(ctx, t, `WHERE speaker_id = ? AND client_clip_id = ?`, speakerID, clientClipID)
		return err
	})
	return c, err
}

// Clips lists clips, newest first.
func (db *DB) Clips(ctx context.Context, f ClipFilter) (cs []*Clip, err error) {
	var (
		where []string
		args  []any
	)
	if f.ProjectID != 0 {
		where, args = append(where, "project_id = ?"), append(args, f.ProjectID)
	}
	if f.SpeakerID != 0 {
		where, args = append(where, "speaker_id = ?"), append(args, f.SpeakerID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT ` + clipColumns + ` FROM clips`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`
	args = append(args, limit, max(f.Offset, 0))
	err = db.view(ctx, func(t *tx) error {
		cs, err = findClips(ctx, t, q, args...)
		return err
	})
	return cs, err
}

// OpenClipFile opens a clip's file read-only through an os.Root on clips/.
// ErrNotFound for an id that is not 32 hex digits or has no file.
func (db *DB) OpenClipFile(id string) (*os.File, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	f, err := db.clips.Open(clipName(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

const clipColumns = `id, project_id, speaker_id, task_id, client_clip_id, sha256, bytes, duration_s,
	sample_rate, channels, bits, mode, noise_band, transcript, status, receipt, created_at`

func insertClip(ctx context.Context, t *tx, c *Clip) error {
	f := &clipFacts{projectID: c.ProjectID, speakerID: c.SpeakerID, band: c.NoiseBand, mode: c.Mode, ms: tallyMS(c.DurationS)}
	if c.TaskID != "" {
		// The foreign key only proves the task exists; it must also be
		// this speaker's, in this project (S-02).
		var (
			project, speaker int64
			prompt           nullInt
		)
		err := t.QueryRowContext(ctx, `SELECT project_id, speaker_id, prompt_id, mode FROM tasks WHERE id = ?`, c.TaskID).
			Scan(&project, &speaker, &prompt, &f.taskMode)
		if err != nil {
			return fmt.Errorf("task %s: %w", c.TaskID, mapErr(err))
		}
		if project != c.ProjectID || speaker != c.SpeakerID {
			return fmt.Errorf("task %s is not speaker %d's in project %d: %w", c.TaskID, c.SpeakerID, c.ProjectID, ErrNotFound)
		}
		f.taskID, f.promptID = c.TaskID, prompt.Int64
	}
	_, err := t.ExecContext(ctx, `INSERT INTO clips (id, project_id, speaker_id, task_id, client_clip_id,
		sha256, bytes, duration_s, sample_rate, channels, bits, mode, noise_band, transcript, status,
		receipt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ProjectID, c.SpeakerID, nullString(c.TaskID), c.ClientClipID, c.SHA256, c.Bytes,
		c.DurationS, c.SampleRate, c.Channels, c.Bits, c.Mode, c.NoiseBand, c.Transcript,
		string(c.Status), string(c.Receipt), nanos(t.now))
	if err != nil {
		return mapErr(err)
	}
	c.CreatedAt = t.now
	if err := appendEvent(ctx, t, &Decision{ClipID: c.ID, To: c.Status, Reason: "auto"}); err != nil {
		return err
	}
	// The speaker's profile keys the region, gender and age band counters
	// (the insert above proved the speaker exists).
	if err := t.QueryRowContext(ctx, `SELECT dialect_region, gender, age_band FROM users WHERE id = ?`, c.SpeakerID).
		Scan(&f.region, &f.gender, &f.age); err != nil {
		return fmt.Errorf("speaker %d: %w", c.SpeakerID, mapErr(err))
	}
	return moveTallies(ctx, t, f, "", c.Status)
}

func findClip(ctx context.Context, t *tx, where string, args ...any) (*Clip, error) {
	return scanClip(t.QueryRowContext(ctx, `SELECT `+clipColumns+` FROM clips `+where, args...))
}

func findClips(ctx context.Context, t *tx, query string, args ...any) ([]*Clip, error) {
	rows, err := t.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var cs []*Clip
	for rows.Next() {
		c, err := scanClip(rows)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, mapErr(rows.Err())
}

func scanClip(s scanner) (*Clip, error) {
	var (
		c       Clip
		taskID  nullStr
		status  string
		receipt string
		created int64
	)
	if err := s.Scan(&c.ID, &c.ProjectID, &c.SpeakerID, &taskID, &c.ClientClipID, &c.SHA256, &c.Bytes,
		&c.DurationS, &c.SampleRate, &c.Channels, &c.Bits, &c.Mode, &c.NoiseBand, &c.Transcript,
		&status, &receipt, &created); err != nil {
		return nil, mapErr(err)
	}
	c.TaskID = taskID.String
	c.Status = ClipStatus(status)
	if receipt != "" {
		c.Receipt = json.RawMessage(receipt)
	}
	c.CreatedAt = fromNanos(created)
	return &c, nil
}
