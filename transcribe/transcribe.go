// Package transcribe is the transcription workflow as the server sees it:
// who may transcribe a clip, speech-activity segments proposed from the
// audio, waveform peaks for a page that must open a 3-hour recording
// without loading it, the shared draft, and submission — every segment
// linted with the project's rules, refused while any has an error, stored
// time-aligned with its findings.
//
// Access, where the spec is silent: corpus has no transcriber role, so the
// transcribers of a project are its reviewers, and admins transcribe any
// project's clips. A speaker transcribes their own recordings. A reviewer
// never transcribes their own recordings (they have none by role, but the
// rule mirrors review's).
package transcribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
)

// Linter lints a text under a project's rules; recorder.Service is one.
type Linter interface {
	Lint(ctx context.Context, projectID int64, text string) ([]transcript.Finding, string, error)
}

// Options configure a Service.
type Options struct {
	// CacheBytes bounds the analyses kept in memory (default 96 MiB:
	// about twenty 3-hour mono recordings).
	CacheBytes int64
	// Propose are the default segment proposal settings.
	Propose ProposeOptions
}

// Service runs transcription over a corpus.
type Service struct {
	db    *corpus.DB
	lint  Linter
	opts  Options
	cache *cache
}

// New returns a Service over db, linting with lint.
func New(db *corpus.DB, lint Linter, opts Options) *Service {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 96 << 20
	}
	return &Service{db: db, lint: lint, opts: opts, cache: newCache(opts.CacheBytes)}
}

// Errors the server maps to statuses.
var (
	// ErrEmpty: a submission with no segment (→ 422).
	ErrEmpty = errors.New("transcribe: nothing to submit: no segment has text")
	// ErrTooLong: the joined text is longer than a transcript may be.
	ErrTooLong = errors.New("transcribe: the transcription is longer than 1 MiB")
)

// maxTextBytes is recorder's bound on a transcript.
const maxTextBytes = 1 << 20

// Clip loads a clip for u: the same corpus.ErrNotFound whether it does not
// exist or is not u's to transcribe (ids cannot be probed), and
// corpus.ErrNotTranscribable for a clip that is not a monologue or
// dialogue.
func (s *Service) Clip(ctx context.Context, u *corpus.User, id string) (*corpus.Clip, error) {
	c, err := s.db.Clip(ctx, id)
	if err != nil {
		return nil, err
	}
	if !May(u, c) {
		return nil, corpus.ErrNotFound
	}
	if c.Mode != string(validate.ModeMonologue) && c.Mode != string(validate.ModeDialogue) {
		return nil, corpus.ErrNotTranscribable
	}
	return c, nil
}

// May reports whether u may transcribe c: its speaker, a reviewer of its
// project who did not record it, or an admin.
func May(u *corpus.User, c *corpus.Clip) bool {
	if u == nil || u.Disabled {
		return false
	}
	switch u.Role {
	case corpus.RoleSpeaker:
		return c.SpeakerID == u.ID
	case corpus.RoleReviewer:
		return u.ProjectID != 0 && c.ProjectID == u.ProjectID && c.SpeakerID != u.ID
	case corpus.RoleAdmin:
		return true
	case corpus.RoleVendor:
		// Vendors download releases; they do not transcribe in the app.
		return false
	}
	return false // a role this switch does not know is refused
}

// receipt is the part of a stored receipt this package reads.
type receipt struct {
	Measurements *validate.Measurements `json:"measurements"`
}

// measured returns the receipt's per-channel noise floors and DC offsets
// (nil when the receipt lacks them).
func measured(c *corpus.Clip) (floors, dc []float64) {
	var r receipt
	if json.Unmarshal(c.Receipt, &r) != nil || r.Measurements == nil {
		return nil, nil
	}
	m := r.Measurements
	if len(m.Channels) == c.Channels && c.Channels > 1 {
		for _, ch := range m.Channels {
			floors, dc = append(floors, ch.NoiseFloorDBFS), append(dc, ch.DCOffset)
		}
		return floors, dc
	}
	if c.Channels <= 1 {
		return []float64{m.NoiseFloorDBFS}, []float64{m.DCOffset}
	}
	return nil, nil
}

// Analysis returns the clip's analysis, from the cache or one pass over
// its file.
func (s *Service) Analysis(ctx context.Context, c *corpus.Clip) (*Analysis, error) {
	return s.cache.get(c.ID, func() (*Analysis, error) {
		f, err := s.db.OpenClipFile(c.ID)
		if err != nil {
			return nil, err
		}
		defer func() { _ = f.Close() }() // read-only
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		_, dc := measured(c)
		return Analyze(f, st.Size(), dc)
	})
}

