package corpus

// Backups that restore (issue #18 part 1), for the embedded engine (SQLite
// and the clips folder).
//
// A backup folder is laid out like a data directory, plus a manifest:
//
//	DIR/dialect.db      a transactionally consistent copy of the database
//	                    (VACUUM INTO: one read transaction beside the live
//	                    server, whose LOCK is not taken), journal_mode DELETE
//	DIR/clips/<id>.wav  every clip file that copy references, checked
//	                    against the row's size and SHA-256
//	DIR/acme/…          the ACME account key and certificates, if any
//	DIR/tmp/            staging (the new database copy, clip copies)
//	DIR/MANIFEST.json   written last, atomically: time, engine, schema
//	                    version, counts, the database copy's SHA-256
//	DIR/LOCK            held while a backup runs (one at a time)
//
// A second backup into the same folder copies only the clip files it lacks
// (or whose bytes no longer hash to their row), the database copy, and the
// manifest. The database copy replaces the previous one just before the
// manifest does, so a backup cut off at any point leaves either the
// previous complete backup, or a database copy whose SHA-256 its manifest
// does not name, or no manifest: Restore refuses the last two.
//
// Engines to come (PostgreSQL, S3) implement the same contract: a
// consistent snapshot of the records, every blob it references copied and
// checked by SHA-256, a manifest written last; Manifest.Engine names the
// snapshot's kind so a restore never mistakes one for another.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// ManifestFile is the name of a backup's manifest.
const ManifestFile = "MANIFEST.json"

// manifestFormat is the version of the manifest's layout.
const manifestFormat = 1

// ErrBackupInvalid: a backup folder that must not be restored (no
// manifest, or a manifest that does not match what the folder holds).
var ErrBackupInvalid = errors.New("backup incomplete or damaged")

// ErrTargetNotEmpty: a restore into a folder that already holds something.
var ErrTargetNotEmpty = errors.New("restore target is not empty")

// Manifest describes one complete backup.
type Manifest struct {
	Format        int       `json:"format"`
	CreatedAt     time.Time `json:"created_at"`
	Engine        string    `json:"engine"` // "sqlite": database is an SQLite file; blobs under clips/
	Source        string    `json:"source"`
	SchemaVersion int       `json:"schema_version"`
	Database      FileSum   `json:"database"`
	Counts        Counts    `json:"counts"`
	// Files are the other files kept with the corpus: the ACME account key
	// and certificates (acme/), so a restored server need not ask its CA
	// again.
	Files []FileSum `json:"files,omitempty"`
	// What this run did: clip files copied, and those already present
	// with the right bytes.
	Copied      int     `json:"copied"`
	CopiedBytes int64   `json:"copied_bytes"`
	Skipped     int     `json:"skipped"`
	Seconds     float64 `json:"seconds"`
}

// FileSum names a file of the backup with its size and SHA-256.
type FileSum struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Counts are the records of the copied database.
type Counts struct {
	Clips     int   `json:"clips"`
	ClipBytes int64 `json:"clip_bytes"`
	Users     int   `json:"users"`
	Projects  int   `json:"projects"`
	Decisions int   `json:"decisions"`
	Ledger    int   `json:"ledger_entries"`
	Releases  int   `json:"releases"`
}

// BackupError is a backup that ran to the end but does not verify: clip
// files missing from the source or not matching their rows, or an audit
// finding on the copy. No manifest was written for it.
type BackupError struct {
	Missing    []string // clip ids whose file the source lacks
	Mismatched []string // clip ids whose file does not match its row
	Audit      *AuditReport
}

func (e *BackupError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d clip files missing (first %s)", len(e.Missing), e.Missing[0]))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, fmt.Sprintf("%d clip files not matching their size or SHA-256 (first %s)", len(e.Mismatched), e.Mismatched[0]))
	}
	if e.Audit != nil && !e.Audit.OK() {
		parts = append(parts, fmt.Sprintf("the copy fails the audit: %+v", *e.Audit))
	}
	return "backup does not verify: " + strings.Join(parts, "; ")
}

