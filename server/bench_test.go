package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
)

// BenchmarkUpload posts 5-second clips from parallel speakers through the
// whole stack: HTTP, session, multipart, validate, lint, durable commit.
func BenchmarkUpload(b *testing.B) {
	e := newEnv(b, server.Options{LoginPerIPPerMinute: 100000, UploadsPerSpeaker: 1000})
	sp := e.signIn("ah-bin")
	sp.do("POST", "/api/v1/consent", map[string]int{"consent_version": 1})
	audio := clip(1, -65)
	task := sp.do("GET", "/api/v1/tasks/next", nil).json()
	id, band := task["task_id"].(string), task["noise_band"].(string)
	var n atomic.Int64
	b.SetBytes(int64(len(audio)))
	b.SetParallelism(50) // 100 speakers' uploads in flight on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := sp.upload(fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)), id, band, "", audio)
			if r.status != 201 {
				b.Errorf("upload: %d %s", r.status, r.body)
				return
			}
		}
	})
}

// BenchmarkTakeCycle (issue 21) runs a speaker's cycle as the recorder page
// does it — GET /api/v1/tasks/next, then POST /api/v1/clips with that task —
// by fresh speakers (each signed in, consented, never recorded), 16 at a
// time, over real HTTP, on corpora of growing size. A corpus is seeded once
// per size with corpus.BulkLoad (see seedCycleCorpus) and kept for every
// b.N and round. It reports uploads/s, the cycle's p99 and the p99 of task
// choice (the GET alone), and the CPU time of a cycle (client and server:
// the figure a busy shared machine disturbs least). The sizes come from
// DIALECT_BENCH_SIZES (default 1000,10000,100000; the README's table adds
// 1000000); with DIALECT_BENCH_ROUNDS=R the sizes are measured R times in
// turn, so that a machine busy with something else part of the time weighs
// on every size:
//
//	go test ./server -run '^$' -bench TakeCycle -benchtime 400x -timeout 60m
func BenchmarkTakeCycle(b *testing.B) {
	sizes := []int{1000, 10000, 100000}
	if s := os.Getenv("DIALECT_BENCH_SIZES"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				b.Fatalf("DIALECT_BENCH_SIZES: %q is not a size", f)
			}
			sizes = append(sizes, n)
		}
	}
	rounds := 1
	if s := os.Getenv("DIALECT_BENCH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("DIALECT_BENCH_ROUNDS: %q is not a count", s)
		}
		rounds = n
	}
	corpora := map[int]*cycleCorpus{} // seeded once: b.Run calls the function again for each b.N
	b.Cleanup(func() {
		for _, cc := range corpora {
			cc.close(b)
		}
	})
	for range rounds {
		for _, size := range sizes {
			b.Run(fmt.Sprintf("clips=%d", size), func(b *testing.B) {
				cc := corpora[size]
				if cc == nil {
					cc = seedCycleCorpus(b, size)
					corpora[size] = cc
				}
				cc.run(b)
			})
		}
	}
}

// cycleWorkers is how many speakers take their cycle at once.
const cycleWorkers = 16

// cycleCorpus is a seeded corpus behind a real server.
type cycleCorpus struct {
	dir     string
	db      *corpus.DB
	ts      *httptest.Server
	http    *http.Client
	project *corpus.Project
	audio   map[string][]byte // a 5-second take inside each noise band
	made    int               // fresh speakers made so far
	mark    string            // this process's mark in the fresh speakers' names
	keep    bool              // DIALECT_BENCH_DIR: the corpus stays
}

