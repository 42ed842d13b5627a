package transcript

import (
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// class is what a character is to the rules.
type class uint8

const (
	cHan       class = iota // Han (every plane, compatibility ideographs, 〇) or Bopomofo
	cLatin                  // a Latin letter with any combining marks on it, ⁿ included
	cLetter                 // a letter of another script
	cDigit                  // a number character (not Han numerals)
	cSpace                  // whitespace inside a line
	cMark                   // one of the four marks, a variant or a stand-in for one
	cHyphen                 // ASCII '-'
	cSymbol                 // any other punctuation or symbol: T001, no fix
	cQuote                  // quotes and book-title marks: T001, deleted by Fix
	cInvisible              // T007: deleted by Fix (unless flagged fNoFix)
	cTag                    // an allowed annotation tag
	cBad                    // a byte that is not UTF-8
	cCombining              // a combining mark; resolved by the tokenizer
)

// transparent classes disappear when fixed, so the rules judge context as if
// they were already gone: `伊講「好」.` needs `。`, because `好` is Han.
func (c class) transparent() bool { return c == cQuote || c == cInvisible || c == cBad }

// letter reports whether c counts as a word character for T002 and for the
// context of allowed in-word characters.
func (c class) letter() bool { return c == cHan || c == cLatin || c == cLetter }

// Mark kinds.
const (
	mComma uint8 = iota
	mStop
	mQuestion
	mExclaim
	mDouble // ‼ ⁉ ⁈ ⁇: two marks in one character
)

// Flags on an item.
const (
	fHalf    uint8 = 1 << iota // a mark written half-width
	fVariant                   // a T012 variant form of a mark
	fSubst                     // a T001 mark that Fix turns into a comma (、；：)
	fFull                      // a full-width Latin letter or digit
	fTone                      // an ASCII digit that is a Tâi-lô numeric tone
	fNoFix                     // an invisible character Fix must not delete (private use)
	fZWJ                       // a symbol item that ends in a zero-width joiner
	fApos                      // an apostrophe-like character
)

// Space kinds (item.sub for cSpace).
const (
	sSpace uint8 = iota // U+0020
	sTab                // U+0009
	sIdeo               // U+3000
	sNBSP               // no-break spaces: T007, become U+0020
	sOther              // other Unicode spaces: T007, become U+0020
)

var fullMarks = [4]string{"，", "。", "？", "！"}
var halfMarks = [4]string{",", ".", "?", "!"}

// asciiClass holds the class, sub and flags of every ASCII character.
var asciiClass [128]struct{ cls, sub, flag uint8 }

func init() {
	for r := 0; r < 128; r++ {
		c := &asciiClass[r]
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			c.cls = uint8(cLatin)
		case r >= '0' && r <= '9':
			c.cls = uint8(cDigit)
		case r == ' ':
			c.cls, c.sub = uint8(cSpace), sSpace
		case r == '\t':
			c.cls, c.sub = uint8(cSpace), sTab
		case r < 0x20 || r == 0x7f:
			c.cls = uint8(cInvisible)
		case r == ',':
			c.cls, c.sub, c.flag = uint8(cMark), mComma, fHalf
		case r == '.':
			c.cls, c.sub, c.flag = uint8(cMark), mStop, fHalf
		case r == '?':
			c.cls, c.sub, c.flag = uint8(cMark), mQuestion, fHalf
		case r == '!':
			c.cls, c.sub, c.flag = uint8(cMark), mExclaim, fHalf
		case r == ';' || r == ':':
			c.cls, c.sub, c.flag = uint8(cMark), mComma, fHalf|fSubst
		case r == '-':
			c.cls = uint8(cHyphen)
		case r == '"':
			c.cls = uint8(cQuote)
		case r == '\'':
			c.cls, c.flag = uint8(cSymbol), fApos
		default:
			c.cls = uint8(cSymbol)
		}
	}
}

// markRunes maps the non-ASCII marks, variants and stand-ins to their kind
// and flags.
var markRunes = map[rune]struct{ kind, flag uint8 }{
	'，': {mComma, 0}, '。': {mStop, 0}, '？': {mQuestion, 0}, '！': {mExclaim, 0},
	// T012 variants: small, vertical and half-width presentation forms.
	// U+FF0E FULLWIDTH FULL STOP and U+FE12 are not in the spec's list but
	// are the same mark in another dress, so they get the same treatment.
	'︐': {mComma, fVariant}, '﹐': {mComma, fVariant},
	'｡': {mStop, fVariant}, '﹒': {mStop, fVariant}, '︒': {mStop, fVariant}, '．': {mStop, fVariant},
	'﹖': {mQuestion, fVariant}, '︖': {mQuestion, fVariant},
	'﹗': {mExclaim, fVariant}, '︕': {mExclaim, fVariant},
	// T001 marks that become a comma: 、；： and their small, vertical and
	// half-width forms.
	'、': {mComma, fSubst}, '；': {mComma, fSubst}, '：': {mComma, fSubst},
	'﹑': {mComma, fSubst}, '﹔': {mComma, fSubst}, '﹕': {mComma, fSubst},
	'︑': {mComma, fSubst}, '︔': {mComma, fSubst}, '︓': {mComma, fSubst}, '､': {mComma, fSubst},
	// Two marks in one character: T004 without a fix.
	'‼': {mDouble, 0}, '⁉': {mDouble, 0}, '⁈': {mDouble, 0}, '⁇': {mDouble, 0},
}

