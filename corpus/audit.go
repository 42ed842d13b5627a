package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
)

// AuditDir runs the invariant audit on the corpus in dir without changing
// anything: unlike Open it neither migrates nor reconciles, and it works
// when Open would refuse (a row without its file), which is when the audit
// matters most. It reads through a read-only connection, so it may run
// beside a live server.
func AuditDir(ctx context.Context, dir string, verifyHashes bool) (*AuditReport, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("audit %s: %w", dir, err)
	}
	db := &DB{dir: abs, now: time.Now, grace: defaultGrace}
	defer func() { _ = db.Close() }() // read-only (no writer is opened): a close error loses nothing
	if err := db.openFiles(false); err != nil {
		return nil, fmt.Errorf("audit %s: %w", dir, err)
	}
	if _, err := db.root.Stat(dbName); err != nil {
		return nil, fmt.Errorf("audit %s: %w", dir, err)
	}
	if err := db.openReader(ctx); err != nil {
		return nil, fmt.Errorf("audit %s: %w", dir, err)
	}
	if err := db.checkSchemaRead(ctx); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return db.Audit(ctx, verifyHashes)
}

// auditClip is what the audit needs of a clip row.
type auditClip struct {
	id, sha256, status string
	bytes              int64
}

// Audit runs the invariant audit (B0 items 1–5, and the counters equal a
// recount); verifyHashes re-reads every clip file and compares SHA-256.
func (db *DB) Audit(ctx context.Context, verifyHashes bool) (*AuditReport, error) {
	rep := &AuditReport{}
	if err := db.auditDatabase(ctx, rep); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	// The database is read in one short read transaction, released before
	// the files are checked: a read transaction held across a slow hash
	// scrub would starve checkpoints (F-14).
	var clips []auditClip
	err := db.view(ctx, func(t *tx) error {
		var err error
		if clips, err = listAuditClips(ctx, t); err != nil {
			return err
		}
		if err := auditDecisions(ctx, t, clips, rep); err != nil {
			return err
		}
		if err := auditLedger(ctx, t, rep); err != nil {
			return err
		}
		return auditTallies(ctx, t, rep)
	})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rep.Clips = len(clips)
	// Rows before files: every row read above had its file renamed into
	// place before it committed, so a missing file is real, while a file
	// committed since may show up as an orphan (only counted).
	rows := make(map[string]bool, len(clips))
	for _, c := range clips {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows[clipName(c.id)] = true
		fi, err := db.clips.Lstat(clipName(c.id))
		if errors.Is(err, fs.ErrNotExist) {
			rep.RowsWithoutFile++
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("audit: clip %s: %w", c.id, err)
		}
		if !fi.Mode().IsRegular() || fi.Size() != c.bytes {
			rep.SizeMismatches++
			continue
		}
		if verifyHashes {
			sum, err := db.hashClip(c.id)
			if err != nil {
				return nil, fmt.Errorf("audit: clip %s: %w", c.id, err)
			}
			if sum != c.sha256 {
				rep.SHAMismatches++
			}
		}
	}
	names, err := db.dirNames(clipsDir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	for _, n := range names {
		if !rows[n] {
			rep.OrphanFiles++
		}
	}
	tmp, err := db.dirNames(tmpDir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	rep.TempFiles = len(tmp)
	return rep, nil
}

// auditDatabase runs B0 item 1.
func (db *DB) auditDatabase(ctx context.Context, rep *AuditReport) error {
	rows, err := db.r.QueryContext(ctx, `PRAGMA integrity_check(20)`)
	if err != nil {
		return mapErr(err)
	}
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			_ = rows.Close() // a read; the Scan error is the one to report
			return mapErr(err)
		}
		msgs = append(msgs, m)
	}
	_ = rows.Close() // a read: rows.Err() is checked next
	if err := rows.Err(); err != nil {
		return mapErr(err)
	}
	rep.IntegrityCheck = strings.Join(msgs, "; ")
	fk, err := db.r.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return mapErr(err)
	}
	defer func() { _ = fk.Close() }() // a read: fk.Err() is checked
	for fk.Next() {
		rep.ForeignKeyErrors++
	}
	return mapErr(fk.Err())
}

func listAuditClips(ctx context.Context, t *tx) ([]auditClip, error) {
	rows, err := t.QueryContext(ctx, `SELECT id, sha256, status, bytes FROM clips ORDER BY id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	var cs []auditClip
	for rows.Next() {
		var c auditClip
		if err := rows.Scan(&c.id, &c.sha256, &c.status, &c.bytes); err != nil {
			return nil, mapErr(err)
		}
		cs = append(cs, c)
	}
	return cs, mapErr(rows.Err())
}

// auditDecisions verifies the hash chain end to end and compares each clip's
// status with the To of its last event (B0 item 4).
func auditDecisions(ctx context.Context, t *tx, clips []auditClip, rep *AuditReport) error {
	rows, err := t.QueryContext(ctx, `SELECT `+decisionColumns+` FROM decision_events ORDER BY id`)
	if err != nil {
		return mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	last := make(map[string]string, len(clips))
	prev := genesisHash
	rep.ChainOK = true
	for rows.Next() {
		d, err := scanDecision(rows)
		if err != nil {
			return err
		}
		rep.Decisions++
		if d.PrevHash != prev || decisionHash(d) != d.Hash {
			rep.ChainOK = false
		}
		// Continue from the stored hash: one edited row then shows as one
		// break, not as every later row.
		prev = d.Hash
		last[d.ClipID] = string(d.To)
	}
	if err := rows.Err(); err != nil {
		return mapErr(err)
	}
	for _, c := range clips {
		if last[c.id] != c.status {
			rep.StatusMismatches++
		}
	}
	return nil
}

// hashClip re-reads a clip file and returns its hex SHA-256.
func (db *DB) hashClip(id string) (string, error) {
	f, err := db.clips.Open(clipName(id))
	if err != nil {
		return "", err
	}
	defer func() { _ = f.Close() }() // opened read-only
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// dirNames lists the entries of a directory of the data dir.
func (db *DB) dirNames(dir string) ([]string, error) {
	d, err := db.root.Open(dir)
	if err != nil {
		return nil, err
	}
	defer func() { _ = d.Close() }() // a directory opened read-only
	return d.Readdirnames(-1)
}