// BackupOptions tune Backup.
type BackupOptions struct {
	// Now replaces the clock (default time.Now).
	Now func() time.Time
	// OnFile, when set (tests), is called after each clip file is copied.
	OnFile func(copied int)
}

// Backup copies the corpus in dataDir into the backup folder dest (created
// if needed), consistently while a server runs on it, and verifies the
// copy: the database copy passes the invariant audit, and every clip file
// it references is in dest with its size and SHA-256. Only then does it
// write the manifest. A *BackupError reports a copy that does not verify.
func Backup(ctx context.Context, dataDir, dest string, opts BackupOptions) (*Manifest, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	src, err := openSource(ctx, dataDir)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer func() { _ = src.Close() }() // read-only
	b, err := openBackupDir(dest, true)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer func() { _ = b.Close() }()
	// One backup at a time into a folder (a timer and a hand-run one).
	lock, err := LockDir(b.dir)
	var locked *LockedError
	if errors.As(err, &locked) {
		return nil, fmt.Errorf("backup: %s is in use by another dialect backup (pid %d)", b.dir, locked.PID)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer func() { _ = lock.Release() }() // a lock: the backup's outcome does not depend on it
	if err := b.clearTmp(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}

	// 1. The database: one read transaction on the live corpus.
	snap := path.Join(tmpDir, dbName+".new")
	if err := vacuumInto(ctx, src.r, filepath.Join(b.dir, snap)); err != nil {
		return nil, fmt.Errorf("backup: copy the database: %w", err)
	}
	copyDB, err := openSnapshot(ctx, filepath.Join(b.dir, snap), false)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m := &Manifest{Format: manifestFormat, CreatedAt: start.UTC(), Engine: "sqlite", Source: src.dir}
	clips, err := snapshotInfo(ctx, copyDB, src.dir, m)
	if cerr := copyDB.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := syncFileIn(b.root, snap); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}

	// 2. The clip files it references.
	berr := &BackupError{}
	for _, c := range clips {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		copied, err := b.copyClip(src, c)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			berr.Missing = append(berr.Missing, c.id)
		case errors.Is(err, errClipMismatch):
			berr.Mismatched = append(berr.Mismatched, c.id)
		case err != nil:
			return nil, fmt.Errorf("backup: clip %s: %w", c.id, err)
		case copied:
			m.Copied++
			m.CopiedBytes += c.bytes
			if opts.OnFile != nil {
				opts.OnFile(m.Copied)
			}
		default:
			m.Skipped++
		}
	}
	if err := syncDir(b.root, clipsDir); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}

	if m.Files, err = b.copyFiles(src.root, acmeDir); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}

	// 3. Verify: the audit's invariants on the copy, with its clip files.
	rep, err := b.audit(ctx, filepath.Join(b.dir, snap))
	if err != nil {
		return nil, fmt.Errorf("backup: audit the copy: %w", err)
	}
	if len(berr.Missing) > 0 || len(berr.Mismatched) > 0 || !rep.OK() {
		berr.Audit = rep
		return nil, berr
	}
	if m.Database, err = b.sum(snap); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m.Database.Name = dbName

	// 4. Into place: the database copy, then the manifest, last.
	if err := b.root.Rename(snap, dbName); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := syncDir(b.root, "."); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	m.Seconds = now().Sub(start).Seconds()
	if err := b.writeManifest(m); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// VerifyBackup checks a backup folder as Restore does before it copies
// anything: the manifest, the database copy's SHA-256 and schema, every
// clip file it references with its SHA-256, and the audit on the copy.
func VerifyBackup(ctx context.Context, dir string) (*Manifest, error) {
	b, err := openBackupDir(dir, false)
	if err != nil {
		return nil, fmt.Errorf("verify backup: %w", err)
	}
	defer func() { _ = b.Close() }()
	m, _, err := b.verify(ctx)
	return m, err
}

