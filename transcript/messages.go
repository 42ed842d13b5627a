package transcript

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Messages come in pairs, English and Traditional Chinese (zh-TW): the CLI
// prints the first, the recorder page shows the second.

// show quotes s for a message with its first code point: '、' (U+3001).
func show(s string) string { return "'" + s + "' (" + uplus(s) + ")" }

// uplus names the first code point of s: U+3001.
func uplus(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	if len(h) < 4 {
		h = strings.Repeat("0", 4-len(h)) + h
	}
	return "U+" + h
}

// showZh quotes s for a Chinese message: 「、」(U+3001).
func showZh(s string) string { return "「" + s + "」(" + uplus(s) + ")" }

func msgMark(text string, apostrophe bool, fix string, hasFix bool) (string, string) {
	r, _ := utf8.DecodeRuneInString(text)
	what, whatZh := "mark", "標點"
	if !unicode.IsPunct(r) {
		what, whatZh = "symbol", "符號"
	}
	switch {
	case apostrophe:
		return "apostrophe " + show(text) + " inside a word: not allowed unless the project lists it in allow_in_words",
			"詞中的撇號" + showZh(text) + "：除非專案在 allow_in_words 允許，否則不可使用"
	case hasFix && fix == "":
		return "disallowed " + what + " " + show(text) + ", delete it", "不允許的" + whatZh + showZh(text) + "，請刪除"
	case hasFix:
		return "disallowed " + what + " " + show(text) + ", use '" + fix + "'", "不允許的" + whatZh + showZh(text) + "，請改用「" + fix + "」"
	}
	return "disallowed " + what + " " + show(text) + ": only ，。？！ (or , . ? ! in romanized lines) are allowed",
		"不允許的" + whatZh + showZh(text) + "：只可使用，。？！（羅馬字句子用 , . ? !）"
}

var charNames = map[rune]string{
	0x200B: "ZERO WIDTH SPACE", 0x200C: "ZERO WIDTH NON-JOINER", 0x200D: "ZERO WIDTH JOINER",
	0x2060: "WORD JOINER", 0xFEFF: "BYTE ORDER MARK", 0x00AD: "SOFT HYPHEN", 0x00A0: "NO-BREAK SPACE",
	0x202F: "NARROW NO-BREAK SPACE", 0x2007: "FIGURE SPACE", 0x200E: "LEFT-TO-RIGHT MARK",
	0x200F: "RIGHT-TO-LEFT MARK", 0x202A: "LEFT-TO-RIGHT EMBEDDING", 0x202B: "RIGHT-TO-LEFT EMBEDDING",
	0x202C: "POP DIRECTIONAL FORMATTING", 0x202D: "LEFT-TO-RIGHT OVERRIDE", 0x202E: "RIGHT-TO-LEFT OVERRIDE",
	0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE", 0x2068: "FIRST STRONG ISOLATE",
	0x2069: "POP DIRECTIONAL ISOLATE", '\r': "CARRIAGE RETURN", 0: "NULL",
}

func codePoint(text string) string {
	r, _ := utf8.DecodeRuneInString(text)
	if n, ok := charNames[r]; ok {
		return fmt.Sprintf("U+%04X (%s)", r, n)
	}
	return fmt.Sprintf("U+%04X", r)
}

func msgInvisible(text string, combining, noFix bool) (string, string) {
	cp := codePoint(text)
	switch {
	case combining:
		return "combining mark " + cp + " not on a Latin letter, delete it", "組合符號 " + cp + " 不在拉丁字母上，請刪除"
	case noFix:
		return "private-use or noncharacter " + cp + ": not portable, use the standard Unicode character",
			"私用區或非字元 " + cp + "：無法通用，請改用標準 Unicode 字元"
	}
	return "invisible or control character " + cp + ", delete it", "不可見字元或控制字元 " + cp + "，請刪除"
}

func msgOddSpace(text string) (string, string) {
	cp := codePoint(text)
	return "odd space " + cp + ", use a plain space", "特殊空白 " + cp + "，請改用一般空白"
}

// Reasons for T003, in English and Chinese.
var spaceReasons = map[string][2]string{
	"leading":  {"leading whitespace", "開頭有空白"},
	"trailing": {"trailing whitespace", "結尾有空白"},
	"han":      {"space between Han characters", "漢字之間有空白"},
	"mark":     {"space before a mark", "標點前有空白"},
	"full":     {"space after a full-width mark", "全形標點後有空白"},
	"tab":      {"tab, use one space", "定位字元（tab），請改用一個空白"},
	"ideo":     {"ideographic space U+3000, use one space", "全形空白 U+3000，請改用一個空白"},
	"many":     {"two or more spaces, use one", "連續空白，請只用一個"},
}

