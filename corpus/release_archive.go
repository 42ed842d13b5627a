package corpus

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dialect-corpus/dialect/release"
)

// Vendor archives are built once per release and format, then served as
// files (http.ServeContent gives Range for free, and the kernel's sendfile
// the speed). A build writes releases/<id>/.<format>.<random>.tmp, fsyncs
// it, renames it to releases/<id>/<format>.tar, fsyncs the directory and only
// then records its SHA-256 in release_archives (reliability.md F-05): a
// crash at any point leaves either no <format>.tar, and the next request
// builds again, or a whole one. A file is served only if its size and
// SHA-256 match the row (the hash is checked once per process).
//
// The archive's bytes depend only on what CreateRelease froze (the clips'
// rows in release_clips, the release row), on the transcriptions those rows
// name (append-only: triggers refuse updates and deletes) and on the clip
// files, whose SHA-256 every build checks: a rebuild gives the same bytes,
// and a rebuild that would not is refused.

const releasesDir = "releases"

// ArchiveFile is an open, verified archive.
type ArchiveFile struct {
	*os.File
	// Name is the download's file name: made by the server from ids only.
	Name    string
	SHA256  string
	Size    int64
	ModTime time.Time
}

// archiveLocks holds one mutex per (corpus, release, format): one build at a
// time, and concurrent first downloads wait for it instead of building too.
var archiveLocks sync.Map // archiveKey → *sync.Mutex

// verified remembers the archives whose SHA-256 this process has checked.
var verified sync.Map // archiveKey → sha256

type archiveKey struct {
	db     *DB
	id     int64
	format release.Format
}

// archiveHook, when set (tests), is called with the bytes written so far
// during a build; a test's child process exits there to crash mid-build.
var archiveHook func(written int64)

// ReleaseArchive opens the archive of a published release in format (kaldi,
// hf, nemo, cv), building it first when it does not exist yet. The caller
// closes it. ErrNotFound for an unknown release, ErrInvalid for an unknown
// format.
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

	name := archivePath(id, f)
	sum, size, err := db.archiveRow(ctx, id, f)
	switch {
	case err == nil:
		af, err := db.openArchive(key, name, sum, size, r)
		if err == nil {
			return af, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errArchiveDamaged) {
			return nil, err
		}
		// Missing or damaged: build it again below. The new bytes must
		// hash to the recorded SHA-256, or buildArchive refuses them.
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	if err := db.buildArchive(context.WithoutCancel(ctx), r, f, sum); err != nil {
		return nil, err
	}
	sum, size, err = db.archiveRow(ctx, id, f)
	if err != nil {
		return nil, err
	}
	return db.openArchive(key, name, sum, size, r)
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
	return &ArchiveFile{File: file, Name: ArchiveName(r, string(key.format)), SHA256: sum, Size: size,
		ModTime: r.CreatedAt.Truncate(time.Second)}, nil
}

// buildArchive writes the archive durably and records it. want, if set, is
// the SHA-256 recorded by an earlier build: a rebuild must match it.
func (db *DB) buildArchive(ctx context.Context, r *Release, f release.Format, want string) (err error) {
	dir := path.Join(releasesDir, strconv.FormatInt(r.ID, 10))
	if err := db.root.MkdirAll(dir, dirPerm); err != nil {
		return mapErr(err)
	}
	// Temp files of builds that crashed.
	if ents, err := fs.ReadDir(db.root.FS(), dir); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "."+string(f)+".") && strings.HasSuffix(e.Name(), ".tmp") {
				_ = db.root.Remove(path.Join(dir, e.Name()))
			}
		}
	}
	tmp := path.Join(dir, "."+string(f)+"."+newID()+".tmp")
	file, err := db.root.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return mapErr(err)
	}
	defer func() {
		if err != nil {
			_ = file.Close()
			_ = db.root.Remove(tmp)
		}
	}()
	h := sha256.New()
	var out io.Writer = file
	size := 1 << 20
	if archiveHook != nil {
		out, size = &hookWriter{w: file}, 4<<10
	}
	bw := bufio.NewWriterSize(io.MultiWriter(out, h), size)
	n, err := db.WriteReleaseArchive(ctx, bw, r, string(f))
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return mapErr(err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		return fmt.Errorf("release %d %s: rebuilt archive has SHA-256 %s, recorded %s: %w", r.ID, f, sum, want, ErrCorrupt)
	}
	if err := file.Sync(); err != nil {
		return mapErr(err)
	}
	if err := file.Close(); err != nil {
		return mapErr(err)
	}
	if err := db.root.Rename(tmp, archivePath(r.ID, f)); err != nil {
		return mapErr(err)
	}
	if err := syncDir(db.root, dir); err != nil {
		return mapErr(err)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO release_archives (release_id, format, sha256, bytes, built_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (release_id, format) DO UPDATE SET built_at = excluded.built_at
			WHERE sha256 = excluded.sha256 AND bytes = excluded.bytes`, r.ID, string(f), sum, n, nanos(t.now))
		return mapErr(err)
	})
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
	return release.Write(ctx, w, f, m, &releaseSource{db: db, id: r.ID})
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
