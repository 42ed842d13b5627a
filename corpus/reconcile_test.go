package corpus_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

// TestReconcile is F-13: what a crash leaves behind is cleaned up at the
// next start, on the corpus clock.
func TestReconcile(t *testing.T) {
	ctx := context.Background()
	start := time.Now()
	dir := t.TempDir()
	clk := newClock(start)
	db := MustOpenDBAt(t, dir, corpus.Options{Now: clk.Now})
	f := mustFixture(t, db)
	kept := mustCommitClip(t, db, newClip(f, nil, "kept"), wav(100))

	// A crash mid-upload: the temp file is written, never committed.
	mustUpload(t, db, wav(1000))
	// A crash between the rename and the row's commit: a file with no row.
	orphan := "0123456789abcdef0123456789abcdef.wav"
	if err := os.WriteFile(filepath.Join(dir, "clips", orphan), wav(50), 0o640); err != nil {
		t.Fatal(err)
	}

	rep, err := db.Audit(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OrphanFiles != 1 || rep.TempFiles != 1 || !rep.OK() {
		t.Fatalf("Audit = %+v, want 1 orphan, 1 temp file, OK", *rep)
	}

	t.Run("WithinGrace", func(t *testing.T) {
		clk.Add(30 * time.Minute)
		rep, err := db.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if *rep != (corpus.ReconcileReport{}) {
			t.Fatalf("Reconcile = %+v, want nothing done", *rep)
		}
	})
	t.Run("PastGrace", func(t *testing.T) {
		MustCloseDB(t, db)
		clk.Add(time.Hour)
		db = MustOpenDBAt(t, dir, corpus.Options{Now: clk.Now}) // Open reconciles
		if _, err := os.Stat(filepath.Join(dir, "quarantine", orphan)); err != nil {
			t.Fatalf("orphan not in quarantine/: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "clips", orphan)); !os.IsNotExist(err) {
			t.Fatalf("orphan still in clips/: %v", err)
		}
		if n := dirLen(t, filepath.Join(dir, "tmp")); n != 1 {
			t.Fatalf("tmp/ has %d entries after 1.5 h, want 1 (kept for 24 h)", n)
		}
	})
	t.Run("OldTemp", func(t *testing.T) {
		// A second orphan with the same name goes beside the first.
		if err := os.WriteFile(filepath.Join(dir, "clips", orphan), wav(60), 0o640); err != nil {
			t.Fatal(err)
		}
		clk.Add(24 * time.Hour)
		rep, err := db.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (corpus.ReconcileReport{Quarantined: 1, TempRemoved: 1}); *rep != want {
			t.Fatalf("Reconcile = %+v, want %+v", *rep, want)
		}
		if n := dirLen(t, filepath.Join(dir, "quarantine")); n != 2 {
			t.Fatalf("quarantine/ has %d files, want 2", n)
		}
		if _, err := db.Clip(ctx, kept.ID); err != nil {
			t.Fatal(err)
		}
		MustAudit(t, db)
	})
	t.Run("RowWithoutFile", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, "clips", kept.ID+".wav")); err != nil {
			t.Fatal(err)
		}
		rep, err := db.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.RowsWithoutFile != 1 {
			t.Fatalf("RowsWithoutFile=%d, want 1", rep.RowsWithoutFile)
		}
		audit, err := db.Audit(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if audit.RowsWithoutFile != 1 || audit.OK() {
			t.Fatalf("Audit = %+v, want 1 row without file, not OK", *audit)
		}
		MustCloseDB(t, db)
		_, err = corpus.Open(ctx, dir, corpus.Options{Now: clk.Now})
		wantErr(t, err, corpus.ErrCorrupt)
	})
}

func TestAudit_Files(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	a := mustCommitClip(t, db, newClip(f, nil, "a"), wav(100))
	b := mustCommitClip(t, db, newClip(f, nil, "b"), wav(100))
	// Bit rot in a (same size), truncation of b.
	pa := filepath.Join(db.Dir(), "clips", a.ID+".wav")
	data, _ := os.ReadFile(pa)
	data[10] ^= 0xff
	if err := os.WriteFile(pa, data, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(db.Dir(), "clips", b.ID+".wav"), 50); err != nil {
		t.Fatal(err)
	}
	rep, err := db.Audit(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SHAMismatches != 0 || rep.SizeMismatches != 1 || rep.Clips != 2 || rep.IntegrityCheck != "ok" {
		t.Fatalf("Audit(no hashes) = %+v, want 0 SHA and 1 size mismatch", *rep)
	}
	if rep, err = db.Audit(ctx, true); err != nil {
		t.Fatal(err)
	}
	if rep.SHAMismatches != 1 || rep.SizeMismatches != 1 || rep.OK() {
		t.Fatalf("Audit(hashes) = %+v, want 1 SHA and 1 size mismatch, not OK", *rep)
	}
}

// TestErrNoSpace is F-07 on a real full disk: a 4 MiB tmpfs. It needs root
// (mount), so it is skipped elsewhere.
func TestErrNoSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("needs root to mount a tmpfs; CI must run the tests as root")
		}
		t.Skip("needs root to mount a tmpfs: run the tests as root to include it")
	}
	ctx := context.Background()
	mnt := t.TempDir()
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("mount tmpfs (needs root and the mount command): %v: %s", err, out)
	}
	// Best effort: -l detaches it even while busy, and the test is over.
	t.Cleanup(func() { _ = exec.CommandContext(ctx, "umount", "-l", mnt).Run() })
	dir := filepath.Join(mnt, "data")
	db := MustOpenDBAt(t, dir, corpus.Options{})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)

	t.Run("Upload", func(t *testing.T) {
		u, err := db.NewUpload()
		if err != nil {
			t.Fatal(err)
		}
		chunk := wav(64 << 10)
		for i := 0; ; i++ {
			if i > 100 {
				t.Fatal("4 MiB tmpfs never filled")
			}
			if _, err = u.Write(chunk); err != nil {
				break
			}
		}
		wantErr(t, err, corpus.ErrNoSpace)
		if err := u.Discard(); err != nil {
			t.Fatal(err)
		}
		// Space is back: the service recovers without a restart.
		mustCommitClip(t, db, newClip(f, nil, "after"), wav(1000))
		MustAudit(t, db)
	})
	t.Run("Database", func(t *testing.T) {
		filler := filepath.Join(mnt, "filler")
		fh, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := fh.Write(make([]byte, 4096)); err != nil {
				break
			}
		}
		if err := fh.Close(); err != nil {
			t.Fatal(err)
		}
		var last error
		for i := range 200 {
			u, err := db.NewUpload()
			if err != nil {
				last = err
				break
			}
			if last = db.CommitClip(ctx, newClip(f, nil, fmt.Sprint("full-", i)), u); last != nil {
				break
			}
		}
		wantErr(t, last, corpus.ErrNoSpace)
		t.Logf("disk full: %v", last)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		mustCommitClip(t, db, newClip(f, nil, "after-db"), wav(1000))
		MustAudit(t, db) // nothing half-written
	})
}
