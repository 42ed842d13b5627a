package recorder_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// env is a real corpus in a temp dir with the demo project (changed by
// mutate) and its prompts, and a Service over it.
type env struct {
	t   testing.TB
	db  *corpus.DB
	svc *recorder.Service
	p   *corpus.Project
}

func newEnv(t testing.TB, opts recorder.Options, mutate func(*corpus.Project)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, t.TempDir(), corpus.Options{})
	if err != nil {
		t.Fatalf("open corpus: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close corpus: %v", err)
		}
	})
	p := recorder.DemoProject()
	if mutate != nil {
		mutate(&p)
	}
	if err := db.CreateProject(ctx, &p); err != nil {
		t.Fatalf("create project: %v", err)
	}
	if _, err := db.AddPrompts(ctx, p.ID, recorder.DemoPrompts()); err != nil {
		t.Fatalf("add prompts: %v", err)
	}
	return &env{t: t, db: db, svc: recorder.New(db, opts), p: &p}
}

// speaker creates a speaker of the project, consented to the current text
// when consent is set.
func (e *env) speaker(name string, consent bool) *corpus.User {
	e.t.Helper()
	ctx := context.Background()
	u := &corpus.User{Username: name, Role: corpus.RoleSpeaker, ProjectID: e.p.ID, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=1$c2FsdA$aGFzaA"}
	if err := e.db.CreateUser(ctx, u); err != nil {
		e.t.Fatalf("create user: %v", err)
	}
	if consent {
		if err := e.db.RecordConsent(ctx, u.ID, e.p.ConsentVersion); err != nil {
			e.t.Fatalf("record consent: %v", err)
		}
	}
	u, err := e.db.User(ctx, u.ID)
	if err != nil {
		e.t.Fatalf("user: %v", err)
	}
	return u
}

func (e *env) nextTask(sp *corpus.User) *recorder.Task {
	e.t.Helper()
	task, err := e.svc.NextTask(context.Background(), sp)
	if err != nil {
		e.t.Fatalf("NextTask: %v", err)
	}
	return task
}

func (e *env) ingest(sp *corpus.User, task *recorder.Task, audio []byte, transcript, clientID string) (*recorder.Receipt, bool, error) {
	return e.svc.Ingest(context.Background(), sp, recorder.Submission{ClientClipID: clientID, TaskID: task.ID,
		NoiseBand: task.NoiseBand, Transcript: transcript, Audio: bytes.NewReader(audio)})
}

// mustIngest ingests a clip made for the task's band and returns a receipt
// that must have been created.
func (e *env) mustIngest(sp *corpus.User, task *recorder.Task, seed uint64) *recorder.Receipt {
	e.t.Helper()
	r, created, err := e.ingest(sp, task, clipFor(task, seed), "", newUUID())
	if err != nil || !created {
		e.t.Fatalf("Ingest: created=%v err=%v", created, err)
	}
	return r
}

// leftovers counts the files in tmp/ and clips/.
func (e *env) leftovers() (tmp, clips int) {
	e.t.Helper()
	for _, d := range []struct {
		name string
		n    *int
	}{{"tmp", &tmp}, {"clips", &clips}} {
		ents, err := os.ReadDir(filepath.Join(e.db.Dir(), d.name))
		if err != nil {
			e.t.Fatalf("read %s: %v", d.name, err)
		}
		*d.n = len(ents)
	}
	return tmp, clips
}

func (e *env) clips() []*corpus.Clip {
	e.t.Helper()
	cs, err := e.db.Clips(context.Background(), corpus.ClipFilter{ProjectID: e.p.ID, Limit: 1000})
	if err != nil {
		e.t.Fatalf("clips: %v", err)
	}
	return cs
}

func (e *env) audit() {
	e.t.Helper()
	a, err := e.db.Audit(context.Background(), true)
	if err != nil {
		e.t.Fatalf("audit: %v", err)
	}
	if !a.OK() {
		e.t.Fatalf("audit: %+v", a)
	}
}

// Noise levels that sit inside each band, under speech at -20 dBFS: the SNR
// (45, 28, 13 dB) clears each band's minimum.
var bandNoise = map[string]float64{"low": -65, "medium": -48, "high": -33}

// wav is a clip of speech over pink noise: lead and trail seconds of noise
// around speech seconds of speech.
func wav(seed uint64, speech, noiseDBFS float64) []byte {
	rng := mrand.New(mrand.NewPCG(seed, 42))
	mix, _ := wavtest.Clip(rng, 16000, 0.5, speech, 0.5, -20, wavtest.Pink, noiseDBFS)
	return wavtest.Encode(wavtest.PCM16, mix)
}

// clipFor is a clip that passes every check of the task.
func clipFor(task *recorder.Task, seed uint64) []byte {
	speech := 2.0
	if task.MinDurationS > 3 {
		speech = task.MinDurationS + 1
	}
	return wav(seed, speech, bandNoise[task.NoiseBand])
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
