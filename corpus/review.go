package corpus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Human review (issue 6). The rules, where the spec leaves them open:
//
//   - A reviewer reviews clips of their own project that passed the automatic
//     checks (status pending_review), never their own recordings, and votes on
//     a clip at most once, ever (UNIQUE in reviews). So an appeal always goes
//     to reviewers who have not seen the clip.
//   - NextReview claims the clip for the reviewer (ClaimFor, 10 min): no other
//     reviewer is handed it, or may vote on it, while the claim lives. A claim
//     also names its holder, the reviewer's tab or session that asked
//     (NextReviewFor): asking again from the same holder returns the same
//     clip and renews the claim; another holder of the same reviewer (a
//     second tab) is handed another clip, never one a tab of theirs holds.
//   - Every vote is a decision event (author = reviewer, reason = "accept" or
//     the reason code, the note). The project's ReviewsRequired says how many
//     agreeing votes decide: the vote that brings an outcome to that count
//     moves the clip to accepted or rejected; other votes leave it
//     pending_review (from = to). With 2, accept + reject waits for a third
//     review, which decides.
//   - A speaker may appeal a review rejection once (not an automatic one: the
//     receipt already says why, and a new take is the remedy). The appeal is
//     the event rejected → pending_review (reason "appeal"), which opens round
//     1: votes are counted again from zero, by reviewers new to the clip.
//   - An admin may override any decision (Override): a plain event, shown to
//     the speaker like every other.
//   - Acting on a clip of another project, or one's own: ErrForbiddenClip, a
//     kind of ErrNotFound (→ 404, logged).

// ClaimFor is how long NextReview reserves a clip for its reviewer.
const ClaimFor = 10 * time.Minute

// Review errors.
var (
	// ErrForbiddenClip: the clip exists but is not the caller's to act on
	// (another project, or their own recording). It is an ErrNotFound.
	ErrForbiddenClip = fmt.Errorf("%w: not the caller's clip to act on", ErrNotFound)
	// ErrNotReviewable: the clip is not waiting for review (decided, or
	// rejected by the automatic checks).
	ErrNotReviewable = errors.New("clip is not waiting for review")
	// ErrAlreadyReviewed: this reviewer has voted on the clip before.
	ErrAlreadyReviewed = errors.New("already reviewed this clip")
	// ErrClaimed: another reviewer holds the clip.
	ErrClaimed = errors.New("another reviewer is reviewing this clip")
	// ErrNotAppealable: not a review rejection, or already appealed once.
	ErrNotAppealable = errors.New("this clip cannot be appealed")
)

// Vote is a reviewer's verdict.
type Vote string

// Votes.
const (
	VoteAccept Vote = "accept"
	VoteReject Vote = "reject"
)

// Event reasons that are not reason codes.
const (
	ReasonAuto   = "auto"   // the automatic checks (CommitClip)
	ReasonAccept = "accept" // a reviewer's or an admin's accept
	ReasonAppeal = "appeal" // the speaker's appeal
)

// ReviewReason is one code of the fixed, published list of rejection
// reasons, with its labels.
type ReviewReason struct {
	Code      string `json:"code"`
	Key       string `json:"key"` // keyboard shortcut on the review page
	ZH        string `json:"label_zh"`
	EN        string `json:"label_en"`
	NeedsNote bool   `json:"needs_note"`
}

// ReviewReasons is the fixed list (GET /api/v1/review/reasons).
var ReviewReasons = []ReviewReason{
	{"wrong_text", "1", "錄音內容與文字不符", "the recording does not match the text", false},
	{"unintelligible", "2", "聽不清楚", "unintelligible", false},
	{"wrong_dialect", "3", "不是本計畫的語言或腔調", "wrong language or dialect", false},
	{"noise_band_wrong", "4", "噪音程度與任務要求不符", "noise level does not match the task's band", false},
	{"multiple_speakers", "5", "有一人以上說話", "more than one speaker", false},
	{"clipping_distortion", "6", "爆音或失真", "clipping or distortion", false},
	{"other", "7", "其他（見備註）", "other (see the note)", true},
}

