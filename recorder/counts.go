package recorder

import (
	"context"
	"maps"
	"sync"
	"time"
)

// countsTTL is how long a project's prompt and band counts are reused. They
// are read from counters the corpus keeps (corpus/tally.go), so a read
// costs the number of prompts, not of clips; reusing them for a second
// spares a project with thousands of prompts that read on every task.
// Balancing needs no fresher figures: the tasks handed out since the
// snapshot are added to it, so a burst still spreads across bands.
const countsTTL = time.Second

// countsCache holds one project's counts and what this process handed out
// since they were read.
type countsCache struct {
	at          time.Time
	use         map[int64]int  // clips not rejected, per prompt
	bands       map[string]int // clips not rejected, per band
	sincePrompt map[int64]int
	sinceBand   map[string]int
}

type projectCounts struct {
	mu sync.Mutex
	m  map[int64]*countsCache
}

// counts returns a project's prompt use and band counts, with the tasks
// handed out since the last read added. The maps are the caller's.
func (s *Service) counts(ctx context.Context, projectID int64) (use map[int64]int, bands map[string]int, err error) {
	s.pcounts.mu.Lock()
	c := s.pcounts.m[projectID]
	fresh := c != nil && time.Since(c.at) < countsTTL
	s.pcounts.mu.Unlock()
	if !fresh {
		at := time.Now()
		u, err := s.db.PromptUse(ctx, projectID)
		if err != nil {
			return nil, nil, err
		}
		b, err := s.db.BandCounts(ctx, projectID)
		if err != nil {
			return nil, nil, err
		}
		c = &countsCache{at: at, use: u, bands: b, sincePrompt: map[int64]int{}, sinceBand: map[string]int{}}
		s.pcounts.mu.Lock()
		if s.pcounts.m == nil {
			s.pcounts.m = map[int64]*countsCache{}
		}
		s.pcounts.m[projectID] = c
		s.pcounts.mu.Unlock()
	}
	s.pcounts.mu.Lock()
	defer s.pcounts.mu.Unlock()
	use, bands = maps.Clone(c.use), maps.Clone(c.bands)
	for k, n := range c.sincePrompt {
		use[k] += n
	}
	for k, n := range c.sinceBand {
		bands[k] += n
	}
	return use, bands, nil
}

// handedOut adds a new task to the project's current snapshot.
func (s *Service) handedOut(projectID, promptID int64, band string) {
	s.pcounts.mu.Lock()
	defer s.pcounts.mu.Unlock()
	if c := s.pcounts.m[projectID]; c != nil {
		c.sincePrompt[promptID]++
		c.sinceBand[band]++
	}
}
