package corpus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

func TestDB_CommitClip(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		clk := newClock(testEpoch)
		db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		task := mustTask(t, db, f, 0)
		data := wav(5000)
		c := newClip(f, task, "client-1")
		u := mustUpload(t, db, data)
		if err := db.CommitClip(ctx, c, u); err != nil {
			t.Fatal(err)
		}
		if err := u.Discard(); err != nil {
			t.Fatalf("Discard after CommitClip: %v", err)
		}
		if len(c.ID) != 32 || c.SHA256 != sha(data) || c.Bytes != int64(len(data)) || !c.CreatedAt.Equal(clk.Now()) {
			t.Fatalf("ID=%q SHA256=%s Bytes=%d CreatedAt=%v, want 32 hex digits, %s, %d, %v",
				c.ID, c.SHA256, c.Bytes, c.CreatedAt, sha(data), len(data), clk.Now())
		}
		if got, want := c.Status, corpus.StatusPendingReview; got != want {
			t.Fatalf("Status=%q, want %q", got, want)
		}
		got, err := os.ReadFile(filepath.Join(db.Dir(), "clips", c.ID+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("clip file differs from the upload")
		}
		fi, _ := os.Stat(filepath.Join(db.Dir(), "clips", c.ID+".wav"))
		if perm := fi.Mode().Perm(); perm&^0o640 != 0 {
			t.Errorf("clip file mode = %v, want at most 0640", perm)
		}
		stored, err := db.Clip(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, c) {
			t.Fatalf("Clip = %+v, want %+v", stored, c)
		}
		ds, err := db.Decisions(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].AuthorID != 0 || ds[0].From != "" || ds[0].To != corpus.StatusPendingReview || ds[0].Reason != "auto" {
			t.Fatalf("Decisions = %+v, want one auto event to pending_review", ds)
		}
		if n := dirLen(t, filepath.Join(db.Dir(), "tmp")); n != 0 {
			t.Fatalf("tmp/ has %d entries, want 0", n)
		}
		MustAudit(t, db)
	})

	t.Run("ErrConflict", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		first := mustCommitClip(t, db, newClip(f, nil, "same"), wav(100))
		again := newClip(f, nil, "same")
		err := db.CommitClip(ctx, again, mustUpload(t, db, wav(200)))
		wantErr(t, err, corpus.ErrConflict)
		// The retry finds the stored clip by its idempotency key.
		got, err := db.ClipByClientID(ctx, f.speaker.ID, "same")
		if err != nil || got.ID != first.ID {
			t.Fatalf("ClipByClientID = %v, %v; want %s", got, err, first.ID)
		}
		// A caller-chosen id that exists is a conflict too, and never
		// overwrites the stored file.
		dup := newClip(f, nil, "other")
		dup.ID = first.ID
		wantErr(t, db.CommitClip(ctx, dup, mustUpload(t, db, wav(300))), corpus.ErrConflict)
		if n := dirLen(t, filepath.Join(db.Dir(), "clips")); n != 1 {
			t.Fatalf("clips/ has %d files, want 1", n)
		}
		// Another speaker may use the same client id.
		other := mustUser(t, db, f.project.ID, "speaker-2", corpus.RoleSpeaker)
		c := newClip(f, nil, "same")
		c.SpeakerID = other.ID
		mustCommitClip(t, db, c, wav(100))
		MustAudit(t, db) // no stray file in clips/ or tmp/
	})

	t.Run("ErrConflictRace", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		const rounds, racers = 10, 4
		for r := range rounds {
			var (
				wg        sync.WaitGroup
				ok, confl int
				mu        sync.Mutex
			)
			for range racers {
				u := mustUpload(t, db, wav(1000))
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := db.CommitClip(ctx, newClip(f, nil, fmt.Sprint("race-", r)), u)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, corpus.ErrConflict):
						confl++
					default:
						t.Errorf("CommitClip: %v", err)
					}
				}()
			}
			wg.Wait()
			if ok != 1 || confl != racers-1 {
				t.Fatalf("round %d: %d committed, %d conflicts; want 1 and %d", r, ok, confl, racers-1)
			}
		}
		if got, want := dirLen(t, filepath.Join(db.Dir(), "clips")), rounds; got != want {
			t.Fatalf("clips/ has %d files, want %d", got, want)
		}
		MustAudit(t, db)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		bad := []*corpus.Clip{newClip(f, nil, "a"), newClip(f, nil, "b"), newClip(f, nil, "c")}
		bad[0].ProjectID = 999
		bad[1].SpeakerID = 999
		bad[2].TaskID = "0123456789abcdef0123456789abcdef"
		// Another speaker's task (S-02).
		other := mustUser(t, db, f.project.ID, "speaker-2", corpus.RoleSpeaker)
		c := newClip(f, mustTask(t, db, f, 0), "d")
		c.SpeakerID = other.ID
		bad = append(bad, c)
		for _, c := range bad {
			wantErr(t, db.CommitClip(ctx, c, mustUpload(t, db, wav(10))), corpus.ErrNotFound)
		}
		MustAudit(t, db) // nothing left behind
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		db := MustOpenDB(t)
		defer MustCloseDB(t, db)
		f := mustFixture(t, db)
		bad := []*corpus.Clip{newClip(f, nil, ""), newClip(f, nil, "a"), newClip(f, nil, "b"), newClip(f, nil, "c")}
		bad[1].ID = "../../dialect.db"
		bad[2].Status = "paid"
		bad[3].Receipt = []byte("{")
		for _, c := range bad {
			if err := db.CommitClip(ctx, c, mustUpload(t, db, wav(10))); err == nil {
				t.Errorf("CommitClip(%+v) = nil, want an error", c)
			}
		}
		// An upload is used up by CommitClip, whatever the outcome.
		u := mustUpload(t, db, wav(10))
		mustCommitClip(t, db, newClip(f, nil, "d"), wav(10))
		if err := db.CommitClip(ctx, newClip(f, nil, "e"), u); err != nil {
			t.Fatal(err)
		}
		if err := db.CommitClip(ctx, newClip(f, nil, "f"), u); err == nil {
			t.Fatal("second CommitClip of one upload = nil, want an error")
		}
		MustAudit(t, db)
	})
}

