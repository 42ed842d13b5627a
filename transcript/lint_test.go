package transcript

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// brief writes a finding as `T001 1:3 "、" -> "，"` so tables stay readable.
func brief(f Finding) string {
	s := fmt.Sprintf("%s %d:%d %s", f.Rule, f.Line, f.Column, quote(f.Text))
	if f.HasFix {
		s += " -> " + quote(f.Fix)
	}
	return s
}

// quote is %q that keeps letters and marks of every script as they are but
// escapes combining, invisible and control characters, so "a\u0302" and
// "â" read differently.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == utf8.RuneError && len(s[i:]) > 0 && !utf8.ValidString(s[i:i+1]) && s[i] >= 0x80:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == ' ' || unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S) && r != 0xfeff:
			b.WriteRune(r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func briefs(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, brief(f))
	}
	return out
}

type ruleCase struct {
	name  string
	in    string
	want  []string // findings, in order
	fixed string   // Fix's output
}

func runRuleCases(t *testing.T, cfg Config, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := briefs(Lint(tc.in, cfg))
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("Lint(%q)=\n\t%s\nwant\n\t%s", tc.in, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			fixed, _ := Fix(tc.in, cfg)
			if fixed != tc.fixed {
				t.Errorf("Fix(%q)=%q, want %q", tc.in, fixed, tc.fixed)
			}
			checkProperties(t, tc.in, cfg)
		})
	}
}

// Clean text in every script: no findings.
func TestClean(t *testing.T) {
	var cases []ruleCase
	for _, in := range []string{
		"我足歡-hí。",                            // Han-lô: full-width marks, Latin–Han hyphen
		"khuànn--tio̍h.",                     // Tâi-lô neutral tone, combining dot above
		"轉去--矣。",                             // Han neutral tone
		"Tâi-uân-lâng.",                      // Tâi-lô syllables
		"欲去 tshī-tiûnn 買菜。",                  // one space between Han and Latin
		"gua2 beh4 khi3.",                    // numeric tones are not numbers
		"tsit8-e5 lang5.",                    // numeric tone before a hyphen
		"o\u0358-a2 tshiunn3.",               // POJ o͘ with numeric tones
		"Guá kin-á-ji̍t beh khì, bué tshài.", // one space after a half-width mark in Latin text
		"O͘-á tshiùⁿ koa.",                   // POJ o͘ (U+0358) and ⁿ
		"我們等一下要去便利商店，真的假的？", // Mandarin
		"我用 LINE 傳，好ㄟ！",     // Latin word in Han, Bopomofo
		"𪜶講𠢕，〇。",            // outside the BMP, 〇
		"阿公講伊足好食。",          // Taiwanese Han
	} {
		cases = append(cases, ruleCase{name: in, in: in, fixed: in})
	}
	runRuleCases(t, DefaultConfig(), cases)
}

