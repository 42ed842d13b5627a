package validate

// Severity of a finding. A clip passes when it has no error.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Finding is one rule's verdict: the receipt a speaker gets names the rule,
// the measured figure and the threshold, in English and Traditional Chinese.
type Finding struct {
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	// Code is a stable reason for structural findings (A001, A002, A006):
	// "truncated_header", "not_wav", "unsupported_codec", ...
	Code      string `json:"code,omitempty"`
	Message   string `json:"message"`
	MessageZH string `json:"message_zh"`
	// Measured is the figure the rule looked at, in Unit; nil when the rule
	// has no figure (an unreadable file). Threshold is the rule's limit in
	// the same unit, written as units.Limit writes it ("<= 0.001", "1..30",
	// "16000|44100"). Unit is a units.Unit: "ratio", "s", "dB", "dBFS", "Hz",
	// or what a count counts ("samples", "channels", "dropouts").
	Measured  *float64 `json:"measured"`
	Threshold string   `json:"threshold,omitempty"`
	Unit      string   `json:"unit,omitempty"`
	// MeasuredText and ThresholdText are Measured and Threshold for a
	// person, in the unit of the rule ("1.21%", "at most 0.1%"); the ZH
	// fields are the same in Traditional Chinese ("1.21%", "不超過 0.1%").
	// FigureTexts makes them; they are empty when the rule has no figure.
	MeasuredText    string `json:"measured_text,omitempty"`
	MeasuredTextZH  string `json:"measured_text_zh,omitempty"`
	ThresholdText   string `json:"threshold_text,omitempty"`
	ThresholdTextZH string `json:"threshold_text_zh,omitempty"`
	// Channel is the 1-based channel the figure comes from, in files with
	// more than one channel.
	Channel int `json:"channel,omitempty"`
}

// Report is everything the validator found about one file. It is the
// speaker's receipt on upload and one line of `dialect check --format json`.
type Report struct {
	Path string `json:"path"`
	Pass bool   `json:"pass"`
	// Mode and Band are what the file was checked against ("" = any).
	Mode   Mode    `json:"mode,omitempty"`
	Band   Band    `json:"band,omitempty"`
	Bytes  int64   `json:"bytes"`
	Format Format  `json:"format"`
	Chunks []Chunk `json:"chunks,omitempty"`
	// Measurements is nil when the audio could not be read at all.
	Measurements *Measurements `json:"measurements"`
	Findings     []Finding     `json:"findings"`
}

// Errors counts the findings of severity error.
func (r *Report) Errors() int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

// Finding returns the first finding of rule id, if any.
func (r *Report) Finding(rule string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return f, true
		}
	}
	return Finding{}, false
}
