package corpus

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dialect-corpus/dialect/release"
)

// Archives assembled, not copied (issue 21). A release's archive in a
// format is never written out whole: it is assembled at each request from
// a member plan and the stored clip files.
//
// The plan is made once per release and format (release.WritePlan, which
// lays the archive out with release.Write's own code but reads no audio):
// releases/<id>/<format>.skel holds every byte that is not a WAV's (tar
// headers, index files, SHA256SUMS, the datasheet, padding, the end
// blocks), and releases/<id>/<format>.plan lists the archive's pieces in
// order, each either a run of the skeleton or one clip file, as fixed-size
// records: a request for any offset finds its piece by binary search
// (ReadAt on the plan file) and reads no earlier member. Memory stays flat
// whatever the release's size; the first byte goes out as soon as the plan
// exists, and making the plan reads rows only.
//
// Each archive's SHA-256 is worked out once, in the background, by
// release.Write into a hash (which also checks every clip against its
// recorded SHA-256), and stored in release_archives: a restart costs
// nothing. Until it is stored the download goes out without an ETag.
//
// A release whose archive was built as a file by an older version
// (releases/<id>/<format>.tar with its release_archives row) is served
// from that file (openArchive) until the background hash shows the
// assembled archive has the file's SHA-256; then the file is deleted. If
// the file is damaged or gone, the assembled archive, which tests pin byte
// for byte to release.Write, takes its place. A plan made again for an
// archive whose SHA-256 is recorded is checked against it in the
// background, and the archive refused if it differs.

const (
	planMagic  = "dialect-plan-v1\n"
	planHeader = 64
	planRecord = 56
)

// put64 and get64 store an int64 as 8 big-endian bytes, a
// two's-complement round trip (a clip piece's skeleton offset is -1).
func put64(b []byte, v int64) { binary.BigEndian.PutUint64(b, uint64(v)) } //nolint:gosec // G115: two's-complement round trip with get64

func get64(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) } //nolint:gosec // G115: two's-complement round trip with put64

func planPaths(id int64, f release.Format) (skel, plan string) {
	dir := path.Join(releasesDir, strconv.FormatInt(id, 10))
	return path.Join(dir, string(f)+".skel"), path.Join(dir, string(f)+".plan")
}

// ensurePlan makes the plan of the release's archive in f unless it
// exists. The caller holds the archive's lock.
// It reports whether it made one.
func (db *DB) ensurePlan(ctx context.Context, r *Release, f release.Format) (built bool, err error) {
	_, planName := planPaths(r.ID, f)
	if _, err := db.root.Stat(planName); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, mapErr(err)
	}
	return true, db.buildPlan(ctx, r, f)
}

// A plan made again for an archive whose SHA-256 is recorded (after a
// restore, or its files lost) is unverified until the background hash
// (prepareArchive) finds the recorded SHA-256 again; if it does not, the
// archive is refused (ErrCorrupt) from then on in this process and its
// plan removed.
var (
	unverified sync.Map // archiveKey → struct{}
	refused    sync.Map // archiveKey → error
)

