package transcript

import (
	"math"
	"sort"
	"unicode/utf8"
)

// item is one unit of a line for the rules: usually one character, but a
// Latin letter carries its combining marks, an emoji its modifiers, and an
// allowed tag is one item.
type item struct {
	start, end int32 // byte range in the line
	col        int32 // 0-based code-point index of start in the line
	cls        class
	sub, flag  uint8
}

// engine lints one line at a time. It keeps its buffers between lines so a
// file of short lines allocates almost nothing but findings; it is not safe
// for concurrent use (Linter pools engines).
type engine struct {
	k     *compiled
	msgs  map[msgKey][2]string // messages already built, by what they depend on
	items []item
	eff   []int32 // indexes of the items that are not transparent
	out   List

	// the current line and where it is
	s       string
	lineNo  int
	col0    int // added to the column of every finding (text after a Kaldi id)
	off     int64
	needNFC bool
	cols    int32 // code points in the line
	// toneMarks is set when a Latin letter of the line carries a tone
	// diacritic: then the line is not numeric-tone romanization, and a
	// digit after a letter is a number.
	toneMarks bool
}

func newEngine(k *compiled) *engine { return &engine{k: k, msgs: map[msgKey][2]string{}} }

// msgKey is what a message depends on besides its rule: the same mark
// fixed the same way gets the same words, so a file with thousands of 、
// builds its message once.
type msgKey struct {
	rule, text, fix string
	v               uint8
}

// message returns the cached message for key, building it with build.
func (e *engine) message(key msgKey, build func() (string, string)) (string, string) {
	if m, ok := e.msgs[key]; ok {
		return m[0], m[1]
	}
	en, zh := build()
	if len(e.msgs) < 4096 && len(key.text) < 64 {
		e.msgs[key] = [2]string{en, zh}
	}
	return en, zh
}

// maxLineLen is the longest line the engine lints. It keeps byte offsets
// and columns in int32 (an item is 16 bytes), and no offset or column of a
// line exceeds its length. LintStream's lines are far shorter
// (MaxLineBytes); Lint and Fix take text of any length.
const maxLineLen = math.MaxInt32

// i32 converts a byte offset or column of the current line, which lintLine
// has checked to be at most maxLineLen.
func i32(i int) int32 {
	return int32(i) //nolint:gosec // G115: at most maxLineLen (math.MaxInt32), checked in lintLine
}

// lintLine appends the findings of one line (without its terminator) to
// e.out. lineNo, col0 and off place the line in the input.
func (e *engine) lintLine(s string, lineNo, col0 int, off int64) {
	e.s, e.lineNo, e.col0, e.off = s, lineNo, col0, off
	if len(s) > maxLineLen {
		// Its offsets would wrap: report the line, lint none of it.
		en, zh := msgLineTooLong(maxLineLen)
		e.add(RuleUnreadable, 0, 0, 0, "", false, en, zh)
		return
	}
	e.tokenize()
	e.check()
}

// add records a finding over s[start:end] unless its rule is switched off.
func (e *engine) add(rule string, start, end, col int32, fix string, hasFix bool, en, zh string) {
	if e.k.off[rule] {
		return
	}
	e.out = append(e.out, Finding{
		Rule: rule, Severity: e.k.severity[rule],
		Line: e.lineNo, Column: e.col0 + int(col) + 1, ByteOffset: e.off + int64(start),
		Text: e.s[start:end], Fix: fix, HasFix: hasFix, Message: en, MessageZh: zh,
	})
}

