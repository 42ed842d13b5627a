package release

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// JoinTexts puts the utterances of one recording (segments in time order,
// or the lines of a multi-line transcript) on one line, as the index files
// of the Hugging Face, NeMo and Common Voice layouts carry a recording, so
// that the line passes the transcript rules that each utterance passed
// (spec/transcript-rules.md, width as the project set it):
//
//   - Han text is joined without a space, since a space between two Han
//     characters or after a full-width mark is T003 and a junk token to
//     character-level ASR: 我是台南人。 + 逐工… → 我是台南人。逐工…
//   - Two Latin-script (romanized, English) neighbours get one space:
//     Guá tsin hó. + Lí hó. → Guá tsin hó. Lí hó.
//   - With width "auto" (the default), a line that holds any Han or
//     Bopomofo takes full-width marks, so once a romanized utterance shares
//     a line with Han text its four marks become ，。？！ and the space after
//     each goes (T010, T003), as `dialect lint --fix` would write them.
//
// Each part is first put on one line (oneLine); empty parts are dropped.
func JoinTexts(parts []string, width string) string {
	var ps []string
	han := false
	for _, p := range parts {
		if p = oneLine(p); p != "" {
			ps = append(ps, p)
			han = han || strings.IndexFunc(p, isHan) >= 0
		}
	}
	if han && (width == "" || width == "auto") {
		for i, p := range ps {
			if strings.IndexFunc(p, isHan) < 0 {
				ps[i] = fullWidthMarks(p)
			}
		}
	}
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			last, _ := utf8.DecodeLastRuneInString(ps[i-1])
			first, _ := utf8.DecodeRuneInString(p)
			if !isHan(last) && !isFullMark(last) && !isHan(first) && !isFullMark(first) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

// fullWidthMarks turns the half-width marks of a romanized utterance into
// full-width ones, dropping the space after each (a space after a
// full-width mark is T003).
func fullWidthMarks(s string) string {
	var b strings.Builder
	skipSpace := false
	for _, r := range s {
		if skipSpace && r == ' ' {
			skipSpace = false
			continue
		}
		skipSpace = false
		if i := strings.IndexRune(",.?!", r); i >= 0 {
			b.WriteString([]string{"，", "。", "？", "！"}[i])
			skipSpace = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isHan is the transcript rules' "Han" for the width of a mark: Script=Han
// (every plane, 〇 included) and Bopomofo with its tone marks.
func isHan(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Bopomofo, r) || r == 'ˊ' || r == 'ˇ' || r == 'ˋ' || r == '˙'
}

func isFullMark(r rune) bool { return r == '，' || r == '。' || r == '？' || r == '！' }

// transcriptLines splits a transcript into its utterances, one a line.
func transcriptLines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\u0085' })
}

// indexText is what the index files of a LayoutSplits archive say u's
// recording says, on one line: its segments' texts in time order (by
// start, then channel), or its transcript's lines; "" for a recording
// without a transcript.
func indexText(u *Utterance, width string) string {
	if len(u.Segments) == 0 {
		return JoinTexts(transcriptLines(u.Transcript), width)
	}
	segs := slices.Clone(u.Segments)
	slices.SortStableFunc(segs, func(a, b Segment) int {
		if c := cmpFloat(a.Start, b.Start); c != 0 {
			return c
		}
		return a.Channel - b.Channel
	})
	texts := make([]string, len(segs))
	for i, s := range segs {
		texts[i] = s.Text
	}
	return JoinTexts(texts, width)
}

// lintWidth is the width of the four marks the release's transcripts were
// linted with: the project's override, else the configuration in force,
// else "auto".
func lintWidth(v Validation) string {
	for _, raw := range [][]byte{v.LintOverrides, v.LintConfig} {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		for k, val := range m {
			var w string
			if strings.EqualFold(k, "width") && json.Unmarshal(val, &w) == nil && w != "" {
				return w
			}
		}
	}
	return "auto"
}
