package corpus

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// The payment ledger (issue 6, reliability.md B0 item 5).
//
// Amounts: a clip of d seconds at r cents per minute earns
//
//	ms    = round(d × 1000)                 (whole milliseconds, half up)
//	cents = floor((ms × r + 30000) / 60000) (whole cents, half up, per clip)
//
// in integer arithmetic, so the figure never depends on float summation and
// the audit can recompute it exactly. The rate is the project's at the moment
// of acceptance and is stored in the entry.
//
// Entries: when a decision event moves a clip into accepted, an "earning"
// entry of that amount is written in the same transaction; when an event
// moves an accepted clip out of accepted (an admin override, or any later
// decision), a "reversal" entry of minus the live earning, pointing at it.
// A clip re-accepted later earns again (at the then current rate). So per
// clip the net is exactly one earning while accepted and zero otherwise, and
// the ledger's sum equals Σ over accepted clips of their earning.

// LedgerKind is an entry's kind.
type LedgerKind string

// Ledger entry kinds.
const (
	LedgerEarning  LedgerKind = "earning"
	LedgerReversal LedgerKind = "reversal"
)

// LedgerEntry is one append-only line of a speaker's account.
type LedgerEntry struct {
	ID                 int64      `json:"id"`
	SpeakerID          int64      `json:"speaker_id"`
	ProjectID          int64      `json:"project_id"`
	ClipID             string     `json:"clip_id"`
	DecisionID         int64      `json:"decision_id"`
	Kind               LedgerKind `json:"kind"`
	Reverses           int64      `json:"reverses,omitempty"`
	DurationMS         int64      `json:"duration_ms"`
	RateCentsPerMinute int64      `json:"rate_cents_per_minute"`
	AmountCents        int64      `json:"amount_cents"`
	Currency           string     `json:"currency"`
	PrevHash           string     `json:"prev_hash"`
	Hash               string     `json:"hash"`
	CreatedAt          time.Time  `json:"created_at"`
}

// DurationMS is a clip duration in whole milliseconds, half up.
func DurationMS(seconds float64) int64 {
	if seconds <= 0 || math.IsNaN(seconds) {
		return 0
	}
	return int64(math.Floor(seconds*1000 + 0.5))
}

// AmountCents is what ms milliseconds earn at rate cents per minute: whole
// cents, half up.
func AmountCents(ms, rate int64) int64 {
	n := ms * rate
	if n < 0 {
		return -((-n + 30000) / 60000)
	}
	return (n + 30000) / 60000
}