// quoteRunes are deleted by Fix (T001).
var quoteRunes = map[rune]bool{
	'「': true, '」': true, '『': true, '』': true, '“': true, '”': true, '‘': true, '’': true,
	'《': true, '》': true, '〈': true, '〉': true, '＂': true,
	'﹁': true, '﹂': true, '﹃': true, '﹄': true, // vertical 「」『』
}

// lowTable caches classifySlow for the first 0x3100 code points (Latin
// with its diacritics, general punctuation, CJK symbols) and the
// half-width and full-width forms, the characters transcripts are made of
// besides the Han block; the rest go through the Unicode tables.
var (
	lowTable  [0x3100]classInfo
	formTable [0x100]classInfo // U+FF00–U+FFFF
)

type classInfo struct{ cls, sub, flag uint8 }

func init() {
	for r := rune(0x80); r < rune(len(lowTable)); r++ {
		c, s, f := classifySlow(r)
		lowTable[r] = classInfo{uint8(c), s, f}
	}
	for r := rune(0); r < 0x100; r++ {
		c, s, f := classifySlow(0xFF00 + r)
		formTable[r] = classInfo{uint8(c), s, f}
	}
}

// classify returns the class, sub-kind and flags of a non-ASCII rune.
func classify(r rune) (class, uint8, uint8) {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF:
		return cHan, 0, 0
	case r < rune(len(lowTable)):
		c := lowTable[r]
		return class(c.cls), c.sub, c.flag
	case r >= 0xFF00 && r <= 0xFFFF:
		c := formTable[r-0xFF00]
		return class(c.cls), c.sub, c.flag
	}
	return classifySlow(r)
}

func classifySlow(r rune) (class, uint8, uint8) {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF:
		return cHan, 0, 0
	case r == '，' || r == '。' || r == '？' || r == '！':
		return cMark, markRunes[r].kind, 0
	case r == 0x3000:
		return cSpace, sIdeo, 0
	case r == 0x00A0 || r == 0x202F || r == 0x2007:
		return cSpace, sNBSP, 0
	case r >= 0xFF21 && r <= 0xFF3A, r >= 0xFF41 && r <= 0xFF5A:
		return cLatin, 0, fFull
	case r >= 0xFF10 && r <= 0xFF19:
		return cDigit, 0, fFull
	case r == 0x2019 || r == 0x2018 || r == 0xFF07:
		return cQuote, 0, fApos
	}
	if m, ok := markRunes[r]; ok {
		return cMark, m.kind, m.flag
	}
	if quoteRunes[r] {
		return cQuote, 0, 0
	}
	switch {
	case unicode.Is(unicode.Han, r), unicode.Is(unicode.Bopomofo, r),
		// Bopomofo tone marks are Common-script modifier letters (and ˙ a
		// symbol), but they are written only with Bopomofo.
		r == 'ˊ' || r == 'ˇ' || r == 'ˋ' || r == '˙':
		return cHan, 0, 0
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r), unicode.Is(unicode.Me, r):
		return cCombining, 0, 0
	case unicode.IsLetter(r):
		if unicode.Is(unicode.Latin, r) {
			return cLatin, 0, 0
		}
		return cLetter, 0, 0
	case unicode.IsNumber(r):
		return cDigit, 0, 0
	case unicode.Is(unicode.Zs, r):
		return cSpace, sOther, 0
	case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return cInvisible, 0, 0
	case unicode.Is(unicode.Co, r), r&0xFFFE == 0xFFFE, r >= 0xFDD0 && r <= 0xFDEF:
		// Private-use characters (old Big5 extensions put rare Han
		// characters there) and noncharacters are not portable, but
		// deleting one would delete a word: flag without a fix.
		return cInvisible, 0, fNoFix
	case unicode.IsPunct(r) || unicode.IsSymbol(r):
		return cSymbol, 0, 0
	}
	// Unassigned in Go's tables: likely a character newer than them (a new
	// Han extension), so give it the benefit of the doubt.
	return cLetter, 0, 0
}

// toneLetters marks the precomposed Latin letters that carry a Tâi-lô or
// POJ tone diacritic (á à â ā a̍ ă ǎ ő …), up to Latin Extended Additional.
var toneLetters = func() (t [0x1F00]bool) {
	for r := rune(0xC0); r < rune(len(t)); r++ {
		if !unicode.Is(unicode.Latin, r) {
			continue
		}
		for _, m := range norm.NFD.String(string(r)) {
			if isToneMark(m) {
				t[r] = true
			}
		}
	}
	return t
}()

// isToneMark reports the combining marks that write a tone: acute, grave,
// circumflex, macron, breve, double acute, caron, vertical line above
// (Tâi-lô 8th tone). U+0358 (POJ o͘) is a letter's dot, not a tone.
func isToneMark(r rune) bool {
	switch r {
	case 0x0300, 0x0301, 0x0302, 0x0304, 0x0306, 0x030B, 0x030C, 0x030D:
		return true
	}
	return false
}

// emojiTail reports runes that continue an emoji sequence after a symbol:
// variation selectors, skin tones, keycap, tag characters.
func emojiTail(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r >= 0x1F3FB && r <= 0x1F3FF || r == 0x20E3 || r >= 0xE0020 && r <= 0xE007F
}
