package recorder_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

func TestIngest_Good(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	ctx := context.Background()
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	audio := clipFor(task, 1)
	id := newUUID()
	r, created, err := e.ingest(sp, task, audio, "", id)
	if err != nil || !created {
		t.Fatalf("Ingest: created=%v err=%v", created, err)
	}
	sum := sha256.Sum256(audio)
	if r.Status != corpus.StatusPendingReview || r.SHA256 != hex.EncodeToString(sum[:]) || len(r.ClipID) != 32 {
		t.Fatalf("receipt %+v: want pending_review with the SHA-256 of the audio", r)
	}
	for _, f := range r.Findings {
		if f.Severity == "error" {
			t.Errorf("error finding %+v", f)
		}
	}
	m := r.Measurements
	if m == nil || math.Abs(m.NoiseFloorDBFS-bandNoise["low"]) > 2 || m.NoiseBand != "low" || m.SNRDB < 25 {
		t.Fatalf("measurements %+v: want a noise floor near %g dBFS", m, bandNoise["low"])
	}
	if r.Format.SampleRate != 16000 || r.Format.Channels != 1 || r.Format.Bits != 16 || r.Format.DurationS != 3 {
		t.Errorf("format %+v", r.Format)
	}
	if r.FixedTranscript != "" {
		t.Errorf("FixedTranscript=%q, want none", r.FixedTranscript)
	}

	f, err := e.db.OpenClipFile(r.ClipID)
	if err != nil {
		t.Fatalf("OpenClipFile: %v", err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	_ = f.Close() // only read
	if got := hex.EncodeToString(h.Sum(nil)); got != r.SHA256 {
		t.Errorf("stored file SHA-256 %s, want %s", got, r.SHA256)
	}
	c, err := e.db.ClipByClientID(ctx, sp.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(r)
	if c.ID != r.ClipID || c.TaskID != task.ID || c.Status != r.Status || c.NoiseBand != "low" || c.Mode != "prompted" ||
		c.Transcript != task.Prompt || c.Bytes != int64(len(audio)) || c.DurationS != 3 || !bytes.Equal(c.Receipt, want) {
		t.Errorf("clip row %+v, receipt %s; want it to match the receipt %s", c, c.Receipt, want)
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 1 {
		t.Errorf("tmp/ %d files, clips/ %d, want 0 and 1", tmp, clips)
	}
	e.audit()
}

func TestIngest_Noisy(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	if task.NoiseBand != "low" {
		t.Fatalf("band %s, want low", task.NoiseBand)
	}
	r, created, err := e.ingest(sp, task, wav(3, 2, -35), "", newUUID())
	if err != nil || !created {
		t.Fatalf("Ingest: created=%v err=%v", created, err)
	}
	if r.Status != corpus.StatusRejected {
		t.Fatalf("status %s, want rejected", r.Status)
	}
	var a012 *recorder.Finding
	for i, f := range r.Findings {
		if f.Rule == "A012" {
			a012 = &r.Findings[i]
		}
	}
	if a012 == nil || a012.Severity != "error" || a012.Measured == nil || math.Abs(*a012.Measured+35) > 2 ||
		a012.Threshold == "" || a012.Message == "" || a012.MessageZH == "" {
		t.Fatalf("A012 finding %+v in %+v: want an error with the figure near -35 dBFS and the threshold", a012, r.Findings)
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 1 {
		t.Errorf("tmp/ %d files, clips/ %d, want 0 and 1: a rejected clip is stored", tmp, clips)
	}
	if cs := e.clips(); len(cs) != 1 || cs[0].Status != corpus.StatusRejected {
		t.Errorf("clips %+v, want one rejected", cs)
	}
	e.audit()
}

func TestIngest_Retry(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	id := newUUID()
	first, created, err := e.ingest(sp, task, clipFor(task, 1), "今仔日天氣真好、真爽快。", id)
	if err != nil || !created {
		t.Fatalf("Ingest: created=%v err=%v", created, err)
	}
	firstJSON, _ := json.Marshal(first)
	// The retry may even carry other bytes (a re-encoded take): the first
	// receipt stands, in any letter case of the id.
	for _, retry := range []struct {
		id    string
		audio []byte
	}{{id, clipFor(task, 1)}, {strings.ToUpper(id), clipFor(task, 2)}, {id, []byte("ID3 not even audio")}} {
		r, created, err := e.ingest(sp, task, retry.audio, "", retry.id)
		if err != nil || created {
			t.Fatalf("retry: created=%v err=%v, want the first receipt", created, err)
		}
		if got, _ := json.Marshal(r); !bytes.Equal(got, firstJSON) {
			t.Fatalf("retry receipt\n%s\nwant\n%s", got, firstJSON)
		}
	}
	if cs := e.clips(); len(cs) != 1 {
		t.Errorf("%d clips, want 1", len(cs))
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 1 {
		t.Errorf("tmp/ %d files, clips/ %d, want 0 and 1", tmp, clips)
	}
	// Another speaker's take with the same id is another take.
	other := e.speaker("a-bing", true)
	otherTask := e.nextTask(other)
	if _, created, err := e.ingest(other, otherTask, clipFor(otherTask, 1), "", id); err != nil || !created {
		t.Fatalf("another speaker, same client id: created=%v err=%v", created, err)
	}
}

func TestIngest_NotAudio(t *testing.T) {
	good := wav(1, 2, bandNoise["low"])
	alaw := wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 8, FormatTag: 6}, make([]float64, 16000))
	for _, tc := range []struct {
		name       string
		body       []byte
		rule, code string
	}{
		{"empty body", nil, "A001", "empty"},
		{"truncated header", good[:10], "A001", "truncated_header"},
		{"MP3", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0xff, 0xfb, 0x90, 0x00}, 100)...), "A001", "not_wav"},
		{"Ogg", append([]byte("OggS"), make([]byte, 100)...), "A001", "not_wav"},
		{"RIFF size past the body", good[:len(good)-4000], "A006", "truncated"},
		{"no data chunk", good[:36], "A001", "no_data"},
		{"A-law", alaw, "A002", "unsupported_codec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, recorder.Options{}, nil)
			sp := e.speaker("a-hua", true)
			task := e.nextTask(sp)
			id := newUUID()
			r, _, err := e.ingest(sp, task, tc.body, "", id)
			var nae *recorder.NotAudioError
			if !errors.As(err, &nae) {
				t.Fatalf("Ingest = %+v, %v, want *NotAudioError", r, err)
			}
			if nae.Finding.Rule != tc.rule || nae.Finding.Code != tc.code || nae.Finding.Message == "" || nae.Finding.MessageZH == "" {
				t.Errorf("finding %+v, want %s %s with messages", nae.Finding, tc.rule, tc.code)
			}
			if tmp, clips := e.leftovers(); tmp != 0 || clips != 0 {
				t.Errorf("tmp/ %d files, clips/ %d, want nothing left", tmp, clips)
			}
			if cs := e.clips(); len(cs) != 0 {
				t.Errorf("%d clip rows, want none", len(cs))
			}
			if _, err := e.db.ClipByClientID(context.Background(), sp.ID, id); !errors.Is(err, corpus.ErrNotFound) {
				t.Errorf("ClipByClientID: %v, want ErrNotFound", err)
			}
			// The same id may be used again for a real take.
			if _, created, err := e.ingest(sp, task, good, "", id); err != nil || !created {
				t.Errorf("good take after a bad one: created=%v err=%v", created, err)
			}
			e.audit()
		})
	}
}