// tokenize splits e.s into items. It looks at each byte a bounded number of
// times (tags are short and few), so it is linear in the line.
func (e *engine) tokenize() {
	s, k := e.s, e.k
	items := e.items[:0]
	e.needNFC, e.toneMarks = false, false
	apos := false
	col := int32(0)
	for i := 0; i < len(s); {
		b := s[i]
		if k.tagFirst[b] {
			if t := k.matchTag(s[i:]); t != "" {
				items = append(items, item{start: i32(i), end: i32(i + len(t)), col: col, cls: cTag})
				col += i32(utf8.RuneCountInString(t))
				i += len(t)
				continue
			}
		}
		if b < utf8.RuneSelf {
			a := asciiClass[b]
			apos = apos || a.flag&fApos != 0
			items = append(items, item{i32(i), i32(i + 1), col, class(a.cls), a.sub, a.flag})
			i++
			col++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			items = append(items, item{i32(i), i32(i + 1), col, cBad, 0, 0})
			i++
			col++
			continue
		}
		if !nfcInert(r) {
			e.needNFC = true
		}
		if r < rune(len(toneLetters)) && toneLetters[r] || isToneMark(r) {
			e.toneMarks = true
		}
		cls, sub, flag := classify(r)
		var last *item
		if len(items) > 0 {
			last = &items[len(items)-1]
		}
		if last != nil && last.cls == cSymbol {
			// Keep an emoji sequence in one finding: modifiers, variation
			// selectors, keycaps and the characters joined by ZWJ.
			if emojiTail(r) || cls == cCombining || r == 0x200D || cls == cSymbol && last.flag&fZWJ != 0 {
				last.end = i32(i + n)
				if r == 0x200D {
					last.flag |= fZWJ
				} else {
					last.flag &^= fZWJ
				}
				i += n
				col++
				continue
			}
		}
		if cls == cCombining {
			// A combining mark belongs to the letter before it (Tâi-lô tone
			// marks, POJ o͘); anywhere else it is T007.
			if last != nil && (last.cls == cLatin || last.cls == cLetter) && last.end == i32(i) {
				last.end = i32(i + n)
				i += n
				col++
				continue
			}
			cls = cInvisible
		}
		apos = apos || flag&fApos != 0
		items = append(items, item{i32(i), i32(i + n), col, cls, sub, flag})
		i += n
		col++
	}
	e.cols = col
	if k.inWords != nil || apos {
		e.resolveInWords(items)
	}
	e.items = items
}

// nfcInert reports characters that are NFC whatever surrounds them, so most
// lines skip the normalization check.
func nfcInert(r rune) bool {
	return r < 0x300 || r >= 0x3400 && r <= 0x9FFF || r >= 0xFF01 && r <= 0xFF5E || r == 0x3001 || r == 0x3002 || r >= 0x3100 && r <= 0x312F
}

// resolveInWords decides characters that mean one thing between two letters
// and another elsewhere: a character the project allows inside words, and
// apostrophes. ’ between letters is an apostrophe (`don’t`), so Fix must not
// delete it as a quote; it stays a T001 error without a fix, like ASCII '.
func (e *engine) resolveInWords(items []item) {
	for i := range items {
		it := &items[i]
		between := i > 0 && i+1 < len(items) && items[i-1].cls.letter() && items[i+1].cls.letter()
		if between && e.k.inWords != nil {
			r, _ := utf8.DecodeRuneInString(e.s[it.start:])
			if e.k.inWords[r] {
				it.cls, it.flag = items[i-1].cls, 0
				continue
			}
		}
		if it.flag&fApos != 0 && between {
			it.cls = cSymbol
		}
	}
}

// matchTag returns the allowed tag s starts with, or "".
func (k *compiled) matchTag(s string) string {
	for _, t := range k.tags {
		if len(s) >= len(t) && s[:len(t)] == t {
			return t
		}
	}
	return ""
}

// colAt returns the code-point column of byte offset b in the line.
func (e *engine) colAt(b int32) int32 {
	i := sort.Search(len(e.items), func(i int) bool { return e.items[i].start >= b })
	if i < len(e.items) {
		return e.items[i].col
	}
	return e.cols
}

// endCol returns the column just after item i.
func (e *engine) endCol(i int) int32 {
	if i+1 < len(e.items) {
		return e.items[i+1].col
	}
	return e.cols
}
