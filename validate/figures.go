package validate

import (
	"strconv"
	"strings"

	"github.com/dialect-corpus/dialect/units"
)

// ruleUnits are the units of the rules' figures, for findings that do not
// name theirs: receipts stored before findings carried a unit for every
// figure left it out for A004, A007 (the ratio), A008 and A014.
var ruleUnits = map[string]units.Unit{
	"A003": units.Hertz, "A004": units.Channel, "A005": units.Second, "A006": units.Second,
	"A007": units.Ratio, "A008": units.Ratio, "A009": units.Second, "A010": units.DecibelFS,
	"A011": units.Decibel, "A012": units.DecibelFS, "A013": units.Second, "A014": units.Dropout,
}

// FigureTexts writes a finding's raw figure and threshold for a person, in
// the unit of its rule and in both languages: A007's 0.0121 and "<= 0.001"
// become "1.21%" and "at most 0.1%" / "不超過 0.1%". unit may be empty (a
// receipt stored before findings named every unit): the rule's own unit is
// used. measured may be nil and threshold empty, for rules without them.
func FigureTexts(rule, unit string, measured *float64, threshold string) (m, t units.Text) {
	u := units.Unit(unit)
	if u == "" {
		u = ruleUnits[rule]
	}
	if measured != nil {
		m = units.Format(u, *measured)
	}
	if rule == "A002" && threshold != "" {
		return m, encodingsText(strings.Split(threshold, "|"))
	}
	return m, units.Threshold(u, threshold)
}

// describe fills f's text fields from its raw figure and threshold.
func (f *Finding) describe() {
	m, t := FigureTexts(f.Rule, f.Unit, f.Measured, f.Threshold)
	f.MeasuredText, f.MeasuredTextZH, f.ThresholdText, f.ThresholdTextZH = m.EN, m.ZH, t.EN, t.ZH
}

// figure sets f's raw figure (v in unit u) and threshold (lim) and their
// texts, and returns the texts for f's messages.
func (f *Finding) figure(u units.Unit, v float64, lim units.Limit) (m, t units.Text) {
	f.Measured, f.Unit, f.Threshold = num(v), string(u), lim.String()
	f.describe()
	return units.Text{EN: f.MeasuredText, ZH: f.MeasuredTextZH}, units.Text{EN: f.ThresholdText, ZH: f.ThresholdTextZH}
}

// EncodingText names an encoding of Format.Name in both languages: pcm16
// is 16-bit PCM / 16 位元 PCM, float32 is 32-bit float / 32 位元浮點.
func EncodingText(name string) units.Text {
	for _, e := range []struct{ prefix, en, zh string }{{"pcm", "PCM", "PCM"}, {"float", "float", "浮點"}} {
		if bits, ok := strings.CutPrefix(name, e.prefix); ok {
			if _, err := strconv.Atoi(bits); err == nil {
				return units.Text{EN: bits + "-bit " + e.en, ZH: bits + " 位元" + sep(e.zh) + e.zh}
			}
		}
	}
	return units.Text{EN: name, ZH: name}
}

// sep is the space between a Chinese word and a Latin one: 16 位元 PCM,
// 32 位元浮點.
func sep(word string) string {
	if word != "" && word[0] < 0x80 {
		return " "
	}
	return ""
}

// encodingsText lists encodings: "16-bit PCM or 24-bit PCM" / "16 位元 PCM
// 或 24 位元 PCM".
func encodingsText(names []string) units.Text {
	en, zh := make([]string, len(names)), make([]string, len(names))
	for i, n := range names {
		t := EncodingText(n)
		en[i], zh[i] = t.EN, t.ZH
	}
	if len(names) < 2 {
		return units.Text{EN: strings.Join(en, ""), ZH: strings.Join(zh, "")}
	}
	last := len(names) - 1
	return units.Text{EN: strings.Join(en[:last], ", ") + " or " + en[last],
		ZH: strings.Join(zh[:last], "、") + " 或 " + zh[last]}
}

