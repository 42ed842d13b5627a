package corpus

import (
	"context"
	"errors"
)

// AddPrompts stores prompts for a project, skipping any whose Text already
// exists in it (or repeats within prompts); it returns how many were added.
// ErrNotFound if the project does not exist.
func (db *DB) AddPrompts(ctx context.Context, projectID int64, prompts []Prompt) (n int, err error) {
	for i := range prompts {
		if prompts[i].Text == "" {
			return 0, errors.New("prompt text is empty")
		}
	}
	err = db.update(ctx, func(ctx context.Context, t *tx) error {
		if _, err := findProject(ctx, t, `WHERE id = ?`, projectID); err != nil {
			return err
		}
		stmt, err := t.PrepareContext(ctx, `INSERT INTO prompts (project_id, text, romanized, note, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, text) DO NOTHING`)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = stmt.Close() }() // finalizes the statement; every Exec's error is checked, and the commit is what counts
		n = 0
		for _, p := range prompts {
			res, err := stmt.ExecContext(ctx, projectID, p.Text, p.Romanized, p.Note, nanos(t.now))
			if err != nil {
				return mapErr(err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Prompts lists a project's prompts by id.
func (db *DB) Prompts(ctx context.Context, projectID int64) (ps []*Prompt, err error) {
	err = db.view(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, `SELECT `+promptColumns+` FROM prompts WHERE project_id = ? ORDER BY id`, projectID)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			p, err := scanPrompt(rows)
			if err != nil {
				return err
			}
			ps = append(ps, p)
		}
		return mapErr(rows.Err())
	})
	return ps, err
}

// Prompt returns one prompt.
func (db *DB) Prompt(ctx context.Context, id int64) (p *Prompt, err error) {
	err = db.readOne(ctx, func(t *tx) error {
		p, err = scanPrompt(t.QueryRowContext(ctx, `SELECT `+promptColumns+` FROM prompts WHERE id = ?`, id))
		return err
	})
	return p, err
}

// PromptUse counts, per prompt of the project, the clips not rejected.
// Every prompt of the project is in the map, unused ones with 0. It reads
// the counters (prompt_tallies), not the clips.
func (db *DB) PromptUse(ctx context.Context, projectID int64) (use map[int64]int, err error) {
	use = make(map[int64]int)
	err = db.readOne(ctx, func(t *tx) error {
		return countInto(ctx, t, use, `SELECT p.id, COALESCE(n.clips, 0) FROM prompts p
			LEFT JOIN prompt_tallies n ON n.prompt_id = p.id WHERE p.project_id = ?`, projectID)
	})
	return use, err
}

// BandCounts counts a project's clips not rejected, per declared noise
// band (bands with none are left out). It reads the counters.
func (db *DB) BandCounts(ctx context.Context, projectID int64) (counts map[string]int, err error) {
	counts = make(map[string]int)
	err = db.readOne(ctx, func(t *tx) error {
		return countInto(ctx, t, counts, `SELECT value, SUM(clips) FROM clip_tallies
			WHERE project_id = ? AND dimension = ? AND status != ? GROUP BY value HAVING SUM(clips) > 0`,
			projectID, DimBand, string(StatusRejected))
	})
	return counts, err
}

// RecordedPrompt is a prompt a speaker has recorded in a mode: a task of
// that mode and prompt has a clip that is not rejected.
type RecordedPrompt struct {
	Mode     string
	PromptID int64
}

// RecordedPrompts lists what the speaker has recorded of the project's
// prompts, read from the speaker's counters (speaker_prompts) by their key.
func (db *DB) RecordedPrompts(ctx context.Context, speakerID, projectID int64) (rs []RecordedPrompt, err error) {
	err = db.readOne(ctx, func(t *tx) error {
		rows, err := t.QueryContext(ctx, `SELECT s.mode, s.prompt_id FROM speaker_prompts s JOIN prompts p ON p.id = s.prompt_id
			WHERE s.speaker_id = ? AND s.clips > 0 AND p.project_id = ?`, speakerID, projectID)
		if err != nil {
			return mapErr(err)
		}
		defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
		for rows.Next() {
			var r RecordedPrompt
			if err := rows.Scan(&r.Mode, &r.PromptID); err != nil {
				return mapErr(err)
			}
			rs = append(rs, r)
		}
		return mapErr(rows.Err())
	})
	return rs, err
}

// countInto fills m from a query returning (key, count) rows.
func countInto[K comparable](ctx context.Context, t *tx, m map[K]int, query string, args ...any) error {
	rows, err := t.QueryContext(ctx, query, args...)
	if err != nil {
		return mapErr(err)
	}
	defer func() { _ = rows.Close() }() // a read: rows.Err() is checked
	for rows.Next() {
		var (
			k K
			n int
		)
		if err := rows.Scan(&k, &n); err != nil {
			return mapErr(err)
		}
		m[k] = n
	}
	return mapErr(rows.Err())
}

const promptColumns = `id, project_id, text, romanized, note, created_at`

func scanPrompt(s scanner) (*Prompt, error) {
	var (
		p       Prompt
		created int64
	)
	if err := s.Scan(&p.ID, &p.ProjectID, &p.Text, &p.Romanized, &p.Note, &created); err != nil {
		return nil, mapErr(err)
	}
	p.CreatedAt = fromNanos(created)
	return &p, nil
}
