package corpus

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Reconcile quarantines orphan clip files older than the grace period,
// removes expired resumable uploads and temp files older than 24 h (but not
// the part files of live uploads) and counts rows without a file
// (reliability.md F-13). Ages are measured on the corpus clock against file
// modification times; CommitClip stamps a clip file with its commit time
// just before the rename.
func (db *DB) Reconcile(ctx context.Context) (*ReconcileReport, error) {
	rep := &ReconcileReport{}
	now := db.Now()

	// Rows first (see Audit): a file committed after this read is fresh, so
	// the grace period protects it, and each candidate is checked again
	// just before it is moved.
	ids, err := db.queryIDs(ctx, `SELECT id FROM clips`)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	rows := make(map[string]bool, len(ids))
	for _, id := range ids {
		rows[clipName(id)] = true
		if _, err := db.clips.Lstat(clipName(id)); errors.Is(err, fs.ErrNotExist) {
			rep.RowsWithoutFile++
		} else if err != nil {
			return nil, fmt.Errorf("reconcile: clip %s: %w", id, err)
		}
	}

	names, err := db.dirNames(clipsDir)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	moved := false
	for _, name := range names {
		if rows[name] {
			continue
		}
		fi, err := db.clips.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		if now.Sub(fi.ModTime()) < db.grace {
			continue
		}
		if id, ok := strings.CutSuffix(name, ".wav"); ok && validID(id) {
			if _, err := db.Clip(ctx, id); err == nil {
				continue // committed since the rows were read
			} else if !errors.Is(err, ErrNotFound) {
				return nil, fmt.Errorf("reconcile: %w", err)
			}
		}
		if err := db.quarantine(name); err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		rep.Quarantined++
		moved = true
	}
	if moved {
		for _, d := range []string{clipsDir, quarantineDir} {
			if err := syncDir(db.root, d); err != nil {
				return nil, fmt.Errorf("reconcile: sync %s: %w", d, err)
			}
		}
	}

	// Resumable uploads past their expiry go with their part files; the
	// parts of live ones stay however long they have been idle.
	if rep.UploadsExpired, err = db.ExpireResumable(ctx); err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	live, err := db.liveParts(ctx)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	tmp, err := db.dirNames(tmpDir)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	for _, name := range tmp {
		if live[name] {
			continue
		}
		p := path.Join(tmpDir, name)
		fi, err := db.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		if now.Sub(fi.ModTime()) < tempMaxAge {
			continue
		}
		if err := db.root.RemoveAll(p); err != nil {
			return nil, fmt.Errorf("reconcile: %w", err)
		}
		rep.TempRemoved++
	}
	return rep, nil
}

// quarantine moves clips/<name> to quarantine/, never over an earlier file
// of the same name.
func (db *DB) quarantine(name string) error {
	dst := name
	for i := 1; ; i++ {
		if _, err := db.root.Lstat(path.Join(quarantineDir, dst)); errors.Is(err, fs.ErrNotExist) {
			break
		} else if err != nil {
			return err
		}
		dst = name + "." + strconv.Itoa(i)
	}
	return db.root.Rename(path.Join(clipsDir, name), path.Join(quarantineDir, dst))
}