// ReasonByCode returns the reason with code.
func ReasonByCode(code string) (ReviewReason, bool) {
	for _, r := range ReviewReasons {
		if r.Code == code {
			return r, true
		}
	}
	return ReviewReason{}, false
}

// MaxNoteBytes bounds a review or appeal note.
const MaxNoteBytes = 2000

// ReviewInput is one vote.
type ReviewInput struct {
	ClipID     string
	ReviewerID int64
	Vote       Vote
	Reason     string // a ReviewReasons code; empty for accept
	Note       string // required for "other"
	MarkerMS   *int64 // optional time marker into the audio
}

func (in *ReviewInput) validate() error {
	if utf8.RuneCountInString(in.Note) > MaxNoteBytes || !utf8.ValidString(in.Note) {
		return invalidf("the note must be valid text of at most %d characters", "備註必須是有效的文字，最多 %d 字", MaxNoteBytes)
	}
	if in.MarkerMS != nil && *in.MarkerMS < 0 {
		return invalidf("the time marker is negative", "時間標記不可為負數")
	}
	switch in.Vote {
	case VoteAccept:
		if in.Reason != "" && in.Reason != ReasonAccept {
			return invalidf("accept takes no reason", "通過不需要填原因")
		}
		in.Reason = ReasonAccept
	case VoteReject:
		r, ok := ReasonByCode(in.Reason)
		if !ok {
			return &InvalidError{Message: fmt.Sprintf("unknown reason %q (see /api/v1/review/reasons)", in.Reason),
				MessageZH: "不通過的原因不在清單中，請從清單選擇"}
		}
		if r.NeedsNote && in.Note == "" {
			return &InvalidError{Message: fmt.Sprintf("reason %q needs a note", in.Reason),
				MessageZH: "選「" + r.ZH + "」時必須填寫備註"}
		}
	default:
		return invalidf("decision must be accept or reject", "審核結果只能是通過或不通過")
	}
	return nil
}

// ReviewResult is what a vote did.
type ReviewResult struct {
	Decision *Decision  `json:"decision"`
	Status   ClipStatus `json:"status"` // the clip's status after the vote
	Round    int        `json:"round"`
	// Votes is how many votes the round has, including this one, and
	// Required how many agreeing ones decide.
	Votes    int  `json:"votes"`
	Required int  `json:"required"`
	Replayed bool `json:"replayed,omitempty"` // the same vote sent again
}

// ReviewItem is a clip as a reviewer gets it.
type ReviewItem struct {
	Clip         *Clip
	Prompt       *Prompt // nil for monologue and dialogue
	ClaimedUntil time.Time
	Round        int
	Votes        int // votes so far in the round (never whose, nor which)
	Required     int
	AppealNote   string // the speaker's note, in an appeal round
}

