package transcript

import (
	"strings"
	"sync"
)

// Linter lints with one checked Config. It is safe for concurrent use: the
// server keeps one per project.
type Linter struct {
	k    *compiled
	pool sync.Pool
}

// NewLinter checks cfg and returns a Linter for it.
func NewLinter(cfg Config) (*Linter, error) {
	k, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	return newLinter(k), nil
}

func newLinter(k *compiled) *Linter {
	l := &Linter{k: k}
	l.pool.New = func() any { return newEngine(k) }
	return l
}

// Lint returns the findings of text, sorted by position. Each line of text
// is one utterance; "\r\n" ends a line like "\n". A line of more than
// math.MaxInt32 bytes is not linted: it gets one F001 finding.
func (l *Linter) Lint(text string) []Finding {
	e := l.pool.Get().(*engine)
	defer l.pool.Put(e)
	e.out = e.out[:0]
	e.lintText(text, 1, 0, 0)
	return append([]Finding(nil), e.out...)
}

// Fix applies every fixable finding of text and returns the fixed text with
// the findings that remain in it (positions in the fixed text). Fixing the
// fixed text changes nothing.
func (l *Linter) Fix(text string) (fixed string, remaining []Finding) {
	e := l.pool.Get().(*engine)
	defer l.pool.Put(e)
	e.out = e.out[:0]
	fixed = e.fixText(text, 1, 0, 0)
	return fixed, append([]Finding(nil), e.out...)
}

// Lint returns the findings of text under cfg, sorted by position. An
// invalid cfg (one that fails Validate) lints with DefaultConfig: check the
// config once with NewLinter or Validate where it is loaded.
func Lint(text string, cfg Config) []Finding {
	return newLinter(mustCompile(cfg)).Lint(text)
}

// Fix applies every fixable finding of text under cfg; see Linter.Fix.
func Fix(text string, cfg Config) (fixed string, remaining []Finding) {
	return newLinter(mustCompile(cfg)).Fix(text)
}

// eachLine calls fn for every line of text with its terminator stripped:
// "\n", or "\r\n" (a lone "\r" stays in the line, where T007 reports it).
// The text after the last "\n" is a line only if it is not empty, and an
// empty text is one empty line.
func eachLine(text string, fn func(line, term string, start int)) {
	if text == "" {
		fn("", "", 0)
		return
	}
	for start := 0; start < len(text); {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			fn(text[start:], "", start)
			return
		}
		end, term := start+i, "\n"
		if end > start && text[end-1] == '\r' {
			end, term = end-1, "\r\n"
		}
		fn(text[start:end], term, start)
		start += i + 1
	}
}

// lintText appends the findings of every line of text to e.out; line, col0
// and off place the text's first byte in the input.
func (e *engine) lintText(text string, line, col0 int, off int64) {
	n := 0
	eachLine(text, func(s, _ string, start int) {
		c := 0
		if n == 0 {
			c = col0
		}
		e.lintLine(s, line+n, c, off+int64(start))
		n++
	})
}

// maxPasses bounds the fix loop. A pass applies every fix that does not
// overlap an earlier one; a fix can make another one possible (a mark
// turned into a comma next to a comma, then folded), so it takes a few
// passes, each linear.
const maxPasses = 8

// fixText fixes every line of text and leaves the findings that remain, placed
// in the fixed text, in e.out.
func (e *engine) fixText(text string, line, col0 int, off int64) string {
	var b strings.Builder
	b.Grow(len(text))
	n := 0
	eachLine(text, func(s, term string, _ int) {
		c := 0
		if n == 0 {
			c = col0
		}
		fixed := e.fixLine(s)
		e.lintLine(fixed, line+n, c, off+int64(b.Len()))
		b.WriteString(fixed)
		b.WriteString(term)
		n++
	})
	return b.String()
}

// fixLine returns s with its fixes applied until none is left. e.out is
// restored to its length on entry.
func (e *engine) fixLine(s string) string {
	mark := len(e.out)
	for pass := 0; pass < maxPasses; pass++ {
		e.out = e.out[:mark]
		e.lintLine(s, 1, 0, 0)
		fixed, changed := applyFixes(s, e.out[mark:])
		if !changed {
			break
		}
		s = fixed
	}
	e.out = e.out[:mark]
	return s
}

// applyFixes applies the fixes of fs (sorted, positions relative to s) that
// do not overlap an earlier one.
func applyFixes(s string, fs []Finding) (string, bool) {
	var b strings.Builder
	cur := int64(0)
	changed := false
	for i := range fs {
		f := &fs[i]
		if !f.HasFix || f.ByteOffset < cur || f.Fix == f.Text {
			continue
		}
		if !changed {
			b.Grow(len(s))
			changed = true
		}
		b.WriteString(s[cur:f.ByteOffset])
		b.WriteString(f.Fix)
		cur = f.end()
	}
	if !changed {
		return s, false
	}
	b.WriteString(s[cur:])
	return b.String(), true
}
