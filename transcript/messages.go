package transcript

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dialect-corpus/dialect/units"
)

// Messages come in pairs, English and Traditional Chinese (zh-TW): the CLI
// prints the first, the recorder page shows the second.
//
// A Chinese message names a mark and shows it in corner brackets, the way a
// Taiwanese reader expects: 頓號「、」, 半形逗號「,」. A corner bracket in
// corner brackets (「「」) reads as garbage, so a mark that is a corner
// bracket is shown in parentheses instead: 引號（「）. quoteZh and markZh are
// the one place that decides this.

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

// quoteZh quotes text for a Chinese message: 「、」, or （「） when text holds
// a corner bracket.
func quoteZh(s string) string {
	if strings.ContainsAny(s, "「」『』﹁﹂﹃﹄") {
		return "（" + s + "）"
	}
	return "「" + s + "」"
}

// markNamesZh are the names a Taiwanese reader gives the marks (教育部《重訂
// 標點符號手冊》), the half-width forms of the four named as such.
var markNamesZh = map[rune]string{
	'，': "逗號", '。': "句號", '？': "問號", '！': "驚嘆號",
	',': "半形逗號", '.': "半形句號", '?': "半形問號", '!': "半形驚嘆號",
	'、': "頓號", '､': "頓號", '﹑': "頓號", '︑': "頓號",
	'；': "分號", ';': "分號", '﹔': "分號", '︔': "分號",
	'：': "冒號", ':': "冒號", '﹕': "冒號", '︓': "冒號",
	'「': "引號", '」': "引號", '﹁': "引號", '﹂': "引號",
	'『': "雙引號", '』': "雙引號", '﹃': "雙引號", '﹄': "雙引號",
	'“': "引號", '”': "引號", '‘': "引號", '’': "引號", '"': "引號", '\'': "引號",
	'《': "書名號", '》': "書名號", '〈': "書名號", '〉': "書名號",
	'（': "括號", '）': "括號", '(': "括號", ')': "括號", '〔': "括號", '〕': "括號",
	'[': "方括號", ']': "方括號", '【': "方括號", '】': "方括號",
	'…': "刪節號", '⋯': "刪節號", '—': "破折號", '―': "破折號",
	'～': "波浪號", '~': "波浪號", '〜': "波浪號",
	'·': "間隔號", '‧': "間隔號", '・': "間隔號",
}

// markZh names text (a mark, or a run of one mark) and quotes it:
// 頓號「、」, 引號（「）. A character without a name is called what (標點 or
// 符號) and given its code point: 符號「♪」（U+266A）.
func markZh(text, what string) string {
	r, _ := utf8.DecodeRuneInString(text)
	if name, ok := markNamesZh[r]; ok {
		return name + quoteZh(text)
	}
	return what + quoteZh(text) + "（" + uplus(text) + "）"
}

func msgMark(text string, apostrophe bool, fix string, hasFix bool) (string, string) {
	r, _ := utf8.DecodeRuneInString(text)
	what, whatZh := "mark", "標點"
	if !unicode.IsPunct(r) {
		what, whatZh = "symbol", "符號"
	}
	mark := markZh(text, whatZh)
	switch {
	case apostrophe:
		return "apostrophe " + show(text) + " inside a word: not allowed unless the project lists it in allow_in_words",
			"詞中的撇號" + quoteZh(text) + "：專案設定允許才可使用"
	case hasFix && fix == "":
		return "disallowed " + what + " " + show(text) + ", delete it", "不可使用" + mark + "，請刪除"
	case hasFix:
		return "disallowed " + what + " " + show(text) + ", use '" + fix + "'", "不可使用" + mark + "，請改用" + markZh(fix, "標點")
	}
	return "disallowed " + what + " " + show(text) + ": only ，。？！ (or , . ? ! in romanized lines) are allowed",
		"不可使用" + mark + "：只可使用，。？！（羅馬字句子用 , . ? !）"
}

