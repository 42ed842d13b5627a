package main

// Fault injection against a real `dialect serve` process (reliability.md
// B1): kill -9 mid-upload (F-01), disk full (F-07), a database locked from
// outside (F-08), SIGTERM mid-upload (F-12) and the startup reconciler
// (F-13). Each ends with the B0 audit.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

// TestF01KillMidUpload is F-01: uploaders post 5-second clips and log every
// receipt; the server is SIGKILLed at a random moment, restarted on the same
// folder, and every acknowledged clip must be there with its SHA-256, with
// no row lacking its file. Between kill and restart the leftover files are
// aged past the grace period, so the restart's reconciler acts on them
// (otherwise it would rightly leave fresh orphans alone for an hour).
//
// KILL_UPLOAD_ROUNDS, KILL_UPLOAD_UPLOADERS and KILL_UPLOAD_MAX_KILL_MS set
// the long variant (bench/kill-upload.sh).
func TestF01KillMidUpload(t *testing.T) {
	rounds := envInt("KILL_UPLOAD_ROUNDS", 5)
	uploaders := envInt("KILL_UPLOAD_UPLOADERS", 20)
	maxKill := time.Duration(envInt("KILL_UPLOAD_MAX_KILL_MS", 3000)) * time.Millisecond
	const minKill = time.Second

	dir := filepath.Join(t.TempDir(), "data")
	names := seedCorpus(t, dir, uploaders)
	clips := make([][]byte, 8)
	for i := range clips {
		clips[i] = baseClip(uint64(i + 1))
	}
	p := serve(t, dir)
	var all []ack
	var totAcked, totLost, totOrphans, totTemp int
	for round := 1; round <= rounds; round++ {
		speakers := signInAll(t, p.base, names)
		killAt := minKill + time.Duration(rand.Int64N(int64(maxKill-minKill)+1))
		var o outcome
		done := make(chan struct{})
		go func() { runUploaders(t, speakers, clips, nil, &o); close(done) }()
		time.Sleep(killAt)
		p.kill()
		<-done
		for _, sp := range speakers {
			sp.close()
		}
		tempLeft, files := countDir(t, dir, "tmp"), countDir(t, dir, "clips")
		age(t, dir, "clips", 2*time.Hour)
		age(t, dir, "tmp", 25*time.Hour)

		p = serve(t, dir)
		quarantined, tempRemoved := reconciled(t, p)
		all = append(all, o.acks...)
		lost, mismatched := verifyAcks(t, p.base, all)
		rep := mustAuditDir(t, dir)
		unacked := rep.Clips - len(all)
		t.Logf("F-01 round %d: killed at %v after %d requests; acked %d (total %d), lost %d, SHA mismatches %d, "+
			"rows %d (committed but unacknowledged %d), orphan files %d quarantined %d, temp files left %d removed %d, "+
			"transport errors %d, other statuses %v, restart-to-ready %v",
			round, killAt.Round(time.Millisecond), o.attempts, len(o.acks), len(all), lost, mismatched,
			rep.Clips, unacked, files-rep.Clips, quarantined, tempLeft, tempRemoved, o.transport, o.statuses,
			p.ready.Round(time.Millisecond))
		if lost != 0 || mismatched != 0 {
			t.Fatalf("round %d: %d acknowledged clips lost, %d SHA mismatches", round, lost, mismatched)
		}
		if len(o.acks) == 0 {
			t.Errorf("round %d: no clip was acknowledged before the kill", round)
		}
		if quarantined != files-rep.Clips || tempRemoved != tempLeft {
			t.Errorf("round %d: reconciler quarantined %d of %d orphans and removed %d of %d temp files",
				round, quarantined, files-rep.Clips, tempRemoved, tempLeft)
		}
		if unacked < 0 || rep.OrphanFiles != 0 || rep.TempFiles != 0 {
			t.Errorf("round %d: audit after restart: %+v", round, *rep)
		}
		totAcked, totLost, totOrphans, totTemp = len(all), totLost+lost, totOrphans+quarantined, totTemp+tempLeft
	}
	if d, code := p.term(); code != 0 {
		t.Errorf("final SIGTERM: exit %d after %v", code, d)
	}
	mustAuditDir(t, dir)
	t.Logf("F-01 total over %d rounds, %d uploaders: acked %d, lost %d, orphans quarantined %d, temp files left at kill %d",
		rounds, uploaders, totAcked, totLost, totOrphans, totTemp)
}