// RestoreReport is what Restore did.
type RestoreReport struct {
	Manifest *Manifest
	Clips    int
	Bytes    int64
	Audit    *AuditReport
}

// Restore makes the data directory target from the backup in dir: it
// refuses a target that exists and is not empty (ErrTargetNotEmpty), and a
// backup that does not verify (ErrBackupInvalid, ErrSchemaTooNew). It
// copies each clip file (checking its SHA-256), then the database, creates
// the rest of the layout (tmp/, quarantine/), opens the result as serve
// would and audits it.
func Restore(ctx context.Context, dir, target string) (*RestoreReport, error) {
	if err := emptyTarget(target); err != nil {
		return nil, err
	}
	b, err := openBackupDir(dir, false)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer func() { _ = b.Close() }()
	m, clips, err := b.verify(ctx)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	// A serve must not start on the target half-way through.
	abs, err := filepath.Abs(target)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	lock, err := LockDir(abs)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer func() { _ = lock.Release() }()
	t := &DB{dir: abs, now: time.Now, grace: defaultGrace}
	if err := t.openFiles(true); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	// openFiles created an empty database file; the copy replaces it.
	rep := &RestoreReport{Manifest: m}
	for _, c := range clips {
		if err := ctx.Err(); err != nil {
			_ = t.Close()
			return nil, err
		}
		name := clipName(c.id)
		if err := copyChecked(b.clips, name, t.root, path.Join(tmpDir, name), c.bytes, c.sha256, filePerm); err != nil {
			_ = t.Close()
			return nil, fmt.Errorf("restore: clip %s: %w", c.id, err)
		}
		if err := t.root.Rename(path.Join(tmpDir, name), path.Join(clipsDir, name)); err != nil {
			_ = t.Close()
			return nil, fmt.Errorf("restore: %w", err)
		}
		rep.Clips++
		rep.Bytes += c.bytes
	}
	if err := syncDir(t.root, clipsDir); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("restore: %w", err)
	}
	for _, f := range m.Files {
		if err := restoreFile(b.root, t.root, f); err != nil {
			_ = t.Close()
			return nil, fmt.Errorf("restore: %s: %w", f.Name, err)
		}
	}
	tmpDB := path.Join(tmpDir, dbName)
	if err := copyChecked(b.root, dbName, t.root, tmpDB, m.Database.Bytes, m.Database.SHA256, filePerm); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("restore: database: %w", err)
	}
	if err := t.root.Rename(tmpDB, dbName); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := syncDir(t.root, "."); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := t.Close(); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	// Open it as serve would (WAL, pragmas, migrations of an older backup
	// with their copy, reconciler), then audit.
	db, err := Open(ctx, abs, Options{})
	if err != nil {
		return nil, fmt.Errorf("restore: open the restored corpus: %w", err)
	}
	rep.Audit, err = db.Audit(ctx, false)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("restore: audit: %w", err)
	}
	if !rep.Audit.OK() || rep.Audit.Clips != m.Counts.Clips {
		return rep, fmt.Errorf("restore: the restored corpus fails the audit (%d clips, manifest %d): %+v: %w",
			rep.Audit.Clips, m.Counts.Clips, *rep.Audit, ErrCorrupt)
	}
	return rep, nil
}

// emptyTarget refuses a restore target that holds anything.
func emptyTarget(target string) error {
	if target == "" {
		return errors.New("restore: no target data directory")
	}
	ents, err := os.ReadDir(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("restore: %w", err)
	case len(ents) > 0:
		return fmt.Errorf("restore into %s: it holds %d entries (first %s): %w", target, len(ents), ents[0].Name(), ErrTargetNotEmpty)
	}
	return nil
}

