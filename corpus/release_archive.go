package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/dialect-corpus/dialect/release"
)

// Vendor archives are assembled at each request from a plan and the clip
// files (release_assembled.go). Older versions built each one once into
// releases/<id>/<format>.tar and recorded its SHA-256 in release_archives;
// such a file is still served if its size and SHA-256 match the row (the
// hash is checked once per process).
//
// The archive's bytes depend only on what CreateRelease froze (the clips'
// rows in release_clips, the release row), on the transcriptions those rows
// name (append-only: triggers refuse updates and deletes) and on the clip
// files, whose SHA-256 every build checks: a rebuild gives the same bytes,
// and a rebuild that would not is refused.

const releasesDir = "releases"

// ArchiveFile is an open archive: a file built by an older version
// (*os.File), or one assembled from its plan (release_assembled.go).
type ArchiveFile struct {
	io.ReadSeekCloser
	// Name is the download's file name: made by the server from ids only.
	Name string
	// SHA256 is the archive's hex SHA-256, "" while it is still being
	// worked out (PrepareReleaseArchives).
	SHA256  string
	Size    int64
	ModTime time.Time
}

// archiveLocks holds one mutex per (corpus, release, format): one plan
// build at a time, and concurrent first downloads wait for it.
var archiveLocks sync.Map // archiveKey → *sync.Mutex

// verified remembers the archive files whose SHA-256 this process has
// checked.
var verified sync.Map // archiveKey → sha256

// legacyChecked remembers the archive files this process has set out to
// replace by their assembled archive.
var legacyChecked sync.Map // archiveKey → true

type archiveKey struct {
	db     *DB
	id     int64
	format release.Format
}

// archiveHook, when set (tests), is called with the bytes written so far
// while a plan is made; a test's child process exits there to crash
// mid-build.
var archiveHook func(written int64)

// ReleaseArchive opens the archive of a published release in format (kaldi,
// hf, nemo, cv): the archive file an older version built, if there is a
// whole one, else the archive assembled from its plan, made first if need
// be (rows only, no audio: well under a second). No byte of audio is read
// before the caller reads. The caller closes it. ErrNotFound for an
// unknown release, ErrInvalid for an unknown format.
func (db *DB) ReleaseArchive(ctx context.Context, id int64, format string) (*ArchiveFile, error) {
	f, err := release.ParseFormat(format)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	r, err := db.Release(ctx, id)
	if err != nil {
		return nil, err
	}
	key := archiveKey{db, id, f}
	m, _ := archiveLocks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()

	sum, size, err := db.archiveRow(ctx, id, f)
	switch {
	case err == nil:
		af, err := db.openArchive(key, archivePath(id, f), sum, size, r)
		if err == nil {
			if _, ok := legacyChecked.LoadOrStore(key, true); !ok {
				// Show the assembled archive has the file's bytes, then
				// drop the file (prepareArchive).
				db.PrepareInBackground(id)
			}
			return af, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errArchiveDamaged) {
			return nil, err
		}
		// No whole archive file (the usual case): assemble it.
	case errors.Is(err, ErrNotFound):
		sum, size = "", -1
	default:
		return nil, err
	}
	if v, ok := refused.Load(key); ok {
		return nil, v.(error)
	}
	built, err := db.ensurePlan(context.WithoutCancel(ctx), r, f)
	if err != nil {
		return nil, err
	}
	if built && sum != "" {
		unverified.Store(key, struct{}{}) // checked in the background
	}
	a, err := db.openAssembled(id, f)
	if err != nil {
		return nil, err
	}
	if size >= 0 && a.size != size {
		_ = a.Close() // only read
		return nil, fmt.Errorf("release %d %s: assembled archive is %d bytes, recorded %d: %w", id, f, a.size, size, ErrCorrupt)
	}
	if sum == "" || built {
		db.PrepareInBackground(id)
	}
	return &ArchiveFile{ReadSeekCloser: a, Name: ArchiveName(r, string(f)), SHA256: sum, Size: a.size,
		ModTime: r.CreatedAt.Truncate(time.Second)}, nil
}

var errArchiveDamaged = errors.New("archive file does not match its recorded size or SHA-256")

func archivePath(id int64, f release.Format) string {
	return path.Join(releasesDir, strconv.FormatInt(id, 10), string(f)+".tar")
}

// ArchiveName is the file name a download of the archive is offered as: the
// name of the folder it unpacks into (release.TopFolder) and .tar; a
// release of the flat layout, which has no such folder, keeps the name it
// was first offered under.
func ArchiveName(r *Release, format string) string {
	if r.Layout >= release.LayoutSplits {
		return release.TopFolder(&release.Meta{Slug: r.ProjectSlug, Number: r.Number}, release.Format(format)) + ".tar"
	}
	return fmt.Sprintf("dialect-release-%d-r%d-%s.tar", r.ID, r.Number, format)
}

func (db *DB) archiveRow(ctx context.Context, id int64, f release.Format) (sum string, size int64, err error) {
	err = db.view(ctx, func(t *tx) error {
		return mapErr(t.QueryRowContext(ctx, `SELECT sha256, bytes FROM release_archives WHERE release_id = ? AND format = ?`,
			id, string(f)).Scan(&sum, &size))
	})
	return sum, size, err
}