func TestRules(t *testing.T) {
	runRuleCases(t, DefaultConfig(), []ruleCase{
		// T001
		{"T001 ideographic comma", "好、你", []string{`T001 1:2 "、" -> "，"`}, "好，你"},
		{"T001 semicolon colon", "伊講：好；", []string{`T001 1:3 "：" -> "，"`, `T001 1:5 "；" -> "，"`}, "伊講，好，"},
		{"T001 ASCII colon in Tâi-lô", "Guá kóng: hó.", []string{`T001 1:9 ":" -> ","`}, "Guá kóng, hó."},
		{"T001 quotes removed", "伊講「好」。", []string{`T001 1:3 "「" -> ""`, `T001 1:5 "」" -> ""`}, "伊講好。"},
		{"T001 book title removed", "《台灣通史》", []string{`T001 1:1 "《" -> ""`, `T001 1:6 "》" -> ""`}, "台灣通史"},
		{"T001 curly quotes Latin", "“hó” kóng.", []string{`T001 1:1 "“" -> ""`, `T001 1:4 "”" -> ""`}, "hó kóng."},
		{"T001 ellipsis not fixed", "呃……好。", []string{`T001 1:2 "……"`}, "呃……好。"},
		{"T001 dash not fixed", "好——你。", []string{`T001 1:2 "——"`}, "好——你。"},
		{"T001 wave dash", "好～", []string{`T001 1:2 "～"`}, "好～"},
		{"T001 reading in brackets", "巧（khá）。", []string{`T001 1:2 "（"`, `T001 1:6 "）"`}, "巧（khá）。"},
		{"T001 name separator", "阿·明", []string{`T001 1:2 "·"`}, "阿·明"},
		{"T001 apostrophe", "don't", []string{`T001 1:4 "'"`}, "don't"},
		{"T001 curly apostrophe kept", "don’t", []string{`T001 1:4 "’"`}, "don’t"},
		{"T001 emoji", "好😀", []string{`T001 1:2 "😀"`}, "好😀"},
		{"T001 tag by default", "[noise] 我", []string{`T001 1:1 "["`, `T001 1:7 "]"`}, "[noise] 我"},
		// T002
		{"T002 empty", "", []string{`T002 1:1 ""`}, ""},
		{"T002 spaces", "  ", []string{`T002 1:1 "  "`}, "  "},
		{"T002 marks only", "。", []string{`T002 1:1 "。"`}, "。"},
		{"T002 blank line", "好。\n\n你。", []string{`T002 2:1 ""`}, "好。\n\n你。"},
		// T003
		{"T003 leading trailing", " 我足歡喜。 ", []string{`T003 1:1 " " -> ""`, `T003 1:7 " " -> ""`}, "我足歡喜。"},
		{"T003 between Han", "我 足歡喜", []string{`T003 1:2 " " -> ""`}, "我足歡喜"},
		{"T003 before mark", "hó .", []string{`T003 1:3 " " -> ""`}, "hó."},
		// A half-width mark a romanized word follows takes the space after
		// it; Han text none.
		{"T003 space moves after comma", "lâng ,tsin", []string{`T003 1:5 " ," -> ", "`}, "lâng, tsin"},
		{"T003 space moves after stop", "Hó .Lí", []string{`T003 1:3 " ." -> ". "`}, "Hó. Lí"},
		{"T003 space before and after comma", "lâng , tsin", []string{`T003 1:5 " " -> ""`}, "lâng, tsin"},
		{"T003 spaces move", "Guá  ,kóng", []string{`T003 1:4 "  ," -> ", "`}, "Guá, kóng"},
		{"T003 space moves after semicolon", "lâng ;tsin", []string{`T003 1:5 " ;" -> "; "`, `T001 1:6 ";" -> ","`}, "lâng, tsin"},
		{"T003 space moves after repeated commas", "hó ,,tsin", []string{`T003 1:3 " ,," -> ",, "`, `T004 1:4 ",," -> ","`}, "hó, tsin"},
		{"T003 space moves past a quote", "hó ,“tsin”", []string{`T003 1:3 " ," -> ", "`, `T001 1:5 "“" -> ""`, `T001 1:10 "”" -> ""`}, "hó, tsin"},
		{"T003 space before Han comma", "我 ，你", []string{`T003 1:2 " " -> ""`}, "我，你"},
		{"T003 after full-width mark", "好， 你", []string{`T003 1:3 " " -> ""`}, "好，你"},
		{"T003 two spaces", "欲去  tshī-tiûnn", []string{`T003 1:3 "  " -> " "`}, "欲去 tshī-tiûnn"},
		{"T003 tab", "guá\tbeh", []string{`T003 1:4 "\u0009" -> " "`}, "guá beh"},
		{"T003 ideographic space", "我\u3000你", []string{`T003 1:2 "\u3000" -> ""`}, "我你"},
		{"T003 ideographic space Latin", "LINE\u3000app", []string{`T003 1:5 "\u3000" -> " "`}, "LINE app"},
		// T004
		{"T004 repeated", "好！！", []string{`T004 1:2 "！！" -> "！"`}, "好！"},
		{"T004 ASCII dots", "hó...", []string{`T004 1:3 "..." -> "."`}, "hó."},
		{"T004 ideographic stops", "呃。。。", []string{`T004 1:2 "。。。" -> "。"`}, "呃。"},
		{"T004 different", "好，。", []string{`T004 1:2 "，。"`}, "好，。"},
		{"T004 question exclamation", "真的？！", []string{`T004 1:3 "？！"`}, "真的？！"},
		{"T004 double mark", "好‼", []string{`T004 1:2 "‼"`}, "好‼"},
		{"T004 interrobang", "好⁉", []string{`T004 1:2 "⁉"`}, "好⁉"},
		// T005
		{"T005 leading mark", "，我", []string{`T005 1:1 "，" -> ""`}, "我"},
		{"T005 Latin", "?hó", []string{`T005 1:1 "?" -> ""`}, "hó"},
		// T006
		{"T006 digits", "2024年", []string{`T006 1:1 "2024"`}, "2024年"},
		{"T006 full-width", "３個", []string{`T006 1:1 "３" -> "3"`}, "3個"},
		{"T006 full-width tone", "gua２", []string{`T006 1:4 "２" -> "2"`}, "gua2"},
		{"T006 not a tone after a word", "COVID19", []string{`T006 1:6 "19"`}, "COVID19"},
		{"T006 zero is not a tone", "a0", []string{`T006 1:2 "0"`}, "a0"},
		{"T006 digit after diacritic tone", "lí3 kóng.", []string{`T006 1:3 "3"`}, "lí3 kóng."},
		{"T006 diacritics elsewhere in the line", "Tshī-tiûnn tsia5.", []string{`T006 1:16 "5"`}, "Tshī-tiûnn tsia5."},
		{"T006 POJ dot is not a tone", "o\u0358 2.", []string{`T006 1:4 "2"`}, "o\u0358 2."},
		// T007
		{"T007 zero-width space", "好\u200b你", []string{`T007 1:2 "\u200b" -> ""`}, "好你"},
		{"T007 BOM", "\ufeff好", []string{`T007 1:1 "\ufeff" -> ""`}, "好"},
		{"T007 soft hyphen", "tsh\u00adī", []string{`T007 1:4 "\u00ad" -> ""`}, "tshī"},
		{"T007 control", "好\x07", []string{`T007 1:2 "\u0007" -> ""`}, "好"},
		{"T007 bidi override", "\u202e好", []string{`T007 1:1 "\u202e" -> ""`}, "好"},
		{"T007 no-break space", "LINE\u00a0app", []string{`T007 1:5 "\u00a0" -> " "`}, "LINE app"},
		{"T007 combining on Han", "好\u0301", []string{`T007 1:2 "\u0301" -> ""`}, "好"},
		{"T007 private use", "好\ue000", []string{`T007 1:2 "\ue000"`}, "好\ue000"},
		// T008
		{"T008 decomposed Tâi-lô", "ta\u0302i", []string{`T008 1:2 "a\u0302" -> "â"`}, "tâi"},
		{"T008 decomposed word", "khu\u00e0nn--tio\u030dh", nil, "khu\u00e0nn--tio\u030dh"},
		{"T008 compatibility ideograph", "\uf900", []string{"T008 1:1 \"\uf900\" -> \"\u8c48\""}, "\u8c48"},
		// T009
		{"T009 full-width Latin", "我用ＬＩＮＥ", []string{`T009 1:3 "ＬＩＮＥ" -> "LINE"`}, "我用LINE"}, // one run, one finding
		{"T009 two runs", "Ａb Ｃｄ", []string{`T009 1:1 "Ａ" -> "A"`, `T009 1:4 "Ｃｄ" -> "Cd"`}, "Ab Cd"},
		{"T009 run with a tone mark", "ＴＡ\u0302Ｉ", []string{`T009 1:1 "ＴＡ\u0302Ｉ" -> "TA\u0302I"`}, "TÂI"},
		// T010
		{"T010 half in Han", "好,你.", []string{`T010 1:2 "," -> "，"`, `T010 1:4 "." -> "。"`}, "好，你。"},
		{"T010 full in Latin", "Hó，lí？", []string{`T010 1:3 "，" -> ","`, `T010 1:6 "？" -> "?"`}, "Hó,lí?"},
		{"T010 Han-lô", "我足歡-hí!", []string{`T010 1:7 "!" -> "！"`}, "我足歡-hí！"},
		{"T010 quotes do not count", "伊講「好」.", []string{`T001 1:3 "「" -> ""`, `T001 1:5 "」" -> ""`, `T010 1:6 "." -> "。"`}, "伊講好。"},
		// T011
		{"T011 cut-off", "tshī-", []string{`T011 1:5 "-"`}, "tshī-"},
		{"T011 cut-off before Han", "欲去 tshī- 買菜", []string{`T011 1:8 "-"`}, "欲去 tshī- 買菜"},
		{"T011 between Han", "歡-喜", []string{`T011 1:2 "-"`}, "歡-喜"},
		{"T011 leading", "-hó", []string{`T011 1:1 "-"`}, "-hó"},
		{"T011 spaced", "a - b", []string{`T011 1:3 "-"`}, "a - b"},
		{"T011 triple", "a---b", []string{`T011 1:2 "---"`}, "a---b"},
		{"T011 double cut-off", "khuànn--", []string{`T011 1:7 "--"`}, "khuànn--"},
		// T012
		{"T012 small comma", "好﹐你", []string{`T012 1:2 "﹐" -> "，"`}, "好，你"},
		{"T012 half-width stop", "好｡", []string{`T012 1:2 "｡" -> "。"`}, "好。"},
		{"T012 vertical in Latin", "hó︕", []string{`T012 1:3 "︕" -> "!"`}, "hó!"},
		{"T012 small question", "好﹖", []string{`T012 1:2 "﹖" -> "？"`}, "好？"},
		// Interplay: each fix sees the text as the other fixes leave it.
		{"fold after substitution", "好、，你", []string{`T004 1:2 "、，" -> "，"`, `T001 1:2 "、" -> "，"`}, "好，你"},
		{"spaces around removed quote", "伊講 「好」", []string{`T003 1:3 " " -> ""`, `T001 1:4 "「" -> ""`, `T001 1:6 "」" -> ""`}, "伊講好"},
		{"many at once", " ，，我  好 !!", []string{
			`T003 1:1 " " -> ""`, `T004 1:2 "，，" -> "，"`, `T005 1:2 "，，" -> ""`, `T003 1:5 "  " -> ""`,
			`T003 1:8 " " -> ""`, `T004 1:9 "!!" -> "！"`, `T010 1:9 "!" -> "！"`, `T010 1:10 "!" -> "！"`}, "我好！"},
		{"CRLF lines", "好、\r\n你、\r\n", []string{`T001 1:2 "、" -> "，"`, `T001 2:2 "、" -> "，"`}, "好，\r\n你，\r\n"},
		{"lone CR", "好\r你", []string{`T007 1:2 "\u000d" -> ""`}, "好你"},
		{"invalid UTF-8", "好\xff你", []string{`F002 1:2 "\xff" -> ""`}, "好你"},
	})
}

