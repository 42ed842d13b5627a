package transcript

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonlParser reads JSON Lines: one object per line, the transcript in its
// top-level "text" field (NeMo manifests). Blank lines are skipped. Fix
// rewrites only the text's string, keeping the line's other bytes, and
// writes non-ASCII as \u escapes when the line already did (Python's
// json.dumps default), so a diff shows only what changed.
type jsonlParser struct{}

func (jsonlParser) next(lr *lineReader, rec *record) (bool, error) {
	line, ok := lr.readLine()
	if !ok {
		return false, nil
	}
	rec.reset(line, lr.lineNo, lr.off)
	body := trimEOL(line)
	if len(bytes.TrimSpace(body)) == 0 {
		return true, nil
	}
	malformed := func(en, zh string) (bool, error) {
		rec.note(RuleMalformed, 0, string(body), en, zh)
		return true, nil
	}
	if !json.Valid(body) {
		return malformed("not valid JSON", "不是有效的 JSON")
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return malformed("not a JSON object", "不是 JSON 物件")
	}
	found := false
	for i = skipSpace(body, i+1); i < len(body) && body[i] == '"'; {
		kEnd := stringEnd(body, i)
		key, _ := decodeJSON(string(body[i+1 : kEnd-1]))
		i = skipSpace(body, kEnd)
		i = skipSpace(body, i+1) // the colon
		vEnd := valueEnd(body, i)
		if key == "text" {
			if found {
				return malformed(`duplicate "text" field`, `重複的 "text" 欄位`)
			}
			if body[i] != '"' {
				return malformed(`"text" is not a string`, `"text" 不是字串`)
			}
			found = true
			src := string(body[i+1 : vEnd-1])
			text, spans := decodeJSON(src)
			rec.setUtt("", i+1, vEnd-1)
			rec.u.text, rec.u.spans = text, spans
			if spans != nil {
				rec.u.encode = encodeJSONPlain
				if asciiEscaped(src) {
					rec.u.encode = encodeJSONASCII
				}
			}
		}
		i = skipSpace(body, vEnd)
		if i < len(body) && body[i] == ',' {
			i = skipSpace(body, i+1)
		}
	}
	if !found {
		rec.hasUtt = false
		return malformed(`no "text" field`, `沒有 "text" 欄位`)
	}
	return true, nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the (valid) JSON value at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	return i
}

// asciiEscaped reports a JSON string written with \u escapes for non-ASCII.
func asciiEscaped(src string) bool {
	for i := 0; i < len(src); i++ {
		if src[i] >= utf8.RuneSelf {
			return false
		}
	}
	return strings.Contains(src, `\u`)
}

// decodeJSON decodes the contents of a valid JSON string, with a span after
// each escape (nil when there is none). Lone surrogates become U+FFFD, as
// in encoding/json.
func decodeJSON(src string) (string, []span) {
	if strings.IndexByte(src, '\\') < 0 {
		return src, nil
	}
	var b strings.Builder
	spans := []span{{0, 0}}
	for i := 0; i < len(src); {
		if src[i] != '\\' {
			b.WriteByte(src[i])
			i++
			continue
		}
		c := src[i+1]
		i += 2
		switch c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r := hex4(src[i:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(src) && src[i] == '\\' && src[i+1] == 'u' {
					r2 = hex4(src[i+2:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
		default: // " \ /
			b.WriteByte(c)
		}
		spans = append(spans, span{b.Len(), i})
	}
	return b.String(), spans
}

func hex4(s string) rune {
	if len(s) < 4 {
		return utf8.RuneError
	}
	v, err := strconv.ParseUint(s[:4], 16, 16)
	if err != nil {
		return utf8.RuneError
	}
	return rune(v)
}

func encodeJSONPlain(text string) (string, []span) { return encodeJSON(text, false) }
func encodeJSONASCII(text string) (string, []span) { return encodeJSON(text, true) }

// encodeJSON writes text as the contents of a JSON string, escaping what
// JSON requires, and all non-ASCII too when ascii is set.
func encodeJSON(text string, ascii bool) (string, []span) {
	var b strings.Builder
	spans := []span{{0, 0}}
	for i, r := range text {
		n := utf8.RuneLen(r)
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatInt(int64(r)>>4, 16) + strconv.FormatInt(int64(r)&15, 16))
		case ascii && r >= utf8.RuneSelf:
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				b.WriteString(`\u` + hexRune(r1) + `\u` + hexRune(r2))
			} else {
				b.WriteString(`\u` + hexRune(r))
			}
		default:
			b.WriteString(text[i : i+n])
			continue
		}
		spans = append(spans, span{i + n, b.Len()})
	}
	return b.String(), spans
}

func hexRune(r rune) string {
	s := strconv.FormatInt(int64(r), 16)
	return strings.Repeat("0", 4-len(s)) + s
}