// mountTmpfs mounts a tmpfs of the given size (F-07 needs a disk that
// really fills). Without root it skips, except on CI, where it fails.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	need := func(why string) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("F-07 needs root to mount a tmpfs (%s); CI must run the tests as root", why)
		}
		t.Skipf("F-07 needs root to mount a tmpfs (%s); run the tests as root to include it", why)
	}
	if os.Geteuid() != 0 {
		need("not root")
	}
	mnt := t.TempDir()
	if out, err := exec.CommandContext(t.Context(), "mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		need(strings.TrimSpace(err.Error() + ": " + string(out)))
	}
	// Best effort, and not t.Context(): that is cancelled before cleanups run.
	t.Cleanup(func() { _ = exec.CommandContext(context.Background(), "umount", "-l", mnt).Run() })
	return mnt
}

// TestF07DiskFull is F-07: the data folder on an 8 MiB tmpfs, filled almost
// to the brim by a file of our own, then clips until the disk is full. The
// first failure is 507 (never 400 or 500), no 2xx is given for a clip that
// is not stored, nothing is half-written, and once the filler is deleted
// uploads succeed again without a restart. While the disk is short,
// /healthz is 503 naming disk (limits.min_free_disk, here 2 MiB) and the
// dialect_disk_free_bytes gauge shows it; the same failure, repeated 100
// times, is logged once (issue #18: 14.8 MB of log in 15 s).
func TestF07DiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "8m")
	dir := filepath.Join(mnt, "data")
	names := seedCorpus(t, dir, 1)
	p := serve(t, dir, "DIALECT_LIMITS_MIN_FREE_DISK=2MiB", "DIALECT_SERVER_METRICS_ADDR=127.0.0.1:0")
	metricsURL := regexp.MustCompile(`metrics on (http://\S+/metrics)`).FindStringSubmatch(p.out.String())
	if metricsURL == nil {
		t.Fatalf("no metrics address in:\n%s", p.out)
	}
	if code, body := getHealth(t, p.base); code != 200 {
		t.Fatalf("healthz with room: %d %s", code, body)
	}
	sp, err := signInSpeaker(p.base, names[0])
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	clip := baseClip(1)

	// Twice: leave about 1 MiB (a handful of 160 KB clips fit, then the
	// WAL or a clip file hits the wall), then 64 KiB (the temp file of the
	// very next clip does). Each time space returns by deleting the filler.
	var acks []ack
	var first []int
	for round, leave := range []int64{1 << 20, 64 << 10} {
		var st syscall.Statfs_t
		if err := syscall.Statfs(mnt, &st); err != nil {
			t.Fatal(err)
		}
		filler := filepath.Join(mnt, "filler")
		if err := os.WriteFile(filler, make([]byte, max(int64(st.Bavail)*st.Bsize-leave, 0)), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, body := getHealth(t, p.base); code != 503 || !strings.Contains(body, `"failing":["disk"]`) {
			t.Errorf("healthz with %d KiB left: %d %s, want 503 naming disk", leave>>10, code, body)
		}
		if m := getBody(t, metricsURL[1]); !regexp.MustCompile(`dialect_disk_free_bytes\{disk="data"\} \d`).MatchString(m) {
			t.Errorf("no free-space gauge for the data folder in /metrics")
		}
		var statuses []int
		failures, firstStatus := 0, 0
		before := len(p.logLines("request failed"))
		logBefore := len(p.err.Bytes())
		for i := uint32(0); i < 60 && failures < 4; i++ {
			tk, err := sp.nextTask()
			if err != nil {
				// A full disk may stop the task's own row: that answer
				// must be 507 too.
				if !strings.Contains(err.Error(), "next task: 507") {
					t.Fatalf("task on a full disk: %v", err)
				}
				statuses, failures = append(statuses, -507), failures+1
				if firstStatus == 0 {
					firstStatus = 507
				}
				continue
			}
			audio := stamp(clip, uint32(round)*1000+i)
			id := newClientClipID()
			status, body, hdr, err := sp.upload(id, tk, audio)
			if err != nil {
				t.Fatalf("upload %d: %v", i, err)
			}
			statuses = append(statuses, status)
			if status/100 == 2 {
				var r receipt
				_ = json.Unmarshal(body, &r)
				acks = append(acks, ack{Speaker: sp.name, ClientClipID: id, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(audio), Status: status})
				continue
			}
			failures++
			if firstStatus == 0 {
				firstStatus = status
			}
			if status != 507 {
				t.Errorf("upload %d on a full disk: %d %s (want 507)", i, status, body)
			} else if hdr.Get("Retry-After") == "" {
				t.Errorf("507 without Retry-After")
			}
		}
		t.Logf("F-07 (%d KiB left): statuses until and after the disk filled (-507: task request): %v", leave>>10, statuses)
		first = append(first, firstStatus)
		if firstStatus != 507 {
			t.Fatalf("first failure on a full disk: %d, want 507", firstStatus)
		}
		// Nothing half-written while the disk is still full.
		if n := countDir(t, dir, "tmp"); n != 0 {
			t.Errorf("%d temp files left on the full disk", n)
		}
		if round == 0 {
			// The same failure again and again: the log must not flood.
			for i := uint32(0); i < 100; i++ {
				tk, err := sp.nextTask()
				if err != nil {
					failures++
					continue
				}
				status, _, _, err := sp.upload(newClientClipID(), tk, stamp(clip, 5000+i))
				if err != nil || status != 507 {
					t.Fatalf("flood upload %d on a full disk: %d %v", i, status, err)
				}
				failures++
			}
		}
		// The child's stderr reaches us through a pipe: give the last
		// lines a moment. Each failing route and code is logged once per
		// interval (10 s): round 1 may well add none.
		time.Sleep(200 * time.Millisecond)
		failed := p.logLines("request failed")[before:]
		if round == 0 && len(failed) == 0 {
			t.Errorf("no log line for %d failures", failures)
		}
		if len(failed) > 2 {
			t.Errorf("%d \"request failed\" lines for %d failures of at most 2 kinds: the log floods", len(failed), failures)
		}
		if grown := len(p.err.Bytes()) - logBefore; grown > failures*1024 {
			t.Errorf("log grew %d bytes for %d failures", grown, failures)
		}
		for _, l := range failed {
			t.Logf("F-07: server log: %v %v: %v", l["path"], l["code"], l["err"])
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			rep := mustAuditDir(t, dir)
			if rep.Clips != len(acks) || rep.OrphanFiles != 0 || rep.TempFiles != 0 {
				t.Errorf("rows %d for %d acks; audit %+v", rep.Clips, len(acks), *rep)
			}
		}
	}

	// Space has returned: healthy again, and the next upload succeeds
	// without a restart.
	if code, body := getHealth(t, p.base); code != 200 {
		t.Errorf("healthz once space returned: %d %s", code, body)
	}
	freed := time.Now()
	tk, err := sp.nextTask()
	if err != nil {
		t.Fatal(err)
	}
	audio := stamp(clip, 9999)
	id := newClientClipID()
	status, body, _, err := sp.upload(id, tk, audio)
	if err != nil || status != 201 {
		t.Fatalf("upload after space returned: %d %s %v", status, body, err)
	}
	var r receipt
	_ = json.Unmarshal(body, &r)
	acks = append(acks, ack{Speaker: sp.name, ClientClipID: id, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(audio), Status: status})
	recovery := time.Since(freed)
	if lost, bad := verifyAcks(t, p.base, acks); lost+bad != 0 {
		t.Fatalf("%d lost, %d mismatched", lost, bad)
	}
	rep := mustAuditDir(t, dir)
	if rep.Clips != len(acks) || rep.OrphanFiles != 0 || rep.TempFiles != 0 {
		t.Errorf("rows %d for %d acks; audit %+v", rep.Clips, len(acks), *rep)
	}
	t.Logf("F-07: first failure %v; %d clips stored in all; recovery without restart in %v; rows = files = %d",
		first, len(acks), recovery.Round(time.Millisecond), rep.Clips)
}