// seedCycleCorpus makes the demo project with size clips of size/10
// speakers: 30% accepted by a reviewer (with their ledger entries), 10%
// rejected by one, 60% waiting for review; bands low, medium, high in
// 3:2:1; every prompt and topic in turn. All clips share a few files.
//
// With DIALECT_BENCH_DIR=D the corpus lives in D/clips-N and stays there
// after the run, and a later run uses it again instead of seeding (it grows
// by the clips each run uploads): a million clips take minutes to seed.
func seedCycleCorpus(b *testing.B, size int) *cycleCorpus {
	b.Helper()
	ctx := context.Background()
	cc := &cycleCorpus{audio: map[string][]byte{}, mark: strconv.FormatInt(time.Now().UnixNano(), 36)}
	var err error
	if keep := os.Getenv("DIALECT_BENCH_DIR"); keep != "" {
		cc.dir, cc.keep = filepath.Join(keep, "clips-"+strconv.Itoa(size)), true
		if _, err := os.Stat(filepath.Join(cc.dir, "dialect.db")); err == nil {
			if cc.db, err = corpus.Open(ctx, cc.dir, corpus.Options{}); err != nil {
				b.Fatal(err)
			}
			ps, err := cc.db.Projects(ctx)
			if err != nil || len(ps) != 1 {
				b.Fatalf("%s: want the one project it was seeded with: %v", cc.dir, err)
			}
			cc.project = ps[0]
			b.Logf("using the %d-clip corpus seeded in %s", size, cc.dir)
			return cc.serve(b)
		}
	} else if cc.dir, err = os.MkdirTemp("", "dialect-bench-"); err != nil {
		b.Fatal(err)
	}
	if cc.db, err = corpus.Open(ctx, cc.dir, corpus.Options{}); err != nil {
		b.Fatal(err)
	}
	p := recorder.DemoProject()
	if err := cc.db.CreateProject(ctx, &p); err != nil {
		b.Fatal(err)
	}
	cc.project = &p
	if _, err := cc.db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		b.Fatal(err)
	}
	ps, err := cc.db.Prompts(ctx, p.ID)
	if err != nil {
		b.Fatal(err)
	}
	rv := &corpus.User{Username: "seed-reviewer", Role: corpus.RoleReviewer, ProjectID: p.ID}
	if err := cc.db.CreateUser(ctx, rv); err != nil {
		b.Fatal(err)
	}
	regions := []string{"臺北市", "新北市", "臺中市", "臺南市", "高雄市", "彰化縣", "屏東縣"}
	ages := []string{"20_29", "30_39", "40_49", "50_59", "60_69"}
	bands := []string{"low", "low", "low", "medium", "medium", "high"}
	statuses := []corpus.ClipStatus{corpus.StatusAccepted, corpus.StatusAccepted, corpus.StatusAccepted, corpus.StatusRejected,
		corpus.StatusPendingReview, corpus.StatusPendingReview, corpus.StatusPendingReview, corpus.StatusPendingReview,
		corpus.StatusPendingReview, corpus.StatusPendingReview}
	start := time.Now()
	var sp *corpus.User
	err = cc.db.BulkLoad(ctx, clip(1, -65), size, 20000, func(i int, c *corpus.BulkClip) {
		if i%10 == 0 {
			sp = &corpus.User{Username: "seed-" + strconv.Itoa(i), Role: corpus.RoleSpeaker, ProjectID: p.ID, ConsentVersion: 1,
				DialectRegion: regions[i/10%len(regions)], AgeBand: ages[i/10%len(ages)], Gender: []string{"female", "male"}[i/10%2]}
		}
		pr := ps[i%len(ps)]
		mode := "prompted"
		if recorder.IsTopic(pr.Text) {
			mode = "monologue"
		}
		band, status := bands[i%len(bands)], statuses[i/7%len(statuses)]
		c.Speaker = sp
		c.Task = corpus.Task{ProjectID: p.ID, PromptID: pr.ID, Mode: mode, NoiseBand: band}
		c.Clip = corpus.Clip{ClientClipID: "seed-" + strconv.Itoa(i), DurationS: 5, SampleRate: 16000, Channels: 1, Bits: 16,
			Mode: mode, NoiseBand: band, Transcript: pr.Text, Status: status, Receipt: []byte(`{"findings":[]}`)}
		if status != corpus.StatusPendingReview {
			c.DecidedBy = rv.ID
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d clips in %s", size, time.Since(start).Round(time.Millisecond))
	return cc.serve(b)
}

// serve puts the corpus behind a server.
func (cc *cycleCorpus) serve(b *testing.B) *cycleCorpus {
	b.Helper()
	rec := recorder.New(cc.db, recorder.Options{Check: validate.DefaultConfig(), Lint: transcript.DefaultConfig()})
	srv, err := server.New(server.Options{LoginPerIPPerMinute: 1 << 20, UploadsPerSpeaker: 1000}, cc.db, rec)
	if err != nil {
		b.Fatal(err)
	}
	cc.ts = httptest.NewServer(srv.Handler())
	cc.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * cycleWorkers}}
	for band, db := range map[string]float64{"low": -65, "medium": -48, "high": -33} {
		cc.audio[band] = clip(uint64(len(cc.audio)+2), db)
	}
	return cc
}