// openArchive opens a built archive, checking its size always and its
// SHA-256 once per process.
func (db *DB) openArchive(key archiveKey, name, sum string, size int64, r *Release) (*ArchiveFile, error) {
	file, err := db.root.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := file.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
		_ = file.Close() // opened read-only; the damage is what to report
		return nil, errArchiveDamaged
	}
	if v, ok := verified.Load(key); !ok || v.(string) != sum {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(file, 0, size)); err != nil {
			_ = file.Close() // opened read-only; the read error is what to report
			return nil, err
		}
		if hex.EncodeToString(h.Sum(nil)) != sum {
			_ = file.Close() // opened read-only; the damage is what to report
			return nil, errArchiveDamaged
		}
		verified.Store(key, sum)
	}
	return &ArchiveFile{ReadSeekCloser: file, Name: ArchiveName(r, string(key.format)), SHA256: sum, Size: size,
		ModTime: r.CreatedAt.Truncate(time.Second)}, nil
}

type hookWriter struct {
	w io.Writer
	n int64
}

func (h *hookWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.n += int64(n)
	archiveHook(h.n)
	return n, err
}

// WriteReleaseArchive streams the archive of a published release in format
// to w, paging through its clips in short read transactions; `dialect
// export` writes these same bytes to a file. It returns the bytes written.
func (db *DB) WriteReleaseArchive(ctx context.Context, w io.Writer, r *Release, format string) (int64, error) {
	f, err := release.ParseFormat(format)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return release.Write(ctx, w, f, releaseMeta(r), &releaseSource{db: db, id: r.ID})
}

// writeReleasePlan is WriteReleaseArchive's plan (release.WritePlan): the
// skeleton to skel, the pieces to piece; no audio is read.
func (db *DB) writeReleasePlan(ctx context.Context, skel io.Writer, r *Release, f release.Format, piece func(release.Piece) error) (int64, error) {
	return release.WritePlan(ctx, skel, f, releaseMeta(r), &releaseSource{db: db, id: r.ID}, piece)
}

// releaseMeta is what release.Write needs of the release row.
func releaseMeta(r *Release) *release.Meta {
	var val struct {
		Check, CheckOverrides, Lint, LintOverrides json.RawMessage
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(r.Validation, &raw) == nil {
		val.Check, val.CheckOverrides, val.Lint, val.LintOverrides = raw["check"], raw["check_overrides"], raw["lint"], raw["lint_overrides"]
	}
	m := &release.Meta{ReleaseID: r.ID, Number: r.Number, Project: r.ProjectName, Dialect: r.Dialect, CreatedAt: r.CreatedAt,
		ConsentVersion: r.ConsentVersion, ManifestSHA256: r.ManifestSHA256,
		Validation: release.Validation{CheckConfig: nullless(val.Check), CheckOverrides: nullless(val.CheckOverrides),
			LintConfig: nullless(val.Lint), LintOverrides: nullless(val.LintOverrides)},
		Layout: r.Layout, Slug: r.ProjectSlug, License: r.License, Terms: r.Terms, Split: r.Split}
	return m
}

func nullless(b json.RawMessage) []byte {
	if string(b) == "null" {
		return nil
	}
	return b
}

// releaseSource feeds release.Write from release_clips, transcriptions and
// clips/.
//
// A transcribed clip's segments come from the transcription its
// release_clips row names (ReleaseClip.TranscriptionID), chosen when the
// clip was frozen, not from the newest transcription at the release's
// CreatedAt: the clock may be set back (a later transcription would then
// look older than the release), and a transcription applied between the
// release row and the copy of its clip would give segments that disagree
// with the frozen transcript. Each reads it in a read transaction of its
// own, after eachReleaseClip's page transaction has ended.
type releaseSource struct {
	db *DB
	id int64
}

func (s *releaseSource) Each(ctx context.Context, fn func(release.Utterance) error) error {
	return s.db.eachReleaseClip(ctx, s.id, func(c *ReleaseClip) error {
		u := release.Utterance{ClipID: c.ClipID, Speaker: c.Speaker, Transcript: c.Transcript, DurationS: c.DurationS,
			SampleRate: c.SampleRate, Channels: c.Channels, Bits: c.Bits, Mode: c.Mode, NoiseBand: c.NoiseBand,
			DialectRegion: c.DialectRegion, AgeBand: c.AgeBand, Gender: c.Gender, SHA256: c.SHA256, Bytes: c.Bytes}
		if c.TranscriptionID != 0 {
			tr, err := s.db.transcription(ctx, c.TranscriptionID)
			if err != nil {
				return fmt.Errorf("release %d clip %s: transcription %d: %w", s.id, c.ClipID, c.TranscriptionID, err)
			}
			if tr.ClipID != c.ClipID {
				return fmt.Errorf("release %d clip %s: transcription %d is of clip %s: %w", s.id, c.ClipID, tr.ID, tr.ClipID, ErrCorrupt)
			}
			for _, seg := range tr.Segments {
				u.Segments = append(u.Segments, release.Segment{Start: seg.Start, End: seg.End, Channel: seg.Channel, Text: seg.Text})
			}
		}
		return fn(u)
	})
}

func (s *releaseSource) Open(ctx context.Context, u *release.Utterance) (io.ReadCloser, error) {
	return s.db.OpenClipFile(u.ClipID)
}