// reviewer loads a reviewer and checks the role.
func reviewer(ctx context.Context, t *tx, id int64) (*User, error) {
	u, err := findUser(ctx, t, `WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	if u.Role != RoleReviewer || u.Disabled || u.ProjectID == 0 {
		return nil, fmt.Errorf("user %d is not a reviewer: %w", id, ErrNotFound)
	}
	return u, nil
}

// reviewableBy loads a clip and checks it is the reviewer's to see: their
// project, not their own recording.
func reviewableBy(ctx context.Context, t *tx, u *User, clipID string) (*Clip, error) {
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	c, err := findClip(ctx, t, `WHERE id = ?`, clipID)
	if err != nil {
		return nil, err
	}
	if c.ProjectID != u.ProjectID || c.SpeakerID == u.ID {
		return nil, ErrForbiddenClip
	}
	return c, nil
}

// round is the clip's review round: the number of appeals so far.
func round(ctx context.Context, t *tx, clipID string) (n int, appealNote string, err error) {
	rows, err := t.QueryContext(ctx, `SELECT note FROM decision_events WHERE clip_id = ? AND reason = ? AND author_id != 0 ORDER BY id`, clipID, ReasonAppeal)
	if err != nil {
		return 0, "", mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	for rows.Next() {
		n++
		if err := rows.Scan(&appealNote); err != nil {
			return 0, "", mapErr(err)
		}
	}
	return n, appealNote, mapErr(rows.Err())
}

func reviewsRequired(ctx context.Context, t *tx, projectID int64) (int, error) {
	var n int
	if err := t.QueryRowContext(ctx, `SELECT reviews_required FROM projects WHERE id = ?`, projectID).Scan(&n); err != nil {
		return 0, mapErr(err)
	}
	return max(n, 1), nil
}

// MaxHolderBytes bounds the holder a claim names (NextReviewFor).
const MaxHolderBytes = 128

// NextReview is NextReviewFor with the holder "": the reviewer's callers
// that name no tab share one claim.
func (db *DB) NextReview(ctx context.Context, reviewerID int64) (*ReviewItem, error) {
	return db.NextReviewFor(ctx, reviewerID, "")
}

// NextReviewFor hands the reviewer the next clip to review and claims it
// for ClaimFor on behalf of holder, one of the reviewer's tabs or sessions
// (an opaque key of at most MaxHolderBytes); nil when there is none. The
// holder's live claim, if any, comes first (asking twice from one tab gives
// the same clip). A clip any tab holds, the reviewer's own other tabs
// included, is not handed out again while the claim lives: two tabs of one
// reviewer review two clips, not one clip twice.
func (db *DB) NextReviewFor(ctx context.Context, reviewerID int64, holder string) (item *ReviewItem, err error) {
	if len(holder) > MaxHolderBytes {
		return nil, fmt.Errorf("%w: a claim holder is at most %d bytes", ErrInvalid, MaxHolderBytes)
	}
	err = db.update(ctx, func(ctx context.Context, t *tx) error {
		u, err := reviewer(ctx, t, reviewerID)
		if err != nil {
			return err
		}
		now := nanos(t.now)
		var id string
		err = t.QueryRowContext(ctx, `SELECT k.clip_id FROM review_claims k JOIN clips c ON c.id = k.clip_id
			WHERE k.reviewer_id = ? AND k.holder = ? AND k.expires_at > ? AND c.status = 'pending_review'
			AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.clip_id = k.clip_id AND r.reviewer_id = k.reviewer_id)
			ORDER BY k.expires_at LIMIT 1`, u.ID, holder, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			// The queue in order, from the (project_id, status, created_at,
			// id) index: what is skipped is this reviewer's own votes and the
			// live claims, not the corpus.
			err = t.QueryRowContext(ctx, `SELECT c.id FROM clips c
				WHERE c.project_id = ? AND c.status = 'pending_review' AND c.speaker_id != ?
				AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.clip_id = c.id AND r.reviewer_id = ?)
				AND NOT EXISTS (SELECT 1 FROM review_claims k WHERE k.clip_id = c.id AND k.expires_at > ?)
				ORDER BY c.created_at, c.id LIMIT 1`, u.ProjectID, u.ID, u.ID, now).Scan(&id)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return mapErr(err)
		}
		until := t.now.Add(ClaimFor)
		if _, err := t.ExecContext(ctx, `INSERT INTO review_claims (clip_id, reviewer_id, holder, expires_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (clip_id) DO UPDATE SET reviewer_id = excluded.reviewer_id, holder = excluded.holder,
			expires_at = excluded.expires_at`, id, u.ID, holder, nanos(until)); err != nil {
			return mapErr(err)
		}
		item, err = reviewItem(ctx, t, u, id)
		if item != nil {
			item.ClaimedUntil = until
		}
		return err
	})
	return item, err
}

// ReviewClip returns a clip as a reviewer sees it, without claiming it:
// ErrForbiddenClip for a clip of another project or the reviewer's own.
func (db *DB) ReviewClip(ctx context.Context, reviewerID int64, clipID string) (item *ReviewItem, err error) {
	err = db.view(ctx, func(t *tx) error {
		u, err := reviewer(ctx, t, reviewerID)
		if err != nil {
			return err
		}
		item, err = reviewItem(ctx, t, u, clipID)
		return err
	})
	return item, err
}

func reviewItem(ctx context.Context, t *tx, u *User, clipID string) (*ReviewItem, error) {
	c, err := reviewableBy(ctx, t, u, clipID)
	if err != nil {
		return nil, err
	}
	it := &ReviewItem{Clip: c}
	if it.Round, it.AppealNote, err = round(ctx, t, c.ID); err != nil {
		return nil, err
	}
	if it.Required, err = reviewsRequired(ctx, t, c.ProjectID); err != nil {
		return nil, err
	}
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM reviews WHERE clip_id = ? AND round = ?`, c.ID, it.Round).Scan(&it.Votes); err != nil {
		return nil, mapErr(err)
	}
	var until int64
	if err := t.QueryRowContext(ctx, `SELECT expires_at FROM review_claims WHERE clip_id = ? AND reviewer_id = ?`, c.ID, u.ID).Scan(&until); err == nil {
		it.ClaimedUntil = fromNanos(until)
	}
	if c.TaskID != "" {
		var pid sql.NullInt64
		if err := t.QueryRowContext(ctx, `SELECT prompt_id FROM tasks WHERE id = ?`, c.TaskID).Scan(&pid); err != nil {
			return nil, mapErr(err)
		}
		if pid.Valid {
			var p Prompt
			var created int64
			if err := t.QueryRowContext(ctx, `SELECT id, project_id, text, romanized, note, created_at FROM prompts WHERE id = ?`, pid.Int64).
				Scan(&p.ID, &p.ProjectID, &p.Text, &p.Romanized, &p.Note, &created); err != nil {
				return nil, mapErr(err)
			}
			p.CreatedAt = fromNanos(created)
			it.Prompt = &p
		}
	}
	return it, nil
}

