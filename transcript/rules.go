package transcript

// Rule describes one rule: its id, the name a config may use for it, its
// default severity and a one-line summary in English and Traditional
// Chinese. Reports list them (SARIF's rules array), and Config.Validate
// checks rule ids against them.
type Rule struct {
	ID        string
	Name      string
	Severity  Severity
	Summary   string
	SummaryZh string
}

// The ids of every rule. T001–T012 are spec/transcript-rules.md's table;
// T013–T015 are its optional rules; T100–T101 are about a file's structure
// (cue timings, malformed records) and F001–F002 about reading it.
const (
	RuleMark        = "T001"
	RuleEmpty       = "T002"
	RuleSpace       = "T003"
	RuleRepeat      = "T004"
	RuleLeadingMark = "T005"
	RuleDigits      = "T006"
	RuleInvisible   = "T007"
	RuleNFC         = "T008"
	RuleFullLatin   = "T009"
	RuleWidth       = "T010"
	RuleHyphen      = "T011"
	RuleVariant     = "T012"
	RuleFinalMark   = "T013"
	RuleMaxLength   = "T014"
	RuleScript      = "T015"
	RuleCueTiming   = "T100"
	RuleMalformed   = "T101"
	RuleUnreadable  = "F001"
	RuleInvalidUTF8 = "F002"
)

var rules = []Rule{
	{RuleMark, "mark", Error, "a punctuation mark or symbol other than ，。？！", "使用了，。？！以外的標點或符號"},
	{RuleEmpty, "empty", Error, "empty transcript, or one with no words", "逐字稿是空的，或沒有文字"},
	{RuleSpace, "space", Error, "whitespace out of place", "空白位置不對"},
	{RuleRepeat, "repeat", Error, "marks in a row", "連續的標點"},
	{RuleLeadingMark, "leading-mark", Error, "a line that starts with a mark", "句首有標點"},
	{RuleDigits, "digits", Warning, "digits: write numbers as spoken", "數字：請照讀音寫出"},
	{RuleInvisible, "invisible", Error, "an invisible, control or odd character", "不可見字元、控制字元或特殊字元"},
	{RuleNFC, "nfc", Error, "text not in Unicode NFC", "文字的組成方式不標準（未經正規化）"},
	{RuleFullLatin, "fullwidth-latin", Error, "full-width Latin letters", "全形拉丁字母"},
	{RuleWidth, "width", Error, "a mark of the wrong width", "標點全形半形不對"},
	{RuleHyphen, "hyphen", Error, "a hyphen outside a word", "連字號不在詞中"},
	{RuleVariant, "variant", Error, "a variant form of one of the four marks", "標點的變體字形"},
	{RuleFinalMark, "final-mark", Error, "an utterance that does not end with a mark", "句尾沒有標點"},
	{RuleMaxLength, "max-length", Error, "an utterance longer than the project allows", "句子超過長度上限"},
	{RuleScript, "script", Error, "a Han character of the other script (Traditional/Simplified)", "繁簡字體不符"},
	{RuleCueTiming, "cue-timing", Error, "a subtitle cue timing that does not parse or overlaps the previous cue", "字幕時間碼無法解析或與前一段重疊"},
	{RuleMalformed, "malformed", Error, "a malformed record in a structured file (TSV, CSV, JSON Lines, TextGrid, subtitles)", "結構化檔案中格式錯誤的資料列"},
	{RuleUnreadable, "unreadable", Error, "a file that cannot be read", "無法讀取的檔案"},
	{RuleInvalidUTF8, "invalid-utf8", Error, "input that is not valid UTF-8", "不是有效的 UTF-8"},
}

// Rules returns every rule the linter reports, in id order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// lookupRule finds a rule by id or by name.
func lookupRule(s string) (Rule, bool) {
	for _, r := range rules {
		if r.ID == s || r.Name == s {
			return r, true
		}
	}
	return Rule{}, false
}