// buildPlan writes the skeleton and the plan to temp files, fsyncs them
// and renames them into place, the plan last: a plan file names a whole
// skeleton (reliability.md F-05).
func (db *DB) buildPlan(ctx context.Context, r *Release, f release.Format) (err error) {
	dir := path.Join(releasesDir, strconv.FormatInt(r.ID, 10))
	if err := db.root.MkdirAll(dir, dirPerm); err != nil {
		return mapErr(err)
	}
	if ents, err := fs.ReadDir(db.root.FS(), dir); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "."+string(f)+".") && strings.HasSuffix(e.Name(), ".tmp") {
				_ = db.root.Remove(path.Join(dir, e.Name()))
			}
		}
	}
	var tmps []string
	var files []*os.File
	defer func() {
		for _, fl := range files {
			_ = fl.Close() // on success closed below; a second Close is harmless
		}
		if err != nil {
			for _, t := range tmps {
				_ = db.root.Remove(t)
			}
		}
	}()
	create := func(kind string) (*os.File, error) {
		t := path.Join(dir, "."+string(f)+"."+kind+"."+newID()+".tmp")
		fl, err := db.root.OpenFile(t, os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
		if err != nil {
			return nil, mapErr(err)
		}
		tmps, files = append(tmps, t), append(files, fl)
		return fl, nil
	}
	skelFile, err := create("skel")
	if err != nil {
		return err
	}
	planFile, err := create("plan")
	if err != nil {
		return err
	}
	var skelOut io.Writer = skelFile
	if archiveHook != nil {
		skelOut = &hookWriter{w: skelFile}
	}
	skel := bufio.NewWriterSize(skelOut, 256<<10)
	if archiveHook != nil {
		skel = bufio.NewWriterSize(skelOut, 4<<10)
	}
	plan := bufio.NewWriterSize(planFile, 64<<10)
	if _, err := plan.Write(make([]byte, planHeader)); err != nil {
		return mapErr(err)
	}
	var count, skelSize int64
	var rec [planRecord]byte
	size, err := db.writeReleasePlan(ctx, skel, r, f, func(p release.Piece) error {
		put64(rec[0:], p.Off)
		put64(rec[8:], p.Len)
		if p.Clip != nil {
			put64(rec[16:], -1)
			copy(rec[24:], p.Clip.ClipID)
		} else {
			put64(rec[16:], p.SkelOff)
			clear(rec[24:])
			skelSize = p.SkelOff + p.Len
		}
		count++
		_, err := plan.Write(rec[:])
		return err
	})
	if err != nil {
		return err
	}
	if err := skel.Flush(); err != nil {
		return mapErr(err)
	}
	if err := plan.Flush(); err != nil {
		return mapErr(err)
	}
	var hdr [planHeader]byte
	copy(hdr[:], planMagic)
	put64(hdr[16:], size)
	put64(hdr[24:], count)
	put64(hdr[32:], skelSize)
	if _, err := planFile.WriteAt(hdr[:], 0); err != nil {
		return mapErr(err)
	}
	for _, fl := range files {
		if err := fl.Sync(); err != nil {
			return mapErr(err)
		}
		if err := fl.Close(); err != nil {
			return mapErr(err)
		}
	}
	skelName, planName := planPaths(r.ID, f)
	if err := db.root.Rename(tmps[0], skelName); err != nil {
		return mapErr(err)
	}
	if err := syncDir(db.root, dir); err != nil {
		return mapErr(err)
	}
	if err := db.root.Rename(tmps[1], planName); err != nil {
		return mapErr(err)
	}
	return mapErr(syncDir(db.root, dir))
}

// assembled is an archive read from its plan, its skeleton and the clip
// files: an io.ReadSeekCloser whose CopyTo hands each file to the
// writer's ReadFrom, so sendfile(2) moves the bytes.
type assembled struct {
	db         *DB
	plan, skel *os.File
	size       int64
	count      int64
	pos        int64

	// the piece at cur (valid when have)
	have      bool
	cur       int64
	off, n    int64
	skelOff   int64 // -1 for a clip
	clipID    string
	clip      *os.File // open clip file of the current piece
	clipOfPcs int64    // the piece clip belongs to
}