// SubmitReview records a reviewer's vote: a decision event and its reviews
// row, the clip's new status and, when the vote accepts the clip, its ledger
// entry, all in one transaction (F-03). Sending the same vote again answers
// the first result with Replayed set, so a retry after a lost response is
// safe.
func (db *DB) SubmitReview(ctx context.Context, in ReviewInput) (res *ReviewResult, err error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	err = db.update(ctx, func(ctx context.Context, t *tx) error {
		u, err := reviewer(ctx, t, in.ReviewerID)
		if err != nil {
			return err
		}
		c, err := reviewableBy(ctx, t, u, in.ClipID)
		if err != nil {
			return err
		}
		// A vote this reviewer already cast.
		var (
			prevEvent         int64
			prevVote, prevWhy string
		)
		err = t.QueryRowContext(ctx, `SELECT event_id, vote, reason FROM reviews WHERE clip_id = ? AND reviewer_id = ?`, c.ID, u.ID).
			Scan(&prevEvent, &prevVote, &prevWhy)
		switch {
		case err == nil:
			if prevVote != string(in.Vote) || prevWhy != in.Reason {
				return ErrAlreadyReviewed
			}
			res, err = replayedReview(ctx, t, c, prevEvent)
			return err
		case !errors.Is(err, sql.ErrNoRows):
			return mapErr(err)
		}
		if c.Status != StatusPendingReview {
			return ErrNotReviewable
		}
		var holder int64
		err = t.QueryRowContext(ctx, `SELECT reviewer_id FROM review_claims WHERE clip_id = ? AND expires_at > ?`, c.ID, nanos(t.now)).Scan(&holder)
		if err == nil && holder != u.ID {
			return ErrClaimed
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return mapErr(err)
		}
		res = &ReviewResult{}
		if res.Round, _, err = round(ctx, t, c.ID); err != nil {
			return err
		}
		if res.Required, err = reviewsRequired(ctx, t, c.ProjectID); err != nil {
			return err
		}
		var same int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(vote = ?), 0) FROM reviews WHERE clip_id = ? AND round = ?`,
			string(in.Vote), c.ID, res.Round).Scan(&res.Votes, &same); err != nil {
			return mapErr(err)
		}
		res.Votes++
		to := StatusPendingReview
		if same+1 >= res.Required {
			to = StatusRejected
			if in.Vote == VoteAccept {
				to = StatusAccepted
			}
		}
		d := &Decision{ClipID: c.ID, AuthorID: u.ID, To: to, Reason: in.Reason, Note: in.Note}
		if err := appendDecision(ctx, t, d); err != nil {
			return err
		}
		var marker any
		if in.MarkerMS != nil {
			marker = *in.MarkerMS
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO reviews (event_id, clip_id, reviewer_id, round, vote, reason, marker_ms, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, c.ID, u.ID, res.Round, string(in.Vote), in.Reason, marker, nanos(t.now)); err != nil {
			return mapErr(err)
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM review_claims WHERE clip_id = ?`, c.ID); err != nil {
			return mapErr(err)
		}
		res.Decision, res.Status = d, to
		return nil
	})
	return res, err
}

