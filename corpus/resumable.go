package corpus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"time"
)

// Resumable uploads (tus, reliability.md C6) carry long recordings in
// chunks, across dropped connections and restarts. The row in
// resumable_uploads is an upload's whole state; its bytes are
// tmp/<id>.part. The stored offset is the truth: it moves forward only after
// the bytes before it are fsynced, and a part file longer than it (a crash
// between the write and the commit) is cut back to it before the file is
// used again. So the offset never claims a byte that is not on disk, and no
// byte is written twice or skipped.
//
// None of these methods lock an upload: the caller serialises the requests
// of one upload (the server holds one lock per upload id).

// Errors of resumable uploads (server/errors.go maps them to statuses).
var (
	// ErrUploadExpired: the upload is past ExpiresAt; the reconciler
	// removes it (→ 410).
	ErrUploadExpired = errors.New("upload expired")
	// ErrUploadFinished: the upload already became a clip (→ 403).
	ErrUploadFinished = errors.New("upload already finished")
	// ErrOffsetMismatch: a chunk does not start at the stored offset (→ 409).
	ErrOffsetMismatch = errors.New("upload offset mismatch")
	// ErrChunkTooLarge: a chunk runs past the upload's length or the
	// per-request limit; none of it is kept (→ 413).
	ErrChunkTooLarge = errors.New("chunk too large")
	// ErrChecksumMismatch: a chunk or the whole file does not have the
	// digest the client declared; the chunk is not kept (→ 460).
	ErrChecksumMismatch = errors.New("checksum mismatch")
)

// ResumableTTL is how long an upload lives after its last chunk (or its
// creation, or its completion): tus Upload-Expires.
const ResumableTTL = 7 * 24 * time.Hour

// MaxResumableLength is the largest upload: 4 GiB − 1, the RIFF limit.
const MaxResumableLength = 1<<32 - 1

// ResumableUpload is a long recording being received in chunks, and what it
// will become: a clip of TaskID under ClientClipID.
type ResumableUpload struct {
	ID           string // 128-bit random, hex; also the part file's name
	SpeakerID    int64
	TaskID       string
	ClientClipID string // unique per speaker, across clips and uploads
	NoiseBand    string // declared; checked against the task's
	Transcript   string // optional
	Length       int64  // total bytes (tus Upload-Length)
	Offset       int64  // bytes received and durable (tus Upload-Offset)
	SHA256       string // the whole file's digest as the client declared it, lowercase hex
	CreatedAt    time.Time
	ExpiresAt    time.Time
	ClipID       string // the clip it became; "" until finished
}

// Done reports whether the upload became a clip.
func (r *ResumableUpload) Done() bool { return r.ClipID != "" }

// Complete reports whether every byte has arrived.
func (r *ResumableUpload) Complete() bool { return r.Offset == r.Length }

// Expired reports whether the upload is past its expiry at now.
func (r *ResumableUpload) Expired(now time.Time) bool { return !now.Before(r.ExpiresAt) }

func (r *ResumableUpload) validate() error {
	switch {
	case r.SpeakerID == 0:
		return errors.New("upload speaker id is required")
	case !validID(r.TaskID):
		return fmt.Errorf("upload task id %q: %w", r.TaskID, ErrNotFound)
	case r.ClientClipID == "" || len(r.ClientClipID) > 128:
		return errors.New("upload client clip id must be 1-128 bytes")
	case r.NoiseBand == "":
		return errors.New("upload noise band is required")
	case r.Length < 0 || r.Length > MaxResumableLength:
		return fmt.Errorf("upload length %d: %w", r.Length, ErrChunkTooLarge)
	case len(r.SHA256) != 64 || !isLowerHex(r.SHA256):
		return errors.New("upload sha256 must be 64 lowercase hex digits")
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// partName is an upload's file: always server-generated.
func partName(id string) string { return path.Join(tmpDir, id+".part") }

// CreateResumable stores a new upload with no bytes yet, setting ID,
// Offset (0), CreatedAt and ExpiresAt. Its empty part file is durable
// before the row exists. ErrNotFound if the task does not exist or is not
// the speaker's; ErrConflict if the speaker already has an upload or a clip
// with ClientClipID.
func (db *DB) CreateResumable(ctx context.Context, r *ResumableUpload) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	r.ID, r.Offset, r.ClipID = newID(), 0, ""
	p := partName(r.ID)
	f, err := db.root.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return fmt.Errorf("create upload: %w", mapErr(err))
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(db.root, tmpDir)
	}
	if err == nil {
		err = db.update(ctx, func(ctx context.Context, t *tx) error { return insertResumable(ctx, t, r) })
	}
	if err != nil {
		_ = db.root.Remove(p)
		return fmt.Errorf("create upload: %w", mapErr(err))
	}
	return nil
}