// TestIngest_EncodingNotAllowed: a readable WAV in another encoding is a
// failed check, stored as rejected, not "not audio".
func TestIngest_EncodingNotAllowed(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	audio := wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 32, Float: true}, wavtest.Sine(3*16000, 16000, 220, 0.3))
	r, created, err := e.ingest(sp, task, audio, "", newUUID())
	if err != nil || !created {
		t.Fatalf("Ingest: created=%v err=%v", created, err)
	}
	found := false
	for _, f := range r.Findings {
		found = found || f.Rule == "A002"
	}
	if r.Status != corpus.StatusRejected || !found {
		t.Fatalf("receipt %+v: want rejected with A002", r)
	}
}

func TestIngest_Transcript(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	r, _, err := e.ingest(sp, task, clipFor(task, 1), "你食飽未、我食飽矣。", newUUID())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != corpus.StatusRejected || r.FixedTranscript != "你食飽未，我食飽矣。" {
		t.Fatalf("receipt %+v: want rejected with the fixed transcript", r)
	}
	var t001 *recorder.Finding
	for i, f := range r.Findings {
		if f.Rule == "T001" {
			t001 = &r.Findings[i]
		}
		if strings.HasPrefix(f.Rule, "A") && f.Severity == "error" {
			t.Errorf("audio error %+v on a good clip", f)
		}
	}
	if t001 == nil || t001.Severity != "error" || t001.Line != 1 || t001.Column != 5 || t001.Text != "、" || t001.Fix != "，" || t001.MessageZH == "" {
		t.Fatalf("T001 finding %+v in %+v", t001, r.Findings)
	}
	// Audio findings come first, then the transcript's.
	if last := r.Findings[len(r.Findings)-1]; last.Rule[0] != 'T' {
		t.Errorf("last finding %+v, want a transcript one", last)
	}
	// A warning does not reject.
	r, _, err = e.ingest(sp, task, clipFor(task, 2), "阮兜有4个人。", newUUID())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != corpus.StatusPendingReview || len(r.Findings) == 0 || r.Findings[len(r.Findings)-1].Rule != "T006" {
		t.Fatalf("receipt %+v: want pending_review with the T006 warning", r)
	}
}