// openSource opens the corpus in dataDir to read it beside a live server:
// no lock, no migration, no reconciler; a newer schema is refused.
func openSource(ctx context.Context, dataDir string) (*DB, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	db := &DB{dir: abs, now: time.Now, grace: defaultGrace}
	if err := db.openFiles(false); err != nil {
		_ = db.Close()
		return nil, err
	}
	if _, err := db.root.Stat(dbName); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := db.openReader(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := db.checkSchemaRead(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// openSnapshot opens a database copy through its own connection. A copy
// being made (readOnly false) is set to journal_mode DELETE, so it is one
// self-contained file; a copy being checked is opened read-only, without
// touching its journal mode.
func openSnapshot(ctx context.Context, file string, readOnly bool) (*sql.DB, error) {
	dsn := "file:" + escapeURIPath(file) + "?_busy_timeout=10000"
	if readOnly {
		dsn += "&mode=ro"
	}
	d, _ := sql.Open("sqlite3", dsn) // only fails for an unknown driver name
	d.SetMaxOpenConns(1)
	if !readOnly {
		if _, err := d.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
			_ = d.Close()
			return nil, mapErr(err)
		}
	}
	return d, nil
}

// snapshotInfo checks a database copy (integrity, schema), fills the
// manifest's schema version and counts, and lists its clips.
func snapshotInfo(ctx context.Context, d *sql.DB, dir string, m *Manifest) ([]auditClip, error) {
	var check string
	if err := d.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		return nil, mapErr(err)
	}
	if check != "ok" {
		return nil, fmt.Errorf("database copy: integrity_check: %s: %w", check, ErrCorrupt)
	}
	st, err := readSchema(ctx, d)
	if err != nil {
		return nil, err
	}
	known, err := embeddedMigrations(0)
	if err != nil {
		return nil, err
	}
	if err := st.check(dir, known); err != nil {
		return nil, err
	}
	m.SchemaVersion = st.version
	for _, c := range []struct {
		dest  *int
		table string
	}{{&m.Counts.Users, "users"}, {&m.Counts.Projects, "projects"}, {&m.Counts.Decisions, "decision_events"},
		{&m.Counts.Ledger, "ledger_entries"}, {&m.Counts.Releases, "releases"}} {
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+c.table).Scan(c.dest); err != nil {
			return nil, fmt.Errorf("count %s: %w", c.table, mapErr(err))
		}
	}
	clips, err := listAuditClips(ctx, &tx{q: d})
	if err != nil {
		return nil, err
	}
	m.Counts.Clips = len(clips)
	for _, c := range clips {
		m.Counts.ClipBytes += c.bytes
	}
	return clips, nil
}

// backupDir is an open backup folder.
type backupDir struct {
	dir   string
	root  *os.Root
	clips *os.Root
}

func openBackupDir(dir string, create bool) (*backupDir, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if create {
		for _, d := range []string{abs, filepath.Join(abs, clipsDir), filepath.Join(abs, tmpDir)} {
			if err := os.MkdirAll(d, dirPerm); err != nil {
				return nil, mapErr(err)
			}
		}
	}
	b := &backupDir{dir: abs}
	if b.root, err = os.OpenRoot(abs); err != nil {
		return nil, err
	}
	if b.clips, err = b.root.OpenRoot(clipsDir); err != nil {
		_ = b.root.Close()
		return nil, err
	}
	return b, nil
}

func (b *backupDir) Close() error {
	return errors.Join(b.clips.Close(), b.root.Close())
}

// clearTmp removes what a backup cut off left in tmp/.
func (b *backupDir) clearTmp() error {
	if err := b.root.RemoveAll(tmpDir); err != nil {
		return err
	}
	return b.root.Mkdir(tmpDir, dirPerm)
}

var errClipMismatch = errors.New("clip file does not match its row")

