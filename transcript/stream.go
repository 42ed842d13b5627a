package transcript

import (
	"fmt"
	"io"
	"strings"
)

// Change is what FixStream did to one record of a file: a line, a subtitle
// text line, a TextGrid string.
type Change struct {
	// Utterance is the utterance as read; its Text is empty for a record
	// with findings but no utterance (a bad cue timing).
	Utterance
	// Fixed is the utterance's fixed text, equal to Text when unchanged.
	Fixed string
	// Found are the findings in the input, placed in it.
	Found []Finding
	// Remaining are the findings left in the output, placed in it.
	Remaining []Finding
	// Before and After are the input lines of the record, terminators
	// included, and the lines that replace them: a diff prints these.
	Before, After string
	// BeforeLine is the line number of Before's first line.
	BeforeLine int
}

// Changed reports whether FixStream rewrote the record.
func (c *Change) Changed() bool { return c.Before != c.After }

// LintStream reads utterances from r in the format of opts and calls fn
// with each one that has findings, in file order, with positions in the
// file. fs is reused once fn returns. Memory stays flat whatever the size
// of r. It returns fn's error, a read error, an error wrapping
// ErrInvalidUTF8 after reporting the bad byte as an F002 finding, or a
// *SetupError when opts do not fit the file.
func LintStream(r io.Reader, opts ReadOptions, cfg Config, fn func(u Utterance, fs []Finding) error) error {
	st, err := newStream(r, opts, cfg)
	if err != nil {
		return err
	}
	// One goroutine: a pipeline over batches of lines measured 3× slower
	// on two busy cores (hand-offs and copies cost more than linting a
	// line); the CLI lints several files in parallel instead.
	return st.lint(fn)
}

func (st *stream) lint(fn func(u Utterance, fs []Finding) error) error {
	first := true
	for {
		ok, err := st.p.next(st.lr, &st.rec)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		e := st.e
		e.out = e.out[:0]
		if first {
			first = false
			st.addBOM()
		}
		e.lintRecord(&st.rec)
		if len(e.out) > 0 {
			if err := fn(st.utterance(&st.rec), e.out); err != nil {
				return err
			}
		}
	}
	if first && st.addBOM() {
		if err := fn(Utterance{Line: 1, Column: 1}, st.e.out); err != nil {
			return err
		}
	}
	return st.end(func(f Finding) error {
		return fn(Utterance{Line: f.Line, Column: f.Column, Offset: f.ByteOffset}, []Finding{f})
	})
}

