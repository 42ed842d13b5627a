// Package recorder is the recording workflow as the server sees it: which
// task a speaker gets next, and what happens to a clip that arrives — it is
// measured by validate, its transcript linted by transcript, and it is handed
// to corpus with its receipt, whether it passes or not.
//
// API CONTRACT: server/ is written against the exported names below.
package recorder

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
)

// Errors the server maps to statuses (server/errors.go).
var (
	// ErrConsentRequired: the speaker has not consented to the project's
	// current consent text (→ 409 consent_required).
	ErrConsentRequired = errors.New("consent required")
	// ErrNoPrompts: the project has nothing to record (→ 409 no_tasks).
	ErrNoPrompts = errors.New("no prompts in project")
	// ErrBadRequest is a malformed submission (missing field, bad UUID)
	// (→ 400): every one is a *RequestError, with its message in both
	// languages.
	ErrBadRequest = errors.New("bad request")
)

// NotAudioError is a submission whose bytes are not a readable WAV at all
// (rules A001, A002 for containers and codecs, A006): nothing is stored
// (reliability.md B2), and the server answers 400 (A001, A006) or 415 (A002)
// with Finding's code and bilingual message.
type NotAudioError struct {
	Finding validate.Finding
}

func (e *NotAudioError) Error() string { return "not audio: " + e.Finding.Message }

// Options configure a Service.
type Options struct {
	// Check and Lint are the defaults; a project's CheckConfig/LintConfig
	// JSON overrides them field by field.
	Check validate.Config
	Lint  transcript.Config
	// MaxClipBytes bounds a clip upload (default 64 MiB).
	MaxClipBytes int64
}

// Service assigns tasks and ingests clips.
type Service struct {
	db   *corpus.DB
	opts Options

	// locks serialise, within this process, task assignment per speaker and
	// ingest per (speaker, client clip id); corpus's unique keys stay the
	// guard across processes.
	locks keyedMutex
	// configs caches a project's merged check and lint settings by the raw
	// JSON they were built from (config.go).
	configs sync.Map
	// assigned counts the tasks this process has handed out per prompt, to
	// spread simultaneous speakers over equally used prompts.
	assignedMu sync.Mutex
	assigned   map[int64]int
	// pcounts caches each project's prompt and band counts (counts.go).
	pcounts projectCounts
}

// New returns a Service over db.
func New(db *corpus.DB, opts Options) *Service {
	return &Service{db: db, opts: opts.withDefaults(), assigned: map[int64]int{}}
}

// Format is the audio format a task asks for.
type Format struct {
	SampleRate int `json:"sample_rate"`
	Channels   int `json:"channels"`
	Bits       int `json:"bits"`
}

// Task is GET /api/v1/tasks/next's answer (spec/api.md).
type Task struct {
	ID        string `json:"task_id"`
	Mode      string `json:"mode"`
	Prompt    string `json:"prompt"`
	Romanized string `json:"romanized,omitempty"`
	NoiseBand string `json:"noise_band"`
	Format    Format `json:"format"`
	// MinDurationS and MaxDurationS are the mode's bounds, for the page.
	MinDurationS float64 `json:"min_duration_s"`
	MaxDurationS float64 `json:"max_duration_s"`
}

// Submission is one clip as it arrives (multipart POST /api/v1/clips).
type Submission struct {
	ClientClipID string // a UUID made by the browser when the take was recorded
	TaskID       string
	NoiseBand    string // as declared by the page; must match the task's
	Transcript   string // optional for monologue and dialogue
	Audio        io.Reader
}

// Finding is one line of a receipt: an audio finding or a transcript one.
// An audio finding's figure and threshold come raw (Measured, Threshold and
// their Unit, as validate.Finding has them) and as text in the unit of the
// rule, in both languages ("1.21%", "at most 0.1%" / "不超過 0.1%"): a page
// shows the texts.
type Finding struct {
	Rule            string   `json:"rule"`
	Severity        string   `json:"severity"`
	Message         string   `json:"message"`
	MessageZH       string   `json:"message_zh"`
	Measured        *float64 `json:"measured"`
	Threshold       string   `json:"threshold,omitempty"`
	Unit            string   `json:"unit,omitempty"`
	MeasuredText    string   `json:"measured_text,omitempty"`
	MeasuredTextZH  string   `json:"measured_text_zh,omitempty"`
	ThresholdText   string   `json:"threshold_text,omitempty"`
	ThresholdTextZH string   `json:"threshold_text_zh,omitempty"`
	// For transcript findings: where, what, and the fix when there is one.
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Text   string `json:"text,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Receipt is what the speaker is answered with (spec/api.md).
type Receipt struct {
	ClipID       string                 `json:"clip_id"`
	SHA256       string                 `json:"sha256"`
	Status       corpus.ClipStatus      `json:"status"`
	Findings     []Finding              `json:"findings"`
	Measurements *validate.Measurements `json:"measurements"`
	Format       validate.Format        `json:"format"`
	// FixedTranscript is the transcript with every fixable lint finding
	// applied, when it differs: the page offers it (never applied silently).
	FixedTranscript string `json:"fixed_transcript,omitempty"`
}

// NextTask returns the speaker's open task, or assigns a new one: a prompt
// the project has recorded least, in the band furthest below its quota.
func (s *Service) NextTask(ctx context.Context, speaker *corpus.User) (*Task, error) {
	return s.nextTask(ctx, speaker)
}

// Ingest stores a clip and returns its receipt. created is false when the
// speaker already sent this ClientClipID: the first receipt is returned
// unchanged (retries are safe). The audio is streamed to disk (bounded by
// MaxClipBytes → *http.MaxBytesError from the server's reader, passed
// through), measured, linted, then committed durably; a clip failing an
// automatic check is stored as rejected with its receipt.
func (s *Service) Ingest(ctx context.Context, speaker *corpus.User, sub Submission) (r *Receipt, created bool, err error) {
	return s.ingest(ctx, speaker, sub)
}

// Lint lints text with the project's transcript config (POST /api/v1/lint).
func (s *Service) Lint(ctx context.Context, projectID int64, text string) ([]transcript.Finding, string, error) {
	return s.lint(ctx, projectID, text)
}