func TestWidthConfig(t *testing.T) {
	runRuleCases(t, Config{Width: "full"}, []ruleCase{
		{"full in Latin", "Hó, lí.", []string{`T010 1:3 "," -> "，"`, `T003 1:4 " " -> ""`, `T010 1:7 "." -> "。"`}, "Hó，lí。"},
	})
	runRuleCases(t, Config{Width: "half"}, []ruleCase{
		{"half in Han", "好，你。", []string{`T010 1:2 "，" -> ","`, `T010 1:4 "。" -> "."`}, "好,你."},
		{"space after half mark", "好, 你.", nil, "好, 你."},
		{"no space moves before Han", "好 ,你", []string{`T003 1:2 " " -> ""`}, "好,你"},
	})
}

func TestProjectConfig(t *testing.T) {
	cfg := Config{AllowedTags: []string{"[noise]", "<unk>"}, AllowInWords: []string{"'", "·"},
		Disable: []string{"T006"}, Errors: []string{}}
	runRuleCases(t, cfg, []ruleCase{
		{"tags allowed", "[noise] 我 <unk> 你。", nil, "[noise] 我 <unk> 你。"},
		{"only tags", "[noise]", []string{`T002 1:1 "[noise]"`}, "[noise]"},
		{"broken tag", "[noise 我", []string{`T001 1:1 "["`}, "[noise 我"},
		{"apostrophe allowed", "don't", nil, "don't"},
		{"apostrophe at an edge", "'hó", []string{`T001 1:1 "'"`}, "'hó"},
		{"name separator allowed", "阿·明", nil, "阿·明"},
		{"digits off", "2024年", nil, "2024年"},
	})
	runRuleCases(t, Config{Errors: []string{"digits"}}, []ruleCase{
		{"digits raised", "3個", []string{`T006 1:1 "3"`}, "3個"},
	})
	if fs := Lint("3個", Config{Errors: []string{"T006"}}); fs[0].Severity != Error {
		t.Errorf("T006 raised: severity=%s, want error", fs[0].Severity)
	}
	if fs := Lint("3個", DefaultConfig()); fs[0].Severity != Warning {
		t.Errorf("T006: severity=%s, want warning", fs[0].Severity)
	}
}