// Figure is one measurement for a person: its name and its value, each in
// both languages, and the group a table shows it in.
type Figure struct {
	// Key is the figure's name in the JSON of Measurements.
	Key   string
	Name  units.Text
	Value units.Text
	// Group is the key of the figure's FigureGroup: level, noise,
	// clipping or silence.
	Group string
}

// FigureGroup is a heading of a table of figures and the figures under it.
type FigureGroup struct {
	Key     string // level, noise, clipping, silence
	Name    units.Text
	Figures []Figure
}

// figureGroups are the groups in the order a table shows them, with their
// names.
var figureGroups = []struct {
	key  string
	name units.Text
}{
	{"level", units.Text{EN: "level", ZH: "音量"}},
	{"noise", units.Text{EN: "noise", ZH: "噪音"}},
	{"clipping", units.Text{EN: "clipping", ZH: "爆音"}},
	{"silence", units.Text{EN: "speech and silence", ZH: "語音與靜音"}},
}

// Figures lists m's file-level figures, each in the unit of its rule, in
// the order a report shows them: the command line's --verbose line. The
// review page shows them by group (FigureGroups).
func (m *Measurements) Figures() []Figure {
	t := func(en, zh string) units.Text { return units.Text{EN: en, ZH: zh} }
	return []Figure{
		{"noise_floor_dbfs", t("noise floor", "背景噪音"), units.DBFS(m.NoiseFloorDBFS), "noise"},
		{"noise_band", t("noise band", "噪音等級"), BandText(m.NoiseBand), "noise"},
		{"speech_level_dbfs", t("speech level", "語音音量"), units.DBFS(m.SpeechLevelDBFS), "level"},
		{"snr_db", t("SNR", "訊噪比"), units.DB(m.SNRDB), "noise"},
		{"active_s", t("speech", "語音長度"), units.Seconds(m.ActiveS), "silence"},
		{"leading_silence_s", t("leading silence", "開頭靜音"), units.Seconds(m.LeadingSilenceS), "silence"},
		{"trailing_silence_s", t("trailing silence", "結尾靜音"), units.Seconds(m.TrailingSilenceS), "silence"},
		{"clipped_ratio", t("clipped", "爆音"), units.Percent(m.ClippedRatio), "clipping"},
		{"longest_clipped_run", t("longest clipped run", "最長連續爆音"), units.Count(m.LongestClipRun, units.Sample), "clipping"},
		{"clipped_runs_3", t("clipped runs of 3 samples or more", "連續 3 個以上爆音取樣"), units.Count(m.ClippedRuns3, units.Run), "clipping"},
		{"dc_offset", t("DC offset", "直流偏移"), units.Percent(m.DCOffset), "level"},
		{"peak_dbfs", t("peak", "峰值"), units.DBFS(m.PeakDBFS), "level"},
		{"dropouts", t("dropouts", "斷音"), units.Count(m.Dropouts, units.Dropout), "silence"},
	}
}

// FigureGroups lists m's Figures under their groups, in the order a table
// shows them: level, noise, clipping, silence. A group without figures is
// left out.
func (m *Measurements) FigureGroups() []FigureGroup {
	figs := m.Figures()
	out := make([]FigureGroup, 0, len(figureGroups))
	for _, g := range figureGroups {
		fg := FigureGroup{Key: g.key, Name: g.name}
		for _, f := range figs {
			if f.Group == g.key {
				fg.Figures = append(fg.Figures, f)
			}
		}
		if len(fg.Figures) > 0 {
			out = append(out, fg)
		}
	}
	return out
}

// BandText names a noise band in both languages: low / 低噪音, too_noisy /
// too noisy / 過吵. A name it does not know comes back as it is.
func BandText(b string) units.Text {
	return units.Text{EN: strings.ReplaceAll(b, "_", " "), ZH: bandZH(b)}
}