// spaceMessages holds the finished T003 messages, built once.
var spaceMessages = func() map[string][2]string {
	m := map[string][2]string{}
	for reason, t := range spaceReasons {
		if reason != "tab" && reason != "ideo" && reason != "many" {
			t = [2]string{t[0] + ", delete it", t[1] + "，請刪除"}
		}
		m[reason] = t
	}
	return m
}()

func msgSpace(reason string) (string, string) {
	m := spaceMessages[reason]
	return m[0], m[1]
}

func msgRepeat(text string, same bool, fix string) (string, string) {
	t := strings.Join(strings.Fields(text), "")
	if same {
		return "repeated mark '" + t + "', write it once: '" + fix + "'", "重複的標點「" + t + "」，只寫一個「" + fix + "」"
	}
	return "marks in a row '" + t + "': keep the one that was meant", "連續的標點「" + t + "」：請保留原本要用的一個"
}

func msgLeading(text string) (string, string) {
	return "line starts with a mark '" + text + "', delete it", "句首不可有標點「" + text + "」，請刪除"
}

func msgDigits(text string, full bool) (string, string) {
	if full {
		return "full-width digits '" + text + "': write numbers as spoken", "全形數字「" + text + "」：數字請照讀音寫出"
	}
	return "digits '" + text + "': write numbers as spoken", "數字「" + text + "」：數字請照讀音寫出"
}

func msgNFC(fix string) (string, string) {
	return "text not in Unicode NFC (decomposed), use '" + fix + "'", "文字不是 Unicode NFC 正規形式（字母與聲調符號分開），請改用「" + fix + "」"
}

func msgFullLatin(text, fix string) (string, string) {
	return "full-width Latin letter '" + text + "', use '" + fix + "'", "全形拉丁字母「" + text + "」，請改用「" + fix + "」"
}

func msgWidth(text, fix string, full bool) (string, string) {
	if full {
		return "half-width mark '" + text + "' in a line with Han characters, use '" + fix + "'",
			"有漢字的句子要用全形標點：「" + text + "」請改用「" + fix + "」"
	}
	return "full-width mark '" + text + "' in a romanized line, use '" + fix + "'",
		"羅馬字句子要用半形標點：「" + text + "」請改用「" + fix + "」"
}

func msgHyphen(text string) (string, string) {
	switch {
	case text == "-":
		return "hyphen outside a word: '-' needs a Latin letter on one side and a letter on the other (tsit-ê, 歡-hí)",
			"連字號不在詞中：「-」一邊要有羅馬字母，另一邊要有字母或漢字（tsit-ê、歡-hí）"
	case len(text) == 2:
		return "double hyphen outside a word: '--' needs a letter on both sides (khuànn--tio̍h, 轉去--矣)",
			"輕聲符「--」兩邊都要有字母或漢字（khuànn--tio̍h、轉去--矣）"
	}
	return "'" + text + "' is not a hyphen: write - or -- inside a word", "「" + text + "」不是連字號：詞中只可用 - 或 --"
}

func msgVariant(text, fix string) (string, string) {
	return "variant mark " + show(text) + ", use '" + fix + "'", "標點變體" + showZh(text) + "，請改用「" + fix + "」"
}

func msgLineTooLong(limit int) (string, string) {
	return fmt.Sprintf("line longer than %d bytes: not checked", limit),
		fmt.Sprintf("這一行超過 %d 位元組，未檢查", limit)
}

func msgFinalMark() (string, string) {
	return "utterance does not end with a mark (，。？！ or , . ? !)", "句尾沒有標點（，。？！或 , . ? !）"
}

func msgMaxLength(limit, n int) (string, string) {
	return fmt.Sprintf("utterance is %d characters long, more than %d", n, limit),
		fmt.Sprintf("句子有 %d 個字，超過上限 %d 個", n, limit)
}

func msgScript(text, fix string, want string) (string, string) {
	if want == "traditional" {
		return "simplified character '" + text + "', use '" + fix + "'", "簡體字「" + text + "」，請改用「" + fix + "」"
	}
	return "traditional character '" + text + "', use '" + fix + "'", "繁體字「" + text + "」，請改用「" + fix + "」"
}

func msgEmpty(blank bool) (string, string) {
	if blank {
		return "empty transcript", "逐字稿是空的"
	}
	return "no words: only marks, tags or invisible characters", "沒有文字：只有標點、標記或不可見字元"
}

func msgBadByte(b byte) (string, string) {
	return fmt.Sprintf("not valid UTF-8: byte 0x%02X", b), fmt.Sprintf("不是有效的 UTF-8：位元組 0x%02X", b)
}