// charNames name the invisible and odd characters, in English and Chinese.
var charNames = map[rune][2]string{
	0x200B: {"ZERO WIDTH SPACE", "零寬空格"}, 0x200C: {"ZERO WIDTH NON-JOINER", "零寬不連字"},
	0x200D: {"ZERO WIDTH JOINER", "零寬連字"}, 0x2060: {"WORD JOINER", "詞連接符"},
	0xFEFF: {"BYTE ORDER MARK", "位元組順序記號"}, 0x00AD: {"SOFT HYPHEN", "軟連字號"},
	0x00A0: {"NO-BREAK SPACE", "不換行空格"}, 0x202F: {"NARROW NO-BREAK SPACE", "窄不換行空格"},
	0x2007: {"FIGURE SPACE", "數字空格"}, 0x200E: {"LEFT-TO-RIGHT MARK", "由左至右記號"},
	0x200F: {"RIGHT-TO-LEFT MARK", "由右至左記號"}, 0x202A: {"LEFT-TO-RIGHT EMBEDDING", "由左至右嵌入"},
	0x202B: {"RIGHT-TO-LEFT EMBEDDING", "由右至左嵌入"}, 0x202C: {"POP DIRECTIONAL FORMATTING", "結束方向格式"},
	0x202D: {"LEFT-TO-RIGHT OVERRIDE", "強制由左至右"}, 0x202E: {"RIGHT-TO-LEFT OVERRIDE", "強制由右至左"},
	0x2066: {"LEFT-TO-RIGHT ISOLATE", "由左至右隔離"}, 0x2067: {"RIGHT-TO-LEFT ISOLATE", "由右至左隔離"},
	0x2068: {"FIRST STRONG ISOLATE", "依首字方向隔離"}, 0x2069: {"POP DIRECTIONAL ISOLATE", "結束方向隔離"},
	'\r': {"CARRIAGE RETURN", "歸位字元"}, 0: {"NULL", "空字元"},
}

// codePoint names the first character of text: U+200B (ZERO WIDTH SPACE)
// and U+200B（零寬空格）.
func codePoint(text string) (string, string) {
	r, _ := utf8.DecodeRuneInString(text)
	cp := fmt.Sprintf("U+%04X", r)
	if n, ok := charNames[r]; ok {
		return cp + " (" + n[0] + ")", cp + "（" + n[1] + "）"
	}
	return cp, cp
}

func msgInvisible(text string, combining, noFix bool) (string, string) {
	cp, cpZh := codePoint(text)
	switch {
	case combining:
		return "combining mark " + cp + " not on a Latin letter, delete it", "組合符號 " + cpZh + " 不在拉丁字母上，請刪除"
	case noFix:
		return "private-use or noncharacter " + cp + ": not portable, use the standard Unicode character",
			"私用區或非字元 " + cpZh + "：無法通用，請改用標準字元"
	}
	return "invisible or control character " + cp + ", delete it", "不可見字元或控制字元 " + cpZh + "，請刪除"
}

func msgOddSpace(text string) (string, string) {
	cp, cpZh := codePoint(text)
	return "odd space " + cp + ", use a plain space", "特殊空白 " + cpZh + "，請改用一般空白"
}

// Reasons for T003, in English and Chinese.
var spaceReasons = map[string][2]string{
	"leading":  {"leading whitespace", "開頭有空白"},
	"trailing": {"trailing whitespace", "結尾有空白"},
	"han":      {"space between Han characters", "漢字之間有空白"},
	"mark":     {"space before a mark", "標點前有空白"},
	"move":     {"space before a mark, put it after the mark", "標點前有空白，請移到標點後面"},
	"full":     {"space after a full-width mark", "全形標點後有空白"},
	"tab":      {"tab, use one space", "定位字元，請改用一個空白"},
	"ideo":     {"ideographic space U+3000, use one space", "全形空白 U+3000，請改用一個空白"},
	"many":     {"two or more spaces, use one", "連續空白，請只用一個"},
}

