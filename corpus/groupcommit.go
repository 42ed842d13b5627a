package corpus

import (
	"context"
	"fmt"
	"sync"
)

// groupCommit batches the last step of concurrent CommitClip calls: one
// fsync of clips/ and one write transaction for every clip that arrived
// while the previous batch was committing. Under load the single writer's
// per-clip directory fsync and WAL fsync were the ceiling on uploads per
// second; batched, each costs one per batch. Each clip still gets its own
// answer: a savepoint per row keeps one clip's conflict from failing the
// others, and nobody is answered before the batch's commit is durable.
type groupCommit struct {
	mu    sync.Mutex
	queue []*commitReq
	busy  bool
}

type commitReq struct {
	c    *Clip
	err  error
	done chan error
}

// maxBatch bounds one transaction, so a burst cannot hold the writer long.
const maxBatch = 128

// commitRow makes c's already-renamed file durable and inserts its row,
// together with whatever other clips are waiting. The first caller to find
// no batch running leads: it commits batches until the queue is empty.
func (db *DB) commitRow(ctx context.Context, c *Clip) error {
	g := &db.group
	req := &commitReq{c: c, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if g.busy {
		g.mu.Unlock()
		return <-req.done
	}
	g.busy = true
	for len(g.queue) > 0 {
		n := min(len(g.queue), maxBatch)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		db.commitBatch(context.WithoutCancel(ctx), batch)
		g.mu.Lock()
	}
	g.busy = false
	g.queue = nil
	g.mu.Unlock()
	return <-req.done
}

func (db *DB) commitBatch(ctx context.Context, batch []*commitReq) {
	defer func() {
		for _, r := range batch {
			if r.err != nil {
				db.removeUnlessRow(ctx, r.c.ID)
			}
			r.done <- r.err
		}
	}()
	// C2 4: one fsync of clips/ makes every rename before it durable.
	if err := syncDir(db.root, clipsDir); err != nil {
		for _, r := range batch {
			r.err = fmt.Errorf("sync %s: %w", clipsDir, mapErr(err))
		}
		return
	}
	failpoint("after-dir-fsync")
	// C2 5: the rows and their first decisions, in one transaction.
	err := db.update(ctx, func(ctx context.Context, t *tx) error {
		for i, r := range batch {
			sp := fmt.Sprintf("clip%d", i)
			if _, err := t.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
				return mapErr(err)
			}
			if r.err = insertClip(ctx, t, r.c); r.err != nil {
				if _, err := t.ExecContext(ctx, "ROLLBACK TO "+sp); err != nil {
					return mapErr(err)
				}
			}
			if _, err := t.ExecContext(ctx, "RELEASE "+sp); err != nil {
				return mapErr(err)
			}
		}
		failpoint("in-tx")
		return nil
	})
	if err != nil {
		for _, r := range batch {
			if r.err == nil {
				r.err = err
			}
		}
	}
}
