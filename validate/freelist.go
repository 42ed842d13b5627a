package validate

import "sync"

// freeList recycles large scratch objects (channel histograms, read buffers)
// between checks. Unlike sync.Pool it is not emptied by the garbage
// collector nor split per processor, so a server checking a stream of small
// uploads, hostile or not, allocates nothing per file once warm, and tests
// can measure that. It keeps at most max objects.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
	max   int
}

func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.items); n > 0 {
		x := l.items[n-1]
		l.items = l.items[:n-1]
		return x
	}
	return new(T)
}

func (l *freeList[T]) put(x *T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.items) < l.max {
		l.items = append(l.items, x)
	}
}
