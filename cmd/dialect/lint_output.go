package main

import (
	"bufio"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dialect-corpus/dialect/transcript"
)

// lintOutput prints findings in one format. Calls come from one goroutine,
// in input order. The formats write through a bufio.Writer, which keeps the
// first write error and returns it from every later call, Flush included:
// they drop the results of single writes and close returns that of Flush.
type lintOutput interface {
	findings(path string, fs []transcript.Finding)
	diff(path, hunks string)
	close(sum lintSummary) error
}

type outputOptions struct {
	zh, color bool
}

var lintFormats = map[string]func(io.Writer, outputOptions) lintOutput{
	"text":   func(w io.Writer, o outputOptions) lintOutput { return &textOutput{w: bufio.NewWriter(w), o: o} },
	"json":   func(w io.Writer, o outputOptions) lintOutput { return &jsonOutput{w: bufio.NewWriter(w)} },
	"sarif":  newSARIFOutput,
	"github": func(w io.Writer, o outputOptions) lintOutput { return &githubOutput{w: bufio.NewWriter(w), o: o} },
}

// textOutput prints `path:line:col: error[T001] message`, the form editors
// and grep understand.
type textOutput struct {
	w        *bufio.Writer
	o        outputOptions
	lastDiff string
}

const (
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
	ansiGreen  = "\x1b[32m"
	ansiReset  = "\x1b[0m"
)

func (t *textOutput) paint(code, s string) string {
	if !t.o.color {
		return s
	}
	return code + s + ansiReset
}

func (t *textOutput) findings(path string, fs []transcript.Finding) {
	for i := range fs {
		f := &fs[i]
		msg := f.Message
		if t.o.zh && f.MessageZh != "" {
			msg = f.MessageZh
		}
		sev := t.paint(ansiRed, string(f.Severity))
		if f.Severity == transcript.Warning {
			sev = t.paint(ansiYellow, string(f.Severity))
		}
		_, _ = t.w.WriteString(t.paint(ansiBold, path))
		if f.Line > 0 {
			_, _ = t.w.WriteString(":" + strconv.Itoa(f.Line) + ":" + strconv.Itoa(f.Column))
		}
		_, _ = t.w.WriteString(": " + sev + t.paint(ansiDim, "["+f.Rule+"]") + " " + msg + "\n")
	}
}

func (t *textOutput) diff(path, hunks string) {
	if t.lastDiff != path {
		t.lastDiff = path
		_, _ = t.w.WriteString(t.paint(ansiBold, "--- "+path) + "\n" + t.paint(ansiBold, "+++ "+path+" (fixed)") + "\n")
	}
	if !t.o.color {
		_, _ = t.w.WriteString(hunks)
		return
	}
	for _, l := range strings.SplitAfter(hunks, "\n") {
		switch {
		case strings.HasPrefix(l, "-"):
			l = t.paint(ansiRed, strings.TrimSuffix(l, "\n")) + "\n"
		case strings.HasPrefix(l, "+"):
			l = t.paint(ansiGreen, strings.TrimSuffix(l, "\n")) + "\n"
		}
		_, _ = t.w.WriteString(l)
	}
}

func (t *textOutput) close(lintSummary) error { return t.w.Flush() }

// jsonOutput prints JSON Lines with the stable field names of
// spec/transcript-rules.md. It writes the JSON by hand: it is the
// benchmark's hot path, and the field order stays fixed.
type jsonOutput struct {
	w   *bufio.Writer
	buf []byte
}

func (j *jsonOutput) findings(path string, fs []transcript.Finding) {
	for i := range fs {
		f := &fs[i]
		b := j.buf[:0]
		b = append(b, `{"path":`...)
		b = appendJSONString(b, path)
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, int64(f.Line), 10)
		b = append(b, `,"column":`...)
		b = strconv.AppendInt(b, int64(f.Column), 10)
		b = append(b, `,"byte_offset":`...)
		b = strconv.AppendInt(b, f.ByteOffset, 10)
		b = append(b, `,"rule":`...)
		b = appendJSONString(b, f.Rule)
		b = append(b, `,"severity":`...)
		b = appendJSONString(b, string(f.Severity))
		b = append(b, `,"message":`...)
		b = appendJSONString(b, f.Message)
		b = append(b, `,"message_zh":`...)
		b = appendJSONString(b, f.MessageZh)
		b = append(b, `,"text":`...)
		b = appendJSONString(b, f.Text)
		if f.HasFix {
			b = append(b, `,"fix":`...)
			b = appendJSONString(b, f.Fix)
		}
		b = append(b, "}\n"...)
		_, _ = j.w.Write(b)
		j.buf = b
	}
}

func (j *jsonOutput) diff(string, string) {}

func (j *jsonOutput) close(lintSummary) error { return j.w.Flush() }

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, and U+2028/U+2029 are escaped for JavaScript consumers.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			if r == utf8.RuneError {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u202`...)
				b = append(b, hex[r&15])
			}
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// githubOutput prints GitHub Actions workflow commands, which the runner
// turns into annotations on the pull request.
type githubOutput struct {
	w *bufio.Writer
	o outputOptions
}

func (g *githubOutput) findings(path string, fs []transcript.Finding) {
	for i := range fs {
		f := &fs[i]
		level := "error"
		if f.Severity == transcript.Warning {
			level = "warning"
		}
		msg := f.Message
		if g.o.zh && f.MessageZh != "" {
			msg = f.MessageZh
		}
		_, _ = g.w.WriteString("::" + level + " file=" + ghProperty(path))
		if f.Line > 0 {
			_, _ = g.w.WriteString(",line=" + strconv.Itoa(f.Line) + ",col=" + strconv.Itoa(f.Column))
			if !strings.Contains(f.Text, "\n") {
				_, _ = g.w.WriteString(",endColumn=" + strconv.Itoa(f.Column+utf8.RuneCountInString(f.Text)))
			}
		}
		_, _ = g.w.WriteString(",title=" + ghProperty(f.Rule) + "::" + ghData(msg) + "\n")
	}
}

func (g *githubOutput) diff(string, string)     {}
func (g *githubOutput) close(lintSummary) error { return g.w.Flush() }

// ghData escapes a workflow command's message; ghProperty a property value.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// sarifURI turns a path into a SARIF artifact URI: relative paths stay
// relative (code scanning resolves them against the checkout), absolute
// ones become file URIs.
func sarifURI(path string) string {
	p := filepath.ToSlash(path)
	u := url.URL{Path: p}
	if filepath.IsAbs(path) {
		u.Scheme = "file"
		if !strings.HasPrefix(p, "/") {
			u.Path = "/" + p
		}
	}
	return u.String()
}
