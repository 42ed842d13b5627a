package corpus

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// genesisHash is the PrevHash of the first event of the whole table: one
// global chain, so deleting or reordering any row is detectable.
var genesisHash = strings.Repeat("0", 64)

// decisionHash is the hex SHA-256 of an event's fields, in the order
// prev_hash, clip_id, author, from, to, reason, note, created_at (unix
// nanoseconds). Each field is written as a netstring ("<len>:<bytes>,") so
// that no two different events encode the same, whatever their text holds.
func decisionHash(d *Decision) string {
	h := sha256.New()
	for _, f := range []string{
		d.PrevHash, d.ClipID, strconv.FormatInt(d.AuthorID, 10), string(d.From), string(d.To),
		d.Reason, d.Note, strconv.FormatInt(nanos(d.CreatedAt), 10),
	} {
		_, _ = fmt.Fprintf(h, "%d:%s,", len(f), f) // a hash.Hash never returns a write error
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AppendDecision appends d to the clip's history (setting ID, From, hashes,
// CreatedAt) and sets the clip's status to d.To, in one transaction.
// ErrNotFound if the clip, or a non-zero author, does not exist.
func (db *DB) AppendDecision(ctx context.Context, d *Decision) error {
	if !validStatus(d.To) {
		return fmt.Errorf("append decision: unknown status %q", d.To)
	}
	if d.Reason == "" {
		return errors.New("append decision: reason is required")
	}
	if !validID(d.ClipID) {
		return fmt.Errorf("append decision: clip %q: %w", d.ClipID, ErrNotFound)
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error { return appendDecision(ctx, t, d) })
}

// Decisions returns a clip's history, oldest first. ErrNotFound if the clip
// does not exist.
func (db *DB) Decisions(ctx context.Context, clipID string) (ds []*Decision, err error) {
	if !validID(clipID) {
		return nil, ErrNotFound
	}
	err = db.view(ctx, func(t *tx) error {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM clips WHERE id = ?`, clipID).Scan(&n); err != nil {
			return mapErr(err)
		}
		if n == 0 {
			return ErrNotFound
		}
		rows, err := t.QueryContext(ctx, `SELECT `+decisionColumns+` FROM decision_events WHERE clip_id = ? ORDER BY id`, clipID)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			d, err := scanDecision(rows)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return mapErr(rows.Err())
	})
	return ds, err
}

func appendDecision(ctx context.Context, t *tx, d *Decision) error {
	from, facts, err := loadClipFacts(ctx, t, d.ClipID)
	if err != nil {
		return fmt.Errorf("append decision: clip %s: %w", d.ClipID, err)
	}
	if d.AuthorID != 0 {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = ?`, d.AuthorID).Scan(&n); err != nil {
			return mapErr(err)
		}
		if n == 0 {
			return fmt.Errorf("append decision: author %d: %w", d.AuthorID, ErrNotFound)
		}
	}
	d.From = from
	if err := appendEvent(ctx, t, d); err != nil {
		return err
	}
	// The ledger entry a move into or out of accepted calls for, in this
	// same transaction (B0 item 5, F-03).
	if err := ledgerOnDecision(ctx, t, d); err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, `UPDATE clips SET status = ? WHERE id = ?`, string(d.To), d.ClipID); err != nil {
		return mapErr(err)
	}
	// The counters follow the status, in this same transaction (issue 21).
	return moveTallies(ctx, t, facts, d.From, d.To)
}

// appendEvent links d to the last event of the chain and inserts it. The
// write transaction is BEGIN IMMEDIATE, so no other event can slip in
// between reading the last hash and inserting. The last event is found as
// MAX(id), a seek to the end of the rowid tree (SQLite plans "ORDER BY id
// DESC LIMIT 1" as a SCAN, which a plan check cannot tell from a full one).
func appendEvent(ctx context.Context, t *tx, d *Decision) error {
	prev := genesisHash
	err := t.QueryRowContext(ctx, `SELECT hash FROM decision_events WHERE id = (SELECT MAX(id) FROM decision_events)`).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return mapErr(err)
	}
	d.PrevHash = prev
	d.CreatedAt = t.now
	d.Hash = decisionHash(d)
	res, err := t.ExecContext(ctx, `INSERT INTO decision_events (clip_id, author_id, from_status, to_status,
		reason, note, prev_hash, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ClipID, d.AuthorID, string(d.From), string(d.To), d.Reason, d.Note, d.PrevHash, d.Hash, nanos(d.CreatedAt))
	if err != nil {
		return mapErr(err)
	}
	d.ID, err = res.LastInsertId()
	return err
}

const decisionColumns = `id, clip_id, author_id, from_status, to_status, reason, note, prev_hash, hash, created_at`

func scanDecision(s scanner) (*Decision, error) {
	var (
		d        Decision
		from, to string
		created  int64
	)
	if err := s.Scan(&d.ID, &d.ClipID, &d.AuthorID, &from, &to, &d.Reason, &d.Note, &d.PrevHash, &d.Hash, &created); err != nil {
		return nil, mapErr(err)
	}
	d.From, d.To = ClipStatus(from), ClipStatus(to)
	d.CreatedAt = fromNanos(created)
	return &d, nil
}
