package corpus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

// testEpoch is where test clocks start.
var testEpoch = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// clock is a settable corpus clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// MustOpenDB opens a new corpus in a temp directory.
func MustOpenDB(tb testing.TB) *corpus.DB {
	tb.Helper()
	return MustOpenDBAt(tb, tb.TempDir(), corpus.Options{})
}

// MustOpenDBAt opens the corpus in dir.
func MustOpenDBAt(tb testing.TB, dir string, opts corpus.Options) *corpus.DB {
	tb.Helper()
	db, err := corpus.Open(context.Background(), dir, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	return db
}

// MustCloseDB closes db.
func MustCloseDB(tb testing.TB, db *corpus.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

// MustAudit runs the B0 audit with hash verification and fails unless it is
// clean: nothing that blocks a release, and no orphan or temp file left.
func MustAudit(tb testing.TB, db *corpus.DB) *corpus.AuditReport {
	tb.Helper()
	rep, err := db.Audit(context.Background(), true)
	if err != nil {
		tb.Fatalf("Audit: %v", err)
	}
	if !rep.OK() || rep.OrphanFiles != 0 || rep.TempFiles != 0 {
		tb.Fatalf("Audit = %+v, want OK with no orphan or temp files", *rep)
	}
	return rep
}

// rawDB opens the corpus database through its own connection, as an
// outside tool (or an attacker with file access) would.
func rawDB(tb testing.TB, db *corpus.DB) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("sqlite3", corpus.WriterDSN(db.Dir()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := raw.Close(); err != nil {
			tb.Errorf("close the raw database: %v", err)
		}
	})
	return raw
}

// fixture is a project with a speaker and a reviewer.
type fixture struct {
	project  *corpus.Project
	speaker  *corpus.User
	reviewer *corpus.User
}

func mustFixture(tb testing.TB, db *corpus.DB) fixture {
	tb.Helper()
	p := mustProject(tb, db, "minnan-1")
	return fixture{
		project:  p,
		speaker:  mustUser(tb, db, p.ID, "speaker-1", corpus.RoleSpeaker),
		reviewer: mustUser(tb, db, p.ID, "reviewer-1", corpus.RoleReviewer),
	}
}

func mustProject(tb testing.TB, db *corpus.DB, slug string) *corpus.Project {
	tb.Helper()
	p := &corpus.Project{
		Slug: slug, Name: "Minnan " + slug, Dialect: "nan-TW",
		Modes:              []string{"prompted", "monologue"},
		BandQuota:          map[string]int{"low": 10, "medium": 5},
		RateCentsPerMinute: 600, Currency: "TWD", ConsentText: "I agree.",
	}
	if err := db.CreateProject(context.Background(), p); err != nil {
		tb.Fatalf("CreateProject(%s): %v", slug, err)
	}
	return p
}

func mustUser(tb testing.TB, db *corpus.DB, projectID int64, name string, role corpus.Role) *corpus.User {
	tb.Helper()
	u := &corpus.User{Username: name, Role: role, ProjectID: projectID, PasswordHash: "$argon2id$x"}
	if err := db.CreateUser(context.Background(), u); err != nil {
		tb.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

func mustTask(tb testing.TB, db *corpus.DB, f fixture, promptID int64) *corpus.Task {
	tb.Helper()
	task := &corpus.Task{ProjectID: f.project.ID, SpeakerID: f.speaker.ID, PromptID: promptID, Mode: "prompted", NoiseBand: "low"}
	if err := db.CreateTask(context.Background(), task); err != nil {
		tb.Fatalf("CreateTask: %v", err)
	}
	return task
}

// mustUpload writes data to a new upload.
func mustUpload(tb testing.TB, db *corpus.DB, data []byte) *corpus.Upload {
	tb.Helper()
	u, err := db.NewUpload()
	if err != nil {
		tb.Fatalf("NewUpload: %v", err)
	}
	if _, err := u.Write(data); err != nil {
		tb.Fatalf("Upload.Write: %v", err)
	}
	return u
}

func newClip(f fixture, task *corpus.Task, clientID string) *corpus.Clip {
	c := &corpus.Clip{
		ProjectID: f.project.ID, SpeakerID: f.speaker.ID, ClientClipID: clientID,
		DurationS: 5, SampleRate: 16000, Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: "low",
		Transcript: "你好", Receipt: []byte(`{"findings":[]}`),
	}
	if task != nil {
		c.TaskID = task.ID
	}
	return c
}

// mustCommitClip stores a clip with data as its file.
func mustCommitClip(tb testing.TB, db *corpus.DB, c *corpus.Clip, data []byte) *corpus.Clip {
	tb.Helper()
	if err := db.CommitClip(context.Background(), c, mustUpload(tb, db, data)); err != nil {
		tb.Fatalf("CommitClip(%s): %v", c.ClientClipID, err)
	}
	return c
}

func wav(n int) []byte {
	b := bytes.Repeat([]byte("RIFFWAVE"), n/8+1)
	return b[:n]
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func dirLen(tb testing.TB, dir string) int {
	tb.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return len(es)
}

func wantErr(tb testing.TB, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Fatalf("err = %v, want %v", err, want)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		db := MustOpenDBAt(t, dir, corpus.Options{})
		defer MustCloseDB(t, db)
		for _, d := range []string{"", "clips", "tmp", "quarantine"} {
			fi, err := os.Stat(filepath.Join(dir, d))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fi.Mode().Perm(), os.FileMode(0o750); got&^want != 0 {
				t.Errorf("%s/ mode = %v, want at most %v", d, got, want)
			}
		}
		fi, err := os.Stat(filepath.Join(dir, "dialect.db"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o640); got&^want != 0 {
			t.Errorf("dialect.db mode = %v, want at most %v", got, want)
		}
		if got, want := db.Dir(), dir; got != want {
			t.Errorf("Dir() = %q, want %q", got, want)
		}
		MustAudit(t, db)
	})

	t.Run("Pragmas", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		sync, mode, busy, fk, err := db.WriterPragmas(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if sync != 2 {
			t.Errorf("synchronous = %d, want 2", sync)
		}
		if mode != "wal" {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		if busy != 10000 {
			t.Errorf("busy_timeout = %d, want 10000", busy)
		}
		if fk != 1 {
			t.Errorf("foreign_keys = %d, want 1", fk)
		}
	})

	t.Run("MigrationsIdempotent", func(t *testing.T) {
		dir := t.TempDir()
		db := MustOpenDBAt(t, dir, corpus.Options{})
		p := mustProject(t, db, "kept")
		MustCloseDB(t, db)
		for range 2 {
			db = MustOpenDBAt(t, dir, corpus.Options{})
			got, err := db.Project(ctx, p.ID)
			if err != nil {
				t.Fatalf("Project after reopen: %v", err)
			}
			if got.Slug != "kept" {
				t.Fatalf("Slug = %q, want kept", got.Slug)
			}
			var n int
			if err := rawDB(t, db).QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob("migrations/*.sql")
			if n != len(files) {
				t.Fatalf("migrations rows = %d, want %d", n, len(files))
			}
			MustCloseDB(t, db)
		}
	})

	t.Run("ErrCorrupt", func(t *testing.T) {
		dir := t.TempDir()
		db := MustOpenDBAt(t, dir, corpus.Options{})
		f := mustFixture(t, db)
		c := mustCommitClip(t, db, newClip(f, nil, "c1"), wav(100))
		MustCloseDB(t, db)
		if err := os.Remove(filepath.Join(dir, "clips", c.ID+".wav")); err != nil {
			t.Fatal(err)
		}
		_, err := corpus.Open(ctx, dir, corpus.Options{})
		wantErr(t, err, corpus.ErrCorrupt)

		// The audit still runs on a corpus Open refuses, and says why.
		rep, err := corpus.AuditDir(ctx, dir, true)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rep.RowsWithoutFile, 1; got != want {
			t.Errorf("RowsWithoutFile = %d, want %d", got, want)
		}
		if rep.OK() {
			t.Errorf("OK() = true, want false")
		}
	})

	t.Run("ErrBadDir", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := corpus.Open(ctx, file, corpus.Options{}); err == nil {
			t.Fatal("Open(a file) = nil error, want an error")
		}
		if _, err := corpus.AuditDir(ctx, t.TempDir(), false); err == nil {
			t.Fatal("AuditDir(empty dir) = nil error, want an error")
		}
	})
}

func TestErrBusy(t *testing.T) {
	defer corpus.SetBusyTimeoutMS(200)()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	// Another process holds the write lock (F-08: sqlite3 db 'BEGIN IMMEDIATE').
	raw := rawDB(t, db)
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := conn.Close(); err != nil {
			t.Error(err)
		}
	}()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	err = db.CreateProject(context.Background(), &corpus.Project{Slug: "p", Name: "P"})
	wantErr(t, err, corpus.ErrBusy)
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	// Reads never wait for the writer.
	if _, err := db.Projects(context.Background()); err != nil {
		t.Fatalf("Projects: %v", err)
	}
	if err := db.CreateProject(context.Background(), &corpus.Project{Slug: "p", Name: "P"}); err != nil {
		t.Fatalf("CreateProject after the lock is released: %v", err)
	}
}

// TestConcurrentWriters is the F-08 probe: 8 workers × 100 read-then-write
// transactions must give no error at all.
func TestConcurrentWriters(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	ctx := context.Background()
	const workers, rounds = 8, 100
	clips := make([]*corpus.Clip, workers)
	for i := range clips {
		clips[i] = mustCommitClip(t, db, newClip(f, nil, fmt.Sprintf("w%d", i)), wav(64))
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A cancelled request context must not undo a write (mattn #769).
			cctx, cancel := context.WithCancel(ctx)
			for i := range rounds {
				task := &corpus.Task{ProjectID: f.project.ID, SpeakerID: f.speaker.ID, Mode: "monologue", NoiseBand: "low"}
				err := db.CreateTask(cctx, task)
				if err == nil {
					to := corpus.StatusAccepted
					if i%2 == 0 {
						to = corpus.StatusRejected
					}
					err = db.AppendDecision(cctx, &corpus.Decision{ClipID: clips[w].ID, AuthorID: f.reviewer.ID, To: to, Reason: "review"})
				}
				if err == nil {
					_, err = db.OpenTask(ctx, f.speaker.ID)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
			cancel()
		}()
	}
	wg.Wait()
	if len(errs) != 0 {
		t.Fatalf("%d errors, want 0; first: %v", len(errs), errs[0])
	}
	rep := MustAudit(t, db)
	if got, want := rep.Decisions, workers*(rounds+1); got != want {
		t.Errorf("Decisions = %d, want %d", got, want)
	}
}

// TestCanceledContext is F-11: a request that goes away does not interrupt
// a write; reads do stop.
func TestCanceledContext(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	c := mustCommitClip(t, db, newClip(f, nil, "a"), wav(10))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: c.ID, AuthorID: f.reviewer.ID, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
		t.Fatalf("AppendDecision(canceled ctx): %v", err)
	}
	if _, err := db.Clip(ctx, c.ID); !errors.Is(err, context.Canceled) {
		t.Fatalf("Clip(canceled ctx) err = %v, want context.Canceled", err)
	}
	MustAudit(t, db)
}

// TestAuditDir audits a corpus another process has open, read-only.
func TestAuditDir(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	mustCommitClip(t, db, newClip(f, nil, "a"), wav(10))
	rep, err := corpus.AuditDir(context.Background(), db.Dir(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Clips != 1 || rep.Decisions != 1 {
		t.Fatalf("AuditDir = %+v, want OK with 1 clip and 1 decision", *rep)
	}
	// The live corpus still writes afterwards.
	mustCommitClip(t, db, newClip(f, nil, "b"), wav(10))
	MustAudit(t, db)
}
