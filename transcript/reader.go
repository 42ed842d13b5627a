package transcript

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxLineBytes bounds one line of input. Transcripts are short; a longer
// line is a binary file or a broken one, and bounding it keeps memory flat.
const MaxLineBytes = 16 << 20

// ErrInvalidUTF8 is returned (wrapped) by LintStream and FixStream when the
// input is not UTF-8; the stream has already reported it as an F002 finding.
var ErrInvalidUTF8 = errors.New("not valid UTF-8")

// ErrLineTooLong is returned (wrapped) for a line over MaxLineBytes.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

// lineReader hands out lines, terminators included, with their line number
// and byte offset. It strips a UTF-8 BOM at the start of the input and
// remembers it, and stops at the first byte that is not UTF-8.
type lineReader struct {
	br      *bufio.Reader
	long    []byte
	lineNo  int   // number of the line last returned
	off     int64 // offset of the line last returned
	next    int64 // offset of the next line
	bom     bool
	started bool
	err     error
	bad     *Finding // the F002 finding, once the input turned out not UTF-8
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// readLine returns the next line, valid until the next call; ok is false at
// the end of the input or on an error (see lr.err and lr.bad).
func (lr *lineReader) readLine() (line []byte, ok bool) {
	if lr.err != nil || lr.bad != nil {
		return nil, false
	}
	line, err := lr.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		lr.long = append(lr.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, line...)
			if len(lr.long) > MaxLineBytes {
				lr.err = fmt.Errorf("line %d: %w", lr.lineNo+1, ErrLineTooLong)
				return nil, false
			}
		}
		line = lr.long
	}
	if err != nil && err != io.EOF {
		lr.err = err
		return nil, false
	}
	if len(line) == 0 {
		return nil, false
	}
	if !lr.started {
		lr.started = true
		if bytes.HasPrefix(line, bom) {
			lr.bom = true
			line = line[len(bom):]
			lr.next = int64(len(bom))
		}
	}
	lr.lineNo++
	lr.off = lr.next
	lr.next += int64(len(line))
	if !utf8.Valid(line) {
		lr.bad = badUTF8(line, lr.lineNo, lr.off)
		return nil, false
	}
	return line, true
}

var bom = []byte("\uFEFF")

// badUTF8 builds the F002 finding for the first invalid byte of line.
func badUTF8(line []byte, lineNo int, off int64) *Finding {
	i, col := 0, 1
	for i < len(line) {
		r, n := utf8.DecodeRune(line[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
		col++
	}
	en, zh := msgBadByte(line[i])
	if off == 0 && i == 0 && len(line) >= 2 && (line[0] == 0xFF && line[1] == 0xFE || line[0] == 0xFE && line[1] == 0xFF) {
		// Praat writes a TextGrid with non-ASCII text as UTF-16 unless told
		// otherwise: say so, since that is the usual cause.
		en += " (UTF-16 text: save it as UTF-8, in Praat under Preferences > Text writing preferences)"
		zh += "（這是 UTF-16 文字：請存成 UTF-8，Praat 在 Preferences > Text writing preferences 設定）"
	}
	return &Finding{Rule: RuleInvalidUTF8, Severity: Error, Line: lineNo, Column: col, ByteOffset: off + int64(i),
		Text: string(line[i : i+1]), Message: en, MessageZh: zh}
}

// trimEOL returns line without its "\n" or "\r\n".
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}

// span marks where decoded text and its escaped source line up again after
// an escape: text[textOff:] starts at raw[rawOff:].
type span struct{ text, raw int }

// record is one piece of a file: the lines it covers, verbatim, and the
// utterance in it if any. Fix copies records through, replacing only the
// utterance's source.
type record struct {
	raw    []byte
	lineNo int
	off    int64
	hasUtt bool
	u      utt
	notes  []note
}

// utt is an utterance's text and where its source sits in record.raw.
type utt struct {
	id         string
	start, end int
	text       string
	spans      []span                        // nil when text == raw[start:end]
	encode     func(string) (string, []span) // nil when text is written as is
}

// note is a finding about a file's structure (T100, T101, T002 for an empty
// cue), placed by byte index in record.raw.
type note struct {
	rule, text, en, zh string
	idx                int
}

func (rec *record) reset(raw []byte, lineNo int, off int64) {
	rec.raw, rec.lineNo, rec.off, rec.hasUtt = raw, lineNo, off, false
	rec.u = utt{}
	rec.notes = rec.notes[:0]
}

func (rec *record) note(rule string, idx int, text, en, zh string) {
	rec.notes = append(rec.notes, note{rule: rule, idx: idx, text: text, en: en, zh: zh})
}

// setUtt makes raw[start:end] the record's utterance, as is.
func (rec *record) setUtt(id string, start, end int) {
	rec.hasUtt = true
	rec.u = utt{id: id, start: start, end: end, text: string(rec.raw[start:end])}
}

// position returns the line and column of byte idx of raw.
func (rec *record) position(idx int) (line, col int) {
	line, col = rec.lineNo, 1
	for i := 0; i < idx && i < len(rec.raw); i++ {
		switch b := rec.raw[i]; {
		case b == '\n':
			line, col = line+1, 1
		case b&0xC0 != 0x80:
			col++
		}
	}
	return line, col
}
