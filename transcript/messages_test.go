package transcript

import (
	"strconv"
	"testing"

	"github.com/dialect-corpus/dialect/units/zhtest"
)

// TestRuleMessages renders every rule T001–T015 in both languages, word for
// word: the mark named and quoted the one way (頓號「、」, a corner bracket
// in parentheses: 引號（「）), figures in their unit (T014's characters).
func TestRuleMessages(t *testing.T) {
	def := DefaultConfig()
	seen := map[string]bool{}
	for _, tc := range []struct {
		in     string
		cfg    Config
		rule   string
		en, zh string
	}{
		{"好、你", def, "T001", "disallowed mark '、' (U+3001), use '，'", "不可使用頓號「、」，請改用逗號「，」"},
		{"Guá kóng: hó.", def, "T001", "disallowed mark ':' (U+003A), use ','", "不可使用冒號「:」，請改用半形逗號「,」"},
		{"伊講「好", def, "T001", "disallowed mark '「' (U+300C), delete it", "不可使用引號（「），請刪除"},
		{"『好", def, "T001", "disallowed mark '『' (U+300E), delete it", "不可使用雙引號（『），請刪除"},
		{"《台灣", def, "T001", "disallowed mark '《' (U+300A), delete it", "不可使用書名號「《」，請刪除"},
		{"巧（khá", def, "T001", "disallowed mark '（' (U+FF08): only ，。？！ (or , . ? ! in romanized lines) are allowed",
			"不可使用括號「（」：只可使用，。？！（羅馬字句子用 , . ? !）"},
		{"呃……好", def, "T001", "disallowed mark '……' (U+2026): only ，。？！ (or , . ? ! in romanized lines) are allowed",
			"不可使用刪節號「……」：只可使用，。？！（羅馬字句子用 , . ? !）"},
		{"好♪", def, "T001", "disallowed symbol '♪' (U+266A): only ，。？！ (or , . ? ! in romanized lines) are allowed",
			"不可使用符號「♪」（U+266A）：只可使用，。？！（羅馬字句子用 , . ? !）"},
		{"don't", def, "T001", "apostrophe ''' (U+0027) inside a word: not allowed unless the project lists it in allow_in_words",
			"詞中的撇號「'」：專案設定允許才可使用"},
		{"", def, "T002", "empty transcript", "逐字稿是空的"},
		{"。", def, "T002", "no words: only marks, tags or invisible characters", "沒有文字：只有標點、標記或不可見字元"},
		{"我 足", def, "T003", "space between Han characters, delete it", "漢字之間有空白，請刪除"},
		{"lâng ,tsin", def, "T003", "space before a mark, put it after the mark", "標點前有空白，請移到標點後面"},
		{"好， 你", def, "T003", "space after a full-width mark, delete it", "全形標點後有空白，請刪除"},
		{"好！！", def, "T004", "repeated mark '！！', write it once: '！'", "重複的標點「！！」，只寫一個「！」"},
		{"好，。", def, "T004", "marks in a row '，。': keep the one that was meant", "連續的標點「，。」：請保留原本要用的一個"},
		{"，我", def, "T005", "line starts with a mark '，', delete it", "句首不可有標點「，」，請刪除"},
		{"2024年", def, "T006", "digits '2024': write numbers as spoken", "數字「2024」：數字請照讀音寫出"},
		{"３個", def, "T006", "full-width digits '３': write numbers as spoken", "全形數字「３」：數字請照讀音寫出"},
		{"好\u200b你", def, "T007", "invisible or control character U+200B (ZERO WIDTH SPACE), delete it", "不可見字元或控制字元 U+200B（零寬空格），請刪除"},
		{"LINE\u00a0app", def, "T007", "odd space U+00A0 (NO-BREAK SPACE), use a plain space", "特殊空白 U+00A0（不換行空格），請改用一般空白"},
		{"好\u0301", def, "T007", "combining mark U+0301 not on a Latin letter, delete it", "組合符號 U+0301 不在拉丁字母上，請刪除"},
		{"好\ue000", def, "T007", "private-use or noncharacter U+E000: not portable, use the standard Unicode character", "私用區或非字元 U+E000：無法通用，請改用標準字元"},
		{"ta\u0302i", def, "T008", "text not in Unicode NFC (decomposed), use 'â'", "文字的組成方式不標準（字母與聲調符號分開了），請改用「â」"},
		{"我用ＬＩＮＥ", def, "T009", "full-width Latin letters 'ＬＩＮＥ', use 'LINE'", "全形拉丁字母「ＬＩＮＥ」，請改用半形「LINE」"},
		{"Ａb", def, "T009", "full-width Latin letter 'Ａ', use 'A'", "全形拉丁字母「Ａ」，請改用半形「A」"},
		{"好,你", def, "T010", "half-width mark ',' in a line with Han characters, use '，'", "有漢字的句子要用全形標點：半形逗號「,」請改用逗號「，」"},
		{"Hó？", def, "T010", "full-width mark '？' in a romanized line, use '?'", "羅馬字句子要用半形標點：問號「？」請改用半形問號「?」"},
		{"tshī-", def, "T011", "hyphen outside a word: '-' needs a Latin letter on one side and a letter on the other (tsit-ê, 歡-hí)",
			"連字號「-」不在詞中：一邊要有羅馬字母，另一邊要有字母或漢字（例如「tsit-ê」、「歡-hí」）"},
		{"khuànn--", def, "T011", "double hyphen outside a word: '--' needs a letter on both sides (khuànn--tio̍h, 轉去--矣)",
			"輕聲符「--」兩邊都要有字母或漢字（例如「khuànn--tio̍h」、「轉去--矣」）"},
		{"a---b", def, "T011", "'---' is not a hyphen: write - or -- inside a word", "「---」不是連字號：詞中只可用「-」或「--」"},
		{"好﹐你", def, "T012", "variant mark '﹐' (U+FE50), use '，'", "逗號的變體「﹐」，請改用逗號「，」"},
		{"hó︕", def, "T012", "variant mark '︕' (U+FE15), use '!'", "驚嘆號的變體「︕」，請改用半形驚嘆號「!」"},
		{"我足歡喜", Config{FinalMark: true}, "T013", "utterance does not end with a mark (，。？！ or , . ? !)", "句尾沒有標點（，。？！或 , . ? !）"},
		{"我今仔日欲去", Config{MaxLength: 4}, "T014", "utterance is 6 characters long (allowed: at most 4 characters)", "句子有 6 個字元（標準：不超過 4 個字元）"},
		{"我今仔日欲去", Config{MaxLength: 1}, "T014", "utterance is 6 characters long (allowed: at most 1 character)", "句子有 6 個字元（標準：不超過 1 個字元）"},
		{"们", Config{Script: "traditional"}, "T015", "simplified character '们', use '們'", "簡體字「们」，請改用「們」"},
		{"這", Config{Script: "simplified"}, "T015", "traditional character '這', use '这'", "繁體字「這」，請改用「这」"},
		{"好\xff", def, "F002", "not valid UTF-8: byte 0xFF", "不是有效的 UTF-8 文字：無法解讀的位元組 0xFF"},
	} {
		var got *Finding
		fs := Lint(tc.in, tc.cfg)
		for i := range fs {
			if fs[i].Rule == tc.rule {
				got = &fs[i]
				break
			}
		}
		if got == nil {
			t.Errorf("Lint(%q): no %s in %s", tc.in, tc.rule, briefs(fs))
			continue
		}
		if got.Message != tc.en {
			t.Errorf("%s on %q: message\n\t%q, want\n\t%q", tc.rule, tc.in, got.Message, tc.en)
		}
		if got.MessageZh != tc.zh {
			t.Errorf("%s on %q: message_zh\n\t%q, want\n\t%q", tc.rule, tc.in, got.MessageZh, tc.zh)
		}
		if en := zhtest.English(got.MessageZh); en != nil {
			t.Errorf("%s on %q: message_zh %q has English %q", tc.rule, tc.in, got.MessageZh, en)
		}
		seen[tc.rule] = true
	}
	for i := 1; i <= 15; i++ {
		if id := "T" + leftPad(i); !seen[id] {
			t.Errorf("%s is not rendered", id)
		}
	}
}

func leftPad(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// TestMessagesZHChinese: no Chinese message of any rule, on any of the
// awkward inputs under any config, carries English; nor does a rule's
// Chinese summary (SARIF's rule list).
func TestMessagesZHChinese(t *testing.T) {
	cfgs := []Config{DefaultConfig(), {Width: "half"}, {Width: "full", AllowedTags: []string{"[noise]"},
		AllowInWords: []string{"·"}, FinalMark: true, MaxLength: 5, Script: "traditional"}}
	for _, in := range append(propertyInputs, "我用ＬＩＮＥ傳", "lâng ,tsin", "伊講『好』", "《台灣通史》") {
		for _, cfg := range cfgs {
			for _, f := range Lint(in, cfg) {
				if en := zhtest.English(f.MessageZh); en != nil {
					t.Errorf("%s on %q: message_zh %q has English %q", f.Rule, in, f.MessageZh, en)
				}
			}
		}
	}
	for _, r := range Rules() {
		if r.ID[0] == 'T' && r.ID < "T100" {
			if en := zhtest.English(r.SummaryZh); en != nil {
				t.Errorf("%s: summary %q has English %q", r.ID, r.SummaryZh, en)
			}
		}
	}
}
