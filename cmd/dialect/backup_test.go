package main

// Issue #18: backups that restore, upgrades that cannot hurt. Real child
// processes: `dialect serve` under 200 uploaders, `dialect backup` beside
// it (and SIGKILLed), `dialect restore`, `dialect audit`, and a server on
// the restored corpus.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

// backupManifest runs `dialect backup DIR --format json` against dataDir
// and returns its manifest and how long it took.
func backupManifest(t *testing.T, dataDir, dir string) (corpus.Manifest, time.Duration) {
	t.Helper()
	start := time.Now()
	code, out, errOut := runDialect(t, dataDir, "backup", dir, "--format", "json")
	d := time.Since(start)
	if code != 0 {
		t.Fatalf("dialect backup: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var m corpus.Manifest
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("backup output: %v\n%s", err, out)
	}
	return m, d
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackup_UnderLoadRestores: a backup taken while 200 speakers upload
// holds every clip acknowledged before it began, with its SHA-256; the
// restored corpus audits clean and serves them; a second backup copies
// only the new clip files; a SIGKILLed backup is refused by restore.
func TestBackup_UnderLoadRestores(t *testing.T) {
	uploaders := envInt("BACKUP_UPLOADERS", 200)
	loadBefore := time.Duration(envInt("BACKUP_LOAD_MS", 2000)) * time.Millisecond
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	names := seedCorpus(t, dir, uploaders)
	clips := make([][]byte, 8)
	for i := range clips {
		clips[i] = baseClip(uint64(i + 1))
	}
	p := serve(t, dir)
	speakers := signInAll(t, p.base, names)
	defer func() {
		for _, sp := range speakers {
			sp.close()
		}
	}()

	var o outcome
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { runUploaders(t, speakers, clips, stop, &o); close(done) }()
	time.Sleep(loadBefore)
	o.mu.Lock()
	pre := append([]ack(nil), o.acks...)
	o.mu.Unlock()

	bdir := filepath.Join(tmp, "backup")
	m1, took := backupManifest(t, dir, bdir)
	o.mu.Lock()
	during := len(o.acks) - len(pre)
	o.mu.Unlock()
	close(stop)
	<-done
	if len(pre) == 0 || during == 0 {
		t.Fatalf("no load around the backup: %d acks before, %d during", len(pre), during)
	}
	if m1.Counts.Clips < len(pre) || m1.Copied != m1.Counts.Clips || m1.Skipped != 0 {
		t.Errorf("first backup: %d clips, copied %d, skipped %d; %d acked before it", m1.Counts.Clips, m1.Copied, m1.Skipped, len(pre))
	}
	t.Logf("backup under load (%d uploaders, %d clips acked before it, %d during it; statuses %v, transport errors %d): "+
		"%v wall, %d clips, %d MB of clips, database %d KB, folder %d MB",
		uploaders, len(pre), during, o.statuses, o.transport, took.Round(time.Millisecond), m1.Counts.Clips,
		m1.Counts.ClipBytes>>20, m1.Database.Bytes>>10, dirBytes(t, bdir)>>20)

	// A second backup copies only what is new.
	m2, took2 := backupManifest(t, dir, bdir)
	if m2.Copied != m2.Counts.Clips-m1.Counts.Clips || m2.Skipped != m1.Counts.Clips {
		t.Errorf("second backup: copied %d, skipped %d; clips %d → %d", m2.Copied, m2.Skipped, m1.Counts.Clips, m2.Counts.Clips)
	}
	t.Logf("second backup: copied %d new clip files (%d KB), %d already there, %v", m2.Copied, m2.CopiedBytes>>10, m2.Skipped,
		took2.Round(time.Millisecond))
	if _, code := p.term(); code != 0 {
		t.Errorf("serve exit %d", code)
	}

	// Restore the first backup's folder (now holding the second) and check
	// every clip acknowledged before the first backup began.
	rdir := filepath.Join(tmp, "restored")
	start := time.Now()
	code, out, errOut := runDialect(t, dir, "restore", bdir, "--data-dir", rdir)
	if code != 0 {
		t.Fatalf("dialect restore: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("restore: %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
	if code, out, errOut := runDialect(t, rdir, "audit", "--data-dir", rdir, "--verify-hashes"); code != 0 {
		t.Fatalf("dialect audit on the restored corpus: exit %d\n%s%s", code, out, errOut)
	}
	rp := serve(t, rdir)
	lost, mismatched := verifyAcks(t, rp.base, pre)
	if lost != 0 || mismatched != 0 {
		t.Fatalf("restored corpus: %d of %d acknowledged clips lost, %d mismatched", lost, len(pre), mismatched)
	}
	if _, code := rp.term(); code != 0 {
		t.Errorf("serve on the restored corpus: exit %d", code)
	}

	// A non-empty target is refused.
	code, _, errOut = runDialect(t, dir, "restore", bdir, "--data-dir", rdir)
	if code != 2 || !strings.Contains(errOut, "not empty") {
		t.Errorf("restore into a non-empty folder: exit %d, %s", code, errOut)
	}

	// A backup SIGKILLed half-way has no manifest: restore refuses it.
	kdir := filepath.Join(tmp, "killed")
	bp := startDialect(t, dir, nil, "backup", kdir)
	deadline := time.Now().Add(60 * time.Second)
	for bp.running() && time.Now().Before(deadline) {
		if es, err := os.ReadDir(filepath.Join(kdir, "clips")); err == nil && len(es) >= 10 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !bp.running() {
		t.Fatalf("backup finished before it could be killed: %s", bp.out)
	}
	bp.kill()
	copied := countDir(t, kdir, "clips")
	if _, err := os.Stat(filepath.Join(kdir, corpus.ManifestFile)); !os.IsNotExist(err) {
		t.Fatalf("a killed backup left a manifest: %v", err)
	}
	code, _, errOut = runDialect(t, dir, "restore", kdir, "--data-dir", filepath.Join(tmp, "from-killed"))
	if code != 2 || !strings.Contains(errOut, corpus.ManifestFile) {
		t.Errorf("restore of a killed backup: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(tmp, "from-killed")); !os.IsNotExist(err) {
		t.Errorf("a refused restore created its target: %v", err)
	}
	t.Logf("backup killed after %d of %d clip files: restore refused it", copied, m2.Counts.Clips)
	// Finished into the same folder, it verifies, copying only the rest.
	m3, _ := backupManifest(t, dir, kdir)
	if m3.Skipped < copied-1 || m3.Copied+m3.Skipped != m3.Counts.Clips {
		t.Errorf("backup after the kill: copied %d, skipped %d of %d (%d there)", m3.Copied, m3.Skipped, m3.Counts.Clips, copied)
	}
}

// TestBackup_EngineFlagsRefused: --database and --blobs name engines this
// binary does not have yet.
func TestBackup_EngineFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"restore", dir, "--database", "postgres://x/y"},
		{"restore", dir, "--blobs", "s3://b"},
		{"backup", dir, "--database", "postgres://x/y"},
	} {
		code, _, errOut := runDialect(t, dir, args...)
		if code != 2 || !strings.Contains(errOut, "not supported yet") {
			t.Errorf("dialect %s: exit %d, %s", strings.Join(args, " "), code, errOut)
		}
	}
}

// migrationFiles lists corpus/migrations/*.sql, oldest first.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "corpus", "migrations", "*.sql"))
	if err != nil || len(names) < 2 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	sort.Strings(names)
	return names
}

// oldCorpus makes, in dir, the database the binary of the previous schema
// version made: every migration but the newest, applied and recorded as
// that binary applied them.
func oldCorpus(t *testing.T, dir string, files []string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "dialect.db")+"?_journal_mode=WAL&_foreign_keys=1")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		buf, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(t.Context(), string(buf)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := tx.ExecContext(t.Context(), `INSERT INTO migrations (name, applied_at) VALUES (?, ?)`, "migrations/"+filepath.Base(f), time.Now().UnixNano()); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpgrade_MigratesWithCopyAndRefusesNewer: a corpus of the previous
// schema version is migrated by serve, which says so with both versions
// and keeps dialect.db.before-vN (opening at the old version); it audits
// clean. A corpus of a newer schema is refused with exit 2, both versions
// named, by every command that opens it.
func TestUpgrade_MigratesWithCopyAndRefusesNewer(t *testing.T) {
	files := migrationFiles(t)
	latest := corpus.SchemaVersion()
	prev := files[:len(files)-1]
	from := 0
	if _, err := fmt.Sscanf(filepath.Base(prev[len(prev)-1]), "%d", &from); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	oldCorpus(t, dir, prev)

	p := serve(t, dir)
	if _, code := p.term(); code != 0 {
		t.Fatalf("serve on the old corpus: exit %d\n%s", code, p.err)
	}
	lines := p.logLines("migrating corpus")
	if len(lines) == 0 || lines[0]["from_schema"] != float64(from) || lines[0]["to_schema"] != float64(latest) {
		t.Fatalf("no migration notice naming v%d → v%d:\n%s", from, latest, p.err)
	}
	cp := filepath.Join(dir, fmt.Sprintf("dialect.db.before-v%d", from))
	if lines[0]["copy"] != cp {
		t.Errorf("notice names copy %v, want %s", lines[0]["copy"], cp)
	}
	raw, err := sql.Open("sqlite3", "file:"+cp+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := raw.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM migrations`).Scan(&n); err != nil || n != len(prev) {
		t.Errorf("the copy: %d migrations (%v), want %d", n, err, len(prev))
	}
	_ = raw.Close()
	if code, out, errOut := runDialect(t, dir, "audit", "--data-dir", dir); code != 0 {
		t.Fatalf("audit after the upgrade: exit %d\n%s%s", code, out, errOut)
	}

	// A newer binary's corpus.
	w, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "dialect.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExecContext(t.Context(), `INSERT INTO migrations (name, applied_at) VALUES (?, 0)`, fmt.Sprintf("migrations/%04d_future.sql", latest+1)); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	want := fmt.Sprintf("schema v%d, this binary knows up to v%d", latest+1, latest)
	for _, args := range [][]string{
		{"serve"},
		{"audit", "--data-dir", dir},
		{"user", "link", "nobody", "--data-dir", dir},
		{"project", "list", "--data-dir", dir},
		{"backup", filepath.Join(t.TempDir(), "b"), "--data-dir", dir},
	} {
		code, _, errOut := runDialect(t, dir, args...)
		if code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("dialect %s on a newer corpus: exit %d, want 2 naming %q:\n%s", args[0], code, want, errOut)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "before-v") && e.Name() != filepath.Base(cp) {
			t.Errorf("a refused corpus got a copy: %s", e.Name())
		}
	}
}

// previousBinary builds `dialect` from the newest commit whose migrations
// are a strict subset of this tree's (the previous schema version), from
// `git archive` into a temp folder (git's state is not touched). It skips
// when git or the history is not there, or with -short.
func previousBinary(t *testing.T) (exe string, version int) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: building the previous version takes a while")
	}
	git := func(args ...string) string {
		out, err := exec.CommandContext(t.Context(), "git", args...).Output()
		if err != nil {
			t.Skipf("git %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	top := strings.TrimSpace(git("rev-parse", "--show-toplevel"))
	current := map[string]bool{}
	for _, f := range migrationFiles(t) {
		current[filepath.Base(f)] = true
	}
	for _, commit := range strings.Fields(git("-C", top, "log", "--format=%H", "--", "corpus/migrations")) {
		names := strings.Fields(git("-C", top, "ls-tree", "--name-only", commit, "corpus/migrations/"))
		subset := len(names) > 0 && len(names) < len(current)
		for _, n := range names {
			subset = subset && current[filepath.Base(n)]
			if v := 0; subset {
				_, _ = fmt.Sscanf(filepath.Base(n), "%d", &v)
				version = max(version, v)
			}
		}
		if !subset {
			continue
		}
		src := t.TempDir()
		archive := exec.CommandContext(t.Context(), "git", "-C", top, "archive", commit)
		untar := exec.CommandContext(t.Context(), "tar", "-x", "-C", src)
		pipe, err := archive.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		untar.Stdin = pipe
		if err := untar.Start(); err != nil {
			t.Fatal(err)
		}
		if err := archive.Run(); err != nil {
			t.Fatal(err)
		}
		if err := untar.Wait(); err != nil {
			t.Fatal(err)
		}
		exe = filepath.Join(t.TempDir(), "dialect-"+commit[:8])
		build := exec.CommandContext(t.Context(), "go", "build", "-o", exe, "./cmd/dialect")
		build.Dir = src
		start := time.Now()
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", commit[:8], err, out)
		}
		t.Logf("built the binary of %s (schema v%d) in %v", commit[:8], version, time.Since(start).Round(time.Second))
		return exe, version
	}
	t.Skip("no commit with fewer migrations in the history (a shallow clone): the older schemas are still covered by TestUpgrade_FromEveryEarlierSchema")
	return "", 0
}

// runBinary runs exe (not the test binary) on dir with stdin, to the end.
func runBinary(t *testing.T, exe, dir, stdin string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), exe, args...)
	cmd.Env = childEnv(dir)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(exe), strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// TestUpgrade_PreviousVersionBinary: the binary of the previous schema
// version (built from git history) makes a corpus with speakers and
// uploaded clips; this binary migrates it (saying so, keeping the copy),
// serves every clip with its SHA-256, and the audit passes.
func TestUpgrade_PreviousVersionBinary(t *testing.T) {
	old, from := previousBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	// First run of the old server: the demo project.
	p := startBinary(t, old, dir, "serve")
	if _, code := p.term(); code != 0 {
		t.Fatalf("old serve: exit %d\n%s", code, p.err)
	}
	names := []string{"old-speaker-1", "old-speaker-2"}
	for _, n := range names {
		runBinary(t, old, dir, speakerPassword+"\n", "user", "add", "--role", "speaker", "--username", n, "--project", "demo", "--password-stdin")
	}
	p = startBinary(t, old, dir, "serve")
	speakers := signInAll(t, p.base, names)
	var acks []ack
	for i, sp := range speakers {
		for k := range 3 {
			tk, err := sp.nextTask()
			if err != nil {
				t.Fatal(err)
			}
			audio := stamp(baseClip(uint64(i+1)), uint32(k))
			id := newClientClipID()
			status, body, _, err := sp.upload(id, tk, audio)
			if err != nil || status/100 != 2 {
				t.Fatalf("upload to the old server: %d %v %s", status, err, body)
			}
			var r receipt
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			acks = append(acks, ack{Speaker: sp.name, ClientClipID: id, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(audio), Status: status})
		}
		sp.close()
	}
	if _, code := p.term(); code != 0 {
		t.Fatalf("old serve: exit %d\n%s", code, p.err)
	}

	np := serve(t, dir)
	lines := np.logLines("migrating corpus")
	if len(lines) == 0 || lines[0]["from_schema"] != float64(from) || lines[0]["to_schema"] != float64(corpus.SchemaVersion()) {
		t.Fatalf("no migration notice v%d → v%d:\n%s", from, corpus.SchemaVersion(), np.err)
	}
	if lost, bad := verifyAcks(t, np.base, acks); lost != 0 || bad != 0 {
		t.Fatalf("after the upgrade: %d of %d clips lost, %d mismatched", lost, len(acks), bad)
	}
	if _, code := np.term(); code != 0 {
		t.Errorf("serve: exit %d", code)
	}
	if code, out, errOut := runDialect(t, dir, "audit", "--data-dir", dir, "--verify-hashes"); code != 0 {
		t.Fatalf("audit after the upgrade: exit %d\n%s%s", code, out, errOut)
	}
	cp := filepath.Join(dir, fmt.Sprintf("dialect.db.before-v%d", from))
	if _, err := os.Stat(cp); err != nil {
		t.Fatal(err)
	}
	// The copy is the old corpus: put in a folder of its own with the
	// clips, the old binary audits it clean.
	odir := filepath.Join(t.TempDir(), "old")
	if err := os.MkdirAll(filepath.Join(odir, "tmp"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(odir, "clips"), os.DirFS(filepath.Join(dir, "clips"))); err != nil {
		t.Fatal(err)
	}
	buf, err := os.ReadFile(cp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(odir, "dialect.db"), buf, 0o600); err != nil {
		t.Fatal(err)
	}
	runBinary(t, old, odir, "", "audit", "--data-dir", odir, "--verify-hashes")
	t.Logf("previous binary (v%d) corpus with %d clips migrated to v%d; copy %s", from, len(acks), corpus.SchemaVersion(), filepath.Base(cp))
}

// startBinary runs `exe serve` (or another long command) like serve does
// with the test binary, waiting for the address when it serves.
func startBinary(t *testing.T, exe, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.CommandContext(context.Background(), exe, args...), out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = childEnv(dir)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	deadline := time.After(60 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(p.out.String()); m != nil {
			p.addr, p.base, p.ready = m[2], m[1]+"://"+m[2], time.Since(p.started)
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before it was ready\n%s\n%s", exe, p.out, p.err)
		case <-deadline:
			t.Fatalf("%s not ready in 60 s", exe)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