func (db *DB) openAssembled(id int64, f release.Format) (_ *assembled, err error) {
	skelName, planName := planPaths(id, f)
	a := &assembled{db: db}
	defer func() {
		if err != nil {
			_ = a.Close() // only read; the error is what to report
		}
	}()
	if a.plan, err = db.root.Open(planName); err != nil {
		return nil, mapErr(err)
	}
	if a.skel, err = db.root.Open(skelName); err != nil {
		return nil, mapErr(err)
	}
	var hdr [planHeader]byte
	if _, err := a.plan.ReadAt(hdr[:], 0); err != nil || string(hdr[:16]) != planMagic {
		return nil, fmt.Errorf("release %d %s: plan file unreadable: %w", id, f, ErrCorrupt)
	}
	a.size = get64(hdr[16:])
	a.count = get64(hdr[24:])
	skelSize := get64(hdr[32:])
	pi, err1 := a.plan.Stat()
	si, err2 := a.skel.Stat()
	if err1 != nil || err2 != nil || pi.Size() != planHeader+a.count*planRecord || si.Size() != skelSize {
		return nil, fmt.Errorf("release %d %s: plan or skeleton file truncated: %w", id, f, ErrCorrupt)
	}
	return a, nil
}

func (a *assembled) Close() error {
	var errs []error
	for _, fl := range []*os.File{a.plan, a.skel, a.clip} {
		if fl != nil {
			errs = append(errs, fl.Close())
		}
	}
	a.plan, a.skel, a.clip = nil, nil, nil
	return errors.Join(errs...)
}

func (a *assembled) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += a.pos
	case io.SeekEnd:
		offset += a.size
	default:
		return 0, errors.New("assembled archive: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("assembled archive: negative position")
	}
	a.pos = offset
	return offset, nil
}

// load reads piece i of the plan.
func (a *assembled) load(i int64) error {
	var rec [planRecord]byte
	if _, err := a.plan.ReadAt(rec[:], planHeader+i*planRecord); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	a.cur, a.have = i, true
	a.off = get64(rec[0:])
	a.n = get64(rec[8:])
	a.skelOff = get64(rec[16:])
	a.clipID = ""
	if a.skelOff < 0 {
		a.clipID = string(rec[24:])
	}
	return nil
}

