package transcript

import (
	"encoding/json"
	"slices"
	"strings"
)

// Severity says whether a finding blocks a transcript (error) or only
// informs (warning).
type Severity string

// The two severities of spec/transcript-rules.md.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one problem at one place. Line and Column are 1-based; Column
// counts code points, the way a person counts characters; ByteOffset is
// 0-based from the start of the input. The JSON names are those of
// `dialect lint --format json` and of the server's lint API.
type Finding struct {
	Rule       string   `json:"rule"`
	Severity   Severity `json:"severity"`
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	ByteOffset int64    `json:"byte_offset"`
	// Text is the offending text as it appears in the input (decoded, for
	// formats that escape it, such as JSON Lines).
	Text string `json:"text"`
	// Fix replaces Text when HasFix is set; an empty Fix with HasFix set
	// means "delete Text". The two fields are separate because deleting is
	// the most common fix.
	Fix       string `json:"fix,omitempty"`
	HasFix    bool   `json:"-"`
	Message   string `json:"message"`
	MessageZh string `json:"message_zh"`
}

// findingJSON is Finding's wire form: fix is present exactly when there is
// one, even when it is the empty string (a deletion).
type findingJSON struct {
	Rule       string   `json:"rule"`
	Severity   Severity `json:"severity"`
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	ByteOffset int64    `json:"byte_offset"`
	Text       string   `json:"text"`
	Fix        *string  `json:"fix,omitempty"`
	Message    string   `json:"message"`
	MessageZh  string   `json:"message_zh"`
}

// MarshalJSON writes fix only when the finding has one.
func (f Finding) MarshalJSON() ([]byte, error) {
	w := findingJSON{f.Rule, f.Severity, f.Line, f.Column, f.ByteOffset, f.Text, nil, f.Message, f.MessageZh}
	if f.HasFix {
		w.Fix = &f.Fix
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (f *Finding) UnmarshalJSON(b []byte) error {
	var w findingJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Finding{Rule: w.Rule, Severity: w.Severity, Line: w.Line, Column: w.Column, ByteOffset: w.ByteOffset,
		Text: w.Text, Message: w.Message, MessageZh: w.MessageZh}
	if w.Fix != nil {
		f.Fix, f.HasFix = *w.Fix, true
	}
	return nil
}

// end is the byte offset just past the finding's text.
func (f *Finding) end() int64 { return f.ByteOffset + int64(len(f.Text)) }

// List collects findings like go/scanner's ErrorList: Add them in any order,
// Sort, and compare whole lists in tests.
type List []Finding

// Add appends f.
func (l *List) Add(f Finding) { *l = append(*l, f) }

// compare orders findings by position; at one position the longer finding
// comes first (so a fix over a whole run wins over a fix inside it), then
// by rule and message, which makes the order total.
func compare(a, b Finding) int {
	switch {
	case a.ByteOffset != b.ByteOffset:
		return cmpInt(a.ByteOffset, b.ByteOffset)
	case len(a.Text) != len(b.Text):
		return cmpInt(int64(len(b.Text)), int64(len(a.Text)))
	case a.Rule != b.Rule:
		return strings.Compare(a.Rule, b.Rule)
	}
	return strings.Compare(a.Message, b.Message)
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// Sort orders the list by position, in O(n log n) even for a line with
// tens of thousands of findings.
func (l List) Sort() {
	if !slices.IsSortedFunc(l, compare) {
		slices.SortFunc(l, compare)
	}
}

// Errors counts the findings of severity Error.
func (l List) Errors() int {
	n := 0
	for i := range l {
		if l[i].Severity == Error {
			n++
		}
	}
	return n
}