func TestIngest_BadSubmission(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	ctx := context.Background()
	sp := e.speaker("a-hua", true)
	other := e.speaker("a-bing", true)
	task := e.nextTask(sp)
	otherTask := e.nextTask(other)
	audio := clipFor(task, 1)
	sub := func(mut func(*recorder.Submission)) recorder.Submission {
		s := recorder.Submission{ClientClipID: newUUID(), TaskID: task.ID, NoiseBand: task.NoiseBand, Audio: bytes.NewReader(audio)}
		mut(&s)
		return s
	}
	for _, tc := range []struct {
		name string
		sub  recorder.Submission
		want error
	}{
		{"no client id", sub(func(s *recorder.Submission) { s.ClientClipID = "" }), recorder.ErrBadRequest},
		{"client id not a UUID", sub(func(s *recorder.Submission) { s.ClientClipID = "take-1" }), recorder.ErrBadRequest},
		{"no task id", sub(func(s *recorder.Submission) { s.TaskID = "" }), recorder.ErrBadRequest},
		{"no band", sub(func(s *recorder.Submission) { s.NoiseBand = "" }), recorder.ErrBadRequest},
		{"band mismatch", sub(func(s *recorder.Submission) { s.NoiseBand = "high" }), recorder.ErrBadRequest},
		{"no audio", sub(func(s *recorder.Submission) { s.Audio = nil }), recorder.ErrBadRequest},
		{"invalid UTF-8", sub(func(s *recorder.Submission) { s.Transcript = "\xc3\x28" }), recorder.ErrBadRequest},
		{"unknown task", sub(func(s *recorder.Submission) { s.TaskID = strings.Repeat("ab", 16) }), corpus.ErrNotFound},
		{"another speaker's task", sub(func(s *recorder.Submission) { s.TaskID = otherTask.ID }), corpus.ErrNotFound},
	} {
		_, _, err := e.svc.Ingest(ctx, sp, tc.sub)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 0 {
		t.Errorf("tmp/ %d files, clips/ %d, want nothing", tmp, clips)
	}
	if cs := e.clips(); len(cs) != 0 {
		t.Errorf("%d clips, want none", len(cs))
	}
}

func TestIngest_TooLarge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  recorder.Options
		limit int64 // the server's MaxBytesReader, 0 for none
	}{
		{"server limit", recorder.Options{}, 50000},
		{"MaxClipBytes", recorder.Options{MaxClipBytes: 50000}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts, nil)
			sp := e.speaker("a-hua", true)
			task := e.nextTask(sp)
			var body io.Reader = bytes.NewReader(clipFor(task, 1)) // 96 KB
			if tc.limit > 0 {
				body = http.MaxBytesReader(nil, io.NopCloser(body), tc.limit)
			}
			_, _, err := e.svc.Ingest(context.Background(), sp, recorder.Submission{ClientClipID: newUUID(), TaskID: task.ID,
				NoiseBand: task.NoiseBand, Audio: body})
			var mbe *http.MaxBytesError
			if !errors.As(err, &mbe) || mbe.Limit != 50000 {
				t.Fatalf("Ingest: %v, want *http.MaxBytesError with limit 50000", err)
			}
			if tmp, clips := e.leftovers(); tmp != 0 || clips != 0 {
				t.Errorf("tmp/ %d files, clips/ %d, want nothing", tmp, clips)
			}
			if cs := e.clips(); len(cs) != 0 {
				t.Errorf("%d clips, want none", len(cs))
			}
		})
	}
}

func TestIngest_Concurrent(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	var sps []*corpus.User
	var tasks []*recorder.Task
	for _, name := range []string{"a", "b", "c", "d"} {
		sp := e.speaker(name, true)
		sps = append(sps, sp)
		tasks = append(tasks, e.nextTask(sp))
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sp, task := sps[i%4], tasks[i%4]
			r, created, err := e.ingest(sp, task, clipFor(task, uint64(i)), "", newUUID())
			if err != nil || !created || r.Status != corpus.StatusPendingReview {
				t.Errorf("Ingest %d: %+v created=%v err=%v", i, r, created, err)
			}
		}()
	}
	wg.Wait()
	if cs := e.clips(); len(cs) != 20 {
		t.Errorf("%d clips, want 20", len(cs))
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 20 {
		t.Errorf("tmp/ %d files, clips/ %d, want 0 and 20", tmp, clips)
	}
	e.audit()
}

