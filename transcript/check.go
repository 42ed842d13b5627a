package transcript

import (
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// check runs every rule over the items of the current line. Rules that look
// at neighbours use e.eff, the items that survive Fix, so a finding in the
// original text predicts what the fixed text needs.
func (e *engine) check() {
	s, items := e.s, e.items
	start := len(e.out)
	eff := e.eff[:0]
	hasHan, content := false, false
	for i := range items {
		c := items[i].cls
		if c.transparent() {
			continue
		}
		eff = append(eff, int32(i))
		switch c {
		case cHan:
			hasHan, content = true, true
		case cLatin, cLetter, cDigit:
			// Digits count as words here: `3` was said, just written the
			// wrong way, which is T006's business, not T002's.
			content = true
		default:
			// Spaces, marks, hyphens, symbols and tags are not words.
		}
	}
	e.eff = eff
	for i := range items {
		if items[i].cls == cBad {
			en, zh := msgBadByte(s[items[i].start])
			e.add(RuleInvalidUTF8, items[i].start, items[i].end, items[i].col, "", true, en, zh)
		}
	}
	if !content {
		// Only one finding for a line with no words: fixing its marks or
		// spaces would just leave an empty line.
		en, zh := msgEmpty(strings.TrimSpace(s) == "")
		e.add(RuleEmpty, 0, i32(len(s)), 0, "", false, en, zh)
		if e.needNFC {
			// Still normalize (U+2000 becomes U+2002): the output of Fix
			// is NFC, whatever else it keeps.
			e.checkNFC()
		}
		e.sortFrom(start)
		return
	}
	w := e.k.width
	if w == widthAuto {
		w = widthHalf
		if hasHan {
			w = widthFull
		}
	}
	e.checkDigits()
	e.checkItems(w)
	e.checkSpaces(w)
	e.checkHyphens()
	e.checkMarkRuns(w)
	if e.needNFC {
		e.checkNFC()
	}
	if e.k.finalMark {
		e.checkFinalMark()
	}
	if e.k.maxLength > 0 && int(e.cols) > e.k.maxLength {
		// The item holding character N+1 (a tag spans several).
		i := sort.Search(len(items), func(i int) bool { return int(items[i].col) > e.k.maxLength }) - 1
		en, zh := msgMaxLength(e.k.maxLength, int(e.cols))
		e.add(RuleMaxLength, items[i].start, i32(len(s)), items[i].col, "", false, en, zh)
	}
	if e.k.script != "" {
		e.checkScript()
	}
	e.sortFrom(start)
}

func (e *engine) sortFrom(start int) {
	if len(e.out)-start > 1 {
		e.out[start:].Sort()
	}
}

func canon(kind uint8, w width) string {
	if w == widthFull {
		return fullMarks[kind]
	}
	return halfMarks[kind]
}

// checkDigits marks numeric tones and reports T006. A tone is one ASCII
// digit 1–9 right after a Latin letter and not followed by another letter
// or digit (gua2, beh4, tsit8-e5), in a line whose romanization does not
// write tones with diacritics: the two systems do not mix, so in
// `kóng3` or `Tshī-tiûnn tsia5` the digit is a number.
func (e *engine) checkDigits() {
	items, eff := e.items, e.eff
	for j := 0; j < len(eff); {
		it := &items[eff[j]]
		if it.cls != cDigit {
			j++
			continue
		}
		k := j + 1
		full := it.flag&fFull != 0
		for k < len(eff) && items[eff[k]].cls == cDigit {
			full = full || items[eff[k]].flag&fFull != 0
			k++
		}
		last := &items[eff[k-1]]
		if k-j == 1 && !e.toneMarks && it.end-it.start == 1 && e.s[it.start] >= '1' && e.s[it.start] <= '9' && j > 0 && items[eff[j-1]].cls == cLatin {
			if k == len(eff) || !items[eff[k]].cls.letter() {
				it.flag |= fTone
				j = k
				continue
			}
		}
		text := e.s[it.start:last.end]
		fix := ""
		if full {
			fix = toASCIIDigits(text)
		}
		en, zh := e.message(msgKey{RuleDigits, text, "", b2u(full)}, func() (string, string) { return msgDigits(text, full) })
		e.add(RuleDigits, it.start, last.end, it.col, fix, full, en, zh)
		j = k
	}
}

// toASCIIDigits turns full-width digits into ASCII and keeps the rest.
func toASCIIDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '０' && r <= '９' {
			r = r - '０' + '0'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// checkItems reports the rules about single characters: T001, T007, T009,
// T010, T012 and F002.
func (e *engine) checkItems(w width) {
	s, items := e.s, e.items
	for i := 0; i < len(items); i++ {
		it := &items[i]
		switch it.cls {
		case cInvisible:
			r, _ := utf8.DecodeRuneInString(s[it.start:])
			combining := r >= 0x80 && isCombining(r)
			en, zh := msgInvisible(s[it.start:it.end], combining, it.flag&fNoFix != 0)
			e.add(RuleInvisible, it.start, it.end, it.col, "", it.flag&fNoFix == 0, en, zh)
		case cQuote:
			text := s[it.start:it.end]
			en, zh := e.message(msgKey{RuleMark, text, "", 1}, func() (string, string) { return msgMark(text, false, "", true) })
			e.add(RuleMark, it.start, it.end, it.col, "", true, en, zh)
		case cSymbol:
			// One finding for a run of the same symbol: —— and …… are one
			// mark to a reader.
			text := s[it.start:it.end]
			j := i + 1
			for j < len(items) && items[j].cls == cSymbol && s[items[j].start:items[j].end] == text {
				j++
			}
			run, apos := s[it.start:items[j-1].end], it.flag&fApos != 0 && i > 0 && items[i-1].cls.letter()
			en, zh := e.message(msgKey{RuleMark, run, "", 2 + b2u(apos)}, func() (string, string) { return msgMark(run, apos, "", false) })
			e.add(RuleMark, it.start, items[j-1].end, it.col, "", false, en, zh)
			i = j - 1
		case cLatin:
			if it.flag&fFull == 0 {
				continue
			}
			// One finding for a run of full-width letters: ＬＩＮＥ is one
			// word to a reader, and one fix.
			var fix strings.Builder
			j := i
			for ; j < len(items) && items[j].cls == cLatin && items[j].flag&fFull != 0 && (j == i || items[j].start == items[j-1].end); j++ {
				r, n := utf8.DecodeRuneInString(s[items[j].start:])
				fix.WriteRune(r - 0xFEE0)
				fix.WriteString(s[int(items[j].start)+n : items[j].end]) // its combining marks
			}
			text, fixed := s[it.start:items[j-1].end], fix.String()
			en, zh := e.message(msgKey{RuleFullLatin, text, fixed, 0}, func() (string, string) { return msgFullLatin(text, fixed) })
			e.add(RuleFullLatin, it.start, items[j-1].end, it.col, fixed, true, en, zh)
			i = j - 1
		case cSpace:
			if it.sub == sNBSP || it.sub == sOther {
				en, zh := msgOddSpace(s[it.start:it.end])
				e.add(RuleInvisible, it.start, it.end, it.col, " ", true, en, zh)
			}
		case cMark:
			if it.sub == mDouble {
				continue
			}
			text, fix := s[it.start:it.end], canon(it.sub, w)
			switch {
			case it.flag&fSubst != 0:
				en, zh := e.message(msgKey{RuleMark, text, fix, 4}, func() (string, string) { return msgMark(text, false, fix, true) })
				e.add(RuleMark, it.start, it.end, it.col, fix, true, en, zh)
			case it.flag&fVariant != 0:
				en, zh := e.message(msgKey{RuleVariant, text, fix, 0}, func() (string, string) { return msgVariant(text, fix) })
				e.add(RuleVariant, it.start, it.end, it.col, fix, true, en, zh)
			case (it.flag&fHalf != 0) != (w == widthHalf):
				en, zh := e.message(msgKey{RuleWidth, text, fix, 0}, func() (string, string) { return msgWidth(text, fix, w == widthFull) })
				e.add(RuleWidth, it.start, it.end, it.col, fix, true, en, zh)
			}
		default:
			// No rule about the character alone: digits (checkDigits),
			// hyphens (checkHyphens), bytes that are not UTF-8 (F002, in
			// check); Han, other letters and tags are words. Combining marks
			// never get here: the tokenizer attaches them or makes them
			// cInvisible.
		}
	}
}

func isCombining(r rune) bool {
	c, _, _ := classify(r)
	return c == cCombining
}

// checkSpaces reports T003 over each run of whitespace.
func (e *engine) checkSpaces(w width) {
	items, eff := e.items, e.eff
	for j := 0; j < len(eff); {
		if items[eff[j]].cls != cSpace {
			j++
			continue
		}
		k := j
		tab, ideo := false, false
		for k < len(eff) && items[eff[k]].cls == cSpace {
			tab = tab || items[eff[k]].sub == sTab
			ideo = ideo || items[eff[k]].sub == sIdeo
			k++
		}
		first, last := &items[eff[j]], &items[eff[k-1]]
		var prev, next *item
		if j > 0 {
			prev = &items[eff[j-1]]
		}
		if k < len(eff) {
			next = &items[eff[k]]
		}
		reason, fix, end := "", "", last.end
		switch {
		case prev == nil:
			reason = "leading"
		case next == nil:
			reason = "trailing"
		case prev.cls == cHan && next.cls == cHan:
			reason = "han"
		case next.cls == cMark && w == widthHalf && spacedAfter(items, eff, k):
			// `lâng ,tsin`: the space belongs after the mark, as in every
			// text written in Latin script (Tâi-lô and POJ writers follow
			// English spacing: `lâng, tsin`). Han text takes none (T003
			// "after a full-width mark"), so only half-width marks that a
			// romanized word follows get it. The fix spans the marks (`,,`
			// folds to `, ` on the next pass, not `,`); whatever
			// transparent characters lie between stay.
			m := k
			for m+1 < len(eff) && items[eff[m+1]].cls == cMark {
				m++
			}
			reason, end = "move", items[eff[m]].end
			fix = e.s[last.end:end] + " "
		case next.cls == cMark:
			reason = "mark"
		case prev.cls == cMark && w == widthFull:
			reason = "full"
		case tab:
			reason, fix = "tab", " "
		case ideo:
			reason, fix = "ideo", " "
		case k-j > 1:
			reason, fix = "many", " "
		}
		if reason != "" {
			en, zh := msgSpace(reason)
			e.add(RuleSpace, first.start, end, first.col, fix, true, en, zh)
		}
		j = k
	}
}

// spacedAfter reports whether the run of marks at eff[k] takes a space
// after it: when a romanized word, a number or a tag follows it directly.
func spacedAfter(items []item, eff []int32, k int) bool {
	for k < len(eff) && items[eff[k]].cls == cMark {
		k++
	}
	if k == len(eff) {
		return false
	}
	c := items[eff[k]].cls
	return c == cLatin || c == cLetter || c == cDigit || c == cTag
}

// checkHyphens reports T011: '-' joins Tâi-lô syllables and needs a Latin
// letter on one side and a Latin or Han letter on the other; '--' (neutral
// tone) needs a letter of either script on both sides. A numeric tone
// counts as the end of its syllable (tsit8-ê5).
func (e *engine) checkHyphens() {
	items, eff := e.items, e.eff
	latin := func(x *item) bool { return x != nil && (x.cls == cLatin || x.cls == cDigit && x.flag&fTone != 0) }
	letter := func(x *item) bool { return latin(x) || x != nil && x.cls == cHan }
	for j := 0; j < len(eff); {
		if items[eff[j]].cls != cHyphen {
			j++
			continue
		}
		k := j
		for k < len(eff) && items[eff[k]].cls == cHyphen {
			k++
		}
		var prev, next *item
		if j > 0 {
			prev = &items[eff[j-1]]
		}
		if k < len(eff) {
			next = &items[eff[k]]
		}
		n := k - j
		ok := n == 1 && (latin(prev) && letter(next) || letter(prev) && latin(next)) ||
			n == 2 && letter(prev) && letter(next)
		if !ok {
			first, last := &items[eff[j]], &items[eff[k-1]]
			en, zh := msgHyphen(strings.Repeat("-", n))
			e.add(RuleHyphen, first.start, last.end, first.col, "", false, en, zh)
		}
		j = k
	}
}

// checkMarkRuns reports T004 (marks in a row, spaces between them
// ignored) and T005 (a line that starts with marks).
func (e *engine) checkMarkRuns(w width) {
	items, eff := e.items, e.eff
	leading := true
	for j := 0; j < len(eff); j++ {
		it := &items[eff[j]]
		if it.cls == cSpace {
			continue
		}
		if it.cls != cMark {
			leading = false
			continue
		}
		last, marks, same := j, 1, it.sub != mDouble
		for m := j + 1; m < len(eff); m++ {
			c := &items[eff[m]]
			if c.cls == cSpace {
				continue
			}
			if c.cls != cMark {
				break
			}
			last, marks = m, marks+1
			same = same && c.sub == it.sub
		}
		end := items[eff[last]].end
		if marks > 1 || it.sub == mDouble {
			fix := ""
			if same {
				fix = canon(it.sub, w)
			}
			run := e.s[it.start:end]
			en, zh := e.message(msgKey{RuleRepeat, run, fix, b2u(same)}, func() (string, string) { return msgRepeat(run, same, fix) })
			e.add(RuleRepeat, it.start, end, it.col, fix, same, en, zh)
		}
		if leading {
			en, zh := msgLeading(e.s[it.start:end])
			e.add(RuleLeadingMark, it.start, end, it.col, "", true, en, zh)
			leading = false
		}
		j = last
	}
}

// checkNFC reports T008 over each run of normalization segments that NFC
// changes. Segments are independent under normalization, so fixing runs one
// by one gives the NFC of the line; adjacent segments make one finding, so
// a long decomposed word is one finding, not thousands.
func (e *engine) checkNFC() {
	s := e.s
	runStart, runEnd := -1, -1
	flush := func() {
		if runStart >= 0 {
			fixed := norm.NFC.String(s[runStart:runEnd])
			en, zh := msgNFC(fixed)
			e.add(RuleNFC, i32(runStart), i32(runEnd), e.colAt(i32(runStart)), fixed, true, en, zh)
			runStart = -1
		}
	}
	a := norm.NFC.QuickSpanString(s)
	if a >= len(s) {
		return
	}
	// norm.Iter hands out the NFC of each segment without allocating;
	// a segment changed where its output differs from its source.
	var it norm.Iter
	it.InitString(norm.NFC, s[a:])
	for !it.Done() {
		start := a + it.Pos()
		out := it.Next()
		end := a + it.Pos()
		if string(out) != s[start:end] {
			if runStart >= 0 && start != runEnd {
				flush()
			}
			if runStart < 0 {
				runStart = start
			}
			runEnd = end
		}
	}
	flush()
}

// checkFinalMark reports T013 just after the last character when it is not
// one of the marks.
func (e *engine) checkFinalMark() {
	items, eff := e.items, e.eff
	for j := len(eff) - 1; j >= 0; j-- {
		it := &items[eff[j]]
		if it.cls == cSpace {
			continue
		}
		if it.cls != cMark {
			en, zh := msgFinalMark()
			e.add(RuleFinalMark, it.end, it.end, e.endCol(int(eff[j])), "", false, en, zh)
		}
		return
	}
}

// checkScript reports T015 for Han characters of the other script.
func (e *engine) checkScript() {
	table := toTraditional
	if e.k.script == "simplified" {
		table = toSimplified()
	}
	for i := range e.items {
		it := &e.items[i]
		if it.cls != cHan {
			continue
		}
		r, _ := utf8.DecodeRuneInString(e.s[it.start:])
		if fix, ok := table[r]; ok {
			en, zh := msgScript(string(r), string(fix), e.k.script)
			e.add(RuleScript, it.start, it.end, it.col, string(fix), true, en, zh)
		}
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
