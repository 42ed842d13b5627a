package recorder

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dialect-corpus/dialect/corpus"
)

// TopicPrefix marks a prompt that is a topic for monologue and dialogue
// tasks rather than a sentence to read: "topic: 講你細漢的時陣上愛食的物件。".
// A topic is never offered as a prompted sentence, nor a sentence as a
// topic; the page is given the text without the prefix. Prompt files
// imported with `dialect import prompts` use the same prefix.
const TopicPrefix = "topic:"

// IsTopic reports whether a prompt's text is a topic (see TopicPrefix).
func IsTopic(text string) bool { return strings.HasPrefix(text, TopicPrefix) }

// PromptText is what a page shows for a prompt's text: topics lose their
// prefix (the recorder page, the review page).
func PromptText(text string) string {
	if t, ok := strings.CutPrefix(text, TopicPrefix); ok {
		return strings.TrimSpace(t)
	}
	return text
}

// Noise bands and modes in the order that breaks ties.
var (
	bandOrder = []string{"low", "medium", "high"}
	modeOrder = []string{"prompted", "monologue", "dialogue"}
)

// taskKey is what a task asks for: a prompt in a mode. A speaker who has
// recorded a topic as a monologue may still be asked for it as a dialogue.
type taskKey struct {
	mode     string
	promptID int64
}

func (s *Service) nextTask(ctx context.Context, speaker *corpus.User) (*Task, error) {
	if speaker == nil {
		return nil, corpus.ErrNotFound
	}
	p, err := s.db.Project(ctx, speaker.ProjectID)
	if err != nil {
		return nil, err
	}
	if speaker.ConsentVersion < p.ConsentVersion {
		return nil, ErrConsentRequired
	}
	pc, err := s.config(p)
	if err != nil {
		return nil, err
	}
	// Two tabs asking at once must not each create a task.
	unlock, err := s.locks.lock(ctx, "task:"+strconv.FormatInt(speaker.ID, 10))
	if err != nil {
		return nil, err
	}
	defer unlock()

	t, err := s.db.OpenTask(ctx, speaker.ID)
	if err == nil && t.ProjectID == p.ID {
		var prompt *corpus.Prompt
		if t.PromptID != 0 {
			if prompt, err = s.db.Prompt(ctx, t.PromptID); err != nil {
				return nil, fmt.Errorf("prompt of task %s: %w", t.ID, err)
			}
		}
		return taskView(t, prompt, pc), nil
	} else if err != nil && !errors.Is(err, corpus.ErrNotFound) {
		return nil, err
	}

	prompts, err := s.db.Prompts(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	use, counts, err := s.counts(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	recorded, err := s.recorded(ctx, speaker.ID, p.ID)
	if err != nil {
		return nil, err
	}
	s.assignedMu.Lock()
	mode, prompt := choosePrompt(p.Modes, prompts, use, recorded, s.assigned)
	s.assignedMu.Unlock()
	if prompt == nil {
		return nil, ErrNoPrompts
	}
	t = &corpus.Task{ProjectID: p.ID, SpeakerID: speaker.ID, PromptID: prompt.ID, Mode: mode,
		NoiseBand: chooseBand(p.BandQuota, counts)}
	// A write: a cancelled request must not roll it back halfway (NOTES).
	if err := s.db.CreateTask(context.WithoutCancel(ctx), t); err != nil {
		return nil, err
	}
	s.assignedMu.Lock()
	s.assigned[prompt.ID]++
	s.assignedMu.Unlock()
	s.handedOut(p.ID, prompt.ID, t.NoiseBand)
	return taskView(t, prompt, pc), nil
}

func taskView(t *corpus.Task, prompt *corpus.Prompt, pc *projectConfig) *Task {
	lim := modeLimits(&pc.check, t.Mode)
	v := &Task{ID: t.ID, Mode: t.Mode, NoiseBand: t.NoiseBand, Format: taskFormat(&pc.check, t.Mode),
		MinDurationS: lim.MinDurationS, MaxDurationS: lim.MaxDurationS}
	if prompt != nil {
		v.Prompt, v.Romanized = PromptText(prompt.Text), prompt.Romanized
	}
	return v
}

// recorded returns what the speaker has recorded in the project: the
// (mode, prompt) of every task with a clip that was not rejected, from the
// speaker's counters (corpus.RecordedPrompts), never from their clips.
func (s *Service) recorded(ctx context.Context, speakerID, projectID int64) (map[taskKey]bool, error) {
	rs, err := s.db.RecordedPrompts(ctx, speakerID, projectID)
	if err != nil {
		return nil, err
	}
	out := make(map[taskKey]bool, len(rs))
	for _, r := range rs {
		out[taskKey{mode: r.Mode, promptID: r.PromptID}] = true
	}
	return out, nil
}

// choosePrompt picks the mode and prompt of a new task. Modes are tried in
// the order prompted, monologue, dialogue (those the project offers; none
// listed means prompted): sentences for prompted mode, topics (TopicPrefix)
// for the others. The first mode with a prompt the speaker has not yet
// recorded in it wins; when the speaker has recorded everything, the first
// mode with any prompt. Within a mode the prompt with the fewest clips in
// the project wins, then the one this process has handed out least (so that
// speakers asking at the same moment spread out), then the lowest id. It
// returns a nil prompt when the project has nothing to record.
func choosePrompt(modes []string, prompts []*corpus.Prompt, use map[int64]int, recorded map[taskKey]bool,
	assigned map[int64]int) (string, *corpus.Prompt) {
	var offered []string
	for _, m := range modeOrder {
		if slices.Contains(modes, m) {
			offered = append(offered, m)
		}
	}
	if len(offered) == 0 {
		offered = modeOrder[:1]
	}
	less := func(a, b *corpus.Prompt) bool {
		if use[a.ID] != use[b.ID] {
			return use[a.ID] < use[b.ID]
		}
		if assigned[a.ID] != assigned[b.ID] {
			return assigned[a.ID] < assigned[b.ID]
		}
		return a.ID < b.ID
	}
	for _, fresh := range []bool{true, false} {
		for _, mode := range offered {
			var best *corpus.Prompt
			for _, p := range prompts {
				if IsTopic(p.Text) != (mode != "prompted") {
					continue
				}
				if fresh && recorded[taskKey{mode, p.ID}] {
					continue
				}
				if best == nil || less(p, best) {
					best = p
				}
			}
			if best != nil {
				return mode, best
			}
		}
	}
	return "", nil
}

// chooseBand picks the noise band furthest below its share of the quota:
// after the next clip, band b should hold quota[b]/Q of the N+1 clips, so
// its deficit is quota[b]·(N+1)/Q − count[b]; the largest deficit wins, ties
// going to low, then medium, then high. Bands with no quota are not
// assigned unless no band has one, in which case all three share equally.
// Integer arithmetic (the deficit times Q) keeps ties exact.
func chooseBand(quota, counts map[string]int) string {
	q := map[string]int{}
	total := 0
	for _, b := range bandOrder {
		if quota[b] > 0 {
			q[b] = quota[b]
			total += quota[b]
		}
	}
	if total == 0 {
		for _, b := range bandOrder {
			q[b] = 1
		}
		total = len(bandOrder)
	}
	n := 0
	for b := range q {
		n += counts[b]
	}
	best, bestDeficit := "", 0
	for _, b := range bandOrder {
		if q[b] == 0 {
			continue
		}
		d := q[b]*(n+1) - counts[b]*total
		if best == "" || d > bestDeficit {
			best, bestDeficit = b, d
		}
	}
	return best
}
