package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dialect-corpus/dialect/corpus"
)

// ErrUploadIncomplete: a resumable upload has no receipt yet, because bytes
// are missing or it has not been finished (→ 404 upload_incomplete).
var ErrUploadIncomplete = errors.New("upload incomplete")

// ResumableRequest describes a long recording before its bytes arrive:
// what a tus creation request says in Upload-Length and Upload-Metadata.
type ResumableRequest struct {
	ClientClipID string // a UUID, as for a clip
	TaskID       string
	NoiseBand    string
	Transcript   string // optional, as for a clip
	Length       int64  // the whole file, in bytes
	SHA256       string // the whole file's digest, hex; checked when the last byte arrives
}

// CreateResumable checks a long recording's description as Ingest checks a
// clip's fields, before any audio arrives, and stores a resumable upload
// for it. created is false when the speaker already has an upload for this
// take (the same client clip id, task, length and digest): a creation
// retried after a lost response gets the first upload back. Any other
// reuse of a client clip id, by an upload or a clip, is ErrConflict.
func (s *Service) CreateResumable(ctx context.Context, speaker *corpus.User, req ResumableRequest) (up *corpus.ResumableUpload, created bool, err error) {
	if speaker == nil {
		return nil, false, corpus.ErrNotFound
	}
	// The audio comes later; http.NoBody stands in for it.
	clientID, err := checkSubmission(&Submission{ClientClipID: req.ClientClipID, TaskID: req.TaskID,
		NoiseBand: req.NoiseBand, Transcript: req.Transcript, Audio: http.NoBody})
	if err != nil {
		return nil, false, err
	}
	sum := strings.ToLower(req.SHA256)
	switch {
	case len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "":
		return nil, false, badRequest("sha256 must be the whole file's SHA-256 in 64 hex digits", "錄音檔的校驗碼格式不對，請重新上傳")
	case req.Length <= 0:
		return nil, false, badRequest("upload length must be positive", "上傳長度不正確，請重新上傳")
	case req.Length > corpus.MaxResumableLength:
		return nil, false, fmt.Errorf("upload length %d above %d: %w", req.Length, int64(corpus.MaxResumableLength), corpus.ErrChunkTooLarge)
	}
	if _, _, _, err := s.prepare(ctx, speaker, req.TaskID, req.NoiseBand, req.Transcript); err != nil {
		return nil, false, err
	}
	unlock, err := s.locks.lock(ctx, clipLockKey(speaker.ID, clientID))
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	same := func() (*corpus.ResumableUpload, error) {
		old, err := s.db.ResumableByClientID(ctx, speaker.ID, clientID)
		if err != nil {
			return nil, err
		}
		if old.TaskID != req.TaskID || old.Length != req.Length || old.SHA256 != sum {
			return nil, fmt.Errorf("client clip id %s is another upload's: %w", clientID, corpus.ErrConflict)
		}
		return old, nil
	}
	if old, err := same(); err == nil {
		return old, false, nil
	} else if !errors.Is(err, corpus.ErrNotFound) {
		return nil, false, err
	}
	up = &corpus.ResumableUpload{SpeakerID: speaker.ID, TaskID: req.TaskID, ClientClipID: clientID,
		NoiseBand: req.NoiseBand, Transcript: req.Transcript, Length: req.Length, SHA256: sum}
	// A write: a client that hangs up must not roll it back halfway.
	if err := s.db.CreateResumable(context.WithoutCancel(ctx), up); err != nil {
		if errors.Is(err, corpus.ErrConflict) {
			// Another process created it first, or a clip holds the id.
			if old, err := same(); err == nil {
				return old, false, nil
			}
		}
		return nil, false, err
	}
	return up, true, nil
}

