package transcript

import (
	"bytes"
	"strconv"
	"strings"
)

// textGridParser reads a Praat TextGrid in UTF-8, long or short text
// format, and lints the text of every non-empty interval of interval tiers.
// An empty interval is silence, not an empty transcript. Point tiers'
// marks are not transcripts and are skipped. Strings may span lines; `""`
// inside one is a quote.
type textGridParser struct {
	lines    int
	short    bool
	decided  bool
	buf      []byte
	tier     string
	interval int

	// short format: where we are in the token sequence
	phase, step, left int
	point             bool
}

func (p *textGridParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		return false, nil
	}
	p.lines++
	rec.reset(line, lr.lineNo, lr.off)
	body := trimEOL(line)
	trim := bytes.TrimSpace(body)
	if len(trim) == 0 {
		return true, nil
	}
	if !p.decided {
		if bytes.HasPrefix(trim, []byte("File type")) || bytes.HasPrefix(trim, []byte("Object class")) {
			return true, nil
		}
		p.decided, p.short = true, !bytes.Contains(trim, []byte("="))
	}
	if p.short {
		return p.nextShort(lr, rec, trim, len(body)-len(bytes.TrimLeft(body, " \t")))
	}
	return p.nextLong(lr, rec, trim, len(body)-len(bytes.TrimLeft(body, " \t")))
}

func (p *textGridParser) nextLong(lr *lineReader, rec *record, trim []byte, indent int) (bool, error) {
	eq := bytes.IndexByte(trim, '=')
	if eq < 0 {
		if bytes.HasPrefix(trim, []byte("intervals [")) {
			p.interval, _ = strconv.Atoi(string(bytes.TrimRight(trim[len("intervals ["):], "]: ")))
		}
		return true, nil
	}
	key := string(bytes.TrimSpace(trim[:eq]))
	if key != "text" && key != "name" {
		return true, nil
	}
	q := bytes.IndexByte(trim[eq:], '"')
	if q < 0 {
		return true, nil
	}
	start, end, text, spans, ok := p.readString(lr, rec, indent+eq+q)
	if !ok {
		return true, nil
	}
	if key == "name" {
		p.tier = text
		return true, nil
	}
	if text != "" {
		rec.hasUtt = true
		rec.u = utt{id: p.tier + "[" + strconv.Itoa(p.interval) + "]", start: start, end: end, text: text, spans: spans}
		if spans != nil {
			rec.u.encode = encodeTextGrid
		}
	}
	return true, nil
}

// nextShort follows the short format's token sequence: xmin xmax <exists>
// tiers, then per tier: class name xmin xmax count, then per interval xmin
// xmax text (per point: time mark).
func (p *textGridParser) nextShort(lr *lineReader, rec *record, trim []byte, indent int) (bool, error) {
	isString := trim[0] == '"'
	var text string
	var start, end int
	var spans []span
	if isString {
		var ok bool
		if start, end, text, spans, ok = p.readString(lr, rec, indent); !ok {
			return true, nil
		}
	}
	bad := func() (bool, error) {
		rec.note(RuleMalformed, indent, string(trim), "unexpected token in a short-format TextGrid", "短格式 TextGrid 中有無法解讀的內容")
		p.phase = 3
		return true, nil
	}
	switch p.phase {
	case 0: // file: xmin xmax <exists> count
		if isString {
			return bad()
		}
		if p.step++; p.step == 4 {
			p.phase, p.step = 1, 0
		}
	case 1: // tier header: class name xmin xmax count
		if isString != (p.step < 2) {
			return bad()
		}
		switch p.step {
		case 0:
			p.point = text == "TextTier"
		case 1:
			p.tier = text
		case 4:
			p.left, _ = strconv.Atoi(string(trim))
			p.interval = 0
		}
		p.step++
		if p.step == 5 {
			p.step = 0
			if p.left > 0 {
				p.phase = 2
			}
		}
	case 2: // items
		last := 2
		if p.point {
			last = 1
		}
		if isString != (p.step == last) {
			return bad()
		}
		if p.step < last {
			p.step++
			return true, nil
		}
		p.step = 0
		p.interval++
		if !p.point && text != "" {
			rec.hasUtt = true
			rec.u = utt{id: p.tier + "[" + strconv.Itoa(p.interval) + "]", start: start, end: end, text: text, spans: spans}
			if spans != nil {
				rec.u.encode = encodeTextGrid
			}
		}
		if p.left--; p.left == 0 {
			p.phase = 1
		}
	}
	return true, nil
}

// readString reads the quoted string whose opening quote is at byte q of
// rec.raw, reading more lines into the record while the string goes on. It
// returns the source range of the contents, the decoded text and the spans
// of its `""` escapes (nil when there are none).
func (p *textGridParser) readString(lr *lineReader, rec *record, q int) (start, end int, text string, spans []span, ok bool) {
	start = q + 1
	i := start
	for {
		raw := rec.raw
		for ; i < len(raw); i++ {
			if raw[i] != '"' {
				continue
			}
			if i+1 < len(raw) && raw[i+1] == '"' {
				i++
				continue
			}
			text, spans = decodeTextGrid(string(raw[start:i]))
			return start, i, text, spans, true
		}
		// The record is about to span lines: keep a copy first, since the
		// reader reuses its buffer.
		if len(p.buf) != len(rec.raw) || len(rec.raw) > 0 && &p.buf[0] != &rec.raw[0] {
			p.buf = append(p.buf[:0], rec.raw...)
		}
		more, ok := lr.readLine()
		if !ok {
			rec.raw = p.buf
			rec.note(RuleMalformed, q, "\"", "string not closed before the end of the file", "字串直到檔案結尾都沒有結束")
			return 0, 0, "", nil, false
		}
		p.buf = append(p.buf, more...)
		rec.raw = p.buf
	}
}

func decodeTextGrid(src string) (string, []span) {
	if !strings.Contains(src, `""`) {
		return src, nil
	}
	var b strings.Builder
	spans := []span{{0, 0}}
	for i := 0; i < len(src); i++ {
		b.WriteByte(src[i])
		if src[i] == '"' {
			i++
			spans = append(spans, span{b.Len(), i + 1})
		}
	}
	return b.String(), spans
}

func encodeTextGrid(text string) (string, []span) {
	if !strings.Contains(text, `"`) {
		return text, nil
	}
	var b strings.Builder
	spans := []span{{0, 0}}
	for i := 0; i < len(text); i++ {
		b.WriteByte(text[i])
		if text[i] == '"' {
			b.WriteByte('"')
			spans = append(spans, span{i + 1, b.Len()})
		}
	}
	return b.String(), spans
}
