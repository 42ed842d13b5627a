package corpus

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Tallies (migration 0008, issue 21): counters of clips that task
// assignment and the quotas read instead of counting the corpus, so that a
// request costs the same at a thousand clips and at a million. They change
// only in the transaction that inserts a clip (insertClip) or changes its
// status (appendDecision), and with a speaker's profile (UpdateProfile);
// tasks.live_clips, which finds a speaker's open task by a partial index,
// is one of them;
// the audit recounts them (auditTallies).

// Tally dimensions: what the quotas of a project speak of.
const (
	DimBand    = "band"     // the clip's declared noise band
	DimRegion  = "region"   // the speaker's dialect region
	DimGender  = "gender"   // the speaker's gender
	DimAgeBand = "age_band" // the speaker's age band
	DimMode    = "mode"     // prompted, monologue, dialogue
)

// Tally is a project's clips of one status with one value of a dimension
// ("" = not given), and their duration in whole milliseconds.
type Tally struct {
	Dimension  string     `json:"dimension"`
	Value      string     `json:"value"`
	Status     ClipStatus `json:"status"`
	Clips      int        `json:"clips"`
	DurationMS int64      `json:"duration_ms"`
}

// Tallies returns a project's counters (for quotas in hours by band,
// region, gender, age band and mode), by dimension, value and status. Rows
// whose clips moved away may hold zeros.
func (db *DB) Tallies(ctx context.Context, projectID int64) (ts []Tally, err error) {
	err = db.view(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, `SELECT dimension, value, status, clips, duration_ms FROM clip_tallies
			WHERE project_id = ? ORDER BY dimension, value, status`, projectID)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			var (
				x      Tally
				status string
			)
			if err := rows.Scan(&x.Dimension, &x.Value, &status, &x.Clips, &x.DurationMS); err != nil {
				return mapErr(err)
			}
			x.Status = ClipStatus(status)
			ts = append(ts, x)
		}
		return mapErr(rows.Err())
	})
	return ts, err
}

// tallyMSExpr is tallyMS in SQL, for recounts; %s is the clips table's
// name or alias.
const tallyMSExpr = `CAST(MAX(%s.duration_s, 0) * 1000 + 0.5 AS INTEGER)`

// tallyMS is a clip's duration as the tallies count it: whole milliseconds,
// half up, computed as SQLite computes tallyMSExpr (the float64 conversion
// keeps the compiler from fusing the multiply and the add, which would
// round differently).
func tallyMS(seconds float64) int64 {
	if !(seconds > 0) {
		return 0
	}
	return int64(float64(seconds*1000) + 0.5)
}

// clipFacts is what a clip's tallies are keyed by.
type clipFacts struct {
	projectID, speakerID int64
	band, mode           string
	region, gender, age  string
	taskID               string // "" = none
	promptID             int64  // the task's prompt; 0 = none
	taskMode             string // the task's mode
	ms                   int64
}

// loadClipFacts reads a clip's status and facts in one lookup.
func loadClipFacts(ctx context.Context, t *tx, clipID string) (ClipStatus, *clipFacts, error) {
	var (
		status   string
		dur      float64
		prompt   nullInt
		taskID   nullStr
		taskMode nullStr
		f        clipFacts
	)
	err := t.QueryRowContext(ctx, `SELECT c.status, c.project_id, c.speaker_id, c.noise_band, c.mode, c.duration_s,
		u.dialect_region, u.gender, u.age_band, k.id, k.prompt_id, k.mode
		FROM clips c JOIN users u ON u.id = c.speaker_id LEFT JOIN tasks k ON k.id = c.task_id WHERE c.id = ?`, clipID).
		Scan(&status, &f.projectID, &f.speakerID, &f.band, &f.mode, &dur, &f.region, &f.gender, &f.age, &taskID, &prompt, &taskMode)
	if err != nil {
		return "", nil, mapErr(err)
	}
	f.ms, f.taskID, f.promptID, f.taskMode = tallyMS(dur), taskID.String, prompt.Int64, taskMode.String
	return ClipStatus(status), &f, nil
}

// liveStatus reports whether a clip of status s counts as recorded: it
// exists ("" = not yet) and is not rejected.
func liveStatus(s ClipStatus) bool { return s != "" && s != StatusRejected }