func TestOptionalRules(t *testing.T) {
	runRuleCases(t, Config{FinalMark: true}, []ruleCase{
		{"final mark missing", "我足歡喜", []string{`T013 1:5 ""`}, "我足歡喜"},
		{"final mark present", "我足歡喜。", nil, "我足歡喜。"},
		{"final mark Latin", "hó ", []string{`T003 1:3 " " -> ""`, `T013 1:3 ""`}, "hó"},
	})
	runRuleCases(t, Config{MaxLength: 4}, []ruleCase{
		{"max length", "我今仔日欲去", []string{`T014 1:5 "欲去"`}, "我今仔日欲去"},
		{"max length ok", "我今仔日", nil, "我今仔日"},
	})
	runRuleCases(t, Config{Script: "traditional"}, []ruleCase{
		{"simplified", "我们这样说。", []string{`T015 1:2 "们" -> "們"`, `T015 1:3 "这" -> "這"`, `T015 1:4 "样" -> "樣"`, `T015 1:5 "说" -> "說"`}, "我們這樣說。"},
		{"台 is both", "台灣。", nil, "台灣。"},
	})
	runRuleCases(t, Config{Script: "simplified"}, []ruleCase{
		{"traditional", "這樣", []string{`T015 1:1 "這" -> "这"`, `T015 1:2 "樣" -> "样"`}, "这样"},
	})
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"default", DefaultConfig(), true},
		{"empty width", Config{}, true},
		{"bad width", Config{Width: "wide"}, false},
		{"empty tag", Config{AllowedTags: []string{""}}, false},
		{"tag with space", Config{AllowedTags: []string{"[a b]"}}, false},
		{"in-word letter", Config{AllowInWords: []string{"a"}}, false},
		{"in-word two chars", Config{AllowInWords: []string{"''"}}, false},
		{"unknown rule", Config{Disable: []string{"T999"}}, false},
		{"rule by name", Config{Disable: []string{"digits"}}, true},
		{"negative length", Config{MaxLength: -1}, false},
		{"bad script", Config{Script: "latin"}, false},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate()=%v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestMessagesBilingual(t *testing.T) {
	for _, in := range propertyInputs {
		for _, f := range Lint(in, Config{FinalMark: true, MaxLength: 3, Script: "traditional"}) {
			if f.Message == "" || f.MessageZh == "" {
				t.Errorf("%s on %q: message=%q message_zh=%q, want both", f.Rule, in, f.Message, f.MessageZh)
			}
		}
	}
	got := Lint("好、", DefaultConfig())[0].Message
	if want := "disallowed mark '、' (U+3001), use '，'"; got != want {
		t.Errorf("message=%q, want %q", got, want)
	}
}

// TestLongLine is a sanity bound, not a benchmark: a 100 KB line with no
// spaces must lint in linear time (BenchmarkLongLine measures it; here a
// quadratic algorithm would take minutes, the bound is a generous second).
func TestLongLine(t *testing.T) {
	for _, unit := range []string{"漢", "a", "、", "a-", "o\u0301", "1", "好、", "😀"} {
		text := strings.Repeat(unit, 100_000/len(unit))
		start := testingNow()
		Lint(text, DefaultConfig())
		if d := testingSince(start); d.Seconds() > 2 {
			t.Errorf("Lint(100 KB of %q) took %v", unit, d)
		}
	}
}