// TestF08Locked is F-08: another process holds BEGIN IMMEDIATE on the
// database for longer than the busy timeout (10 s, C1); an upload waits the
// timeout out and gets 503 with Retry-After, leaves nothing behind, and the
// same take succeeds once the lock is released.
func TestF08Locked(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	names := seedCorpus(t, dir, 1)
	p := serve(t, dir)
	sp, err := signInSpeaker(p.base, names[0])
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	tk, err := sp.nextTask()
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	other, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "dialect.db")+"?_busy_timeout=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = other.Close() }() // nothing is written through it: it only holds a lock, rolled back first (deferred below)
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }() // as other: the lock's connection, nothing written
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
		}
	}()

	audio := stamp(baseClip(3), 1)
	id := newClientClipID()
	start := time.Now()
	status, body, hdr, err := sp.upload(id, tk, audio)
	waited := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	t.Logf("F-08: upload while locked: %d %q after %v, Retry-After %q", status, e.Error.Code, waited.Round(time.Millisecond), hdr.Get("Retry-After"))
	if status != 503 || hdr.Get("Retry-After") == "" || e.Error.Code != "busy" {
		t.Fatalf("upload while the database is locked: %d %s (Retry-After %q), want 503 busy with Retry-After", status, body, hdr.Get("Retry-After"))
	}
	if waited < 9*time.Second {
		t.Errorf("gave up after %v, before the 10 s busy timeout", waited)
	}
	if n, m := countDir(t, dir, "tmp"), countDir(t, dir, "clips"); n+m != 0 {
		t.Errorf("left behind while locked: %d temp files, %d clip files", n, m)
	}

	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	released := time.Now()
	status, body, _, err = sp.upload(id, tk, audio)
	if err != nil || status != 201 {
		t.Fatalf("the same take after release: %d %s %v (want 201: the 503 left no row)", status, body, err)
	}
	t.Logf("F-08: after release: %d in %v", status, time.Since(released).Round(time.Millisecond))
	var r receipt
	_ = json.Unmarshal(body, &r)
	if lost, bad := verifyAcks(t, p.base, []ack{{Speaker: sp.name, ClientClipID: id, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(audio)}}); lost+bad != 0 {
		t.Fatal("clip after release not stored whole")
	}
	rep := mustAuditDir(t, dir)
	if rep.Clips != 1 || rep.OrphanFiles != 0 || rep.TempFiles != 0 {
		t.Errorf("audit: %+v", *rep)
	}
}