func TestDB_Upload(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	u, err := db.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	data := wav(3000)
	for _, part := range [][]byte{data[:1000], data[1000:]} {
		if n, err := u.Write(part); err != nil || n != len(part) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(part))
		}
	}
	if got, want := u.Size(), int64(len(data)); got != want {
		t.Fatalf("Size=%d, want %d", got, want)
	}
	if got, want := u.SHA256(), sha(data); got != want {
		t.Fatalf("SHA256=%s, want %s", got, want)
	}
	buf := make([]byte, 100)
	if _, err := u.ReadAt(buf, 500); err != nil || !bytes.Equal(buf, data[500:600]) {
		t.Fatalf("ReadAt = %v, want the bytes written", err)
	}
	if n := dirLen(t, filepath.Join(db.Dir(), "tmp")); n != 1 {
		t.Fatalf("tmp/ has %d entries, want 1", n)
	}
	for range 2 {
		if err := u.Discard(); err != nil {
			t.Fatalf("Discard: %v", err)
		}
	}
	if _, err := u.Write([]byte("x")); err == nil {
		t.Fatal("Write after Discard = nil error, want an error")
	}
	MustAudit(t, db)
}

func TestDB_Clips(t *testing.T) {
	ctx := context.Background()
	clk := newClock(testEpoch)
	db := MustOpenDBAt(t, t.TempDir(), corpus.Options{Now: clk.Now})
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	var ids []string
	for i := range 5 {
		c := newClip(f, nil, fmt.Sprint(i))
		if i%2 == 1 {
			c.Status = corpus.StatusRejected
		}
		ids = append(ids, mustCommitClip(t, db, c, wav(10+i)).ID)
		if i < 3 {
			clk.Add(1) // two share a timestamp: ties still come out newest first
		}
	}
	list := func(f corpus.ClipFilter) []string {
		t.Helper()
		cs, err := db.Clips(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.ID)
		}
		return got
	}
	t.Run("OK", func(t *testing.T) {
		if got, want := list(corpus.ClipFilter{}), []string{ids[4], ids[3], ids[2], ids[1], ids[0]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Clips = %v, want %v", got, want)
		}
		if got, want := list(corpus.ClipFilter{ProjectID: f.project.ID, SpeakerID: f.speaker.ID, Status: corpus.StatusRejected}), []string{ids[3], ids[1]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Clips(rejected) = %v, want %v", got, want)
		}
		if got, want := list(corpus.ClipFilter{Limit: 2, Offset: 1}), []string{ids[3], ids[2]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("Clips(limit 2, offset 1) = %v, want %v", got, want)
		}
		if got := list(corpus.ClipFilter{SpeakerID: f.reviewer.ID}); len(got) != 0 {
			t.Fatalf("Clips(other speaker) = %v, want none", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{"", "x", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef"} {
			_, err := db.Clip(ctx, id)
			wantErr(t, err, corpus.ErrNotFound)
		}
		_, err := db.ClipByClientID(ctx, f.speaker.ID, "nope")
		wantErr(t, err, corpus.ErrNotFound)
	})
	MustAudit(t, db)
}

func TestDB_OpenClipFile(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustFixture(t, db)
	data := wav(777)
	c := mustCommitClip(t, db, newClip(f, nil, "a"), data)
	t.Run("OK", func(t *testing.T) {
		fh, err := db.OpenClipFile(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = fh.Close() }() // opened read-only
		got, err := io.ReadAll(fh)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read %d bytes, %v; want the clip's %d", len(got), err, len(data))
		}
		if _, err := fh.Write([]byte("x")); err == nil {
			t.Fatal("Write to a clip file = nil error, want read-only")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		// A symlink planted in clips/ pointing outside the data dir (S-08).
		outside := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		planted := "fedcba9876543210fedcba9876543210"
		if err := os.Symlink(outside, filepath.Join(db.Dir(), "clips", planted+".wav")); err != nil {
			t.Fatal(err)
		}
		defer func() {
			// The audit below must not find it.
			if err := os.Remove(filepath.Join(db.Dir(), "clips", planted+".wav")); err != nil {
				t.Error(err)
			}
		}()
		for _, id := range []string{"", "../dialect.db", "..%2fdialect.db", c.ID + "/..", "0123456789abcdef0123456789abcdef"} {
			_, err := db.OpenClipFile(id)
			wantErr(t, err, corpus.ErrNotFound)
		}
		if fh, err := db.OpenClipFile(planted); err == nil {
			_ = fh.Close() // opened read-only, and the test fails anyway
			t.Fatal("OpenClipFile(symlink outside) = nil error, want an error")
		}
	})
	MustAudit(t, db)
}