func replayedReview(ctx context.Context, t *tx, c *Clip, eventID int64) (*ReviewResult, error) {
	d, err := scanDecision(t.QueryRowContext(ctx, `SELECT `+decisionColumns+` FROM decision_events WHERE id = ?`, eventID))
	if err != nil {
		return nil, err
	}
	res := &ReviewResult{Decision: d, Status: d.To, Replayed: true}
	if err := t.QueryRowContext(ctx, `SELECT round FROM reviews WHERE event_id = ?`, eventID).Scan(&res.Round); err != nil {
		return nil, mapErr(err)
	}
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM reviews WHERE clip_id = ? AND round = ? AND event_id <= ?`, c.ID, res.Round, eventID).Scan(&res.Votes); err != nil {
		return nil, mapErr(err)
	}
	res.Required, err = reviewsRequired(ctx, t, c.ProjectID)
	return res, err
}

// Appeal is a speaker's appeal of a review rejection of their clip: the
// event rejected → pending_review (reason "appeal", the note), once per
// clip. ErrNotFound for a clip that is not the speaker's.
func (db *DB) Appeal(ctx context.Context, speakerID int64, clipID, note string) (d *Decision, err error) {
	if utf8.RuneCountInString(note) > MaxNoteBytes || !utf8.ValidString(note) {
		return nil, invalidf("the note must be valid text of at most %d characters", "申訴說明必須是有效的文字，最多 %d 字", MaxNoteBytes)
	}
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	err = db.update(ctx, func(ctx context.Context, t *tx) error {
		c, err := findClip(ctx, t, `WHERE id = ?`, clipID)
		if err != nil {
			return err
		}
		if c.SpeakerID != speakerID {
			return ErrNotFound
		}
		if c.Status != StatusRejected {
			return ErrNotAppealable
		}
		n, _, err := round(ctx, t, c.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: appealed once already", ErrNotAppealable)
		}
		last, err := scanDecision(t.QueryRowContext(ctx, `SELECT `+decisionColumns+` FROM decision_events WHERE clip_id = ? ORDER BY id DESC LIMIT 1`, c.ID))
		if err != nil {
			return err
		}
		if last.AuthorID == 0 {
			return fmt.Errorf("%w: rejected by the automatic checks; record it again", ErrNotAppealable)
		}
		d = &Decision{ClipID: c.ID, AuthorID: speakerID, To: StatusPendingReview, Reason: ReasonAppeal, Note: note}
		if err := appendDecision(ctx, t, d); err != nil {
			return err
		}
		_, err = t.ExecContext(ctx, `DELETE FROM review_claims WHERE clip_id = ?`, c.ID)
		return mapErr(err)
	})
	return d, err
}

// Override is an admin's decision over whatever the reviews said: an event
// like any other (author, reason, note), shown to the speaker, with its
// ledger entry when it moves the clip into or out of accepted.
func (db *DB) Override(ctx context.Context, adminID int64, clipID string, to ClipStatus, reason, note string) (d *Decision, err error) {
	switch to {
	case StatusAccepted:
		if reason == "" {
			reason = ReasonAccept
		}
	case StatusRejected:
		if _, ok := ReasonByCode(reason); !ok {
			return nil, fmt.Errorf("%w: unknown reason %q", ErrInvalid, reason)
		}
	default:
		return nil, fmt.Errorf("%w: an override accepts or rejects", ErrInvalid)
	}
	if note == "" || utf8.RuneCountInString(note) > MaxNoteBytes || !utf8.ValidString(note) {
		return nil, fmt.Errorf("%w: an override needs a note of at most %d characters", ErrInvalid, MaxNoteBytes)
	}
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	err = db.update(ctx, func(ctx context.Context, t *tx) error {
		u, err := findUser(ctx, t, `WHERE id = ?`, adminID)
		if err != nil {
			return err
		}
		if u.Role != RoleAdmin {
			return ErrNotFound
		}
		d = &Decision{ClipID: clipID, AuthorID: adminID, To: to, Reason: reason, Note: note}
		if err := appendDecision(ctx, t, d); err != nil {
			return err
		}
		_, err = t.ExecContext(ctx, `DELETE FROM review_claims WHERE clip_id = ?`, clipID)
		return mapErr(err)
	})
	return d, err
}

// SetReviewsRequired sets how many agreeing reviews decide a project's clips.
func (db *DB) SetReviewsRequired(ctx context.Context, projectID int64, n int) error {
	if n < 1 || n > 3 {
		return fmt.Errorf("%w: reviews required %d: want 1-3", ErrInvalid, n)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error {
		return notFound(t.ExecContext(ctx, `UPDATE projects SET reviews_required = ? WHERE id = ?`, n, projectID))
	})
}

// EventKind says what made a decision event.
type EventKind string

// Event kinds.
const (
	KindAuto     EventKind = "auto"     // the automatic checks
	KindReview   EventKind = "review"   // a reviewer's vote
	KindAppeal   EventKind = "appeal"   // the speaker's appeal
	KindOverride EventKind = "override" // an admin's decision (or another author's)
)

// HistoryEvent is a decision event with what the speaker is shown of it.
type HistoryEvent struct {
	*Decision
	Kind     EventKind `json:"kind"`
	Vote     Vote      `json:"vote,omitempty"`
	Round    int       `json:"round"`
	MarkerMS *int64    `json:"marker_ms,omitempty"`
}

// History returns the decision histories of clips, oldest event first.
func (db *DB) History(ctx context.Context, clipIDs []string) (map[string][]*HistoryEvent, error) {
	out := make(map[string][]*HistoryEvent, len(clipIDs))
	err := db.view(ctx, func(t *tx) error {
		for _, id := range clipIDs {
			if !validID(id) {
				continue
			}
			rows, err := t.QueryContext(ctx, `SELECT `+prefixed("d.", decisionColumns)+`, r.vote, r.round, r.marker_ms
				FROM decision_events d LEFT JOIN reviews r ON r.event_id = d.id WHERE d.clip_id = ? ORDER BY d.id`, id)
			if err != nil {
				return mapErr(err)
			}
			round := 0
			for rows.Next() {
				var (
					d        Decision
					from, to string
					created  int64
					vote     sql.NullString
					rnd      sql.NullInt64
					marker   sql.NullInt64
				)
				if err := rows.Scan(&d.ID, &d.ClipID, &d.AuthorID, &from, &to, &d.Reason, &d.Note, &d.PrevHash, &d.Hash, &created,
					&vote, &rnd, &marker); err != nil {
					_ = rows.Close() // a read; the Scan error is the one to report
					return mapErr(err)
				}
				d.From, d.To, d.CreatedAt = ClipStatus(from), ClipStatus(to), fromNanos(created)
				ev := &HistoryEvent{Decision: &d, Round: round}
				switch {
				case d.AuthorID == 0:
					ev.Kind = KindAuto
				case vote.Valid:
					ev.Kind, ev.Vote, ev.Round = KindReview, Vote(vote.String), int(rnd.Int64)
					if marker.Valid {
						m := marker.Int64
						ev.MarkerMS = &m
					}
				case d.Reason == ReasonAppeal:
					round++
					ev.Kind, ev.Round = KindAppeal, round
				default:
					ev.Kind = KindOverride
				}
				out[id] = append(out[id], ev)
			}
			_ = rows.Close() // a read: rows.Err() is checked next
			if err := rows.Err(); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	return out, err
}

// prefixed puts p before every column of a comma-separated list.
func prefixed(p, cols string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(cols); i++ {
		c := cols[i]
		if start && c != ' ' && c != '\t' && c != '\n' {
			out = append(out, p...)
			start = false
		}
		if c == ',' {
			start = true
		}
		out = append(out, c)
	}
	return string(out)
}
