package transcript

import (
	"bytes"
	"fmt"
	"strings"
)

// csvParser reads comma-separated values as RFC 4180 writes them (the
// Hugging Face audiofolder's metadata.csv, spreadsheets): a field may be
// quoted, a quote inside a quoted field is doubled (`""`), and a quoted
// field may hold commas and line breaks, so one record can span lines. The
// first record is the header unless the column is given by number, as for
// TSV. Blank lines are skipped. A quote inside an unquoted field is taken
// as it is (as Python's csv module does).
//
// The record's utterance is the text column's field: inside the quotes of
// a quoted field, with `""` decoded; Fix writes a fixed text back the same
// way, and quotes a bare field whose fixed text needs quoting (a comma).
type csvParser struct {
	col    int    // 0-based; -1 until the header names it
	name   string // header name, "" when the column is a number
	header bool
	buf    []byte
}

// csvField is one field of a record: its bytes in rec.raw (the contents,
// inside the quotes when quoted).
type csvField struct {
	start, end int
	quoted     bool
}

func (p *csvParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		return false, nil
	}
	rec.reset(line, lr.lineNo, lr.off)
	if len(bytes.TrimSpace(trimEOL(line))) == 0 {
		return true, nil
	}
	fields, ok := p.fields(lr, rec)
	if !ok {
		return true, nil
	}
	if p.col < 0 && !p.header {
		p.header = true
		var names []string
		for _, f := range fields {
			name, _ := decodeTextGrid(string(rec.raw[f.start:f.end]))
			names = append(names, strings.TrimSpace(name))
		}
		want := textColumns
		if p.name != "" {
			want = []string{p.name}
		}
		for _, w := range want {
			for i, n := range names {
				if n == w {
					p.col = i
					return true, nil
				}
			}
		}
		return false, &SetupError{Msg: fmt.Sprintf("CSV header has no column %s (it has: %s)",
			strings.Join(want, " or "), strings.Join(names, ", ")),
			MsgZh: fmt.Sprintf("CSV 標題列沒有 %s 欄（只有：%s）", strings.Join(want, "、"), strings.Join(names, "、"))}
	}
	if p.col >= len(fields) {
		body := string(trimEOL(rec.raw))
		en := fmt.Sprintf("row has %d columns, the text is in column %d", len(fields), p.col+1)
		zh := fmt.Sprintf("這列只有 %d 欄，逐字稿在第 %d 欄", len(fields), p.col+1)
		rec.note(RuleMalformed, 0, body, en, zh)
		return true, nil
	}
	f := fields[p.col]
	rec.setUtt("", f.start, f.end)
	if f.quoted {
		rec.u.text, rec.u.spans = decodeTextGrid(rec.u.text)
		rec.u.encode = encodeTextGrid // a quoted field's quotes are doubled, as in a TextGrid string
	} else {
		rec.u.encode = encodeCSVBare
	}
	return true, nil
}

// fields splits the record that starts with rec.raw into its fields,
// reading more lines into the record while a quoted field goes on. ok is
// false when the record is malformed (a note says why).
func (p *csvParser) fields(lr *lineReader, rec *record) (fields []csvField, ok bool) {
	i := 0
	for {
		body := rec.raw[:len(trimEOL(rec.raw))]
		if i < len(body) && body[i] == '"' {
			q := i
			start := i + 1
			end := -1
			for j := start; ; j++ {
				if j >= len(trimEOL(rec.raw)) {
					// The quoted field goes on past this line: read the
					// next one into the record. The reader reuses its
					// buffer, so keep a copy first.
					if len(p.buf) != len(rec.raw) || len(rec.raw) > 0 && &p.buf[0] != &rec.raw[0] {
						p.buf = append(p.buf[:0], rec.raw...)
					}
					more, ok := lr.readLine()
					if !ok {
						rec.raw = p.buf
						rec.note(RuleMalformed, q, "\"", "quoted field not closed before the end of the file", "引號內的欄位直到檔案結尾都沒有結束")
						return nil, false
					}
					p.buf = append(p.buf, more...)
					rec.raw = p.buf
					j--
					continue
				}
				if rec.raw[j] != '"' {
					continue
				}
				if j+1 < len(rec.raw) && rec.raw[j+1] == '"' {
					j++
					continue
				}
				end = j
				break
			}
			fields = append(fields, csvField{start: start, end: end, quoted: true})
			body = rec.raw[:len(trimEOL(rec.raw))]
			i = end + 1
			switch {
			case i == len(body):
				return fields, true
			case body[i] == ',':
				i++
				continue
			}
			rec.note(RuleMalformed, i, string(body[i:i+1]), "text after the closing quote of a field (want a comma or the end of the line)",
				"欄位的結尾引號後面還有文字（應是逗號或行尾）")
			return nil, false
		}
		j := bytes.IndexByte(body[i:], ',')
		if j < 0 {
			return append(fields, csvField{start: i, end: len(body)}), true
		}
		fields = append(fields, csvField{start: i, end: i + j})
		i += j + 1
		if i == len(body) {
			// A trailing comma: one more, empty field.
			return append(fields, csvField{start: i, end: i}), true
		}
	}
}

// encodeCSVBare writes a fixed text back into a field that was not
// quoted: as it is, or quoted (RFC 4180) when it now holds a comma, a
// quote or a line break.
func encodeCSVBare(text string) (string, []span) {
	if !strings.ContainsAny(text, ",\"\r\n") {
		return text, nil
	}
	enc, spans := encodeTextGrid(text)
	if spans == nil {
		spans = []span{{0, 0}}
	}
	// Every raw offset moves one byte right, past the opening quote.
	for i := range spans {
		spans[i].raw++
	}
	return `"` + enc + `"`, spans
}
