package recorder_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
)

func TestNextTask_ConsentRequired(t *testing.T) {
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) { p.ConsentVersion = 2 })
	ctx := context.Background()
	sp := e.speaker("a-hua", false)
	if _, err := e.svc.NextTask(ctx, sp); !errors.Is(err, recorder.ErrConsentRequired) {
		t.Fatalf("NextTask without consent: %v, want ErrConsentRequired", err)
	}
	if err := e.db.RecordConsent(ctx, sp.ID, 1); err != nil {
		t.Fatal(err)
	}
	sp, _ = e.db.User(ctx, sp.ID)
	if _, err := e.svc.NextTask(ctx, sp); !errors.Is(err, recorder.ErrConsentRequired) {
		t.Fatalf("NextTask with an old consent: %v, want ErrConsentRequired", err)
	}
	if err := e.db.RecordConsent(ctx, sp.ID, 2); err != nil {
		t.Fatal(err)
	}
	sp, _ = e.db.User(ctx, sp.ID)
	if _, err := e.svc.NextTask(ctx, sp); err != nil {
		t.Fatalf("NextTask after consent: %v", err)
	}
}

func TestNextTask_OpenTask(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	first := recorder.DemoPrompts()[0]
	want := recorder.Task{ID: task.ID, Mode: "prompted", Prompt: first.Text, Romanized: first.Romanized, NoiseBand: "low",
		Format: recorder.Format{SampleRate: 16000, Channels: 1, Bits: 16}, MinDurationS: 1, MaxDurationS: 30}
	if *task != want {
		t.Fatalf("NextTask = %+v, want %+v", *task, want)
	}
	if len(task.ID) != 32 {
		t.Errorf("task id %q, want 32 hex digits", task.ID)
	}
	if again := e.nextTask(sp); *again != *task {
		t.Fatalf("second NextTask = %+v, want the open task %+v", *again, *task)
	}
	// A rejected take leaves the task open: the speaker records it again.
	r, _, err := e.ingest(sp, task, wav(1, 2, -35), "", newUUID())
	if err != nil || r.Status != corpus.StatusRejected {
		t.Fatalf("noisy take: %v %v, want rejected", r, err)
	}
	if again := e.nextTask(sp); again.ID != task.ID {
		t.Fatalf("after a rejected take: task %s, want the open task %s", again.ID, task.ID)
	}
	e.mustIngest(sp, task, 2)
	next := e.nextTask(sp)
	if next.ID == task.ID || next.Prompt == task.Prompt {
		t.Fatalf("after a good take: %+v, want a new task with another prompt", next)
	}
	// Concurrent requests of one speaker share one task.
	done := make(chan string, 8)
	for range 8 {
		go func() {
			tk, err := e.svc.NextTask(context.Background(), sp)
			if err != nil {
				done <- err.Error()
				return
			}
			done <- tk.ID
		}()
	}
	for range 8 {
		if id := <-done; id != next.ID {
			t.Errorf("concurrent NextTask: %s, want %s", id, next.ID)
		}
	}
}

