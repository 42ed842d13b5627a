package transcribe

import (
	"container/list"
	"sync"
)

// cache keeps the analyses of recently opened clips, bounded by bytes
// (clip files never change, so an entry never goes stale). Concurrent asks
// for the same clip wait for one pass instead of each reading the file.
type cache struct {
	mu      sync.Mutex
	budget  int64
	used    int64
	order   *list.List // front = most recent; values are *entry
	entries map[string]*list.Element
	running map[string]*call
}

type entry struct {
	key string
	a   *Analysis
	n   int64
}

type call struct {
	done chan struct{}
	a    *Analysis
	err  error
}

func newCache(budget int64) *cache {
	return &cache{budget: budget, order: list.New(), entries: map[string]*list.Element{}, running: map[string]*call{}}
}

func size(a *Analysis) int64 {
	var n int64
	for c := range a.Channels {
		n += int64(2*len(a.Level[c]) + len(a.Min[c]) + len(a.Max[c]))
	}
	return n
}

// get returns key's analysis, computing it with fn at most once at a time.
func (c *cache) get(key string, fn func() (*Analysis, error)) (*Analysis, error) {
	c.mu.Lock()
	if el, ok := c.entries[key]; ok {
		c.order.MoveToFront(el)
		c.mu.Unlock()
		return el.Value.(*entry).a, nil
	}
	if cl, ok := c.running[key]; ok {
		c.mu.Unlock()
		<-cl.done
		return cl.a, cl.err
	}
	cl := &call{done: make(chan struct{})}
	c.running[key] = cl
	c.mu.Unlock()

	cl.a, cl.err = fn()

	c.mu.Lock()
	delete(c.running, key)
	if cl.err == nil {
		e := &entry{key: key, a: cl.a, n: size(cl.a)}
		c.entries[key] = c.order.PushFront(e)
		c.used += e.n
		for c.used > c.budget && c.order.Len() > 1 {
			old := c.order.Back().Value.(*entry)
			c.order.Remove(c.order.Back())
			delete(c.entries, old.key)
			c.used -= old.n
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.a, cl.err
}
