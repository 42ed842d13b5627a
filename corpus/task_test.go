package corpus_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_CreateTask(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testEpoch)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	if _, err := db.AddPrompts(ctx, f.project.ID, []corpus.Prompt{{Text: "a"}}); err != nil {
		t.Fatal(err)
	}
	ps, _ := db.Prompts(ctx, f.project.ID)
	t.Run("OK", func(t *testing.T) {
		task := mustTask(t, db, f, ps[0].ID)
		if len(task.ID) != 32 || !task.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("ID=%q CreatedAt=%v, want 32 hex digits at %v", task.ID, task.CreatedAt, clk.Now())
		}
		got, err := db.Task(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, task) {
			t.Fatalf("Task = %+v, want %+v", got, task)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, task := range []*corpus.Task{
			{ProjectID: 999, SpeakerID: f.speaker.ID, Mode: "m", NoiseBand: "low"},
			{ProjectID: f.project.ID, SpeakerID: 999, Mode: "m", NoiseBand: "low"},
			{ProjectID: f.project.ID, SpeakerID: f.speaker.ID, PromptID: 999, Mode: "m", NoiseBand: "low"},
		} {
			wantErr(t, db.CreateTask(ctx, task), corpus.ErrNotFound)
		}
		other := mustProject(t, db, "other")
		wantErr(t, db.CreateTask(ctx, &corpus.Task{ProjectID: other.ID, SpeakerID: f.speaker.ID, PromptID: ps[0].ID, Mode: "m", NoiseBand: "low"}), corpus.ErrNotFound)
		for _, id := range []string{"", "nope", "../../etc/passwd", "0123456789abcdef0123456789abcdef"} {
			_, err := db.Task(ctx, id)
			wantErr(t, err, corpus.ErrNotFound)
		}
	})
}

func TestDB_OpenTask(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testEpoch)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	_, err := db.OpenTask(ctx, f.speaker.ID)
	wantErr(t, err, corpus.ErrNotFound)

	t1 := mustTask(t, db, f, 0)
	clk.Add(time.Second)
	t2 := mustTask(t, db, f, 0)
	got, err := db.OpenTask(ctx, f.speaker.ID)
	if err != nil || got.ID != t2.ID {
		t.Fatalf("OpenTask = %v, %v; want the newest task %s", got, err, t2.ID)
	}
	// A rejected take leaves the task open (retake)...
	c := newClip(f, t2, "take-1")
	c.Status = corpus.StatusRejected
	mustCommitClip(t, db, c, wav(10))
	if got, _ = db.OpenTask(ctx, f.speaker.ID); got.ID != t2.ID {
		t.Fatalf("OpenTask after a rejected take = %s, want %s", got.ID, t2.ID)
	}
	// ...a pending one closes it.
	mustCommitClip(t, db, newClip(f, t2, "take-2"), wav(10))
	if got, _ = db.OpenTask(ctx, f.speaker.ID); got.ID != t1.ID {
		t.Fatalf("OpenTask after a pending take = %s, want %s", got.ID, t1.ID)
	}
	mustCommitClip(t, db, newClip(f, t1, "take-3"), wav(10))
	_, err = db.OpenTask(ctx, f.speaker.ID)
	wantErr(t, err, corpus.ErrNotFound)
	MustAudit(t, db)
}