// slowReader hands out its bytes in chunks with a pause before each: a
// phone on a poor connection.
type slowReader struct {
	b     []byte
	chunk int
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := copy(p[:min(len(p), r.chunk)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestF12GracefulShutdown is F-12: SIGTERM while 20 uploaders are busy and
// one slow upload is still sending its body. New connections are refused
// at once, the slow upload completes with its 2xx, the process exits
// within the 30 s shutdown timeout, and every upload either got a 2xx and
// is stored, or got no 2xx.
func TestF12GracefulShutdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	names := seedCorpus(t, dir, 21)
	clips := [][]byte{baseClip(11), baseClip(12), baseClip(13)}
	p := serve(t, dir)
	speakers := signInAll(t, p.base, names)
	slow, speakers := speakers[20], speakers[:20]
	var o outcome
	done := make(chan struct{})
	go func() { runUploaders(t, speakers, clips, nil, &o); close(done) }()

	// The slow take: 160 KB in 16 KB chunks every 150 ms, about 1.5 s.
	tk, err := slow.nextTask()
	if err != nil {
		t.Fatal(err)
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	slowID, slowAudio := newClientClipID(), stamp(baseClip(14), 1)
	for _, kv := range [][2]string{{"client_clip_id", slowID}, {"task_id", tk.ID}, {"noise_band", tk.NoiseBand}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("audio", "take.wav")
	_, _ = fw.Write(slowAudio)
	_ = mw.Close()
	type result struct {
		status int
		body   []byte
		err    error
	}
	slowDone := make(chan result, 1)

	time.Sleep(time.Second)
	go func() {
		req, err := http.NewRequestWithContext(t.Context(), "POST", p.base+"/api/v1/clips", &slowReader{b: form.Bytes(), chunk: 16 << 10, pause: 150 * time.Millisecond})
		if err != nil {
			slowDone <- result{err: err}
			return
		}
		req.ContentLength = int64(form.Len())
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", slow.csrf)
		resp, err := slow.hc.Do(req)
		if err != nil {
			slowDone <- result{err: err}
			return
		}
		defer func() { _ = resp.Body.Close() }() // read to the end below
		b, err := io.ReadAll(resp.Body)
		slowDone <- result{resp.StatusCode, b, err}
	}()
	time.Sleep(300 * time.Millisecond) // the slow upload is in flight
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(300 * time.Millisecond)
	stillUp := p.running()
	newConn := "refused"
	dialer := net.Dialer{Timeout: time.Second}
	if c, err := dialer.DialContext(t.Context(), "tcp", p.addr); err == nil {
		newConn = "accepted"
		_ = c.Close() // only asked whether a connection was accepted
	}
	code, ok := p.wait(40 * time.Second)
	took := time.Since(start)
	<-done
	sr := <-slowDone
	if !ok {
		t.Fatal("no exit within 40 s of SIGTERM")
	}
	t.Logf("F-12: exit %d after %v (up 300 ms after SIGTERM: %v; a new connection then: %s); slow in-flight upload: %d %v; "+
		"%d uploads acked, %d transport errors, other statuses %v",
		code, took.Round(time.Millisecond), stillUp, newConn, sr.status, sr.err, len(o.acks), o.transport, o.statuses)
	if code != 0 || took > 30*time.Second {
		t.Errorf("exit %d after %v, want 0 within 30 s", code, took)
	}
	if !strings.Contains(p.out.String(), "dialect: stopped") {
		t.Errorf("no clean stop: %s", p.out)
	}
	if !stillUp {
		t.Errorf("the process exited before its in-flight upload had been received")
	}
	if newConn == "accepted" {
		t.Errorf("a new connection was accepted after SIGTERM")
	}
	if sr.err != nil || sr.status != 201 {
		t.Errorf("the in-flight slow upload: %d %s %v, want 201", sr.status, sr.body, sr.err)
	} else {
		var r receipt
		_ = json.Unmarshal(sr.body, &r)
		o.acks = append(o.acks, ack{Speaker: slow.name, ClientClipID: slowID, ClipID: r.ClipID, SHA256: r.SHA256, SentSHA: sha(slowAudio)})
	}
	for s := range o.statuses {
		if s == 500 {
			t.Errorf("an upload got 500 during shutdown")
		}
	}
	p = serve(t, dir)
	if lost, bad := verifyAcks(t, p.base, o.acks); lost+bad != 0 {
		t.Fatalf("%d acknowledged clips lost, %d mismatched", lost, bad)
	}
	rep := mustAuditDir(t, dir)
	if rep.Clips != len(o.acks) || rep.TempFiles != 0 || rep.OrphanFiles != 0 {
		t.Errorf("after a graceful stop: %d rows for %d acks; audit %+v", rep.Clips, len(o.acks), *rep)
	}
	p.term()
}

// TestF13Reconcile is F-13: the reconciler at startup quarantines an old
// orphan clip file, removes an old temp file, keeps a fresh one and logs
// its counts; a row whose file is gone makes serve refuse to start (exit 2)
// and `dialect audit` name it (exit 1); on a good corpus audit exits 0.
func TestF13Reconcile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	names := seedCorpus(t, dir, 1)
	p := serve(t, dir)
	if q, r := reconciled(t, p); q != 0 || r != 0 {
		t.Errorf("clean start reconciled %d/%d", q, r)
	}
	sp, err := signInSpeaker(p.base, names[0])
	if err != nil {
		t.Fatal(err)
	}
	tk, err := sp.nextTask()
	if err != nil {
		t.Fatal(err)
	}
	status, body, _, err := sp.upload(newClientClipID(), tk, baseClip(5))
	sp.close()
	if err != nil || status != 201 {
		t.Fatalf("upload: %d %s %v", status, body, err)
	}
	var good receipt
	_ = json.Unmarshal(body, &good)
	p.term()

	// Seed the leftovers of crashes.
	orphan := "0123456789abcdef0123456789abcdef.wav"
	plant := func(rel string, ago time.Duration) {
		path := filepath.Join(dir, rel)
		if err := os.WriteFile(path, baseClip(6)[:5000], 0o640); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-ago)
		if err := os.Chtimes(path, when, when); err != nil {
			t.Fatal(err)
		}
	}
	plant("clips/"+orphan, 2*time.Hour)
	plant("clips/fedcba9876543210fedcba9876543210.wav", time.Minute) // within the grace period
	plant("tmp/old.part", 25*time.Hour)
	plant("tmp/fresh.part", time.Minute)

	p = serve(t, dir)
	q, r := reconciled(t, p)
	t.Logf("F-13: reconciler logged quarantined=%d temp_removed=%d; restart-to-ready %v", q, r, p.ready.Round(time.Millisecond))
	if q != 1 || r != 1 {
		t.Errorf("reconciled quarantined=%d temp_removed=%d, want 1 and 1", q, r)
	}
	for rel, want := range map[string]bool{
		"clips/" + orphan: false, "quarantine/" + orphan: true, "clips/fedcba9876543210fedcba9876543210.wav": true,
		"tmp/old.part": false, "tmp/fresh.part": true, "clips/" + good.ClipID + ".wav": true,
	} {
		if _, err := os.Stat(filepath.Join(dir, rel)); (err == nil) != want {
			t.Errorf("%s: exists=%v, want %v", rel, err == nil, want)
		}
	}
	p.term()

	// The audit on a good corpus: exit 0, text and JSON.
	code, out, errOut := runDialect(t, dir, "audit", "--data-dir", dir, "--verify-hashes")
	if code != 0 || !strings.Contains(out, "audit: OK") {
		t.Errorf("audit of a good corpus: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runDialect(t, dir, "audit", "--data-dir", dir, "--format", "json")
	var rep struct {
		OK              bool `json:"ok"`
		RowsWithoutFile int  `json:"rows_without_file"`
		OrphanFiles     int  `json:"orphan_files"`
		TempFiles       int  `json:"temp_files"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || !rep.OK || rep.OrphanFiles != 1 || rep.TempFiles != 1 {
		t.Errorf("audit --format json of a good corpus: exit %d %+v %v\n%s", code, rep, err, out)
	}

	// A row whose file is gone: serve refuses, audit names it.
	if err := os.Remove(filepath.Join(dir, "clips", good.ClipID+".wav")); err != nil {
		t.Fatal(err)
	}
	refused := startDialect(t, dir, nil, "serve")
	code, ok := refused.wait(30 * time.Second)
	if !ok {
		t.Fatal("serve started on a corpus with a row without its file")
	}
	stderr := refused.err.String()
	t.Logf("F-13: serve on a broken corpus: exit %d: %s", code, lastLine(stderr))
	if code != 2 || !strings.Contains(stderr, "refusing to start") || !strings.Contains(stderr, "1 clip rows without a file") ||
		strings.Contains(refused.out.String(), "serving") {
		t.Errorf("serve on a corpus with a row without its file: exit %d\nstdout: %s\nstderr: %s", code, refused.out, stderr)
	}
	code, out, _ = runDialect(t, dir, "audit", "--data-dir", dir)
	if code != 1 || !regexp.MustCompile(`rows without file:\s+1\n`).MatchString(out) || !strings.Contains(out, "FAILED") {
		t.Errorf("audit of a broken corpus: exit %d\n%s", code, out)
	}
	code, out, _ = runDialect(t, dir, "audit", "--data-dir", dir, "--format", "json")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK || rep.RowsWithoutFile != 1 {
		t.Errorf("audit --format json of a broken corpus: exit %d %+v\n%s", code, rep, out)
	}
	if a, err := corpus.AuditDir(context.Background(), dir, false); err != nil || a.RowsWithoutFile != 1 {
		t.Errorf("AuditDir: %+v %v", a, err)
	}
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}

// getHealth is GET /healthz: the status and the body.
func getHealth(t *testing.T, base string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", base+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := newHTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// getBody is GET url's body (200 required).
func getBody(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := newHTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
