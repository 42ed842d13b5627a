package corpus_test

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // tus's checksum extension requires sha1: see tusSHA1
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

func mustResumable(tb testing.TB, db *corpus.DB, f fixture, clientID string, data []byte) *corpus.ResumableUpload {
	tb.Helper()
	task := mustTask(tb, db, f, 0)
	r := &corpus.ResumableUpload{SpeakerID: f.speaker.ID, TaskID: task.ID, ClientClipID: clientID,
		NoiseBand: "low", Length: int64(len(data)), SHA256: sha(data)}
	if err := db.CreateResumable(context.Background(), r); err != nil {
		tb.Fatalf("CreateResumable: %v", err)
	}
	return r
}

func partPath(db *corpus.DB, id string) string { return filepath.Join(db.Dir(), "tmp", id+".part") }

func fileSize(tb testing.TB, p string) int64 {
	tb.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// tusSHA1 is the chunk digest tus's checksum extension requires servers to
// support (Upload-Checksum: sha1). It guards a chunk against damage in
// transit, not against an attacker: the whole file's declared SHA-256 is
// checked before it becomes a clip.
func tusSHA1() hash.Hash {
	return sha1.New() //nolint:gosec // a transit checksum that tus requires, not a security boundary
}

// tusSHA1Sum is b's tusSHA1 digest.
func tusSHA1Sum(b []byte) []byte {
	h := tusSHA1()
	h.Write(b)
	return h.Sum(nil)
}

// failingReader yields data, then fails like a dropped connection.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestDB_Resumable(t *testing.T) {
	ctx := context.Background()
	data := wav(100_000)

	t.Run("OK", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		r := mustResumable(t, db, f, "take-1", data)
		if fileSize(t, partPath(db, r.ID)) != 0 || r.Offset != 0 || r.ExpiresAt.Sub(r.CreatedAt) != corpus.ResumableTTL {
			t.Fatalf("new upload = %+v", r)
		}
		off, err := db.AppendResumable(ctx, r.ID, corpus.Chunk{Offset: 0, Body: bytes.NewReader(data[:40_000])})
		if err != nil || off != 40_000 {
			t.Fatalf("append = %d, %v", off, err)
		}
		// A checksummed chunk (sha1, as tus requires).
		off, err = db.AppendResumable(ctx, r.ID, corpus.Chunk{Offset: 40_000, Body: bytes.NewReader(data[40_000:]),
			Checksum: tusSHA1(), Want: tusSHA1Sum(data[40_000:])})
		if err != nil || off != int64(len(data)) {
			t.Fatalf("append = %d, %v", off, err)
		}
		u, err := db.ResumedUpload(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.SHA256() != sha(data) || u.Size() != int64(len(data)) {
			t.Fatalf("resumed upload sha %s size %d", u.SHA256(), u.Size())
		}
		c := newClip(f, nil, "take-1")
		if err := db.CommitClip(ctx, c, u); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishResumable(ctx, r.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		got, err := db.Resumable(ctx, r.ID)
		if err != nil || !got.Done() || got.ClipID != c.ID {
			t.Fatalf("after finish: %+v, %v", got, err)
		}
		if _, err := os.Stat(partPath(db, r.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("part file left: %v", err)
		}
		_, err = db.AppendResumable(ctx, r.ID, corpus.Chunk{Offset: got.Offset, Body: strings.NewReader("x")})
		wantErr(t, err, corpus.ErrUploadFinished)
		MustAudit(t, db)
	})

	t.Run("Refused", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		r := mustResumable(t, db, f, "take-1", data)
		for _, tt := range []struct {
			name string
			c    corpus.Chunk
			want error
		}{
			{"offset", corpus.Chunk{Offset: 5, Body: bytes.NewReader(data[:10])}, corpus.ErrOffsetMismatch},
			{"past length", corpus.Chunk{Body: bytes.NewReader(append(bytes.Clone(data), 0))}, corpus.ErrChunkTooLarge},
			{"past limit", corpus.Chunk{Body: bytes.NewReader(data[:1001]), Limit: 1000}, corpus.ErrChunkTooLarge},
			{"checksum", corpus.Chunk{Body: bytes.NewReader(data[:1000]), Checksum: tusSHA1(), Want: make([]byte, 20)}, corpus.ErrChecksumMismatch},
		} {
			off, err := db.AppendResumable(ctx, r.ID, tt.c)
			if !errors.Is(err, tt.want) || off != 0 {
				t.Errorf("%s: %d, %v; want 0, %v", tt.name, off, err, tt.want)
			}
			if n := fileSize(t, partPath(db, r.ID)); n != 0 {
				t.Errorf("%s: part file has %d bytes, want 0", tt.name, n)
			}
		}
		// A client that goes away: what arrived is kept...
		gone := errors.New("connection reset")
		off, err := db.AppendResumable(ctx, r.ID, corpus.Chunk{Body: &failingReader{bytes.NewReader(data[:3000]), gone}})
		if !errors.Is(err, gone) || off != 3000 {
			t.Fatalf("dropped chunk: %d, %v; want 3000, %v", off, err, gone)
		}
		// ...unless it carried a checksum, which it cannot then meet.
		off, err = db.AppendResumable(ctx, r.ID, corpus.Chunk{Offset: 3000, Body: &failingReader{bytes.NewReader(data[3000:5000]), gone},
			Checksum: tusSHA1(), Want: make([]byte, 20)})
		if !errors.Is(err, gone) || off != 3000 || fileSize(t, partPath(db, r.ID)) != 3000 {
			t.Fatalf("dropped checksummed chunk: %d, %v", off, err)
		}
		_, err = db.ResumedUpload(ctx, r.ID)
		wantErr(t, err, corpus.ErrOffsetMismatch)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		r := mustResumable(t, db, f, "take-1", data)
		task := mustTask(t, db, f, 0)
		dup := &corpus.ResumableUpload{SpeakerID: f.speaker.ID, TaskID: task.ID, ClientClipID: "take-1", NoiseBand: "low", Length: 5, SHA256: sha(nil)}
		wantErr(t, db.CreateResumable(ctx, dup), corpus.ErrConflict)
		mustCommitClip(t, db, newClip(f, task, "take-2"), data)
		dup.ClientClipID = "take-2"
		wantErr(t, db.CreateResumable(ctx, dup), corpus.ErrConflict)
		other := mustUser(t, db, f.project.ID, "speaker-2", corpus.RoleSpeaker)
		dup.ClientClipID, dup.SpeakerID = "take-3", other.ID
		wantErr(t, db.CreateResumable(ctx, dup), corpus.ErrNotFound) // not this speaker's task
		if got, err := db.ResumableByClientID(ctx, f.speaker.ID, "take-1"); err != nil || got.ID != r.ID {
			t.Fatalf("ResumableByClientID = %v, %v", got, err)
		}
		// Only the failed creations' part files are gone.
		if n := dirLen(t, filepath.Join(db.Dir(), "tmp")); n != 1 {
			t.Fatalf("tmp has %d files, want 1", n)
		}
	})

	// A part file whose close fails (NFS reporting a failed writeback, say)
	// may not hold the chunk: the offset must not claim it.
	t.Run("CloseError", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		r := mustResumable(t, db, f, "take-1", data)
		failed := errors.New("close: input/output error")
		restore := corpus.SetClosePart(func(f *os.File) error {
			if err := f.Close(); err != nil {
				return err
			}
			return failed
		})
		off, err := db.AppendResumable(ctx, r.ID, corpus.Chunk{Body: bytes.NewReader(data[:3000])})
		restore()
		if !errors.Is(err, failed) || off != 0 {
			t.Fatalf("append with a failing close = %d, %v; want 0, %v", off, err, failed)
		}
		if got, err := db.Resumable(ctx, r.ID); err != nil || got.Offset != 0 {
			t.Fatalf("stored upload after a failed close: %+v, %v; want offset 0", got, err)
		}
		// The client sends the chunk again, and this time it is kept.
		off, err = db.AppendResumable(ctx, r.ID, corpus.Chunk{Body: bytes.NewReader(data[:3000])})
		if err != nil || off != 3000 || fileSize(t, partPath(db, r.ID)) != 3000 {
			t.Fatalf("append again = %d, %v", off, err)
		}
	})

	t.Run("Recover", func(t *testing.T) {
		dir := t.TempDir()
		db := MustOpenDBAt(t, dir, corpus.Options{})
		f := mustFixture(t, db)
		r := mustResumable(t, db, f, "take-1", data)
		if _, err := db.AppendResumable(ctx, r.ID, corpus.Chunk{Body: bytes.NewReader(data[:5000])}); err != nil {
			t.Fatal(err)
		}
		MustCloseDB(t, db)
		// A crash after the write, before the commit: bytes past the offset.
		pf, err := os.OpenFile(partPath(db, r.ID), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pf.Write(data[5000:9000]); err != nil {
			t.Fatal(err)
		}
		if err := pf.Close(); err != nil {
			t.Fatal(err)
		}
		db = MustOpenDBAt(t, dir, corpus.Options{})
		defer MustCloseDB(t, db)
		got, err := db.RecoverResumable(ctx, r.ID)
		if err != nil || got.Offset != 5000 || fileSize(t, partPath(db, r.ID)) != 5000 {
			t.Fatalf("recover: %+v, %v, file %d", got, err, fileSize(t, partPath(db, r.ID)))
		}
		// Acknowledged bytes lost outside the program: the offset follows the file.
		if err := os.Truncate(partPath(db, r.ID), 1000); err != nil {
			t.Fatal(err)
		}
		if got, err := db.RecoverResumable(ctx, r.ID); err != nil || got.Offset != 1000 {
			t.Fatalf("recover short file: %+v, %v", got, err)
		}
		off, err := db.AppendResumable(ctx, r.ID, corpus.Chunk{Offset: 1000, Body: bytes.NewReader(data[1000:])})
		if err != nil || off != int64(len(data)) {
			t.Fatalf("append after recovery: %d, %v", off, err)
		}
		b, _ := os.ReadFile(partPath(db, r.ID))
		if !bytes.Equal(b, data) {
			t.Fatal("part file differs from the source")
		}
	})

	t.Run("Expire", func(t *testing.T) {
		dir := t.TempDir()
		clk := newClock(testEpoch)
		db := MustOpenDBAt(t, dir, corpus.Options{Now: clk.Now})
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		idle := mustResumable(t, db, f, "idle", data)
		busy := mustResumable(t, db, f, "busy", data)
		// Both sit idle for two days, past the reconciler's 24 h for temp
		// files: live parts stay.
		clk.Add(48 * time.Hour)
		old := clk.Now().Add(-48 * time.Hour)
		for _, id := range []string{idle.ID, busy.ID} {
			if err := os.Chtimes(partPath(db, id), old, old); err != nil {
				t.Fatal(err)
			}
		}
		if rep, err := db.Reconcile(ctx); err != nil || rep.TempRemoved != 0 || rep.UploadsExpired != 0 {
			t.Fatalf("Reconcile = %+v, %v", rep, err)
		}
		// A chunk moves the expiry forward.
		if _, err := db.AppendResumable(ctx, busy.ID, corpus.Chunk{Body: bytes.NewReader(data[:10])}); err != nil {
			t.Fatal(err)
		}
		clk.Add(corpus.ResumableTTL - 48*time.Hour)
		if _, err := db.AppendResumable(ctx, idle.ID, corpus.Chunk{Body: bytes.NewReader(data[:10])}); !errors.Is(err, corpus.ErrUploadExpired) {
			t.Fatalf("append to expired: %v", err)
		}
		rep, err := db.Reconcile(ctx)
		if err != nil || rep.UploadsExpired != 1 {
			t.Fatalf("Reconcile = %+v, %v; want 1 expired", rep, err)
		}
		if _, err := db.Resumable(ctx, idle.ID); !errors.Is(err, corpus.ErrNotFound) {
			t.Fatalf("expired upload: %v", err)
		}
		if _, err := os.Stat(partPath(db, idle.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("expired part: %v", err)
		}
		if _, err := db.Resumable(ctx, busy.ID); err != nil {
			t.Fatalf("busy upload: %v", err)
		}
		if err := db.DeleteResumable(ctx, busy.ID); err != nil {
			t.Fatal(err)
		}
		wantErr(t, db.DeleteResumable(ctx, busy.ID), corpus.ErrNotFound)
		MustAudit(t, db)
	})
}
