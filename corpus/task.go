package corpus

import (
	"context"
	"errors"
	"fmt"
)

// CreateTask stores t, setting ID (128-bit random hex) and CreatedAt.
// ErrNotFound if the project, speaker or prompt does not exist, or the
// prompt belongs to another project.
func (db *DB) CreateTask(ctx context.Context, task *Task) error {
	if task.Mode == "" || task.NoiseBand == "" {
		return errors.New("task mode and noise band are required")
	}
	return db.update(ctx, func(ctx context.Context, t *tx) error { return createTask(ctx, t, task) })
}

// Task returns one task.
func (db *DB) Task(ctx context.Context, id string) (task *Task, err error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	err = db.readOne(ctx, func(t *tx) error {
		task, err = scanTask(t.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = ?`, id))
		return err
	})
	return task, err
}

// OpenTask returns the speaker's newest task that has no clip that is
// pending review or accepted (a task may take several clips: retakes).
// ErrNotFound when there is none. The count of such clips is kept on the
// task (live_clips, tally.go), and the partial index tasks_open holds only
// the tasks where it is 0: one seek, however many tasks the speaker had.
func (db *DB) OpenTask(ctx context.Context, speakerID int64) (task *Task, err error) {
	err = db.readOne(ctx, func(t *tx) error {
		task, err = scanTask(t.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM tasks
			WHERE speaker_id = ? AND live_clips = 0 ORDER BY created_at DESC, rowid DESC LIMIT 1`, speakerID))
		return err
	})
	return task, err
}

const taskColumns = `id, project_id, speaker_id, prompt_id, mode, noise_band, created_at`

func createTask(ctx context.Context, t *tx, task *Task) error {
	if task.PromptID != 0 {
		var pid int64
		err := t.QueryRowContext(ctx, `SELECT project_id FROM prompts WHERE id = ?`, task.PromptID).Scan(&pid)
		if err != nil {
			return fmt.Errorf("prompt %d: %w", task.PromptID, mapErr(err))
		}
		if pid != task.ProjectID {
			return fmt.Errorf("prompt %d is not in project %d: %w", task.PromptID, task.ProjectID, ErrNotFound)
		}
	}
	id := newID()
	_, err := t.ExecContext(ctx, `INSERT INTO tasks (id, project_id, speaker_id, prompt_id, mode, noise_band, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, task.ProjectID, task.SpeakerID, nullInt64(task.PromptID), task.Mode, task.NoiseBand, nanos(t.now))
	if err != nil {
		return mapErr(err)
	}
	task.ID, task.CreatedAt = id, t.now
	return nil
}

func scanTask(s scanner) (*Task, error) {
	var (
		task     Task
		promptID nullInt
		created  int64
	)
	if err := s.Scan(&task.ID, &task.ProjectID, &task.SpeakerID, &promptID, &task.Mode, &task.NoiseBand, &created); err != nil {
		return nil, mapErr(err)
	}
	task.PromptID = promptID.Int64
	task.CreatedAt = fromNanos(created)
	return &task, nil
}