// moveTallies moves a clip from status from ("" for a new clip) to to in
// every counter.
func moveTallies(ctx context.Context, t *tx, f *clipFacts, from, to ClipStatus) error {
	if from == to {
		return nil
	}
	var (
		rows []string
		args []any
	)
	for _, m := range []struct {
		status ClipStatus
		sign   int64
	}{{from, -1}, {to, 1}} {
		if m.status == "" {
			continue
		}
		for _, d := range [][2]string{{DimBand, f.band}, {DimRegion, f.region}, {DimGender, f.gender},
			{DimAgeBand, f.age}, {DimMode, f.mode}} {
			rows = append(rows, "(?, ?, ?, ?, ?, ?)")
			args = append(args, f.projectID, d[0], d[1], string(m.status), m.sign, m.sign*f.ms)
		}
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO clip_tallies (project_id, dimension, value, status, clips, duration_ms)
		VALUES `+strings.Join(rows, ", ")+`
		ON CONFLICT (project_id, dimension, value, status) DO UPDATE
		SET clips = clips + excluded.clips, duration_ms = duration_ms + excluded.duration_ms`, args...); err != nil {
		return fmt.Errorf("tallies: %w", mapErr(err))
	}
	if liveStatus(from) == liveStatus(to) {
		return nil
	}
	d := int64(1)
	if liveStatus(from) {
		d = -1
	}
	if f.taskID != "" {
		if _, err := t.ExecContext(ctx, `UPDATE tasks SET live_clips = live_clips + ? WHERE id = ?`, d, f.taskID); err != nil {
			return fmt.Errorf("tallies: %w", mapErr(err))
		}
	}
	if f.promptID == 0 {
		return nil
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO prompt_tallies (prompt_id, clips) VALUES (?, ?)
		ON CONFLICT (prompt_id) DO UPDATE SET clips = clips + excluded.clips`, f.promptID, d); err != nil {
		return fmt.Errorf("tallies: %w", mapErr(err))
	}
	if _, err := t.ExecContext(ctx, `INSERT INTO speaker_prompts (speaker_id, mode, prompt_id, clips) VALUES (?, ?, ?, ?)
		ON CONFLICT (speaker_id, mode, prompt_id) DO UPDATE SET clips = clips + excluded.clips`,
		f.speakerID, f.taskMode, f.promptID, d); err != nil {
		return fmt.Errorf("tallies: %w", mapErr(err))
	}
	return nil
}

// profile is what of a speaker the tallies are keyed by.
type profile struct{ region, gender, age string }

// moveProfileTallies moves a speaker's clips from the values of old to
// those of new in the region, gender and age band counters. It reads the
// speaker's clips by the (speaker_id, client_clip_id) key: the cost is the
// speaker's own clips, not the corpus.
func moveProfileTallies(ctx context.Context, t *tx, speakerID int64, old, new profile) error {
	if old == new {
		return nil
	}
	type group struct {
		project int64
		status  string
		clips   int64
		ms      int64
	}
	var groups []group
	rows, err := t.QueryContext(ctx, `SELECT project_id, status, COUNT(*), SUM(`+fmt.Sprintf(tallyMSExpr, "clips")+`)
		FROM clips WHERE speaker_id = ? GROUP BY project_id, status`, speakerID)
	if err != nil {
		return mapErr(err)
	}
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.project, &g.status, &g.clips, &g.ms); err != nil {
			_ = rows.Close() // a read; the Scan error is the one to report
			return mapErr(err)
		}
		groups = append(groups, g)
	}
	_ = rows.Close() // a read: rows.Err() is checked next
	if err := rows.Err(); err != nil {
		return mapErr(err)
	}
	var (
		vals []string
		args []any
	)
	for _, g := range groups {
		for _, d := range []struct{ dim, from, to string }{
			{DimRegion, old.region, new.region}, {DimGender, old.gender, new.gender}, {DimAgeBand, old.age, new.age},
		} {
			if d.from == d.to {
				continue
			}
			vals = append(vals, "(?, ?, ?, ?, ?, ?)", "(?, ?, ?, ?, ?, ?)")
			args = append(args, g.project, d.dim, d.from, g.status, -g.clips, -g.ms,
				g.project, d.dim, d.to, g.status, g.clips, g.ms)
		}
	}
	if len(vals) == 0 {
		return nil
	}
	_, err = t.ExecContext(ctx, `INSERT INTO clip_tallies (project_id, dimension, value, status, clips, duration_ms)
		VALUES `+strings.Join(vals, ", ")+`
		ON CONFLICT (project_id, dimension, value, status) DO UPDATE
		SET clips = clips + excluded.clips, duration_ms = duration_ms + excluded.duration_ms`, args...)
	return mapErr(err)
}