// Propose returns the clip's proposed segments; gapS > 0 overrides the
// pause length that ends a segment.
func (s *Service) Propose(ctx context.Context, c *corpus.Clip, gapS float64) ([]corpus.Segment, error) {
	a, err := s.Analysis(ctx, c)
	if err != nil {
		return nil, err
	}
	o := s.opts.Propose
	if gapS > 0 {
		o.GapS = gapS
	}
	floors, _ := measured(c)
	segs := a.Propose(floors, o)
	if segs == nil {
		segs = []corpus.Segment{}
	}
	return segs, nil
}

// SaveDraft checks d's segments against the clip and stores it over
// version base (corpus.SaveDraft).
func (s *Service) SaveDraft(ctx context.Context, u *corpus.User, c *corpus.Clip, d *corpus.TranscriptionDraft, base int64) error {
	if err := corpus.ValidateSegments(d.Segments, c.DurationS, c.Channels); err != nil {
		return err
	}
	size := 0
	for _, sg := range d.Segments {
		size += len(sg.Text) + 1
	}
	if size > maxTextBytes {
		return ErrTooLong
	}
	if d.Cursor.Segment < 0 || d.Cursor.Offset < 0 {
		d.Cursor = corpus.Cursor{}
	}
	d.ClipID, d.UpdatedBy = c.ID, u.ID
	return s.db.SaveDraft(ctx, d, base)
}

// SegmentFinding is a lint finding placed in a segment: Segment is the
// 0-based index in the submitted list; Column and ByteOffset count within
// the segment's text.
type SegmentFinding struct {
	Segment    int                 `json:"segment"`
	Rule       string              `json:"rule"`
	Severity   transcript.Severity `json:"severity"`
	Column     int                 `json:"column"`
	ByteOffset int64               `json:"byte_offset"`
	Text       string              `json:"text"`
	Fix        *string             `json:"fix,omitempty"`
	Message    string              `json:"message"`
	MessageZh  string              `json:"message_zh"`
}

// LintError refuses a submission: the segments' lint errors, with
// positions (→ 422).
type LintError struct {
	Findings []SegmentFinding
}

func (e *LintError) Error() string {
	return fmt.Sprintf("transcribe: %d lint errors in the segments", len(e.Findings))
}

// Submit lints every segment with the project's rules and, if none has an
// error, stores the transcription (corpus.SubmitTranscription). Segments
// are stored in time order; a segment's text must be one line.
func (s *Service) Submit(ctx context.Context, u *corpus.User, c *corpus.Clip, segs []corpus.Segment) (*corpus.Transcription, error) {
	if len(segs) == 0 {
		return nil, ErrEmpty
	}
	if err := corpus.ValidateSegments(segs, c.DurationS, c.Channels); err != nil {
		return nil, err
	}
	segs = slices.Clone(segs)
	var errs, all []SegmentFinding
	var lines []string
	size := 0
	for i, sg := range segs {
		if size += len(sg.Text) + 1; size > maxTextBytes {
			return nil, ErrTooLong
		}
		if !utf8.ValidString(sg.Text) {
			return nil, fmt.Errorf("%w: segment %d: text is not valid UTF-8", corpus.ErrInvalid, i+1)
		}
		fs, _, err := s.lint.Lint(ctx, c.ProjectID, sg.Text)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			sf := SegmentFinding{Segment: i, Rule: f.Rule, Severity: f.Severity, Column: f.Column, ByteOffset: f.ByteOffset,
				Text: f.Text, Message: f.Message, MessageZh: f.MessageZh}
			if f.HasFix {
				fix := f.Fix
				sf.Fix = &fix
			}
			all = append(all, sf)
			if f.Severity == transcript.Error {
				errs = append(errs, sf)
			}
		}
	}
	if len(errs) > 0 {
		return nil, &LintError{Findings: errs}
	}
	// Time order for the stored text, keeping the submitted order's
	// findings meaningful: the index maps through the sort.
	order := make([]int, len(segs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		a, b := segs[x], segs[y]
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return a.Channel - b.Channel
	})
	sorted := make([]corpus.Segment, len(segs))
	where := make([]int, len(segs))
	for to, from := range order {
		sorted[to], where[from] = segs[from], to
		lines = append(lines, segs[from].Text)
	}
	for i := range all {
		all[i].Segment = where[all[i].Segment]
	}
	if all == nil {
		all = []SegmentFinding{}
	}
	lint, err := json.Marshal(all)
	if err != nil {
		return nil, err
	}
	tr := &corpus.Transcription{ClipID: c.ID, AuthorID: u.ID, Segments: sorted, Text: strings.Join(lines, "\n"), Lint: lint}
	if err := s.db.SubmitTranscription(ctx, tr); err != nil {
		return nil, err
	}
	return tr, nil
}
