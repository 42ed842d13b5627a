package corpus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// clipData is distinct content for the i-th clip of a test.
func clipData(i int) []byte {
	return append(wav(4000), []byte(fmt.Sprintf("clip-%06d", i))...)
}

// seedClips commits n clips (numbered from first) and returns id → data.
func seedClips(t *testing.T, db *corpus.DB, f fixture, first, n int) map[string][]byte {
	t.Helper()
	task := mustTask(t, db, f, 0)
	out := map[string][]byte{}
	for i := first; i < first+n; i++ {
		d := clipData(i)
		c := mustCommitClip(t, db, newClip(f, task, fmt.Sprintf("c-%d", i)), d)
		out[c.ID] = d
	}
	return out
}

func readManifest(t *testing.T, dir string) corpus.Manifest {
	t.Helper()
	buf, err := os.ReadFile(filepath.Join(dir, corpus.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m corpus.Manifest
	if err := json.Unmarshal(buf, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBackup_RestoreIncremental: a backup of a corpus restores into an
// empty folder that opens and audits clean with every clip; a second
// backup into the same folder copies only the new clip files.
func TestBackup_RestoreIncremental(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := MustOpenDBAt(t, src, corpus.Options{})
	f := mustFixture(t, db)
	clips := seedClips(t, db, f, 0, 20)
	// The ACME cache (account key, certificates) travels with the corpus.
	acme := filepath.Join(src, "acme", "acme-v02.api.letsencrypt.org")
	if err := os.MkdirAll(acme, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(acme, "acme_account+key"), []byte("-----BEGIN EC PRIVATE KEY-----"), 0o600); err != nil {
		t.Fatal(err)
	}

	bdir := filepath.Join(t.TempDir(), "backup")
	m, err := corpus.Backup(ctx, src, bdir, corpus.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Copied != 20 || m.Skipped != 0 || m.Counts.Clips != 20 || m.SchemaVersion != corpus.SchemaVersion() || m.Database.SHA256 == "" {
		t.Fatalf("first backup: %+v", *m)
	}
	if got := readManifest(t, bdir); got.Database != m.Database {
		t.Errorf("manifest on disk %+v, returned %+v", got.Database, m.Database)
	}

	more := seedClips(t, db, f, 20, 7)
	m2, err := corpus.Backup(ctx, src, bdir, corpus.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m2.Copied != 7 || m2.Skipped != 20 || m2.Counts.Clips != 27 {
		t.Fatalf("second backup: copied %d, skipped %d, clips %d; want 7, 20, 27", m2.Copied, m2.Skipped, m2.Counts.Clips)
	}
	MustCloseDB(t, db)

	target := filepath.Join(t.TempDir(), "restored")
	rep, err := corpus.Restore(ctx, bdir, target)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clips != 27 {
		t.Errorf("restored %d clips, want 27", rep.Clips)
	}
	for _, d := range []string{"clips", "tmp", "quarantine"} {
		if fi, err := os.Stat(filepath.Join(target, d)); err != nil || !fi.IsDir() {
			t.Errorf("restored corpus lacks %s/: %v", d, err)
		}
	}
	key := filepath.Join(target, "acme", "acme-v02.api.letsencrypt.org", "acme_account+key")
	if b, err := os.ReadFile(key); err != nil || string(b) != "-----BEGIN EC PRIVATE KEY-----" {
		t.Errorf("restored ACME key: %q %v", b, err)
	} else if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Errorf("restored ACME key mode %v, want 0600", fi.Mode())
	}
	if len(m2.Files) != 1 {
		t.Errorf("manifest files: %+v", m2.Files)
	}
	rdb := MustOpenDBAt(t, target, corpus.Options{})
	defer MustCloseDB(t, rdb)
	MustAudit(t, rdb)
	for _, set := range []map[string][]byte{clips, more} {
		for id, d := range set {
			c, err := rdb.Clip(ctx, id)
			if err != nil || c.SHA256 != sha(d) {
				t.Errorf("restored clip %s: %+v, %v", id, c, err)
			}
		}
	}

	// A non-empty target is refused, and left alone.
	if _, err := corpus.Restore(ctx, bdir, target); !errors.Is(err, corpus.ErrTargetNotEmpty) {
		t.Errorf("restore into a non-empty folder: %v, want ErrTargetNotEmpty", err)
	}
}

// TestBackup_RefusesIncomplete: restore refuses a folder without a
// manifest, a database copy the manifest does not name, and a damaged clip
// file; backup refuses (and writes no manifest for) a source whose clip
// file does not match its row.
func TestBackup_RefusesIncomplete(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := MustOpenDBAt(t, src, corpus.Options{})
	f := mustFixture(t, db)
	clips := seedClips(t, db, f, 0, 5)
	bdir := filepath.Join(t.TempDir(), "backup")
	if _, err := corpus.Backup(ctx, src, bdir, corpus.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	restoreErr := func() error {
		_, err := corpus.Restore(ctx, bdir, filepath.Join(t.TempDir(), "r"))
		return err
	}
	if err := restoreErr(); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(bdir, corpus.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}

	// A clip file damaged in the backup.
	var id string
	for id = range clips {
		break
	}
	cp := filepath.Join(bdir, "clips", id+".wav")
	good, _ := os.ReadFile(cp)
	bad := append([]byte{}, good...)
	bad[100] ^= 1
	if err := os.WriteFile(cp, bad, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := restoreErr(); !errors.Is(err, corpus.ErrBackupInvalid) {
		t.Errorf("damaged clip in the backup: %v", err)
	}
	// The next backup repairs it (its bytes do not hash to the row).
	m, err := corpus.Backup(ctx, src, bdir, corpus.BackupOptions{})
	if err != nil || m.Copied != 1 || m.Skipped != 4 {
		t.Fatalf("repairing backup: %+v %v", m, err)
	}
	if err := restoreErr(); err != nil {
		t.Fatal(err)
	}

	// The database copy replaced, the manifest not (a backup cut off
	// between the two renames).
	seedClips(t, db, f, 5, 1)
	m, err = corpus.Backup(ctx, src, bdir, corpus.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bdir, corpus.ManifestFile), manifest, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := restoreErr(); !errors.Is(err, corpus.ErrBackupInvalid) {
		t.Errorf("database copy the manifest does not name: %v", err)
	}
	_ = m

	// No manifest at all (a first backup cut off).
	if err := os.Remove(filepath.Join(bdir, corpus.ManifestFile)); err != nil {
		t.Fatal(err)
	}
	if err := restoreErr(); !errors.Is(err, corpus.ErrBackupInvalid) {
		t.Errorf("no manifest: %v", err)
	}

	// A source clip file that no longer matches its row: the backup does
	// not verify and writes no manifest.
	sp := filepath.Join(src, "clips", id+".wav")
	if err := os.WriteFile(sp, bad, 0o640); err != nil {
		t.Fatal(err)
	}
	b2 := filepath.Join(t.TempDir(), "b2")
	_, err = corpus.Backup(ctx, src, b2, corpus.BackupOptions{})
	var be *corpus.BackupError
	if !errors.As(err, &be) || len(be.Mismatched) != 1 || be.Mismatched[0] != id {
		t.Errorf("backup of a damaged source: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b2, corpus.ManifestFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a backup that does not verify wrote a manifest: %v", err)
	}
	MustCloseDB(t, db)
}

// TestBackup_WhileWriting: a backup taken while writers commit clips is a
// consistent snapshot: every clip committed before it began is in it, and
// the copy audits clean.
func TestBackup_WhileWriting(t *testing.T) {
	ctx := context.Background()
	src := t.TempDir()
	db := MustOpenDBAt(t, src, corpus.Options{})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	before := seedClips(t, db, f, 0, 30)
	task := mustTask(t, db, f, 0)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := 1000*(w+1) + i
				u, err := db.NewUpload()
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := u.Write(clipData(k)); err != nil {
					t.Error(err)
					return
				}
				if err := db.CommitClip(ctx, newClip(f, task, fmt.Sprintf("w-%d", k)), u); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	bdir := filepath.Join(t.TempDir(), "backup")
	m, err := corpus.Backup(ctx, src, bdir, corpus.BackupOptions{})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup during %d concurrent commits: %d clips in it", n.Load(), m.Counts.Clips)
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := corpus.Restore(ctx, bdir, target); err != nil {
		t.Fatal(err)
	}
	rdb := MustOpenDBAt(t, target, corpus.Options{})
	defer MustCloseDB(t, rdb)
	MustAudit(t, rdb)
	for id, d := range before {
		if c, err := rdb.Clip(ctx, id); err != nil || c.SHA256 != sha(d) {
			t.Errorf("clip %s committed before the backup: %v", id, err)
		}
	}
}
