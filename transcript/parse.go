package transcript

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// parser turns the lines of a file into records.
type parser interface {
	// next fills rec with the next record; false at the end of the input.
	next(lr *lineReader, rec *record) (bool, error)
}

func newParser(opts ReadOptions) (parser, error) {
	switch opts.Format {
	case "", Plain:
		return &plainParser{}, nil
	case Kaldi:
		return kaldiParser{}, nil
	case TSV:
		p := &tsvParser{col: -1, name: opts.Column}
		if n, err := strconv.Atoi(opts.Column); err == nil {
			if n < 1 {
				return nil, &SetupError{Msg: fmt.Sprintf("TSV column %d: columns are numbered from 1", n)}
			}
			p.col, p.name = n-1, ""
		}
		return p, nil
	case CSV:
		p := &csvParser{col: -1, name: opts.Column}
		if n, err := strconv.Atoi(opts.Column); err == nil {
			if n < 1 {
				return nil, &SetupError{Msg: fmt.Sprintf("CSV column %d: columns are numbered from 1", n),
					MsgZh: fmt.Sprintf("CSV 第 %d 欄：欄位從 1 開始編號", n)}
			}
			p.col, p.name = n-1, ""
		}
		return p, nil
	case SRT, WebVTT:
		return &cueParser{vtt: opts.Format == WebVTT}, nil
	case TextGrid:
		return &textGridParser{}, nil
	case JSONL:
		return jsonlParser{}, nil
	}
	return nil, &SetupError{Msg: fmt.Sprintf("unknown input format %q", opts.Format)}
}

// plainParser reads one utterance per line. Blank lines are empty
// utterances (T002), and so is an empty file: a transcript with nothing in
// it is the emptiest transcript of all.
type plainParser struct{ lines int }

func (p *plainParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		if p.lines == 0 && lr.err == nil && lr.bad == nil {
			p.lines = 1
			rec.reset(nil, 1, lr.next)
			rec.setUtt("", 0, 0)
			return true, nil
		}
		return false, nil
	}
	p.lines++
	rec.reset(line, lr.lineNo, lr.off)
	rec.setUtt("", 0, len(trimEOL(line)))
	return true, nil
}

// kaldiParser reads Kaldi's `text`: the utterance id, one space, the text.
// Extra spaces after the id are the text's leading whitespace (T003, fixed
// by deleting them). Blank lines are skipped.
type kaldiParser struct{}

func (kaldiParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		return false, nil
	}
	rec.reset(line, lr.lineNo, lr.off)
	body := trimEOL(line)
	if len(bytes.TrimSpace(body)) == 0 {
		return true, nil
	}
	i := bytes.IndexAny(body, " \t")
	if i < 0 {
		rec.setUtt(string(body), len(body), len(body))
		return true, nil
	}
	rec.setUtt(string(body[:i]), i+1, len(body))
	return true, nil
}

// tsvParser reads the text column of tab-separated values. There is no
// quoting: Common Voice and the toolkits that read TSV do not quote.
type tsvParser struct {
	col    int    // 0-based; -1 until the header names it
	name   string // header name, "" when the column is a number
	header bool
}

// textColumns are the header names looked for when no column is given.
var textColumns = []string{"text", "sentence", "transcript", "transcription"}

func (p *tsvParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		return false, nil
	}
	rec.reset(line, lr.lineNo, lr.off)
	body := trimEOL(line)
	if p.col < 0 && !p.header {
		p.header = true
		fields := strings.Split(string(body), "\t")
		want := textColumns
		if p.name != "" {
			want = []string{p.name}
		}
		for _, w := range want {
			for i, f := range fields {
				if strings.TrimSpace(f) == w {
					p.col = i
					return true, nil
				}
			}
		}
		return false, &SetupError{Msg: fmt.Sprintf("TSV header has no column %s (it has: %s)",
			strings.Join(want, " or "), strings.Join(fields, ", "))}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true, nil
	}
	start := 0
	for i := 0; i < p.col; i++ {
		j := bytes.IndexByte(body[start:], '\t')
		if j < 0 {
			en := fmt.Sprintf("row has %d columns, the text is in column %d", i+1, p.col+1)
			zh := fmt.Sprintf("這列只有 %d 欄，逐字稿在第 %d 欄", i+1, p.col+1)
			rec.note(RuleMalformed, 0, string(body), en, zh)
			return true, nil
		}
		start += j + 1
	}
	end := len(body)
	if j := bytes.IndexByte(body[start:], '\t'); j >= 0 {
		end = start + j
	}
	rec.setUtt("", start, end)
	return true, nil
}