func (cc *cycleCorpus) close(b *testing.B) {
	cc.ts.Close()
	if err := cc.db.Close(); err != nil {
		b.Error(err)
	}
	if cc.keep {
		return
	}
	if err := os.RemoveAll(cc.dir); err != nil {
		b.Error(err)
	}
}

// benchSpeaker is a fresh speaker's session.
type benchSpeaker struct{ cookie, csrf string }

// speakers makes n fresh speakers, consented, each with a session (made in
// the corpus directly: a password sign-in costs an argon2 hash).
func (cc *cycleCorpus) speakers(b *testing.B, n int) []benchSpeaker {
	b.Helper()
	ctx := context.Background()
	out := make([]benchSpeaker, n)
	for i := range out {
		cc.made++
		u := &corpus.User{Username: "fresh-" + cc.mark + "-" + strconv.Itoa(cc.made), Role: corpus.RoleSpeaker, ProjectID: cc.project.ID,
			ConsentVersion: 1, DialectRegion: "臺南市", AgeBand: "30_39", Gender: "female"}
		if err := cc.db.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		raw, hash := server.NewToken()
		csrf, _ := server.NewToken()
		now := time.Now()
		if err := cc.db.CreateSession(ctx, &corpus.Session{TokenHash: hash, UserID: u.ID, CSRFToken: csrf, CreatedAt: now,
			LastSeen: now, IdleTimeout: time.Hour, ExpiresAt: now.Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
		out[i] = benchSpeaker{cookie: "sid=" + raw, csrf: csrf}
	}
	return out
}

// run takes b.N cycles, each by a fresh speaker, cycleWorkers at a time.
func (cc *cycleCorpus) run(b *testing.B) {
	sps := cc.speakers(b, b.N)
	cycles, tasks := make([]time.Duration, b.N), make([]time.Duration, b.N)
	var (
		next   atomic.Int64
		wg     sync.WaitGroup
		failed atomic.Value
	)
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	for range cycleWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N || failed.Load() != nil {
					return
				}
				var err error
				if tasks[i], cycles[i], err = cc.cycle(sps[i], i); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), processCPU()-cpu
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "uploads/s")
	b.ReportMetric(p99ms(cycles), "p99-ms")
	b.ReportMetric(p99ms(tasks), "task-p99-ms")
	// Client and server share the process: this is a whole cycle's CPU.
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// cycle is one speaker's task and take; it returns how long the task took
// to arrive and the whole cycle.
func (cc *cycleCorpus) cycle(sp benchSpeaker, n int) (task, total time.Duration, err error) {
	start := time.Now()
	var t struct {
		TaskID    string `json:"task_id"`
		NoiseBand string `json:"noise_band"`
	}
	status, body, err := cc.send("GET", "/api/v1/tasks/next", sp, "", nil)
	if err != nil {
		return 0, 0, fmt.Errorf("tasks/next: %w", err)
	}
	if status != 200 || json.Unmarshal(body, &t) != nil {
		return 0, 0, fmt.Errorf("tasks/next: %d %s", status, body)
	}
	task = time.Since(start)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"client_clip_id", uuid(n)}, {"task_id", t.TaskID}, {"noise_band", t.NoiseBand}} {
		_ = mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("audio", "take.wav")
	_, _ = fw.Write(cc.audio[t.NoiseBand])
	_ = mw.Close()
	status, body, err = cc.send("POST", "/api/v1/clips", sp, mw.FormDataContentType(), buf.Bytes())
	if err != nil {
		return 0, 0, fmt.Errorf("upload: %w", err)
	}
	if status != 201 || !bytes.Contains(body, []byte(`"status":"pending_review"`)) {
		return 0, 0, fmt.Errorf("upload: %d %s", status, body)
	}
	return task, time.Since(start), nil
}

func (cc *cycleCorpus) send(method, path string, sp benchSpeaker, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, cc.ts.URL+path, bytes.NewReader(body)) //nolint:noctx // a benchmark's own requests
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Cookie", sp.cookie)
	req.Header.Set("X-CSRF-Token", sp.csrf)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := cc.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// p99ms is the 99th percentile of ds, in milliseconds.
func p99ms(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[min(len(s)-1, len(s)*99/100)]) / float64(time.Millisecond)
}
