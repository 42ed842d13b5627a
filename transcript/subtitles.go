package transcript

import (
	"bytes"
	"fmt"
	"strings"
)

// cueParser reads SRT and WebVTT. A cue is a block of lines: an optional
// number or identifier, a timing line `start --> end`, then text lines,
// each one utterance. Timings must parse, end after they start, and not
// start before the previous cue ends (T100). Cue markup (<i>, <v Name>) is
// linted as text: a verbatim transcript carries none, and a project can
// allow the tags it uses.
type cueParser struct {
	vtt       bool
	state     cueState
	inBlock   int // lines seen in the current block
	texts     int // text lines of the current cue
	prevEnd   int64
	id        string
	headerSet bool
}

type cueState uint8

const (
	cueBetween cueState = iota // between blocks
	cueTiming                  // in a block, timing not seen yet
	cueText                    // after the timing line
	cueSkip                    // in a block to ignore (WebVTT NOTE, STYLE, REGION, a broken block)
)

func (p *cueParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		if p.state == cueText && p.texts == 0 && lr.err == nil && lr.bad == nil {
			// The file ends right after a timing line: an empty cue.
			p.state = cueBetween
			rec.reset(nil, lr.lineNo+1, lr.next)
			rec.note(RuleEmpty, 0, "", "empty cue: no text after the timing line", "空白字幕：時間碼後面沒有文字")
			return true, nil
		}
		return false, nil
	}
	rec.reset(line, lr.lineNo, lr.off)
	body := trimEOL(line)
	blank := len(bytes.TrimSpace(body)) == 0
	if p.vtt && !p.headerSet {
		p.headerSet = true
		if !bytes.HasPrefix(body, []byte("WEBVTT")) {
			rec.note(RuleMalformed, 0, string(body), "WebVTT file does not start with WEBVTT", "WebVTT 檔案開頭不是 WEBVTT")
		}
		p.state = cueSkip
		return true, nil
	}
	if blank {
		if p.state == cueText && p.texts == 0 {
			rec.note(RuleEmpty, 0, "", "empty cue: no text after the timing line", "空白字幕：時間碼後面沒有文字")
		}
		p.state, p.inBlock = cueBetween, 0
		return true, nil
	}
	if p.state == cueBetween {
		p.state, p.inBlock, p.texts, p.id = cueTiming, 0, 0, ""
		if p.vtt && (hasWord(body, "NOTE") || hasWord(body, "STYLE") || hasWord(body, "REGION")) {
			p.state = cueSkip
		}
	}
	p.inBlock++
	switch p.state {
	case cueSkip:
		return true, nil
	case cueText:
		p.texts++
		rec.setUtt(p.id, 0, len(body))
		return true, nil
	default: // cueTiming (a non-blank line ends cueBetween above)
	}
	// cueTiming: the first or second line of a block.
	if !bytes.Contains(body, []byte("-->")) {
		if p.inBlock == 1 {
			p.id = string(body)
			return true, nil
		}
		rec.note(RuleMalformed, 0, string(body), "expected a cue timing line (00:00:01,000 --> 00:00:02,500)",
			"這裡應該是字幕時間碼（00:00:01,000 --> 00:00:02,500）")
		p.state = cueSkip
		return true, nil
	}
	p.state = cueText
	p.checkTiming(rec, string(body))
	return true, nil
}

func hasWord(b []byte, w string) bool {
	return bytes.HasPrefix(b, []byte(w)) && (len(b) == len(w) || b[len(w)] == ' ' || b[len(w)] == '\t')
}

// checkTiming notes a timing line that does not parse, ends before it
// starts, or starts before the previous cue ends.
func (p *cueParser) checkTiming(rec *record, line string) {
	i := strings.Index(line, "-->")
	a := strings.TrimSpace(line[:i])
	b := strings.TrimSpace(line[i+3:])
	if sp := strings.IndexAny(b, " \t"); sp >= 0 {
		b = b[:sp] // WebVTT cue settings follow the end time
	}
	start, ok1 := parseTimestamp(a)
	end, ok2 := parseTimestamp(b)
	text := strings.TrimRight(line, " \t")
	switch {
	case !ok1 || !ok2:
		rec.note(RuleCueTiming, 0, text, "cue timing does not parse (want 00:00:01,000 --> 00:00:02,500)",
			"字幕時間碼無法解析（應為 00:00:01,000 --> 00:00:02,500）")
		return
	case end <= start:
		rec.note(RuleCueTiming, 0, text,
			fmt.Sprintf("cue ends at %s, not after it starts at %s", b, a),
			fmt.Sprintf("字幕結束時間 %s 沒有晚於開始時間 %s", b, a))
	case start < p.prevEnd:
		rec.note(RuleCueTiming, 0, text,
			fmt.Sprintf("cue starts at %s, before the previous cue ends at %s", a, formatTimestamp(p.prevEnd)),
			fmt.Sprintf("字幕開始時間 %s 早於前一段的結束時間 %s", a, formatTimestamp(p.prevEnd)))
	}
	if end > p.prevEnd {
		p.prevEnd = end
	}
}

// parseTimestamp reads [hh:]mm:ss[,.]mmm into milliseconds. SRT writes hours
// and a comma, WebVTT may omit hours and writes a point; both are accepted
// in both, since files in the wild mix them.
func parseTimestamp(s string) (int64, bool) {
	dot := strings.LastIndexAny(s, ",.")
	if dot < 0 {
		return 0, false
	}
	ms, ok := digitsValue(s[dot+1:], 3, 3)
	if !ok {
		return 0, false
	}
	parts := strings.Split(s[:dot], ":")
	if len(parts) == 2 {
		parts = append([]string{"0"}, parts...)
	}
	if len(parts) != 3 {
		return 0, false
	}
	h, ok1 := digitsValue(parts[0], 1, 9)
	m, ok2 := digitsValue(parts[1], 2, 2)
	sec, ok3 := digitsValue(parts[2], 2, 2)
	if !ok1 || !ok2 || !ok3 || m > 59 || sec > 59 {
		return 0, false
	}
	return ((h*60+m)*60+sec)*1000 + ms, true
}

// digitsValue parses an unsigned decimal of min to max ASCII digits.
func digitsValue(s string, min, max int) (int64, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v, true
}

func formatTimestamp(ms int64) string {
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}
