package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
)

// linksPerFile bounds the hard links to one file (ext4 allows 65,000).
const linksPerFile = 50000

// BulkClip is one clip for BulkLoad: the task it answers, the clip, and who
// settled it.
type BulkClip struct {
	// Speaker, when set, is the clip's speaker; one not yet stored (ID 0)
	// is created first (validated as CreateUser does). Clips may share one
	// *User: it is created once, by the first of them.
	Speaker *User
	// Task is the clip's new task: ProjectID, SpeakerID (Speaker's when
	// that is set), PromptID, Mode, NoiseBand.
	Task Task
	// Clip is the clip: ClientClipID, DurationS, format, Mode, NoiseBand,
	// Transcript, Receipt; Status is where it ends. ID, ProjectID,
	// SpeakerID, TaskID, SHA256 and Bytes are set by BulkLoad.
	Clip Clip
	// DecidedBy is the reviewer whose decision took the clip from
	// pending_review to its Status (accepted, or rejected with reason
	// wrong_text); 0 when the automatic checks gave it its Status.
	DecidedBy int64
}

// BulkLoad stores n clips that fill describes, in transactions of batch
// clips, every one with audio as its file: one file written and fsynced
// once (per linksPerFile clips), then hard-linked under each clip's name. It is for benchmarks and
// tests that need a corpus of a million clips in minutes; nothing on a
// request path calls it. Each row goes through the steps a real one does
// (the task, the clip and its first decision event, the reviewer's
// decision with its ledger entry, the counters), so the corpus it makes
// passes the audit; and as in CommitClip, a batch's files are linked and
// clips/ fsynced before its rows commit.
func (db *DB) BulkLoad(ctx context.Context, audio []byte, n, batch int, fill func(i int, b *BulkClip)) error {
	if batch <= 0 {
		batch = 10000
	}
	// A page cache that holds a batch's index pages (256 MiB) on the one
	// writer connection while the load runs; SQLite's default after.
	if _, err := db.w.ExecContext(ctx, `PRAGMA cache_size = -262144`); err != nil {
		return fmt.Errorf("bulk load: %w", mapErr(err))
	}
	defer func() { _, _ = db.w.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`) }()
	sum := sha256.Sum256(audio)
	digest := hex.EncodeToString(sum[:])
	var blob string // the file being linked; a new one every linksPerFile clips
	defer func() {
		if blob != "" {
			_ = db.root.Remove(blob) // the clips hold their own links
		}
	}()
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		bs := make([]BulkClip, min(batch, n-start))
		for i := range bs {
			if (start+i)%linksPerFile == 0 {
				if blob != "" {
					_ = db.root.Remove(blob)
				}
				blob = path.Join(tmpDir, "bulk-"+newID()+".wav")
				if err := db.writeSynced(blob, audio); err != nil {
					blob = ""
					return fmt.Errorf("bulk load: %w", err)
				}
			}
			b := &bs[i]
			fill(start+i, b)
			if b.Speaker != nil && b.Speaker.ID == 0 {
				if err := b.Speaker.validate(); err != nil {
					return fmt.Errorf("bulk load: %w: %w", ErrInvalid, err)
				}
			}
			b.Clip.ID = newID()
			b.Clip.SHA256, b.Clip.Bytes = digest, int64(len(audio))
			if err := db.root.Link(blob, path.Join(clipsDir, clipName(b.Clip.ID))); err != nil {
				return fmt.Errorf("bulk load: %w", mapErr(err))
			}
		}
		if err := syncDir(db.root, clipsDir); err != nil {
			return fmt.Errorf("bulk load: %w", mapErr(err))
		}
		if err := db.update(ctx, func(ctx context.Context, t *tx) error { return bulkInsert(ctx, t, bs) }); err != nil {
			for _, b := range bs {
				db.removeUnlessRow(ctx, b.Clip.ID)
			}
			return fmt.Errorf("bulk load: %w", err)
		}
	}
	return nil
}

func bulkInsert(ctx context.Context, t *tx, bs []BulkClip) error {
	for i := range bs {
		b := &bs[i]
		if b.Speaker != nil {
			if b.Speaker.ID == 0 {
				if err := createUser(ctx, t, b.Speaker); err != nil {
					return err
				}
			}
			b.Task.SpeakerID = b.Speaker.ID
		}
		if err := createTask(ctx, t, &b.Task); err != nil {
			return err
		}
		c := &b.Clip
		c.ProjectID, c.SpeakerID, c.TaskID = b.Task.ProjectID, b.Task.SpeakerID, b.Task.ID
		final := c.Status
		if final == "" {
			final = StatusPendingReview
		}
		if err := c.validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		if b.DecidedBy != 0 {
			c.Status = StatusPendingReview
		} else {
			c.Status = final
		}
		if err := insertClip(ctx, t, c); err != nil {
			return err
		}
		if b.DecidedBy == 0 || final == StatusPendingReview {
			continue
		}
		reason := ReasonAccept
		if final == StatusRejected {
			reason = ReviewReasons[0].Code
		}
		if err := appendDecision(ctx, t, &Decision{ClipID: c.ID, AuthorID: b.DecidedBy, To: final, Reason: reason}); err != nil {
			return err
		}
		c.Status = final
	}
	return nil
}

// writeSynced writes data to name under the data directory, durably.
func (db *DB) writeSynced(name string, data []byte) (err error) {
	f, err := db.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			_ = db.root.Remove(name)
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close() // the write error is the one to report
		return mapErr(err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one to report
		return mapErr(err)
	}
	return f.Close()
}