// copyClip makes clips/<id>.wav in the backup hold the clip's bytes: kept
// when the file there already has the row's size and SHA-256, copied from
// the source (and checked) otherwise. copied says which.
func (b *backupDir) copyClip(src *DB, c auditClip) (copied bool, err error) {
	name := clipName(c.id)
	if fi, err := b.clips.Lstat(name); err == nil && fi.Mode().IsRegular() && fi.Size() == c.bytes {
		if sum, _, err := hashFile(b.clips, name); err == nil && sum == c.sha256 {
			return false, nil
		}
	}
	tmp := path.Join(tmpDir, name)
	if err := copyChecked(src.clips, name, b.root, tmp, c.bytes, c.sha256, filePerm); err != nil {
		return false, err
	}
	return true, b.root.Rename(tmp, path.Join(clipsDir, name))
}

// copyChecked copies from/name to to/dest (created, fsynced, closed),
// failing with errClipMismatch (and removing dest) when the bytes do not
// have the given size and SHA-256.
func copyChecked(from *os.Root, name string, to *os.Root, dest string, size int64, sum string, perm os.FileMode) error {
	in, err := from.Open(name)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }() // read-only
	out, err := to.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return mapErr(err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && (n != size || hex.EncodeToString(h.Sum(nil)) != sum) {
		err = fmt.Errorf("%s: %d bytes with SHA-256 %s, want %d bytes with %s: %w", name, n, hex.EncodeToString(h.Sum(nil)), size, sum, errClipMismatch)
	}
	if err != nil {
		_ = to.Remove(dest) // a partial or wrong copy: nothing to keep
		return mapErr(err)
	}
	return nil
}

// hashFile returns the hex SHA-256 and size of root/name.
func hashFile(root *os.Root, name string) (string, int64, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read-only
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func (b *backupDir) sum(name string) (FileSum, error) {
	s, n, err := hashFile(b.root, name)
	return FileSum{Name: name, Bytes: n, SHA256: s}, err
}

// audit runs the invariant audit on the database copy file with the
// backup's clips folder (sizes only: the SHA-256 of every file was checked
// as it was copied or kept).
func (b *backupDir) audit(ctx context.Context, file string) (*AuditReport, error) {
	d, err := openSnapshot(ctx, file, true)
	if err != nil {
		return nil, err
	}
	db := &DB{dir: b.dir, now: time.Now, grace: defaultGrace, r: d, root: b.root, clips: b.clips}
	defer func() { _ = d.Close() }() // read-only
	return db.Audit(ctx, false)
}

// writeManifest writes the manifest atomically: temp name, fsync, rename,
// fsync the folder.
func (b *backupDir) writeManifest(m *Manifest) error {
	buf, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := path.Join(tmpDir, ManifestFile)
	f, err := b.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, filePerm)
	if err != nil {
		return mapErr(err)
	}
	_, err = f.Write(append(buf, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return mapErr(err)
	}
	if err := b.root.Rename(tmp, ManifestFile); err != nil {
		return err
	}
	return syncDir(b.root, ".")
}

// verify checks the backup before a restore: the manifest, the database
// copy's size and SHA-256, its schema, the audit on it, and every clip file
// it references with its SHA-256. It returns the clips to copy.
func (b *backupDir) verify(ctx context.Context) (*Manifest, []auditClip, error) {
	buf, err := b.root.ReadFile(ManifestFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s has no %s (a backup that did not finish, or not a backup): %w", b.dir, ManifestFile, ErrBackupInvalid)
	}
	if err != nil {
		return nil, nil, err
	}
	var m Manifest
	if err := json.Unmarshal(buf, &m); err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", ManifestFile, err, ErrBackupInvalid)
	}
	if m.Format != manifestFormat || m.Engine != "sqlite" {
		return nil, nil, fmt.Errorf("%s: format %d, engine %q: this binary restores format %d, engine sqlite: %w",
			ManifestFile, m.Format, m.Engine, manifestFormat, ErrBackupInvalid)
	}
	got, err := b.sum(dbName)
	if err != nil {
		return nil, nil, fmt.Errorf("database copy: %w: %w", err, ErrBackupInvalid)
	}
	if got.Bytes != m.Database.Bytes || got.SHA256 != m.Database.SHA256 {
		return nil, nil, fmt.Errorf("database copy has %d bytes with SHA-256 %s, the manifest names %d bytes with %s (a backup cut off, or damaged): %w",
			got.Bytes, got.SHA256, m.Database.Bytes, m.Database.SHA256, ErrBackupInvalid)
	}
	d, err := openSnapshot(ctx, filepath.Join(b.dir, dbName), true)
	if err != nil {
		return nil, nil, err
	}
	var counted Manifest
	clips, err := snapshotInfo(ctx, d, b.dir, &counted)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	if counted.Counts != m.Counts || counted.SchemaVersion != m.SchemaVersion {
		return nil, nil, fmt.Errorf("database copy holds %+v, the manifest %+v: %w", counted.Counts, m.Counts, ErrBackupInvalid)
	}
	for _, c := range clips {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		sum, n, err := hashFile(b.clips, clipName(c.id))
		if err != nil || n != c.bytes || sum != c.sha256 {
			return nil, nil, fmt.Errorf("clip %s: missing or not matching its SHA-256 in the backup: %w", c.id, ErrBackupInvalid)
		}
	}
	for _, f := range m.Files {
		sum, n, err := hashFile(b.root, f.Name)
		if err != nil || n != f.Bytes || sum != f.SHA256 || !safeKeptName(f.Name) {
			return nil, nil, fmt.Errorf("%s: missing or not matching its SHA-256 in the backup: %w", f.Name, ErrBackupInvalid)
		}
	}
	rep, err := b.audit(ctx, filepath.Join(b.dir, dbName))
	if err != nil {
		return nil, nil, err
	}
	if !rep.OK() {
		return nil, nil, fmt.Errorf("the database copy fails the audit: %+v: %w", *rep, ErrBackupInvalid)
	}
	return &m, clips, nil
}

