package recorder_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
)

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// receiveAll creates a resumable upload of audio and sends all of it.
func (e *env) receiveAll(sp *corpus.User, task *recorder.Task, audio []byte, sum, clientID string) *corpus.ResumableUpload {
	e.t.Helper()
	ctx := context.Background()
	up, created, err := e.svc.CreateResumable(ctx, sp, recorder.ResumableRequest{ClientClipID: clientID, TaskID: task.ID,
		NoiseBand: task.NoiseBand, Length: int64(len(audio)), SHA256: sum})
	if err != nil || !created {
		e.t.Fatalf("CreateResumable: %v, created %v", err, created)
	}
	if _, err := e.db.AppendResumable(ctx, up.ID, corpus.Chunk{Body: bytes.NewReader(audio)}); err != nil {
		e.t.Fatalf("AppendResumable: %v", err)
	}
	return up
}

func TestCreateResumable(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) { p.Modes = []string{"monologue"} })
	sp, other := e.speaker("a", true), e.speaker("b", true)
	task := e.nextTask(sp)
	if task.Mode != "monologue" {
		t.Fatalf("task mode %s", task.Mode)
	}
	ok := recorder.ResumableRequest{ClientClipID: newUUID(), TaskID: task.ID, NoiseBand: task.NoiseBand, Length: 1000, SHA256: hexSHA(nil)}
	for _, tt := range []struct {
		name   string
		mutate func(*recorder.ResumableRequest)
		who    *corpus.User
		want   error
	}{
		{"bad uuid", func(r *recorder.ResumableRequest) { r.ClientClipID = "x" }, sp, recorder.ErrBadRequest},
		{"bad sha256", func(r *recorder.ResumableRequest) { r.SHA256 = "abc" }, sp, recorder.ErrBadRequest},
		{"empty", func(r *recorder.ResumableRequest) { r.Length = 0 }, sp, recorder.ErrBadRequest},
		{"too long", func(r *recorder.ResumableRequest) { r.Length = corpus.MaxResumableLength + 1 }, sp, corpus.ErrChunkTooLarge},
		{"wrong band", func(r *recorder.ResumableRequest) { r.NoiseBand = "other" }, sp, recorder.ErrBadRequest},
		{"another's task", func(*recorder.ResumableRequest) {}, other, corpus.ErrNotFound},
	} {
		req := ok
		tt.mutate(&req)
		if _, _, err := e.svc.CreateResumable(ctx, tt.who, req); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	up, created, err := e.svc.CreateResumable(ctx, sp, ok)
	if err != nil || !created {
		t.Fatal(err)
	}
	// A repeat (upper-case ids are the same take) gets the same upload.
	again := ok
	again.SHA256 = hexSHA(nil)
	again.ClientClipID = string(bytes.ToUpper([]byte(ok.ClientClipID)))
	if up2, created, err := e.svc.CreateResumable(ctx, sp, again); err != nil || created || up2.ID != up.ID {
		t.Fatalf("repeat: %v, created %v", err, created)
	}
	again.Length = 2000
	if _, _, err := e.svc.CreateResumable(ctx, sp, again); !errors.Is(err, corpus.ErrConflict) {
		t.Fatalf("another upload under the id: %v", err)
	}
}

// TestIngestResumable: a finished upload gets the receipt a clip POST of
// the same bytes gets; a wrong digest or bytes that are not a WAV delete
// the upload and store nothing.
func TestIngestResumable(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, recorder.Options{}, func(p *corpus.Project) { p.Modes = []string{"monologue"} })
	sp := e.speaker("a", true)
	task := e.nextTask(sp)
	audio := clipFor(task, 1)

	up := e.receiveAll(sp, task, audio, hexSHA(audio), newUUID())
	r, created, err := e.svc.IngestResumable(ctx, sp, up.ID)
	if err != nil || !created || r.Status != corpus.StatusPendingReview || r.SHA256 != hexSHA(audio) {
		t.Fatalf("IngestResumable: %+v, %v, %v", r, created, err)
	}
	direct, _, err := e.ingest(sp, task, audio, "", newUUID())
	if err != nil {
		t.Fatal(err)
	}
	direct.ClipID = r.ClipID
	a, _ := json.Marshal(direct)
	b, _ := json.Marshal(r)
	if !bytes.Equal(a, b) {
		t.Fatalf("receipts differ:\n resumable %s\n ingest    %s", b, a)
	}
	// Finishing again (a retry) and asking: the same receipt.
	if r2, created, err := e.svc.IngestResumable(ctx, sp, up.ID); err != nil || created || r2.ClipID != r.ClipID {
		t.Fatalf("again: %v, %v, %v", r2, created, err)
	}
	if r3, err := e.svc.ResumableReceipt(ctx, sp, up.ID); err != nil || r3.ClipID != r.ClipID {
		t.Fatalf("ResumableReceipt: %v, %v", r3, err)
	}
	if _, err := e.svc.ResumableReceipt(ctx, e.speaker("b", true), up.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("another speaker's receipt: %v", err)
	}

	// The take stored by a clip POST while the upload ran (or before a
	// crash kept the upload from being marked): its receipt stands.
	id := newUUID()
	up = e.receiveAll(sp, task, audio, hexSHA(audio), id)
	if _, err := e.svc.ResumableReceipt(ctx, sp, up.ID); !errors.Is(err, recorder.ErrUploadIncomplete) {
		t.Fatalf("receipt before finishing: %v", err)
	}
	posted, _, err := e.ingest(sp, task, audio, "", id)
	if err != nil {
		t.Fatal(err)
	}
	if r, created, err := e.svc.IngestResumable(ctx, sp, up.ID); err != nil || created || r.ClipID != posted.ClipID {
		t.Fatalf("finish after a POST of the take: %v, %v, %v", r, created, err)
	}
	if got, _ := e.db.Resumable(ctx, up.ID); got.ClipID != posted.ClipID {
		t.Fatalf("upload not marked finished: %+v", got)
	}

	// Wrong digest.
	up = e.receiveAll(sp, task, audio, hexSHA([]byte("another take")), newUUID())
	if _, _, err := e.svc.IngestResumable(ctx, sp, up.ID); !errors.Is(err, corpus.ErrChecksumMismatch) {
		t.Fatalf("wrong digest: %v", err)
	}
	if _, err := e.db.Resumable(ctx, up.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("upload with a wrong digest kept: %v", err)
	}
	// Not a WAV.
	junk := bytes.Repeat([]byte("junk"), 5000)
	up = e.receiveAll(sp, task, junk, hexSHA(junk), newUUID())
	var na *recorder.NotAudioError
	if _, _, err := e.svc.IngestResumable(ctx, sp, up.ID); !errors.As(err, &na) {
		t.Fatalf("not a WAV: %v", err)
	}
	if _, err := e.db.Resumable(ctx, up.ID); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("upload of junk kept: %v", err)
	}
	if tmp, clips := e.leftovers(); tmp != 0 || clips != 3 {
		t.Fatalf("tmp %d, clips %d; want 0, 3", tmp, clips)
	}
	e.audit()
}
