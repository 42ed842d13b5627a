package corpus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release/releasetest"
)

// copier is what the server's download writer calls on an assembled
// archive.
type copier interface {
	CopyTo(w io.Writer, n int64) (int64, error)
}

// TestDB_AssembledArchive (issue 21): the archive assembled from its plan
// and the clip files is, in every format, the bytes release.Write gives
// (WriteReleaseArchive) and passes releasetest.Verify; reading from any
// offset, inside tar headers, index files, WAVs and across their
// boundaries, with Read or CopyTo, gives that slice of the whole.
func TestDB_AssembledArchive(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	ctx := context.Background()
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{})
	defer MustCloseDB(t, db)
	f := mustReleaseFixture(t, db)
	for i := range 7 {
		f.addClip(t, db, []*corpus.User{f.speaker, f.other}[i%2], i, true)
	}
	r := mustRelease(t, db, f.project.ID)
	rnd := rand.New(rand.NewPCG(21, 21))
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		t.Run(format, func(t *testing.T) {
			var want bytes.Buffer
			if _, err := db.WriteReleaseArchive(ctx, &want, r, format); err != nil {
				t.Fatal(err)
			}
			full := want.Bytes()
			if got := archiveBytes(t, db, r.ID, format); !bytes.Equal(got, full) {
				t.Fatal("assembled archive differs from release.Write's")
			}
			if _, err := releasetest.Verify(bytes.NewReader(full), format); err != nil {
				t.Fatal(err)
			}
			af, err := db.ReleaseArchive(ctx, r.ID, format)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = af.Close() }() // only read
			cp, ok := af.ReadSeekCloser.(copier)
			if !ok {
				t.Fatalf("%T has no CopyTo", af.ReadSeekCloser)
			}
			size := int64(len(full))
			// Every block boundary ±1, then random spans.
			var offs []int64
			for o := int64(0); o < size; o += 512 {
				offs = append(offs, o, max(o-1, 0), min(o+1, size-1))
			}
			for range 300 {
				offs = append(offs, rnd.Int64N(size))
			}
			for i, off := range offs {
				n := 1 + rnd.Int64N(min(size-off, 6000))
				if _, err := af.Seek(off, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, n)
				var err error
				if i%2 == 0 {
					_, err = io.ReadFull(af, got)
				} else {
					var b bytes.Buffer
					var c int64
					c, err = cp.CopyTo(&b, n)
					if c != n {
						t.Fatalf("CopyTo(%d) at %d copied %d", n, off, c)
					}
					got = b.Bytes()
				}
				if err != nil || !bytes.Equal(got, full[off:off+n]) {
					t.Fatalf("bytes %d+%d: %v, not the slice of the whole", off, n, err)
				}
			}
			// At the end: EOF, and CopyTo stops.
			if _, err := af.Seek(0, io.SeekEnd); err != nil {
				t.Fatal(err)
			}
			if n, err := af.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
				t.Fatalf("read at the end: %d, %v", n, err)
			}
		})
	}
}

// TestDB_AssembledArchiveCostsNoRead: the first bytes of an archive need no
// clip file (no audio is read before it is sent), and once its SHA-256 is
// worked out (PrepareReleaseArchives) a restarted process serves it with
// that SHA-256 without reading a byte of audio: with clips/ gone, the
// archive still opens with its SHA-256 and size, and its first member
// (which is not a WAV) reads.
func TestDB_AssembledArchiveCostsNoRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	f := mustReleaseFixture(t, db)
	for i := range 4 {
		f.addClip(t, db, f.speaker, i, true)
	}
	r := mustRelease(t, db, f.project.ID)
	var progress int
	if err := db.PrepareReleaseArchives(ctx, r.ID, func(string, int64, int64) { progress++ }); err != nil {
		t.Fatal(err)
	}
	if progress == 0 {
		t.Error("PrepareReleaseArchives reported no progress")
	}
	sums := map[string]string{}
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		b := archiveBytes(t, db, r.ID, format)
		h := sha256.Sum256(b)
		sums[format] = hex.EncodeToString(h[:])
	}
	MustCloseDB(t, db)

	db = MustOpenDBAt(t, dir, corpus.Options{})
	defer MustCloseDB(t, db)
	// The clip files go away (and come back before the check at Close).
	clips, err := filepath.Glob(filepath.Join(dir, "clips", "*.wav"))
	if err != nil || len(clips) != 4 {
		t.Fatalf("clip files %v, %v", clips, err)
	}
	for _, c := range clips {
		if err := os.Rename(c, c+".away"); err != nil {
			t.Fatal(err)
		}
	}
	for format, sum := range sums {
		af, err := db.ReleaseArchive(ctx, r.ID, format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if af.SHA256 != sum {
			t.Errorf("%s: SHA-256 %q after a restart, want %s", format, af.SHA256, sum)
		}
		if _, err := io.ReadFull(af, make([]byte, 1024)); err != nil {
			t.Errorf("%s: the first KiB needs audio: %v", format, err)
		}
		if _, err := io.ReadAll(af); err == nil {
			t.Errorf("%s: read whole without its clip files", format)
		}
		_ = af.Close() // only read
	}
	for _, c := range clips {
		if err := os.Rename(c+".away", c); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDB_AssembledArchiveReplannedChecked: a plan made again for an
// archive whose SHA-256 is recorded (its files lost, or a restore) is
// checked against that SHA-256 in the background; an archive that would
// not match is refused from then on.
func TestDB_AssembledArchiveReplannedChecked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	defer func() { MustCloseDB(t, db) }()
	f := mustReleaseFixture(t, db)
	for i := range 3 {
		f.addClip(t, db, f.speaker, i, true)
	}
	r := mustRelease(t, db, f.project.ID)
	if err := db.PrepareReleaseArchives(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	// Planned again, matching: served, and still served after the check.
	removeArchiveFiles(t, dir, r.ID, "hf")
	want := archiveBytes(t, db, r.ID, "hf")
	if err := db.PrepareReleaseArchives(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := archiveBytes(t, db, r.ID, "hf"); !bytes.Equal(got, want) {
		t.Fatal("archive planned again differs")
	}
	// A recorded SHA-256 the archive planned again does not have (after
	// the background work of the downloads above is over).
	MustCloseDB(t, db)
	db = MustOpenDBAt(t, dir, corpus.Options{})
	if _, err := rawDB(t, db).ExecContext(ctx, `UPDATE release_archives SET sha256 = ? WHERE release_id = ? AND format = 'nemo'`,
		hex.EncodeToString(make([]byte, 32)), r.ID); err != nil {
		t.Fatal(err)
	}
	removeArchiveFiles(t, dir, r.ID, "nemo")
	if err := db.PrepareReleaseArchives(ctx, r.ID, nil); !errors.Is(err, corpus.ErrCorrupt) {
		t.Fatalf("check of the archive planned again: %v, want ErrCorrupt", err)
	}
	if _, err := db.ReleaseArchive(ctx, r.ID, "nemo"); !errors.Is(err, corpus.ErrCorrupt) {
		t.Fatalf("archive after a failed check: %v, want ErrCorrupt", err)
	}
}
