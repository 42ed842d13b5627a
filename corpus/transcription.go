package corpus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Transcription of monologues and dialogues (issue 7). The rules, where the
// spec leaves them open:
//
//   - Each clip has at most one working draft, shared by everyone who may
//     transcribe the clip. A save names the version it was based on; a save
//     based on anything but the current version is ErrStaleDraft (→ 409 with
//     the current version), so last write wins only among writers who saw
//     the latest draft.
//   - A submitted transcription is stored append-only with its lint
//     findings. When the clip is waiting for review (pending_review), the
//     transcription becomes the clip's transcript in the same transaction
//     (applied), so the reviewer judges audio and text together. A decision
//     event from the clip's status to the same status, reason
//     ReasonTranscription, marks it in the clip's history either way.
//   - A clip the checks or a review rejected cannot be transcribed
//     (ErrNotTranscribable). An accepted clip can: its transcription is
//     stored unapplied and waits for a review of its own (the review queue
//     does not pick those up yet).

// ReasonTranscription is the reason of the decision event a submitted
// transcription appends (status unchanged).
const ReasonTranscription = "transcription"

// Transcription errors.
var (
	// ErrStaleDraft: the draft changed since the version the writer read.
	ErrStaleDraft = errors.New("the draft has changed since it was read")
	// ErrNotTranscribable: the clip is rejected, or not a monologue or
	// dialogue.
	ErrNotTranscribable = errors.New("this clip cannot be transcribed")
)

// Segment is one time-aligned utterance of a transcription: seconds from
// the start of the recording, the 0-based channel it was heard on (0 for
// mono), and its text (one line).
type Segment struct {
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Channel int     `json:"channel"`
	Text    string  `json:"text"`
}

// Cursor is where the transcriber was: a segment index and a character
// offset (code points) in its text.
type Cursor struct {
	Segment int `json:"segment"`
	Offset  int `json:"offset"`
}

// TranscriptionDraft is a clip's working draft.
type TranscriptionDraft struct {
	ClipID    string    `json:"clip_id"`
	Version   int64     `json:"version"` // 1, 2, …; 0 = no draft yet
	Segments  []Segment `json:"segments"`
	Cursor    Cursor    `json:"cursor"`
	UpdatedBy int64     `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Transcription is a submitted, time-aligned transcription.
type Transcription struct {
	ID         int64     `json:"id"`
	ClipID     string    `json:"clip_id"`
	AuthorID   int64     `json:"author_id"`
	DecisionID int64     `json:"decision_id,omitempty"`
	Segments   []Segment `json:"segments"`
	// Text is the segments' texts, one line each, in time order: the clip's
	// transcript when applied.
	Text string `json:"text"`
	// Lint is the findings the linter left (warnings), as JSON.
	Lint      json.RawMessage `json:"lint"`
	Applied   bool            `json:"applied"`
	CreatedAt time.Time       `json:"created_at"`
}

// MaxSegments bounds a transcription (a 4-hour monologue cut at pauses).
const MaxSegments = 20000

// ValidateSegments checks segments against a recording of durationS seconds
// and channels channels: finite, 0 ≤ start < end ≤ duration (+10 ms of
// slack for rounding), a known channel, one line of text each.
func ValidateSegments(segs []Segment, durationS float64, channels int) error {
	if len(segs) > MaxSegments {
		return invalidf("%d segments, at most %d", "共 %d 個段落，最多只能有 %d 個", len(segs), MaxSegments)
	}
	for i, s := range segs {
		switch {
		case math.IsNaN(s.Start) || math.IsNaN(s.End) || math.IsInf(s.Start, 0) || math.IsInf(s.End, 0):
			return invalidf("segment %d: times must be numbers", "第 %d 段：時間必須是數字", i+1)
		case s.Start < 0 || s.End <= s.Start:
			return invalidf("segment %d: want 0 <= start < end", "第 %d 段：開始時間必須不小於 0，且早於結束時間", i+1)
		case durationS > 0 && s.End > durationS+0.01:
			return invalidf("segment %d ends at %.3f s, after the recording (%.3f s)", "第 %d 段結束於 %.3f 秒，超過錄音長度（%.3f 秒）", i+1, s.End, durationS)
		case s.Channel < 0 || s.Channel >= max(channels, 1):
			return invalidf("segment %d: channel %d, want 0-%d", "第 %d 段：聲道 %d 不存在，須為 0 至 %d", i+1, s.Channel, max(channels, 1)-1)
		}
		for _, r := range s.Text {
			if r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' {
				return invalidf("segment %d: text must be one line", "第 %d 段：文字只能有一行", i+1)
			}
		}
	}
	return nil
}

// SaveDraft stores d as the clip's draft if base is its current version (0
// when it has none), setting d.Version to base+1 and d.UpdatedAt. Otherwise
// ErrStaleDraft, and d.Version is set to the current version.
func (db *DB) SaveDraft(ctx context.Context, d *TranscriptionDraft, base int64) error {
	if !validID(d.ClipID) {
		return ErrNotFound
	}
	if d.Segments == nil {
		d.Segments = []Segment{}
	}
	segs, err := json.Marshal(d.Segments)
	if err != nil {
		return err
	}
	cur, err := json.Marshal(d.Cursor)
	if err != nil {
		return err
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		var v int64
		err := t.QueryRowContext(ctx, `SELECT version FROM transcription_drafts WHERE clip_id = ?`, d.ClipID).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return mapErr(err)
		}
		if v != base {
			d.Version = v
			return ErrStaleDraft
		}
		d.Version, d.UpdatedAt = base+1, t.now
		_, err = t.ExecContext(ctx, `INSERT INTO transcription_drafts (clip_id, version, segments, cursor, updated_by, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (clip_id) DO UPDATE SET version = excluded.version,
			segments = excluded.segments, cursor = excluded.cursor, updated_by = excluded.updated_by,
			updated_at = excluded.updated_at`,
			d.ClipID, d.Version, string(segs), string(cur), d.UpdatedBy, nanos(t.now))
		return mapErr(err)
	})
}

// Draft returns the clip's draft; ErrNotFound when it has none.
func (db *DB) Draft(ctx context.Context, clipID string) (*TranscriptionDraft, error) {
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	d := &TranscriptionDraft{ClipID: clipID}
	var segs, cur string
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT version, segments, cursor, updated_by, updated_at
		FROM transcription_drafts WHERE clip_id = ?`, clipID).Scan(&d.Version, &segs, &cur, &d.UpdatedBy, &at)
	if err != nil {
		return nil, mapErr(err)
	}
	d.UpdatedAt = fromNanos(at)
	if err := json.Unmarshal([]byte(segs), &d.Segments); err != nil {
		return nil, fmt.Errorf("draft %s: %w", clipID, err)
	}
	_ = json.Unmarshal([]byte(cur), &d.Cursor)
	return d, nil
}