// ledgerHash is the hex SHA-256 of an entry's fields as netstrings, like
// decisionHash.
func ledgerHash(e *LedgerEntry) string {
	h := sha256.New()
	for _, f := range []string{
		e.PrevHash, strconv.FormatInt(e.SpeakerID, 10), strconv.FormatInt(e.ProjectID, 10), e.ClipID,
		strconv.FormatInt(e.DecisionID, 10), string(e.Kind), strconv.FormatInt(e.Reverses, 10),
		strconv.FormatInt(e.DurationMS, 10), strconv.FormatInt(e.RateCentsPerMinute, 10),
		strconv.FormatInt(e.AmountCents, 10), e.Currency, strconv.FormatInt(nanos(e.CreatedAt), 10),
	} {
		_, _ = fmt.Fprintf(h, "%d:%s,", len(f), f) // a hash.Hash never returns a write error
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ledgerOnDecision writes the ledger entry a decision event calls for, in the
// event's transaction: an earning when the clip becomes accepted, a reversal
// when it stops being accepted, nothing otherwise.
func ledgerOnDecision(ctx context.Context, t *tx, d *Decision) error {
	if d.From == d.To || (d.To != StatusAccepted && d.From != StatusAccepted) {
		return nil
	}
	var (
		speaker, project, rate int64
		dur                    float64
		currency               string
	)
	if err := t.QueryRowContext(ctx, `SELECT c.speaker_id, c.project_id, c.duration_s, p.rate_cents_per_minute, p.currency
		FROM clips c JOIN projects p ON p.id = c.project_id WHERE c.id = ?`, d.ClipID).
		Scan(&speaker, &project, &dur, &rate, &currency); err != nil {
		return fmt.Errorf("ledger: clip %s: %w", d.ClipID, mapErr(err))
	}
	e := &LedgerEntry{SpeakerID: speaker, ProjectID: project, ClipID: d.ClipID, DecisionID: d.ID, Currency: currency}
	live, err := liveEarning(ctx, t, d.ClipID)
	if err != nil {
		return err
	}
	if d.To == StatusAccepted {
		if live != nil {
			return fmt.Errorf("ledger: clip %s already has a live earning %d", d.ClipID, live.ID)
		}
		e.Kind, e.DurationMS, e.RateCentsPerMinute = LedgerEarning, DurationMS(dur), rate
		e.AmountCents = AmountCents(e.DurationMS, rate)
	} else {
		if live == nil {
			return fmt.Errorf("ledger: accepted clip %s has no earning to reverse", d.ClipID)
		}
		e.Kind, e.Reverses, e.DurationMS, e.RateCentsPerMinute = LedgerReversal, live.ID, live.DurationMS, live.RateCentsPerMinute
		e.AmountCents, e.Currency = -live.AmountCents, live.Currency
	}
	return appendLedger(ctx, t, e)
}

// liveEarning is the clip's earning that no reversal points at, if any.
func liveEarning(ctx context.Context, t *tx, clipID string) (*LedgerEntry, error) {
	e, err := scanLedger(t.QueryRowContext(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries e
		WHERE e.clip_id = ? AND e.kind = 'earning'
		AND NOT EXISTS (SELECT 1 FROM ledger_entries r WHERE r.reverses = e.id) ORDER BY e.id DESC LIMIT 1`, clipID))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return e, err
}

func appendLedger(ctx context.Context, t *tx, e *LedgerEntry) error {
	prev := genesisHash
	err := t.QueryRowContext(ctx, `SELECT hash FROM ledger_entries WHERE id = (SELECT MAX(id) FROM ledger_entries)`).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return mapErr(err)
	}
	e.PrevHash = prev
	e.CreatedAt = t.now.UTC()
	e.Hash = ledgerHash(e)
	res, err := t.ExecContext(ctx, `INSERT INTO ledger_entries (speaker_id, project_id, clip_id, decision_id, kind, reverses,
		duration_ms, rate_cents_per_minute, amount_cents, currency, prev_hash, hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.SpeakerID, e.ProjectID, e.ClipID, e.DecisionID, string(e.Kind), nullInt64(e.Reverses), e.DurationMS,
		e.RateCentsPerMinute, e.AmountCents, e.Currency, e.PrevHash, e.Hash, nanos(e.CreatedAt))
	if err != nil {
		return mapErr(err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

const ledgerColumns = `e.id, e.speaker_id, e.project_id, e.clip_id, e.decision_id, e.kind, e.reverses, e.duration_ms,
	e.rate_cents_per_minute, e.amount_cents, e.currency, e.prev_hash, e.hash, e.created_at`

func scanLedger(s scanner) (*LedgerEntry, error) {
	var (
		e        LedgerEntry
		kind     string
		reverses sql.NullInt64
		created  int64
	)
	if err := s.Scan(&e.ID, &e.SpeakerID, &e.ProjectID, &e.ClipID, &e.DecisionID, &kind, &reverses, &e.DurationMS,
		&e.RateCentsPerMinute, &e.AmountCents, &e.Currency, &e.PrevHash, &e.Hash, &created); err != nil {
		return nil, mapErr(err)
	}
	e.Kind, e.Reverses, e.CreatedAt = LedgerKind(kind), reverses.Int64, fromNanos(created)
	return &e, nil
}

// Ledger is a speaker's account: every entry, oldest first, and the balance.
type Ledger struct {
	Entries      []*LedgerEntry `json:"entries"`
	BalanceCents int64          `json:"balance_cents"`
	Currency     string         `json:"currency"`
}

// SpeakerLedger returns a speaker's entries and balance.
func (db *DB) SpeakerLedger(ctx context.Context, speakerID int64) (l *Ledger, err error) {
	l = &Ledger{Entries: []*LedgerEntry{}}
	err = db.view(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries e WHERE e.speaker_id = ? ORDER BY e.id`, speakerID)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			e, err := scanLedger(rows)
			if err != nil {
				return err
			}
			l.Entries = append(l.Entries, e)
			l.BalanceCents += e.AmountCents
			l.Currency = e.Currency
		}
		if err := rows.Err(); err != nil {
			return mapErr(err)
		}
		if l.Currency == "" {
			// No entries yet: the speaker's project's currency.
			err := t.QueryRowContext(ctx, `SELECT p.currency FROM users u JOIN projects p ON p.id = u.project_id WHERE u.id = ?`, speakerID).Scan(&l.Currency)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return mapErr(err)
			}
		}
		return nil
	})
	return l, err
}

// auditLedger checks B0 item 5: the ledger's hash chain verifies end to end;
// each accepted clip has exactly one live earning, of the amount its
// duration and that entry's rate give; no other clip has a live earning or a
// non-zero net; the ledger's sum equals Σ over accepted clips.
func auditLedger(ctx context.Context, t *tx, rep *AuditReport) error {
	rep.LedgerChainOK = true
	var n int
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entries'`).Scan(&n); err != nil {
		return mapErr(err)
	}
	type clipMoney struct {
		net   int64
		live  []*LedgerEntry
		seen  map[int64]bool // reversed earnings
		earns []*LedgerEntry
	}
	money := map[string]*clipMoney{}
	if n > 0 {
		rows, err := t.QueryContext(ctx, `SELECT `+ledgerColumns+` FROM ledger_entries e ORDER BY e.id`)
		if err != nil {
			return mapErr(err)
		}
		prev := genesisHash
		for rows.Next() {
			e, err := scanLedger(rows)
			if err != nil {
				_ = rows.Close() // a read; the Scan error is the one to report
				return err
			}
			rep.LedgerEntries++
			rep.LedgerCents += e.AmountCents
			if e.PrevHash != prev || ledgerHash(e) != e.Hash {
				rep.LedgerChainOK = false
			}
			prev = e.Hash
			m := money[e.ClipID]
			if m == nil {
				m = &clipMoney{seen: map[int64]bool{}}
				money[e.ClipID] = m
			}
			m.net += e.AmountCents
			if e.Kind == LedgerEarning {
				m.earns = append(m.earns, e)
			} else {
				m.seen[e.Reverses] = true
			}
		}
		_ = rows.Close() // a read: rows.Err() is checked next
		if err := rows.Err(); err != nil {
			return mapErr(err)
		}
	}
	rows, err := t.QueryContext(ctx, `SELECT c.id, c.status, c.duration_s, p.rate_cents_per_minute FROM clips c JOIN projects p ON p.id = c.project_id`)
	if err != nil {
		return mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	for rows.Next() {
		var (
			id, status string
			dur        float64
			rate       int64
		)
		if err := rows.Scan(&id, &status, &dur, &rate); err != nil {
			return mapErr(err)
		}
		m := money[id]
		if m == nil {
			m = &clipMoney{seen: map[int64]bool{}}
		}
		for _, e := range m.earns {
			if !m.seen[e.ID] {
				m.live = append(m.live, e)
			}
		}
		if ClipStatus(status) != StatusAccepted {
			if len(m.live) != 0 || m.net != 0 {
				rep.LedgerMismatches++
			}
			continue
		}
		if len(m.live) != 1 {
			rep.LedgerMismatches++
			rep.AcceptedCents += AmountCents(DurationMS(dur), rate)
			continue
		}
		e := m.live[0]
		want := AmountCents(DurationMS(dur), e.RateCentsPerMinute)
		rep.AcceptedCents += want
		if e.DurationMS != DurationMS(dur) || e.AmountCents != want || m.net != want {
			rep.LedgerMismatches++
		}
	}
	return mapErr(rows.Err())
}