// seekPiece makes the piece holding a.pos current: the next one when
// reading on, else a binary search of the plan.
func (a *assembled) seekPiece() error {
	if a.have && a.pos >= a.off && a.pos < a.off+a.n {
		return nil
	}
	if a.have && a.pos == a.off+a.n && a.cur+1 < a.count {
		return a.load(a.cur + 1)
	}
	lo, hi := int64(0), a.count-1
	for lo < hi { // the last piece whose start is <= pos
		mid := (lo + hi + 1) / 2
		if err := a.load(mid); err != nil {
			return err
		}
		if a.off <= a.pos {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if err := a.load(lo); err != nil {
		return err
	}
	if a.pos < a.off || a.pos >= a.off+a.n {
		return fmt.Errorf("plan has no piece at %d: %w", a.pos, ErrCorrupt)
	}
	return nil
}

// source is the file and offset the current piece's byte at a.pos is in.
func (a *assembled) source() (*os.File, int64, error) {
	if a.skelOff >= 0 {
		return a.skel, a.skelOff + a.pos - a.off, nil
	}
	if a.clip == nil || a.clipOfPcs != a.cur {
		if a.clip != nil {
			_ = a.clip.Close() // only read
			a.clip = nil
		}
		fl, err := a.db.OpenClipFile(a.clipID)
		if err != nil {
			return nil, 0, fmt.Errorf("release clip %s: %w", a.clipID, err)
		}
		if fi, err := fl.Stat(); err != nil || fi.Size() != a.n {
			_ = fl.Close() // only read
			return nil, 0, fmt.Errorf("%w: clip %s", release.ErrAudioMismatch, a.clipID)
		}
		a.clip, a.clipOfPcs = fl, a.cur
	}
	return a.clip, a.pos - a.off, nil
}

func (a *assembled) Read(p []byte) (int, error) {
	if a.pos >= a.size {
		return 0, io.EOF
	}
	if err := a.seekPiece(); err != nil {
		return 0, err
	}
	fl, at, err := a.source()
	if err != nil {
		return 0, err
	}
	k := min(int64(len(p)), a.off+a.n-a.pos)
	n, err := fl.ReadAt(p[:k], at)
	a.pos += int64(n)
	if n < int(k) {
		if err == nil || errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	return n, nil
}

// CopyTo copies up to n bytes from the current position to w, each run
// as an io.LimitedReader over an *os.File, which net/http's ReadFrom
// sends with sendfile(2). It stops early only at the archive's end.
func (a *assembled) CopyTo(w io.Writer, n int64) (int64, error) {
	var total int64
	for n > 0 && a.pos < a.size {
		if err := a.seekPiece(); err != nil {
			return total, err
		}
		fl, at, err := a.source()
		if err != nil {
			return total, err
		}
		k := min(n, a.off+a.n-a.pos)
		if _, err := fl.Seek(at, io.SeekStart); err != nil {
			return total, err
		}
		c, err := io.Copy(w, &io.LimitedReader{R: fl, N: k})
		a.pos, total, n = a.pos+c, total+c, n-c
		if err != nil {
			return total, err
		}
		if c < k {
			return total, io.ErrUnexpectedEOF
		}
	}
	return total, nil
}

// Hashing in the background.

// ArchiveProgress is how far the SHA-256 of a release's archive in a
// format has got.
type ArchiveProgress struct {
	Done, Size int64
}

var (
	hashing    sync.Map // archiveKey → *hashProgress
	background sync.Map // *DB → *bgWork
)

type hashProgress struct{ done, size atomic.Int64 }

type bgWork struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (db *DB) bg() *bgWork {
	if v, ok := background.Load(db); ok {
		return v.(*bgWork)
	}
	ctx, cancel := context.WithCancel(context.Background())
	v, loaded := background.LoadOrStore(db, &bgWork{ctx: ctx, cancel: cancel})
	if loaded {
		cancel()
	}
	return v.(*bgWork)
}

// stopBackground cancels the background hashing of db and waits for it.
func (db *DB) stopBackground() {
	if v, ok := background.LoadAndDelete(db); ok {
		b := v.(*bgWork)
		b.cancel()
		b.wg.Wait()
	}
}

// HashingProgress reports the archives of a release whose SHA-256 is being
// worked out in this process, by format.
func (db *DB) HashingProgress(id int64) map[string]ArchiveProgress {
	out := map[string]ArchiveProgress{}
	for _, f := range release.Formats() {
		if v, ok := hashing.Load(archiveKey{db, id, f}); ok {
			p := v.(*hashProgress)
			out[string(f)] = ArchiveProgress{Done: p.done.Load(), Size: p.size.Load()}
		}
	}
	return out
}

// PrepareReleaseArchives makes the plan of the release's archive in every
// format and works out each one's SHA-256 that is not stored yet, calling
// progress (if set) as it goes. Run once when a release is created; a
// download before it finishes is served all the same.
func (db *DB) PrepareReleaseArchives(ctx context.Context, id int64, progress func(format string, done, size int64)) error {
	r, err := db.Release(ctx, id)
	if err != nil {
		return err
	}
	for _, f := range release.Formats() {
		if err := db.prepareArchive(ctx, r, f, progress); err != nil {
			return fmt.Errorf("release %d %s: %w", id, f, err)
		}
	}
	return nil
}

// PrepareInBackground runs PrepareReleaseArchives in the background; Close
// stops it (a later request or start picks up where it left off).
func (db *DB) PrepareInBackground(id int64) {
	b := db.bg()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		_ = db.PrepareReleaseArchives(b.ctx, id, nil) // a failure is seen again, and reported, at download
	}()
}

func (db *DB) prepareArchive(ctx context.Context, r *Release, f release.Format, progress func(string, int64, int64)) error {
	key := archiveKey{db, r.ID, f}
	m, _ := archiveLocks.LoadOrStore(key, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	built, err := db.ensurePlan(ctx, r, f)
	mu.Unlock()
	if err != nil {
		return err
	}
	want, _, err := db.archiveRow(ctx, r.ID, f)
	legacy := false
	switch {
	case err == nil:
		if built {
			unverified.Store(key, struct{}{})
		}
		// An archive file of an older version is dropped once the
		// assembled archive is shown to hash to its recorded SHA-256.
		_, serr := db.root.Stat(archivePath(r.ID, f))
		legacy = serr == nil
		if _, ok := unverified.Load(key); !ok && !legacy {
			return nil
		}
	case errors.Is(err, ErrNotFound):
	default:
		return err
	}
	hp := &hashProgress{}
	if _, busy := hashing.LoadOrStore(key, hp); busy {
		return nil // another goroutine of this process is on it
	}
	defer hashing.Delete(key)
	a, err := db.openAssembled(r.ID, f)
	if err != nil {
		return err
	}
	size := a.size
	_ = a.Close() // only read
	hp.size.Store(size)
	h := sha256.New()
	pw := &progressWriter{w: h, p: hp, fn: progress, format: string(f)}
	bw := bufio.NewWriterSize(pw, 1<<20)
	n, err := db.WriteReleaseArchive(ctx, bw, r, string(f))
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("archive is %d bytes, its plan says %d: %w", n, size, ErrCorrupt)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" {
		if sum != want && legacy {
			// The file stays, and is served (ReleaseArchive prefers it).
			return fmt.Errorf("release %d %s: assembled archive has SHA-256 %s, its archive file %s: %w", r.ID, f, sum, want, ErrCorrupt)
		}
		if sum != want {
			err := fmt.Errorf("release %d %s: archive planned again has SHA-256 %s, recorded %s: %w", r.ID, f, sum, want, ErrCorrupt)
			refused.Store(key, err)
			skelName, planName := planPaths(r.ID, f)
			_ = db.root.Remove(planName) // planned again, and checked again, after a restart
			_ = db.root.Remove(skelName)
			return err
		}
		unverified.Delete(key)
		if legacy {
			// The same bytes as the file: the file, a copy of the audio,
			// goes. A download that has it open reads on.
			mu.Lock()
			defer mu.Unlock()
			if err := db.root.Remove(archivePath(r.ID, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return mapErr(err)
			}
			return mapErr(syncDir(db.root, path.Dir(archivePath(r.ID, f))))
		}
		return nil
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO release_archives (release_id, format, sha256, bytes, built_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (release_id, format) DO NOTHING`, r.ID, string(f), sum, n, nanos(t.now))
		return mapErr(err)
	})
}

type progressWriter struct {
	w      io.Writer
	p      *hashProgress
	fn     func(string, int64, int64)
	format string
}

func (w *progressWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	d := w.p.done.Add(int64(n))
	if w.fn != nil {
		w.fn(w.format, d, w.p.size.Load())
	}
	return n, err
}

// ArchivesStatus says how far the SHA-256 of the release's archives has
// got, for `dialect release list` and the admin page: "ready" when every
// format's is stored, else e.g. "hashing 2/4 (nemo 41%)" while this
// process works it out, or "pending 2/4" (worked out in the background by
// `dialect serve`, or at the first download).
func (db *DB) ArchivesStatus(ctx context.Context, id int64) (string, error) {
	stored := 0
	err := db.view(ctx, func(t *tx) error {
		return mapErr(t.QueryRowContext(ctx, `SELECT count(*) FROM release_archives WHERE release_id = ?`, id).Scan(&stored))
	})
	if err != nil {
		return "", err
	}
	all := len(release.Formats())
	if stored >= all {
		return "ready", nil
	}
	for f, p := range db.HashingProgress(id) {
		pct := 0
		if p.Size > 0 {
			pct = int(p.Done * 100 / p.Size)
		}
		return fmt.Sprintf("hashing %d/%d (%s %d%%)", stored, all, f, pct), nil
	}
	return fmt.Sprintf("pending %d/%d", stored, all), nil
}
