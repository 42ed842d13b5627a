package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path"
)

// Upload is a clip being received: a temp file in tmp/ on the same
// filesystem as clips/, hashed as it is written. It is not safe for
// concurrent use.
type Upload struct {
	f    *os.File
	path string // relative to the data directory: tmp/<random>.part
	n    int64
	sum  []byte // the final digest, once the file is synced and closed
	h    hash.Hash
	db   *DB
	// gone is set once the temp file no longer exists under path: renamed
	// into clips/ by CommitClip, or removed by Discard.
	gone bool
}

var errUploadDone = errors.New("upload already committed or discarded")

// NewUpload creates a temp file for an incoming clip.
func (db *DB) NewUpload() (*Upload, error) {
	p := path.Join(tmpDir, newID()+".part")
	f, err := db.root.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return nil, fmt.Errorf("new upload: %w", mapErr(err))
	}
	return &Upload{f: f, path: p, h: sha256.New(), db: db}, nil
}

// Write appends to the upload and its running SHA-256; ErrNoSpace when the
// disk is full.
func (u *Upload) Write(p []byte) (int, error) {
	if u.gone || u.sum != nil {
		return 0, errUploadDone
	}
	n, err := u.f.Write(p)
	u.h.Write(p[:n])
	u.n += int64(n)
	if err != nil {
		return n, fmt.Errorf("write upload: %w", mapErr(err))
	}
	return n, nil
}

// ReadAt reads what was written (for validation before commit).
func (u *Upload) ReadAt(p []byte, off int64) (int, error) {
	if u.gone || u.sum != nil {
		return 0, errUploadDone
	}
	return u.f.ReadAt(p, off)
}

// Size is the number of bytes written.
func (u *Upload) Size() int64 { return u.n }

// SHA256 is the hex digest of what was written.
func (u *Upload) SHA256() string {
	if u.sum != nil {
		return hex.EncodeToString(u.sum)
	}
	return hex.EncodeToString(u.h.Sum(nil))
}

// Discard removes the temp file; safe to call after CommitClip, and more
// than once.
func (u *Upload) Discard() error {
	if u.gone {
		return nil
	}
	if u.sum == nil {
		_ = u.f.Close() // the data is being thrown away; only removal matters
	}
	u.gone = true
	if err := u.db.root.Remove(u.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("discard upload: %w", err)
	}
	return nil
}

// finish makes the temp file durable and closes it (C2 steps 1–2): after it,
// nothing more can be written.
func (u *Upload) finish() error {
	if u.gone || u.sum != nil {
		return errUploadDone
	}
	if err := u.f.Sync(); err != nil {
		return fmt.Errorf("sync upload: %w", mapErr(err))
	}
	sum := u.h.Sum(nil)
	if err := u.f.Close(); err != nil {
		return fmt.Errorf("close upload: %w", mapErr(err))
	}
	u.sum = sum
	return nil
}