// TestNextTask_Balance records 100 clips by four speakers and checks that
// the bands follow the quota (50/30/20) and the prompts are used evenly.
func TestNextTask_Balance(t *testing.T) {
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) {
		p.Modes = []string{"prompted"}
		p.BandQuota = map[string]int{"low": 50, "medium": 30, "high": 20}
	})
	ctx := context.Background()
	var sps []*corpus.User
	for i := range 4 {
		sps = append(sps, e.speaker(fmt.Sprintf("speaker-%d", i), true))
	}
	bands := map[string]int{}
	for i := range 100 {
		sp := sps[i%len(sps)]
		task := e.nextTask(sp)
		if task.Mode != "prompted" || strings.HasPrefix(task.Prompt, recorder.TopicPrefix) {
			t.Fatalf("task %+v: want a prompted sentence", task)
		}
		e.mustIngest(sp, task, uint64(i))
		bands[task.NoiseBand]++
	}
	for b, want := range map[string]int{"low": 50, "medium": 30, "high": 20} {
		if got := bands[b]; got < want-2 || got > want+2 {
			t.Errorf("%s: %d clips, want %d±2 (all: %v)", b, got, want, bands)
		}
	}
	counts, err := e.db.BandCounts(ctx, e.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts["low"] != bands["low"] || counts["medium"] != bands["medium"] || counts["high"] != bands["high"] {
		t.Errorf("BandCounts=%v, want %v", counts, bands)
	}
	use, err := e.db.PromptUse(ctx, e.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	prompts, err := e.db.Prompts(ctx, e.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 1<<30, 0
	for _, p := range prompts {
		if recorder.IsTopic(p.Text) {
			if use[p.ID] != 0 {
				t.Errorf("topic %q used %d times in a prompted-only project", p.Text, use[p.ID])
			}
			continue
		}
		lo, hi = min(lo, use[p.ID]), max(hi, use[p.ID])
	}
	if hi-lo > 1 {
		t.Errorf("prompt use from %d to %d, want an even spread (differing by at most 1)", lo, hi)
	}
	// No speaker got the same sentence twice while others were left.
	for _, sp := range sps {
		seen := map[string]bool{}
		cs, err := e.db.Clips(ctx, corpus.ClipFilter{SpeakerID: sp.ID, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if seen[c.TaskID] {
				t.Errorf("task %s recorded twice", c.TaskID)
			}
			seen[c.TaskID] = true
			if seen["p"+c.Transcript] {
				t.Errorf("speaker %s got %q twice", sp.Username, c.Transcript)
			}
			seen["p"+c.Transcript] = true
		}
	}
	e.audit()
}

func TestNextTask_Monologue(t *testing.T) {
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) { p.Modes = []string{"monologue"} })
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	if task.Mode != "monologue" || task.Prompt != "講你細漢的時陣上愛食的物件。" || task.MinDurationS != 10 || task.MaxDurationS != 4*3600 {
		t.Fatalf("NextTask = %+v, want the first topic, without its prefix, with monologue bounds", task)
	}
	// A monologue's transcript comes later: none is not a finding.
	r, _, err := e.ingest(sp, task, clipFor(task, 1), "", newUUID())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != corpus.StatusPendingReview {
		t.Fatalf("monologue without transcript: %+v, want pending_review", r)
	}
	if next := e.nextTask(sp); next.Prompt == task.Prompt {
		t.Fatalf("next topic %q, want another", next.Prompt)
	}
}

func TestNextTask_NoPrompts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, recorder.Options{}, nil)
	p := recorder.DemoProject()
	p.Slug = "empty"
	if err := e.db.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	u := &corpus.User{Username: "lonely", Role: corpus.RoleSpeaker, ProjectID: p.ID, PasswordHash: "x", ConsentVersion: 1}
	if err := e.db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := e.db.RecordConsent(ctx, u.ID, 1); err != nil {
		t.Fatal(err)
	}
	u, _ = e.db.User(ctx, u.ID)
	if _, err := e.svc.NextTask(ctx, u); !errors.Is(err, recorder.ErrNoPrompts) {
		t.Fatalf("NextTask in an empty project: %v, want ErrNoPrompts", err)
	}
}

// TestNextTask_Restart: a new Service (a restarted server) over the same
// corpus finds the open task and what the speaker has recorded.
func TestNextTask_Restart(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	var recorded []string
	for i := range 3 {
		task := e.nextTask(sp)
		e.mustIngest(sp, task, uint64(i))
		recorded = append(recorded, task.Prompt)
	}
	open := e.nextTask(sp)
	e.svc = recorder.New(e.db, recorder.Options{})
	if again := e.nextTask(sp); *again != *open {
		t.Fatalf("after restart: %+v, want the open task %+v", again, open)
	}
	e.mustIngest(sp, open, 9)
	next := e.nextTask(sp)
	for _, p := range append(recorded, open.Prompt) {
		if next.Prompt == p {
			t.Fatalf("after restart: prompt %q again, want one not yet recorded", p)
		}
	}
}