// IngestResumable finishes a complete resumable upload through the same
// path as Ingest: the whole file's SHA-256 is checked against the declared
// one (corpus.ErrChecksumMismatch), then the clip is measured, linted and
// committed with its receipt, and the upload is marked finished. An upload
// whose bytes do not match their digest, or are not a readable WAV
// (*NotAudioError, as Ingest), can never become a clip and is deleted. Any
// other failure leaves it complete and whole, to be finished again. created
// is false when the take was already stored (a retry): its receipt is
// returned.
func (s *Service) IngestResumable(ctx context.Context, speaker *corpus.User, id string) (r *Receipt, created bool, err error) {
	if speaker == nil {
		return nil, false, corpus.ErrNotFound
	}
	up, err := s.db.Resumable(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if up.SpeakerID != speaker.ID {
		return nil, false, corpus.ErrNotFound
	}
	if !up.Complete() {
		return nil, false, fmt.Errorf("upload %s has %d of %d bytes: %w", id, up.Offset, up.Length, ErrUploadIncomplete)
	}
	unlock, err := s.locks.lock(ctx, clipLockKey(speaker.ID, up.ClientClipID))
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	// From here on the upload is complete: a client that hangs up must not
	// undo what follows.
	ctx = context.WithoutCancel(ctx)
	if r, err := s.finishedReceipt(ctx, up, true); err == nil {
		return r, false, nil
	} else if !errors.Is(err, ErrUploadIncomplete) {
		return nil, false, err
	}

	task, pc, text, err := s.prepare(ctx, speaker, up.TaskID, up.NoiseBand, up.Transcript)
	if err != nil {
		return nil, false, err
	}
	u, err := s.db.ResumedUpload(ctx, id)
	if err != nil {
		return nil, false, err
	}
	// Discard is safe after CommitClip; it removes only the Upload's own name.
	// Best effort: a temp name it fails to remove is the reconciler's
	// (corpus.Open removes stale files in tmp/), and the outcome is decided.
	defer func() { _ = u.Discard() }()
	if got := u.SHA256(); got != up.SHA256 {
		_ = u.Discard()
		if err := s.db.DeleteResumable(ctx, id); err != nil {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("upload %s: the file's SHA-256 is %s, not the declared %s: %w", id, got, up.SHA256, corpus.ErrChecksumMismatch)
	}
	r, created, err = s.commit(ctx, speaker, task, pc, up.ClientClipID, text, u)
	if err != nil {
		if _, ok := errors.AsType[*NotAudioError](err); ok {
			_ = u.Discard()
			if derr := s.db.DeleteResumable(ctx, id); derr != nil {
				return nil, false, errors.Join(err, derr)
			}
		}
		return nil, false, err
	}
	// The clip is stored and its receipt stands even if this fails: the
	// upload is then marked finished when it is finished again.
	_ = s.db.FinishResumable(ctx, id, r.ClipID)
	return r, created, nil
}

// ResumableReceipt returns the receipt of the speaker's finished upload, or
// ErrUploadIncomplete while it has none. Another speaker's upload is
// corpus.ErrNotFound.
func (s *Service) ResumableReceipt(ctx context.Context, speaker *corpus.User, id string) (*Receipt, error) {
	if speaker == nil {
		return nil, corpus.ErrNotFound
	}
	up, err := s.db.Resumable(ctx, id)
	if err != nil {
		return nil, err
	}
	if up.SpeakerID != speaker.ID {
		return nil, corpus.ErrNotFound
	}
	// A read: a missing record of the finish is repaired only by a PATCH.
	return s.finishedReceipt(ctx, up, false)
}

// finishedReceipt returns the receipt of the clip an upload became:
// recorded in the upload, or, after a crash between the commit and that
// record, the speaker's clip with the upload's client clip id and digest
// (which it then records, when repair is set). ErrUploadIncomplete when
// there is none.
func (s *Service) finishedReceipt(ctx context.Context, up *corpus.ResumableUpload, repair bool) (*Receipt, error) {
	var c *corpus.Clip
	var err error
	if up.Done() {
		c, err = s.db.Clip(ctx, up.ClipID)
	} else if up.Complete() {
		c, err = s.db.ClipByClientID(ctx, up.SpeakerID, up.ClientClipID)
		if err == nil && c.SHA256 != up.SHA256 {
			return nil, fmt.Errorf("client clip id %s holds another take: %w", up.ClientClipID, corpus.ErrConflict)
		}
	} else {
		return nil, ErrUploadIncomplete
	}
	if errors.Is(err, corpus.ErrNotFound) {
		return nil, ErrUploadIncomplete
	}
	if err != nil {
		return nil, err
	}
	var r Receipt
	if err := json.Unmarshal(c.Receipt, &r); err != nil {
		return nil, fmt.Errorf("clip %s: stored receipt: %w", c.ID, err)
	}
	if !up.Done() && repair {
		_ = s.db.FinishResumable(context.WithoutCancel(ctx), up.ID, c.ID)
	}
	return &r, nil
}

// clipLockKey is the in-process lock of one take, shared by Ingest and the
// resumable path.
func clipLockKey(speakerID int64, clientID string) string {
	return "clip:" + strconv.FormatInt(speakerID, 10) + ":" + clientID
}