// spaceMessages holds the finished T003 messages, built once.
var spaceMessages = func() map[string][2]string {
	m := map[string][2]string{}
	for reason, t := range spaceReasons {
		if reason != "tab" && reason != "ideo" && reason != "many" && reason != "move" {
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
		return "repeated mark '" + t + "', write it once: '" + fix + "'", "重複的標點" + quoteZh(t) + "，只寫一個" + quoteZh(fix)
	}
	return "marks in a row '" + t + "': keep the one that was meant", "連續的標點" + quoteZh(t) + "：請保留原本要用的一個"
}

func msgLeading(text string) (string, string) {
	return "line starts with a mark '" + text + "', delete it", "句首不可有標點" + quoteZh(text) + "，請刪除"
}

func msgDigits(text string, full bool) (string, string) {
	if full {
		return "full-width digits '" + text + "': write numbers as spoken", "全形數字" + quoteZh(text) + "：數字請照讀音寫出"
	}
	return "digits '" + text + "': write numbers as spoken", "數字" + quoteZh(text) + "：數字請照讀音寫出"
}

func msgNFC(fix string) (string, string) {
	return "text not in Unicode NFC (decomposed), use '" + fix + "'",
		"文字的組成方式不標準（字母與聲調符號分開了），請改用" + quoteZh(fix)
}

func msgFullLatin(text, fix string) (string, string) {
	what := "letter"
	if utf8.RuneCountInString(fix) > 1 {
		what = "letters"
	}
	return "full-width Latin " + what + " '" + text + "', use '" + fix + "'", "全形拉丁字母" + quoteZh(text) + "，請改用半形" + quoteZh(fix)
}

func msgWidth(text, fix string, full bool) (string, string) {
	if full {
		return "half-width mark '" + text + "' in a line with Han characters, use '" + fix + "'",
			"有漢字的句子要用全形標點：" + markZh(text, "標點") + "請改用" + markZh(fix, "標點")
	}
	return "full-width mark '" + text + "' in a romanized line, use '" + fix + "'",
		"羅馬字句子要用半形標點：" + markZh(text, "標點") + "請改用" + markZh(fix, "標點")
}

func msgHyphen(text string) (string, string) {
	switch {
	case text == "-":
		return "hyphen outside a word: '-' needs a Latin letter on one side and a letter on the other (tsit-ê, 歡-hí)",
			"連字號「-」不在詞中：一邊要有羅馬字母，另一邊要有字母或漢字（例如「tsit-ê」、「歡-hí」）"
	case len(text) == 2:
		return "double hyphen outside a word: '--' needs a letter on both sides (khuànn--tio̍h, 轉去--矣)",
			"輕聲符「--」兩邊都要有字母或漢字（例如「khuànn--tio̍h」、「轉去--矣」）"
	}
	return "'" + text + "' is not a hyphen: write - or -- inside a word", quoteZh(text) + "不是連字號：詞中只可用「-」或「--」"
}

func msgVariant(text, fix string) (string, string) {
	r, _ := utf8.DecodeRuneInString(fix)
	return "variant mark " + show(text) + ", use '" + fix + "'",
		strings.TrimPrefix(markNamesZh[r], "半形") + "的變體" + quoteZh(text) + "，請改用" + markZh(fix, "標點")
}

func msgLineTooLong(limit int) (string, string) {
	n := units.Count(int64(limit), units.Byte)
	return "line longer than " + n.EN + ": not checked", "這一行超過 " + n.ZH + "，未檢查"
}

func msgFinalMark() (string, string) {
	return "utterance does not end with a mark (，。？！ or , . ? !)", "句尾沒有標點（，。？！或 , . ? !）"
}

func msgMaxLength(limit, n int) (string, string) {
	got, lim := units.Count(int64(n), units.Character), units.AtMost(float64(limit)).Text(units.Character)
	return "utterance is " + got.EN + " long (allowed: " + lim.EN + ")", "句子有 " + got.ZH + "（標準：" + lim.ZH + "）"
}

func msgScript(text, fix string, want string) (string, string) {
	if want == "traditional" {
		return "simplified character '" + text + "', use '" + fix + "'", "簡體字" + quoteZh(text) + "，請改用" + quoteZh(fix)
	}
	return "traditional character '" + text + "', use '" + fix + "'", "繁體字" + quoteZh(text) + "，請改用" + quoteZh(fix)
}

func msgEmpty(blank bool) (string, string) {
	if blank {
		return "empty transcript", "逐字稿是空的"
	}
	return "no words: only marks, tags or invisible characters", "沒有文字：只有標點、標記或不可見字元"
}

func msgBadByte(b byte) (string, string) {
	return fmt.Sprintf("not valid UTF-8: byte 0x%02X", b), fmt.Sprintf("不是有效的 UTF-8 文字：無法解讀的位元組 0x%02X", b)
}