// SubmitTranscription stores tr (setting ID, CreatedAt, Applied and
// DecisionID) and, when the clip is waiting for review, makes tr.Text its
// transcript; it appends the ReasonTranscription event, all in one
// transaction. ErrNotTranscribable for a rejected clip.
func (db *DB) SubmitTranscription(ctx context.Context, tr *Transcription) error {
	if !validID(tr.ClipID) {
		return ErrNotFound
	}
	segs, err := json.Marshal(tr.Segments)
	if err != nil {
		return err
	}
	if len(tr.Lint) == 0 {
		tr.Lint = json.RawMessage("[]")
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		c, err := findClip(ctx, t, `WHERE id = ?`, tr.ClipID)
		if err != nil {
			return err
		}
		if c.Status == StatusRejected {
			return ErrNotTranscribable
		}
		tr.Applied = c.Status == StatusPendingReview
		d := &Decision{ClipID: c.ID, AuthorID: tr.AuthorID, To: c.Status, Reason: ReasonTranscription}
		if err := appendDecision(ctx, t, d); err != nil {
			return err
		}
		tr.DecisionID, tr.CreatedAt = d.ID, t.now
		res, err := t.ExecContext(ctx, `INSERT INTO transcriptions (clip_id, author_id, decision_id, segments, text, lint, applied, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tr.ClipID, tr.AuthorID, tr.DecisionID, string(segs), tr.Text, string(tr.Lint),
			boolInt(tr.Applied), nanos(t.now))
		if err != nil {
			return mapErr(err)
		}
		if tr.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if tr.Applied {
			if _, err := t.ExecContext(ctx, `UPDATE clips SET transcript = ? WHERE id = ?`, tr.Text, c.ID); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const transcriptionColumns = `id, clip_id, author_id, COALESCE(decision_id, 0), segments, text, lint, applied, created_at`

func scanTranscription(s scanner) (*Transcription, error) {
	var (
		tr         Transcription
		segs, lint string
		applied    int
		at         int64
	)
	if err := s.Scan(&tr.ID, &tr.ClipID, &tr.AuthorID, &tr.DecisionID, &segs, &tr.Text, &lint, &applied, &at); err != nil {
		return nil, mapErr(err)
	}
	if err := json.Unmarshal([]byte(segs), &tr.Segments); err != nil {
		return nil, fmt.Errorf("transcription %d: %w", tr.ID, err)
	}
	tr.Lint, tr.Applied, tr.CreatedAt = json.RawMessage(lint), applied == 1, fromNanos(at)
	return &tr, nil
}

// LatestTranscription returns the clip's newest submitted transcription;
// ErrNotFound when there is none.
func (db *DB) LatestTranscription(ctx context.Context, clipID string) (*Transcription, error) {
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	return scanTranscription(db.r.QueryRowContext(ctx, `SELECT `+transcriptionColumns+`
		FROM transcriptions WHERE clip_id = ? ORDER BY id DESC LIMIT 1`, clipID))
}

// transcription returns a transcription by id; ErrNotFound when there is
// none.
func (db *DB) transcription(ctx context.Context, id int64) (*Transcription, error) {
	return scanTranscription(db.r.QueryRowContext(ctx, `SELECT `+transcriptionColumns+`
		FROM transcriptions WHERE id = ?`, id))
}

// AppliedTranscriptionAt returns the newest applied transcription of the
// clip submitted at or before at (by the corpus clock). Releases do not
// use it: they freeze the transcription's id with the clip
// (ReleaseClip.TranscriptionID), which a clock set back cannot fool.
// ErrNotFound when there is none.
func (db *DB) AppliedTranscriptionAt(ctx context.Context, clipID string, at time.Time) (*Transcription, error) {
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	return scanTranscription(db.r.QueryRowContext(ctx, `SELECT `+transcriptionColumns+`
		FROM transcriptions WHERE clip_id = ? AND applied = 1 AND created_at <= ? ORDER BY id DESC LIMIT 1`,
		clipID, nanos(at)))
}