// acmeDir is where the server keeps its ACME account key and certificates
// (cmd/dialect/tls.go): owner-only, like what it holds.
const acmeDir = "acme"

// safeKeptName reports whether a manifest's file name is one Backup writes:
// local, under acme/.
func safeKeptName(name string) bool {
	return filepath.IsLocal(name) && strings.HasPrefix(name, acmeDir+"/")
}

// copyFiles copies every regular file under dir of the source into the
// backup (owner-only), each through a temp name, and lists them. A missing
// dir lists nothing.
func (b *backupDir) copyFiles(src *os.Root, dir string) ([]FileSum, error) {
	var out []FileSum
	err := fs.WalkDir(src.FS(), dir, func(name string, d fs.DirEntry, err error) error {
		switch {
		case errors.Is(err, fs.ErrNotExist) && name == dir:
			return fs.SkipDir
		case err != nil:
			return err
		case d.IsDir():
			return b.root.MkdirAll(name, 0o700)
		case !d.Type().IsRegular():
			return nil
		}
		sum, n, err := hashFile(src, name)
		if err != nil {
			return err
		}
		tmp := path.Join(tmpDir, "kept-"+path.Base(name))
		if err := copyChecked(src, name, b.root, tmp, n, sum, 0o600); err != nil {
			return err
		}
		if err := b.root.Rename(tmp, name); err != nil {
			return err
		}
		out = append(out, FileSum{Name: name, Bytes: n, SHA256: sum})
		return syncDir(b.root, path.Dir(name))
	})
	return out, err
}

// restoreFile copies one kept file from the backup into the target.
func restoreFile(from, to *os.Root, f FileSum) error {
	if !safeKeptName(f.Name) {
		return fmt.Errorf("not a file a backup keeps: %w", ErrBackupInvalid)
	}
	if err := to.MkdirAll(path.Dir(f.Name), 0o700); err != nil {
		return err
	}
	tmp := path.Join(tmpDir, "kept-"+path.Base(f.Name))
	if err := copyChecked(from, f.Name, to, tmp, f.Bytes, f.SHA256, 0o600); err != nil {
		return err
	}
	if err := to.Rename(tmp, f.Name); err != nil {
		return err
	}
	return syncDir(to, path.Dir(f.Name))
}