// TestIngest_ConcurrentSameClientID sends one take ten times at once,
// through two Services over one corpus (two server processes): one clip,
// ten identical receipts.
func TestIngest_ConcurrentSameClientID(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	svcs := []*recorder.Service{e.svc, recorder.New(e.db, recorder.Options{})}
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	audio := clipFor(task, 1)
	id := newUUID()
	var wg sync.WaitGroup
	receipts := make([][]byte, 10)
	createdN := make([]bool, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, created, err := svcs[i%2].Ingest(context.Background(), sp, recorder.Submission{ClientClipID: id, TaskID: task.ID,
				NoiseBand: task.NoiseBand, Audio: bytes.NewReader(audio)})
			if err != nil {
				t.Errorf("Ingest %d: %v", i, err)
				return
			}
			receipts[i], _ = json.Marshal(r)
			createdN[i] = created
		}()
	}
	wg.Wait()
	n := 0
	for i := range 10 {
		if createdN[i] {
			n++
		}
		if !bytes.Equal(receipts[i], receipts[0]) {
			t.Errorf("receipt %d\n%s\nwant\n%s", i, receipts[i], receipts[0])
		}
	}
	if n != 1 {
		t.Errorf("%d created, want 1", n)
	}
	if cs := e.clips(); len(cs) != 1 {
		t.Errorf("%d clips, want 1", len(cs))
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 1 {
		t.Errorf("tmp/ %d files, clips/ %d, want 0 and 1", tmp, clips)
	}
	e.audit()
}

func TestIngest_CancelledAfterUpload(t *testing.T) {
	// A context cancelled while the body is read: whatever the outcome,
	// nothing is half-stored and a retry answers consistently.
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	ctx, cancel := context.WithCancel(context.Background())
	audio := clipFor(task, 1)
	id := newUUID()
	body := &cancelAtEOF{r: bytes.NewReader(audio), cancel: cancel}
	r, created, err := e.svc.Ingest(ctx, sp, recorder.Submission{ClientClipID: id, TaskID: task.ID, NoiseBand: task.NoiseBand, Audio: body})
	if err != nil || !created {
		t.Fatalf("Ingest with a context cancelled after the body: created=%v err=%v, want stored", created, err)
	}
	again, created, err := e.ingest(sp, task, audio, "", id)
	if err != nil || created || again.ClipID != r.ClipID {
		t.Fatalf("retry: %+v created=%v err=%v", again, created, err)
	}
	e.audit()
}

type cancelAtEOF struct {
	r      io.Reader
	cancel func()
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

func TestLint(t *testing.T) {
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) {
		p.LintConfig = json.RawMessage(`{"allowed_tags":["[noise]"]}`)
	})
	ctx := context.Background()
	fs, fixed, err := e.svc.Lint(ctx, e.p.ID, "[noise]你好、我是阿華。")
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Rule != "T001" || fixed != "[noise]你好，我是阿華。" {
		t.Fatalf("Lint = %+v, %q", fs, fixed)
	}
	if fs, fixed, err := e.svc.Lint(ctx, e.p.ID, "你好。"); err != nil || len(fs) != 0 || fixed != "你好。" {
		t.Fatalf("clean text: %+v %q %v", fs, fixed, err)
	}
	if _, _, err := e.svc.Lint(ctx, e.p.ID+100, "你好。"); !errors.Is(err, corpus.ErrNotFound) {
		t.Errorf("unknown project: %v, want ErrNotFound", err)
	}
	if _, _, err := e.svc.Lint(ctx, e.p.ID, "\xff"); !errors.Is(err, recorder.ErrBadRequest) {
		t.Errorf("invalid UTF-8: %v, want ErrBadRequest", err)
	}
}

func TestProjectConfig(t *testing.T) {
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) {
		p.CheckConfig = json.RawMessage(`{"low":{"max_noise_dbfs":-70}}`)
	})
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	// -65 dBFS is low by default but not under this project's -70.
	r, _, err := e.ingest(sp, task, clipFor(task, 1), "", newUUID())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != corpus.StatusRejected || r.Findings[0].Rule != "A012" {
		t.Fatalf("receipt %+v: want rejected by the project's band", r)
	}
	bad := recorder.DemoProject()
	bad.CheckConfig = json.RawMessage(`{"low":{"max_noise":-70}}`)
	if err := e.svc.CheckProject(&bad); err == nil {
		t.Error("CheckProject with an unknown key: no error")
	}
	if err := e.svc.CheckProject(e.p); err != nil {
		t.Errorf("CheckProject: %v", err)
	}
}
