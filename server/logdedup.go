package server

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// NewDedupHandler wraps h so that the same error, repeated, is logged once
// per interval with a count: with the disk full, every upload fails the
// same way, and one line per failure filled 14.8 MB of log in 15 s
// (issue #18).
//
// Only records at level Error that carry an "err" attribute are folded.
// Two are "the same" when their message and their "path" and "code"
// attributes are equal, or, without a "code", their message and "err"
// (an error code is stable where an error's text names a temp file). The
// first is logged at once; the others within interval are counted, and the
// count goes out as "repeated" (with "repeated_over_s") on the next such
// record after the interval, or with the next record of any kind once the
// interval has passed. Sign-in refusals and other audit lines (Warn) are
// never folded.
func NewDedupHandler(h slog.Handler, interval time.Duration) slog.Handler {
	return &dedupHandler{inner: h, st: &dedupState{interval: interval, now: time.Now, seen: map[string]*dedupWindow{}}}
}

type dedupState struct {
	mu       sync.Mutex
	interval time.Duration
	now      func() time.Time
	seen     map[string]*dedupWindow
}

type dedupWindow struct {
	start      time.Time
	suppressed int
	last       slog.Record  // the newest suppressed record
	h          slog.Handler // the handler (attributes, groups) it came through
}

type dedupHandler struct {
	inner slog.Handler
	st    *dedupState
}

func (d *dedupHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return d.inner.Enabled(ctx, l)
}

func (d *dedupHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &dedupHandler{inner: d.inner.WithAttrs(as), st: d.st}
}

func (d *dedupHandler) WithGroup(name string) slog.Handler {
	return &dedupHandler{inner: d.inner.WithGroup(name), st: d.st}
}

// dedupKey is the record's identity for folding, "" when it is not folded.
func dedupKey(r slog.Record) string {
	if r.Level < slog.LevelError {
		return ""
	}
	var errText, path, code string
	hasErr := false
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "err":
			hasErr, errText = true, a.Value.String()
		case "path":
			path = a.Value.String()
		case "code":
			code = a.Value.String()
		}
		return true
	})
	if !hasErr {
		return ""
	}
	if code != "" {
		return r.Message + "\x00" + path + "\x00" + code
	}
	return r.Message + "\x00" + path + "\x00" + errText
}

func (d *dedupHandler) Handle(ctx context.Context, r slog.Record) error {
	st := d.st
	key := dedupKey(r)
	st.mu.Lock()
	now := st.now()
	// Windows that have run out: their counts go out now.
	var due []*dedupWindow
	for k, w := range st.seen {
		if k != key && now.Sub(w.start) >= st.interval {
			if w.suppressed > 0 {
				due = append(due, w)
			}
			delete(st.seen, k)
		}
	}
	repeated := 0
	var since time.Time
	if key != "" {
		w := st.seen[key]
		if w != nil && now.Sub(w.start) < st.interval {
			w.suppressed++
			w.last, w.h = r.Clone(), d.inner
			st.mu.Unlock()
			return flush(ctx, due, now)
		}
		if w != nil {
			repeated, since = w.suppressed, w.start
		}
		st.seen[key] = &dedupWindow{start: now}
	}
	st.mu.Unlock()
	err := flush(ctx, due, now)
	if repeated > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", repeated), slog.Float64("repeated_over_s", now.Sub(since).Seconds()))
	}
	if e := d.inner.Handle(ctx, r); e != nil {
		err = e
	}
	return err
}

// flush logs the newest suppressed record of each window with its count.
func flush(ctx context.Context, due []*dedupWindow, now time.Time) error {
	var err error
	for _, w := range due {
		r := w.last.Clone()
		r.AddAttrs(slog.Int("repeated", w.suppressed), slog.Float64("repeated_over_s", now.Sub(w.start).Seconds()))
		if e := w.h.Handle(ctx, r); e != nil {
			err = e
		}
	}
	return err
}
