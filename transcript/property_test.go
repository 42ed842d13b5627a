package transcript

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// checkPositions fails unless every finding's (line, column, byte_offset,
// text) points at its text in input.
func checkPositions(t *testing.T, input string, fs []Finding) {
	t.Helper()
	// Findings come sorted by offset: walk the input once (a quadratic
	// check would make the fuzzer crawl on large inputs).
	pos, line, col := 0, 1, 1
	for i, f := range fs {
		end := f.ByteOffset + int64(len(f.Text))
		if f.ByteOffset < 0 || end > int64(len(input)) {
			t.Fatalf("%s at byte %d..%d, outside the input of %d bytes (%q)", f.Rule, f.ByteOffset, end, len(input), input)
		}
		if got := input[f.ByteOffset:end]; got != f.Text {
			t.Fatalf("%s: input[%d:%d]=%q, want text %q (input %q)", f.Rule, f.ByteOffset, end, got, f.Text, input)
		}
		if int(f.ByteOffset) < pos {
			t.Fatalf("finding %d (%s at %d) out of order", i, f.Rule, f.ByteOffset)
		}
		for pos < int(f.ByteOffset) {
			_, n := utf8.DecodeRuneInString(input[pos:])
			if input[pos] == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
			pos += n
		}
		if f.Line != line || f.Column != col {
			t.Fatalf("%s %q at byte %d: line:col=%d:%d, want %d:%d (input %q)", f.Rule, f.Text, f.ByteOffset, f.Line, f.Column, line, col, input)
		}
	}
}

// checkProperties checks what must hold for any input: positions point at
// the text, Fix gives valid UTF-8 in NFC with the same number of lines,
// leaves no fixable finding, and fixing again changes nothing.
func checkProperties(t *testing.T, input string, cfg Config) {
	t.Helper()
	fs := Lint(input, cfg)
	checkPositions(t, input, fs)
	fixed, remaining := Fix(input, cfg)
	if !utf8.ValidString(fixed) {
		t.Fatalf("Fix(%q)=%q, not valid UTF-8", input, fixed)
	}
	if !norm.NFC.IsNormalString(fixed) {
		t.Fatalf("Fix(%q)=%q, not NFC", input, fixed)
	}
	if got, want := strings.Count(fixed, "\n"), strings.Count(input, "\n"); got != want {
		t.Fatalf("Fix(%q)=%q has %d newlines, want %d", input, fixed, got, want)
	}
	checkPositions(t, fixed, remaining)
	for _, f := range remaining {
		if f.HasFix {
			t.Fatalf("Fix(%q)=%q leaves fixable %s %q -> %q", input, fixed, f.Rule, f.Text, f.Fix)
		}
	}
	again, _ := Fix(fixed, cfg)
	if again != fixed {
		t.Fatalf("Fix not idempotent: %q -> %q -> %q", input, fixed, again)
	}
}

// propertyInputs are awkward inputs in every script the corpus uses.
var propertyInputs = []string{
	"", "\n", "\r\n", " ", "\t\u3000 ", "。", "，，，", "我", "我足歡-hí。", "khuànn--tio̍h.",
	"轉去--矣。", "Tâi-uân-lâng.", "欲去 tshī-tiûnn 買菜。", "gua2 beh4 khi3.", "伊講「好」.",
	" ，，我  好 !!", "好、你；是：", "tshī- 我", "我有３個，2024年。", "Ａｂｃ。", "don't", "don’t",
	"我 ‼", "——好……", "😀👍🏽好", "o\u0358h", "o\u0301", "e\u200b\u0301", "我\u00a0你", "a\u00a0b",
	"好\u200b！\u200b！", "\ufeff我。", "我。\r\n你。\r\n", "a\rb", "\xc3\x28好", "\xff", "我\u0301",
	"好 ， 。", "Hó ! ?", "[noise] 我", "<unk>", "gua２", "tsit8-e5", "--", "a---b", "-a", "歡-喜",
	"、好", "好，。", "好．", "好︐你﹖", "ｈó", "Ａ\u0301", "巧（khá）", "阿·明", "\u202e好", "好\ue000",
	"我 \u200b 你", "，\u200b，好", "好 ！\u3000！", "１２３", "\u0301", "好　你", "a  b", "a\tb",
}

func TestProperties(t *testing.T) {
	cfgs := []Config{DefaultConfig(), {Width: "half"}, {Width: "full", AllowedTags: []string{"[noise]", "<unk>"},
		AllowInWords: []string{"'", "·"}, FinalMark: true, MaxLength: 5, Script: "traditional"}}
	for _, in := range propertyInputs {
		for _, cfg := range cfgs {
			checkProperties(t, in, cfg)
		}
	}
}

func FuzzLint(f *testing.F) {
	for _, in := range propertyInputs {
		f.Add(in)
	}
	tagged := Config{Width: "auto", AllowedTags: []string{"[noise]", "<unk>"}, AllowInWords: []string{"'"}, FinalMark: true, MaxLength: 40}
	f.Fuzz(func(t *testing.T, in string) {
		checkProperties(t, in, DefaultConfig())
		checkProperties(t, in, tagged)
	})
}