func insertResumable(ctx context.Context, t *tx, r *ResumableUpload) error {
	var speaker int64
	err := t.QueryRowContext(ctx, `SELECT speaker_id FROM tasks WHERE id = ?`, r.TaskID).Scan(&speaker)
	if err != nil {
		return fmt.Errorf("task %s: %w", r.TaskID, mapErr(err))
	}
	if speaker != r.SpeakerID {
		return fmt.Errorf("task %s is not speaker %d's: %w", r.TaskID, r.SpeakerID, ErrNotFound)
	}
	var n int
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM clips WHERE speaker_id = ? AND client_clip_id = ?`,
		r.SpeakerID, r.ClientClipID).Scan(&n); err != nil {
		return mapErr(err)
	}
	if n != 0 {
		return fmt.Errorf("client clip id %q has a clip: %w", r.ClientClipID, ErrConflict)
	}
	r.CreatedAt, r.ExpiresAt = t.now, t.now.Add(ResumableTTL)
	_, err = t.ExecContext(ctx, `INSERT INTO resumable_uploads (id, speaker_id, task_id, client_clip_id,
		noise_band, transcript, upload_length, upload_offset, sha256, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
		r.ID, r.SpeakerID, r.TaskID, r.ClientClipID, r.NoiseBand, r.Transcript, r.Length, r.SHA256,
		nanos(r.CreatedAt), nanos(r.ExpiresAt))
	return mapErr(err)
}

const resumableColumns = `id, speaker_id, task_id, client_clip_id, noise_band, transcript, upload_length,
	upload_offset, sha256, created_at, expires_at, clip_id`

func scanResumable(s scanner) (*ResumableUpload, error) {
	var (
		r                ResumableUpload
		created, expires int64
		clipID           nullStr
	)
	if err := s.Scan(&r.ID, &r.SpeakerID, &r.TaskID, &r.ClientClipID, &r.NoiseBand, &r.Transcript, &r.Length,
		&r.Offset, &r.SHA256, &created, &expires, &clipID); err != nil {
		return nil, mapErr(err)
	}
	r.CreatedAt, r.ExpiresAt, r.ClipID = fromNanos(created), fromNanos(expires), clipID.String
	return &r, nil
}

// Resumable returns one upload as stored, whoever owns it and whether or
// not it has expired: the caller checks both. It does not touch the part
// file (see RecoverResumable).
func (db *DB) Resumable(ctx context.Context, id string) (r *ResumableUpload, err error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	err = db.view(ctx, func(t *tx) error {
		r, err = scanResumable(t.QueryRowContext(ctx, `SELECT `+resumableColumns+` FROM resumable_uploads WHERE id = ?`, id))
		return err
	})
	return r, err
}

// ResumableByClientID returns a speaker's upload with that client clip id.
func (db *DB) ResumableByClientID(ctx context.Context, speakerID int64, clientClipID string) (r *ResumableUpload, err error) {
	err = db.view(ctx, func(t *tx) error {
		r, err = scanResumable(t.QueryRowContext(ctx, `SELECT `+resumableColumns+` FROM resumable_uploads
			WHERE speaker_id = ? AND client_clip_id = ?`, speakerID, clientClipID))
		return err
	})
	return r, err
}