// tallyRecounts are the counters' definitions, counted from the clips: each
// query returns the same columns as its table, key columns first, in the
// table's key order. The audit compares them (the migration that made the
// tables filled them the same way).
var tallyRecounts = []struct {
	table, query string
	keys         int    // how many leading columns are the key
	counted      string // the counters, in the same columns
}{
	{"clip_tallies", `SELECT project_id, 'band', noise_band, status, COUNT(*), SUM(` + fmt.Sprintf(tallyMSExpr, "clips") + `)
			FROM clips GROUP BY project_id, noise_band, status
		UNION ALL
		SELECT project_id, 'mode', mode, status, COUNT(*), SUM(` + fmt.Sprintf(tallyMSExpr, "clips") + `)
			FROM clips GROUP BY project_id, mode, status
		UNION ALL
		SELECT c.project_id, 'region', u.dialect_region, c.status, COUNT(*), SUM(` + fmt.Sprintf(tallyMSExpr, "c") + `)
			FROM clips c JOIN users u ON u.id = c.speaker_id GROUP BY c.project_id, u.dialect_region, c.status
		UNION ALL
		SELECT c.project_id, 'gender', u.gender, c.status, COUNT(*), SUM(` + fmt.Sprintf(tallyMSExpr, "c") + `)
			FROM clips c JOIN users u ON u.id = c.speaker_id GROUP BY c.project_id, u.gender, c.status
		UNION ALL
		SELECT c.project_id, 'age_band', u.age_band, c.status, COUNT(*), SUM(` + fmt.Sprintf(tallyMSExpr, "c") + `)
			FROM clips c JOIN users u ON u.id = c.speaker_id GROUP BY c.project_id, u.age_band, c.status`, 4,
		`SELECT project_id, dimension, value, status, clips, duration_ms FROM clip_tallies`},
	{"prompt_tallies", `SELECT k.prompt_id, COUNT(*) FROM clips c JOIN tasks k ON k.id = c.task_id
		WHERE k.prompt_id IS NOT NULL AND c.status != 'rejected' GROUP BY k.prompt_id`, 1,
		`SELECT prompt_id, clips FROM prompt_tallies`},
	{"speaker_prompts", `SELECT c.speaker_id, k.mode, k.prompt_id, COUNT(*) FROM clips c JOIN tasks k ON k.id = c.task_id
		WHERE k.prompt_id IS NOT NULL AND c.status != 'rejected' GROUP BY c.speaker_id, k.mode, k.prompt_id`, 3,
		`SELECT speaker_id, mode, prompt_id, clips FROM speaker_prompts`},
	{"tasks", `SELECT task_id, COUNT(*) FROM clips WHERE task_id IS NOT NULL AND status != 'rejected' GROUP BY task_id`, 1,
		`SELECT id, live_clips FROM tasks`},
}

// auditTallies counts the counter rows that differ from a recount (a
// missing row and a row of zeros are the same). A corpus made before the
// counters existed (not yet migrated) has nothing to compare.
func auditTallies(ctx context.Context, t *tx, rep *AuditReport) error {
	var n int
	if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'clip_tallies'`).Scan(&n); err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return nil
	}
	for _, r := range tallyRecounts {
		want, err := readTally(ctx, t, r.query, r.keys)
		if err != nil {
			return fmt.Errorf("recount %s: %w", r.table, err)
		}
		got, err := readTally(ctx, t, r.counted, r.keys)
		if err != nil {
			return fmt.Errorf("read %s: %w", r.table, err)
		}
		for k, v := range got {
			if want[k] != v {
				rep.TallyMismatches++
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				rep.TallyMismatches++
			}
		}
	}
	return nil
}

// readTally reads rows into key → values, both as text; rows whose values
// are all zero are left out.
func readTally(ctx context.Context, t *tx, query string, keys int) (map[string]string, error) {
	rows, err := t.QueryContext(ctx, query)
	if err != nil {
		return nil, mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	cols, err := rows.Columns()
	if err != nil {
		return nil, mapErr(err)
	}
	out := map[string]string{}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, mapErr(err)
		}
		var k, v []string
		zero := true
		for i, x := range vals {
			if i < keys {
				k = append(k, x.String)
				continue
			}
			if x.String != "0" && x.String != "" {
				zero = false
			}
			v = append(v, x.String)
		}
		if zero {
			continue
		}
		out[strings.Join(k, "\x00")] = strings.Join(v, "\x00")
	}
	return out, mapErr(rows.Err())
}
