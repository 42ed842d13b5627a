package corpus

import (
	"encoding/json"
	"time"

	"github.com/dialect-corpus/dialect/release"
)

// Project is a collection campaign: one dialect, its prompts, bands and pay.
type Project struct {
	ID      int64  `json:"id"`
	Slug    string `json:"slug"` // unique, [a-z0-9-]{1,64}
	Name    string `json:"name"`
	Dialect string `json:"dialect"` // BCP 47: "nan-TW" (Minnan), "cmn-TW"
	// Modes offered: "prompted", "monologue", "dialogue".
	Modes []string `json:"modes"`
	// BandQuota is the target number of clips per noise band ("low",
	// "medium", "high"); task assignment balances against it.
	BandQuota map[string]int `json:"band_quota"`
	// RateCentsPerMinute is the pay per accepted minute, in cents of Currency.
	RateCentsPerMinute int64  `json:"rate_cents_per_minute"`
	Currency           string `json:"currency"` // "TWD"
	ConsentText        string `json:"consent_text"`
	ConsentVersion     int    `json:"consent_version"` // starts at 1
	// CheckConfig and LintConfig are JSON overrides of validate.Config and
	// transcript.Config (corpus does not import them); empty = defaults.
	CheckConfig json.RawMessage `json:"check_config,omitempty"`
	LintConfig  json.RawMessage `json:"lint_config,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	// ReviewsRequired is how many agreeing reviews decide a clip (1–3;
	// 0 means 1). With 2, a disagreement waits for a third review.
	ReviewsRequired int `json:"reviews_required"`
	// License and Terms are what a release's datasheet states as the
	// data's licence and terms of use ("" = not set, and the datasheet
	// says so). Each release freezes them.
	License string `json:"license"`
	Terms   string `json:"terms"`
	// Split divides speakers into train, dev and test in a release's
	// archives (release.SplitOf); zero percentages mean 80/10/10. Each
	// release freezes it.
	Split release.SplitConfig `json:"split"`
	// TimeZone is where the campaign lives, an IANA name ("Asia/Taipei";
	// "" = UTC): pages show times in it, with the zone named (Location).
	TimeZone string `json:"time_zone"`
}

// Role is what a person may do.
type Role string

// Roles.
const (
	RoleSpeaker  Role = "speaker"
	RoleReviewer Role = "reviewer"
	RoleVendor   Role = "vendor"
	RoleAdmin    Role = "admin"
)

// User is a person who signs in (speakers, reviewers, admins; vendors use
// tokens but may also have a user row).
type User struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"` // unique, 1–64 chars, no control characters
	Role      Role   `json:"role"`
	ProjectID int64  `json:"project_id,omitempty"` // 0 for admins
	// PasswordHash is a PHC string ($argon2id$...), never serialised.
	PasswordHash   string     `json:"-"`
	Disabled       bool       `json:"disabled"`
	DialectRegion  string     `json:"dialect_region,omitempty"`
	AgeBand        string     `json:"age_band,omitempty"`
	Gender         string     `json:"gender,omitempty"`
	ConsentVersion int        `json:"consent_version"` // 0 = not consented
	ConsentAt      *time.Time `json:"consent_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Session is a signed-in browser. Only the SHA-256 of the cookie token is
// stored.
type Session struct {
	TokenHash []byte
	UserID    int64
	CSRFToken string
	CreatedAt time.Time
	LastSeen  time.Time
	// IdleTimeout and ExpiresAt bound the session's life (C5).
	IdleTimeout time.Duration
	ExpiresAt   time.Time
}

// Token is a vendor's bearer token for one project; only its hash is kept.
type Token struct {
	ID        int64      `json:"id"`
	Hash      []byte     `json:"-"`
	Vendor    string     `json:"vendor"`
	ProjectID int64      `json:"project_id"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Prompt is a sentence to read aloud (prompted mode).
type Prompt struct {
	ID        int64     `json:"id"`
	ProjectID int64     `json:"project_id"`
	Text      string    `json:"text"`                // Han characters, or Han-lô
	Romanized string    `json:"romanized,omitempty"` // Tâi-lô reading
	Note      string    `json:"note,omitempty"`      // gloss in Mandarin/English
	CreatedAt time.Time `json:"created_at"`
}

// Task is one assignment to a speaker: a prompt (prompted mode) or a topic
// (monologue, dialogue), in a mode, under a required noise band.
type Task struct {
	ID        string    `json:"task_id"` // 128-bit random, hex
	ProjectID int64     `json:"project_id"`
	SpeakerID int64     `json:"speaker_id"`
	PromptID  int64     `json:"prompt_id,omitempty"`
	Mode      string    `json:"mode"`
	NoiseBand string    `json:"noise_band"`
	CreatedAt time.Time `json:"created_at"`
}

// ClipStatus is where a clip stands.
type ClipStatus string

// Clip statuses. A clip that fails an automatic check is stored as rejected
// with its receipt, so the speaker can see why; it never enters a release.
const (
	StatusPendingReview ClipStatus = "pending_review"
	StatusRejected      ClipStatus = "rejected"
	StatusAccepted      ClipStatus = "accepted"
)

// Clip is one stored recording and what was found about it.
type Clip struct {
	ID           string     `json:"clip_id"` // 128-bit random, hex; also the file name
	ProjectID    int64      `json:"project_id"`
	SpeakerID    int64      `json:"speaker_id"`
	TaskID       string     `json:"task_id"`
	ClientClipID string     `json:"client_clip_id"` // unique per speaker: idempotency key
	SHA256       string     `json:"sha256"`
	Bytes        int64      `json:"bytes"`
	DurationS    float64    `json:"duration_s"`
	SampleRate   int        `json:"sample_rate"`
	Channels     int        `json:"channels"`
	Bits         int        `json:"bits"`
	Mode         string     `json:"mode"`
	NoiseBand    string     `json:"noise_band"` // declared (the task's)
	Transcript   string     `json:"transcript,omitempty"`
	Status       ClipStatus `json:"status"`
	// Receipt is the JSON the speaker was answered with (findings,
	// measurements), stored verbatim so a retry returns the same bytes.
	Receipt   json.RawMessage `json:"receipt"`
	CreatedAt time.Time       `json:"created_at"`
}

// ClipFilter selects clips; zero fields do not filter.
type ClipFilter struct {
	ProjectID int64
	SpeakerID int64
	Status    ClipStatus
	Limit     int // default 100, at most 1000
	Offset    int
}

// Decision is one event of a clip's append-only decision history
// (automatic check, review, appeal, override). The current status of a clip
// is the To of its last event.
type Decision struct {
	ID       int64      `json:"id"`
	ClipID   string     `json:"clip_id"`
	AuthorID int64      `json:"author_id"` // 0 = the automatic checks
	From     ClipStatus `json:"from"`
	To       ClipStatus `json:"to"`
	Reason   string     `json:"reason"` // rule id or reason code
	Note     string     `json:"note,omitempty"`
	// PrevHash and Hash chain every event to the one before it (hex SHA-256).
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditReport is the result of the invariant audit (reliability.md B0 1–5).
type AuditReport struct {
	IntegrityCheck   string `json:"integrity_check"` // "ok"
	ForeignKeyErrors int    `json:"foreign_key_errors"`
	Clips            int    `json:"clips"`
	RowsWithoutFile  int    `json:"rows_without_file"` // must be 0
	SizeMismatches   int    `json:"size_mismatches"`
	SHAMismatches    int    `json:"sha_mismatches"` // only when hashes are verified
	OrphanFiles      int    `json:"orphan_files"`
	TempFiles        int    `json:"temp_files"`
	Decisions        int    `json:"decisions"`
	ChainOK          bool   `json:"chain_ok"`
	StatusMismatches int    `json:"status_mismatches"` // clip status != last decision
	// B0 item 5: the payment ledger.
	LedgerEntries    int   `json:"ledger_entries"`
	LedgerChainOK    bool  `json:"ledger_chain_ok"`
	LedgerMismatches int   `json:"ledger_mismatches"` // clips whose entries disagree with their status
	LedgerCents      int64 `json:"ledger_cents"`      // Σ of every entry
	AcceptedCents    int64 `json:"accepted_cents"`    // Σ over accepted clips of duration × rate
	// TallyMismatches counts the counters (clip, prompt and speaker
	// tallies, issue 21) that differ from a recount of the clips: must be 0.
	TallyMismatches int `json:"tally_mismatches"`
}

// OK reports whether the audit found nothing that blocks a release.
func (a *AuditReport) OK() bool {
	return a.IntegrityCheck == "ok" && a.ForeignKeyErrors == 0 && a.RowsWithoutFile == 0 &&
		a.SizeMismatches == 0 && a.SHAMismatches == 0 && a.ChainOK && a.StatusMismatches == 0 &&
		a.LedgerChainOK && a.LedgerMismatches == 0 && a.LedgerCents == a.AcceptedCents && a.TallyMismatches == 0
}

// ReconcileReport counts what the startup reconciler did.
type ReconcileReport struct {
	Quarantined     int `json:"quarantined"`     // orphan clip files moved to quarantine/
	TempRemoved     int `json:"temp_removed"`    // temp files older than 24 h removed
	UploadsExpired  int `json:"uploads_expired"` // resumable uploads past their expiry removed
	RowsWithoutFile int `json:"rows_without_file"`
}