// RecoverResumable returns an upload after making its part file agree with
// its stored offset (tus HEAD): a file longer than the offset (bytes written
// but never acknowledged, a crash before the commit) is cut back to it; a
// file shorter than the offset, or missing, means acknowledged bytes were
// lost outside this program, and the offset moves back to what is on disk,
// so that the client resends them. Finished and expired uploads are
// returned as stored.
func (db *DB) RecoverResumable(ctx context.Context, id string) (*ResumableUpload, error) {
	r, err := db.Resumable(ctx, id)
	if err != nil || r.Done() || r.Expired(db.Now()) {
		return r, err
	}
	f, err := db.openPart(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("recover upload %s: %w", id, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("recover upload %s: %w", id, mapErr(err))
	}
	return r, nil
}

// openPart opens r's part file for writing, repaired to r.Offset (which it
// lowers if the file is short).
func (db *DB) openPart(ctx context.Context, r *ResumableUpload) (_ *os.File, err error) {
	p := partName(r.ID)
	f, err := db.root.OpenFile(p, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if f, err = db.root.OpenFile(p, os.O_RDWR|os.O_CREATE, filePerm); err == nil {
			err = syncDir(db.root, tmpDir)
		}
	}
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, mapErr(err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	switch size := fi.Size(); {
	case size > r.Offset:
		if err := f.Truncate(r.Offset); err != nil {
			return nil, mapErr(err)
		}
		if err := f.Sync(); err != nil {
			return nil, mapErr(err)
		}
	case size < r.Offset:
		if err := db.setOffset(ctx, r, size); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// setOffset moves r's stored offset to off (and its expiry forward when off
// grows), if no one moved it first.
func (db *DB) setOffset(ctx context.Context, r *ResumableUpload, off int64) error {
	var expires time.Time
	err := db.update(ctx, func(ctx context.Context, t *tx) error {
		expires = r.ExpiresAt
		if off > r.Offset {
			expires = t.now.Add(ResumableTTL)
		}
		res, err := t.ExecContext(ctx, `UPDATE resumable_uploads SET upload_offset = ?, expires_at = ?
			WHERE id = ? AND upload_offset = ? AND clip_id IS NULL`, off, nanos(expires), r.ID, r.Offset)
		if err := notFound(res, err); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("upload %s changed or vanished: %w", r.ID, ErrOffsetMismatch)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Offset, r.ExpiresAt = off, expires
	return nil
}

// Chunk is one request's worth of bytes for AppendResumable (a tus PATCH).
type Chunk struct {
	// Offset is where the client says the bytes start (Upload-Offset); it
	// must equal the stored offset.
	Offset int64
	// Body is read to EOF.
	Body io.Reader
	// Limit bounds the chunk in bytes (0: no bound but the upload's
	// length). A body longer than the bound or the rest of the upload is
	// not kept at all: ErrChunkTooLarge.
	Limit int64
	// Checksum, when not nil, is fed the chunk, which is kept only if it
	// then sums to Want (otherwise ErrChecksumMismatch). A checksummed
	// chunk cut short by a read error cannot be verified and is dropped.
	Checksum hash.Hash
	Want     []byte
}

// chunkBuf is the copy buffer of one append.
const chunkBuf = 256 << 10

// closePart closes a part file that AppendResumable wrote to. A variable
// only so that tests can make the close fail: on a local file system it
// never does, while on NFS or FUSE a close can report a failed writeback.
var closePart = (*os.File).Close

// AppendResumable writes a chunk at the upload's offset, fsyncs and closes
// the part file, then moves the stored offset past it (and the expiry to
// ResumableTTL from now) in one short transaction; no transaction is open
// while the body is read. It returns the upload's offset afterwards.
//
// When Body fails part-way (the client went away, or the server stopped
// the request), the bytes that arrived are kept ("store as much as
// possible") and the read error is returned, wrapped, with the new offset.
// ErrOffsetMismatch, ErrChunkTooLarge and ErrChecksumMismatch leave the
// offset unchanged; so does a full disk (ErrNoSpace), after keeping what
// fitted. ErrUploadFinished and ErrUploadExpired refuse the chunk. A part
// file whose close fails leaves the offset unchanged too.
func (db *DB) AppendResumable(ctx context.Context, id string, c Chunk) (int64, error) {
	r, err := db.Resumable(ctx, id)
	switch {
	case err != nil:
		return 0, err
	case r.Done():
		return r.Offset, ErrUploadFinished
	case r.Expired(db.Now()):
		return r.Offset, ErrUploadExpired
	}
	f, err := db.openPart(ctx, r)
	if err != nil {
		return r.Offset, fmt.Errorf("append to upload %s: %w", id, err)
	}
	closed := false
	defer func() {
		if !closed {
			// An error path: nothing past the stored offset was
			// acknowledged, and the next open cuts the file back to it.
			_ = f.Close()
		}
	}()
	if c.Offset != r.Offset {
		return r.Offset, fmt.Errorf("upload %s is at %d, not %d: %w", id, r.Offset, c.Offset, ErrOffsetMismatch)
	}
	room := r.Length - r.Offset
	if c.Limit > 0 {
		room = min(room, c.Limit)
	}
	if _, err := f.Seek(r.Offset, io.SeekStart); err != nil {
		return r.Offset, fmt.Errorf("append to upload %s: %w", id, err)
	}
	var w io.Writer = f
	if c.Checksum != nil {
		w = io.MultiWriter(f, c.Checksum)
	}
	n, readErr, writeErr, tooLarge := copyChunk(w, c.Body, room)

	drop := func(err error) (int64, error) {
		// The bytes past the offset were never acknowledged; cutting them
		// now only saves the next open from doing it.
		_ = f.Truncate(r.Offset)
		return r.Offset, err
	}
	switch {
	case tooLarge:
		return drop(fmt.Errorf("upload %s: more than %d bytes in one chunk: %w", id, room, ErrChunkTooLarge))
	case c.Checksum != nil && writeErr != nil:
		return drop(fmt.Errorf("append to upload %s: %w", id, mapErr(writeErr)))
	case c.Checksum != nil && readErr != nil:
		return drop(fmt.Errorf("read chunk: %w", readErr))
	case c.Checksum != nil && !bytes.Equal(c.Checksum.Sum(nil), c.Want):
		return drop(fmt.Errorf("upload %s: chunk at %d: %w", id, r.Offset, ErrChecksumMismatch))
	}
	if n > 0 {
		// C2: the bytes are on disk before the offset says so.
		if err := f.Sync(); err != nil {
			return drop(fmt.Errorf("append to upload %s: %w", id, mapErr(err)))
		}
	}
	// The file is closed, and its close checked, before the offset moves: a
	// close can report a failed writeback (NFS), and then the chunk is not
	// acknowledged. The bytes it left past the offset are cut by the next
	// open, as after a crash before the commit.
	closed = true
	if err := closePart(f); err != nil {
		return r.Offset, fmt.Errorf("append to upload %s: %w", id, mapErr(err))
	}
	if n > 0 {
		if err := db.setOffset(ctx, r, r.Offset+n); err != nil {
			return r.Offset, fmt.Errorf("append to upload %s: %w", id, err)
		}
	}
	switch {
	case writeErr != nil:
		return r.Offset, fmt.Errorf("append to upload %s: %w", id, mapErr(writeErr))
	case readErr != nil:
		return r.Offset, fmt.Errorf("read chunk: %w", readErr)
	}
	return r.Offset, nil
}

// copyChunk copies body to w until EOF, a read or write error, or more than
// room bytes (tooLarge; what was copied then must not be kept).
func copyChunk(w io.Writer, body io.Reader, room int64) (n int64, readErr, writeErr error, tooLarge bool) {
	if body == nil {
		return 0, nil, nil, false
	}
	buf := make([]byte, chunkBuf)
	// One byte past room tells a body that is too long from one that ends
	// exactly there.
	lr := io.LimitReader(body, room+1)
	for {
		nr, er := lr.Read(buf)
		if nr > 0 {
			if n+int64(nr) > room {
				return n, nil, nil, true
			}
			nw, ew := w.Write(buf[:nr])
			n += int64(nw)
			if ew == nil && nw < nr {
				ew = io.ErrShortWrite
			}
			if ew != nil {
				return n, nil, ew, false
			}
		}
		if er == io.EOF {
			return n, nil, nil, false
		}
		if er != nil {
			return n, er, nil, false
		}
	}
}

// ResumedUpload turns a complete upload into an Upload that CommitClip
// accepts, hashing the part file as it is on disk (the caller compares the
// digest with the declared one). The Upload is a second name (a hard link)
// for the part file, so that a commit that fails, which discards the
// Upload, leaves the upload whole and ready to be finished again; on file
// systems without hard links the part file itself is used.
func (db *DB) ResumedUpload(ctx context.Context, id string) (*Upload, error) {
	r, err := db.Resumable(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case r.Done():
		return nil, ErrUploadFinished
	case !r.Complete():
		return nil, fmt.Errorf("upload %s has %d of %d bytes: %w", id, r.Offset, r.Length, ErrOffsetMismatch)
	}
	p := path.Join(tmpDir, newID()+".part")
	if err := db.root.Link(partName(id), p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("upload %s: part file missing: %w", id, ErrNotFound)
		}
		p = partName(id)
	}
	f, err := db.root.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		if p != partName(id) {
			_ = db.root.Remove(p)
		}
		return nil, fmt.Errorf("upload %s: %w", id, mapErr(err))
	}
	u := &Upload{f: f, path: p, h: sha256.New(), db: db}
	n, err := io.Copy(u.h, io.NewSectionReader(f, 0, r.Length+1))
	if err == nil && n != r.Length {
		err = fmt.Errorf("part file has %d bytes, want %d: %w", n, r.Length, ErrOffsetMismatch)
	}
	if err != nil {
		if p != partName(id) {
			_ = u.Discard()
		} else {
			_ = f.Close()
		}
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	u.n = n
	return u, nil
}

// FinishResumable records that the upload became clip clipID (which must
// exist), restarts its expiry so its receipt stays reachable, and removes
// its part file.
func (db *DB) FinishResumable(ctx context.Context, id, clipID string) error {
	err := db.update(ctx, func(ctx context.Context, t *tx) error {
		res, err := t.ExecContext(ctx, `UPDATE resumable_uploads SET clip_id = ?, upload_offset = upload_length,
			expires_at = ? WHERE id = ? AND clip_id IS NULL`, clipID, nanos(t.now.Add(ResumableTTL)), id)
		return notFound(res, err)
	})
	if err != nil {
		return fmt.Errorf("finish upload %s: %w", id, err)
	}
	db.removePart(id)
	return nil
}

// DeleteResumable removes an upload and its part file (tus termination).
// A finished upload's clip stays.
func (db *DB) DeleteResumable(ctx context.Context, id string) error {
	if !validID(id) {
		return ErrNotFound
	}
	err := db.update(ctx, func(ctx context.Context, t *tx) error {
		return notFound(t.ExecContext(ctx, `DELETE FROM resumable_uploads WHERE id = ?`, id))
	})
	if err != nil {
		return fmt.Errorf("delete upload %s: %w", id, err)
	}
	// Row first: a crash here leaves an orphan part file, which the
	// reconciler removes after 24 h, never a row without its file.
	db.removePart(id)
	return nil
}

// removePart removes an upload's part file, if any. A failure only leaves
// an orphan for the reconciler.
func (db *DB) removePart(id string) {
	_ = db.root.Remove(partName(id))
}

// ExpireResumable removes the uploads past their expiry and their part
// files, and returns how many (the reconciler, F-13).
func (db *DB) ExpireResumable(ctx context.Context) (int, error) {
	ids, err := db.queryIDs(ctx, `SELECT id FROM resumable_uploads WHERE expires_at <= ?`, nanos(db.Now()))
	if err != nil {
		return 0, fmt.Errorf("expire uploads: %w", err)
	}
	n := 0
	for _, id := range ids {
		err := db.update(ctx, func(ctx context.Context, t *tx) error {
			// Checked again: a chunk may have moved the expiry since.
			return notFound(t.ExecContext(ctx, `DELETE FROM resumable_uploads WHERE id = ? AND expires_at <= ?`, id, nanos(t.now)))
		})
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("expire uploads: %w", err)
		}
		db.removePart(id)
		n++
	}
	return n, nil
}

// liveParts returns the file names (under tmp/) of the unfinished uploads,
// which the reconciler must not take for stale temp files however long
// they sit idle.
func (db *DB) liveParts(ctx context.Context) (map[string]bool, error) {
	ids, err := db.queryIDs(ctx, `SELECT id FROM resumable_uploads WHERE clip_id IS NULL`)
	live := make(map[string]bool, len(ids))
	for _, id := range ids {
		live[path.Base(partName(id))] = true
	}
	return live, err
}