// FixStream copies r to w with every utterance fixed and calls fn, in file
// order, for every record that has findings before or after fixing. Fixes
// never add or remove lines, so line numbers match between r and w. On an
// error, w holds part of the output: write to a temporary file and rename
// it only on success. Errors are those of LintStream, and w's.
func FixStream(r io.Reader, w io.Writer, opts ReadOptions, cfg Config, fn func(c *Change) error) error {
	st, err := newStream(r, opts, cfg)
	if err != nil {
		return err
	}
	var (
		out     record
		outOff  int64
		buf     []byte
		found   []Finding
		first   = true
		keepBOM bool
	)
	for {
		ok, err := st.p.next(st.lr, &st.rec)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		rec, e := &st.rec, st.e
		e.out = e.out[:0]
		before := ""
		if first {
			first = false
			if st.lr.bom {
				keepBOM = !st.addBOM()
				before = string(bom)
				if keepBOM {
					outOff = int64(len(bom))
					if _, err := w.Write(bom); err != nil {
						return err
					}
				}
			}
		}
		e.lintRecord(rec)
		found = append(found[:0], e.out...)

		out.reset(rec.raw, rec.lineNo, outOff)
		if rec.hasUtt {
			out.hasUtt, out.u = true, rec.u
			if fixed := e.fixString(rec.u.text); fixed != rec.u.text {
				src, spans := fixed, []span(nil)
				if rec.u.encode != nil {
					src, spans = rec.u.encode(fixed)
				}
				buf = append(append(append(buf[:0], rec.raw[:rec.u.start]...), src...), rec.raw[rec.u.end:]...)
				out.raw = buf
				out.u = utt{id: rec.u.id, start: rec.u.start, end: rec.u.start + len(src), text: fixed, spans: spans, encode: rec.u.encode}
			}
		}
		out.notes = append(out.notes, rec.notes...)
		if _, err := w.Write(out.raw); err != nil {
			return err
		}
		outOff += int64(len(out.raw))
		e.out = e.out[:0]
		e.lintRecord(&out)
		if len(found) > 0 || len(e.out) > 0 || before != "" {
			c := &Change{Utterance: st.utterance(rec), Fixed: out.u.text, Found: found, Remaining: e.out,
				Before: before + string(rec.raw), After: string(out.raw), BeforeLine: rec.lineNo}
			if keepBOM {
				c.After = before + c.After
			}
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	if first && st.lr.bom && st.addBOM() {
		c := &Change{Utterance: Utterance{Line: 1, Column: 1}, Found: st.e.out, Before: string(bom), BeforeLine: 1}
		if err := fn(c); err != nil {
			return err
		}
	}
	return st.end(func(f Finding) error { return fn(&Change{Found: []Finding{f}, Remaining: []Finding{f}}) })
}

// SetupError says the read options do not fit a file (no such TSV column):
// a usage problem, not a finding. MsgZh is the message in zh-TW ("" when
// there is none yet: show Msg).
type SetupError struct{ Msg, MsgZh string }

func (e *SetupError) Error() string { return e.Msg }

type stream struct {
	lr  *lineReader
	p   parser
	e   *engine
	rec record
}

func newStream(r io.Reader, opts ReadOptions, cfg Config) (*stream, error) {
	k, err := compile(cfg)
	if err != nil {
		return nil, &SetupError{Msg: "config: " + err.Error()}
	}
	p, err := newParser(opts)
	if err != nil {
		return nil, err
	}
	return &stream{lr: newLineReader(r), p: p, e: newEngine(k)}, nil
}

// addBOM reports a byte order mark at the start of the input as T007, if
// there is one and T007 is on. An editor hides the BOM, so columns on line
// 1 do not count it; byte offsets do.
func (st *stream) addBOM() bool {
	if !st.lr.bom || st.e.k.off[RuleInvisible] {
		return false
	}
	en, zh := msgInvisible("\uFEFF", false, false)
	st.e.out = append(st.e.out, Finding{Rule: RuleInvisible, Severity: st.e.k.severity[RuleInvisible], Line: 1, Column: 1,
		Text: "\uFEFF", HasFix: true, Message: en, MessageZh: zh})
	return true
}

// end reports how the input ended: an F002 finding for bytes that are not
// UTF-8, or a read error.
func (st *stream) end(report func(Finding) error) error {
	if st.lr.bad != nil {
		if err := report(*st.lr.bad); err != nil {
			return err
		}
		return fmt.Errorf("line %d, column %d: %w", st.lr.bad.Line, st.lr.bad.Column, ErrInvalidUTF8)
	}
	return st.lr.err
}

func (st *stream) utterance(rec *record) Utterance {
	if !rec.hasUtt {
		line, col := rec.position(0)
		return Utterance{Line: line, Column: col, Offset: rec.off}
	}
	line, col := rec.position(rec.u.start)
	return Utterance{ID: rec.u.id, Text: rec.u.text, Line: line, Column: col, Offset: rec.off + int64(rec.u.start)}
}

// lintRecord appends the findings of rec to e.out, placed in the file.
func (e *engine) lintRecord(rec *record) {
	for _, n := range rec.notes {
		if e.k.off[n.rule] {
			continue
		}
		line, col := rec.position(n.idx)
		e.out = append(e.out, Finding{Rule: n.rule, Severity: e.k.severity[n.rule], Line: line, Column: col,
			ByteOffset: rec.off + int64(n.idx), Text: n.text, Message: n.en, MessageZh: n.zh})
	}
	if !rec.hasUtt {
		return
	}
	u := &rec.u
	line, col := rec.position(u.start)
	if u.spans == nil {
		e.lintText(u.text, line, col-1, rec.off+int64(u.start))
		return
	}
	mark := len(e.out)
	e.lintText(u.text, 1, 0, 0)
	e.placeEscaped(e.out[mark:], rec, u)
}

// placeEscaped moves findings placed in an escaped utterance's decoded text
// to the file: through the spans to the source bytes, then counting lines
// and code points there. fs are sorted, so one walk places them all.
func (e *engine) placeEscaped(fs []Finding, rec *record, u *utt) {
	si := 0
	idx, line, col := 0, rec.lineNo, 1
	for i := range fs {
		f := &fs[i]
		t := int(f.ByteOffset)
		for si+1 < len(u.spans) && u.spans[si+1].text <= t {
			si++
		}
		target := u.start + t
		if len(u.spans) > 0 && u.spans[si].text <= t {
			target = u.start + u.spans[si].raw + (t - u.spans[si].text)
		}
		for ; idx < target && idx < len(rec.raw); idx++ {
			switch b := rec.raw[idx]; {
			case b == '\n':
				line, col = line+1, 1
			case b&0xC0 != 0x80:
				col++
			}
		}
		f.Line, f.Column, f.ByteOffset = line, col, rec.off+int64(target)
	}
}

// fixString returns text with every line fixed.
func (e *engine) fixString(text string) string {
	if !strings.ContainsRune(text, '\n') {
		return e.fixLine(text)
	}
	var b strings.Builder
	eachLine(text, func(s, term string, _ int) {
		b.WriteString(e.fixLine(s))
		b.WriteString(term)
	})
	return b.String()
}
