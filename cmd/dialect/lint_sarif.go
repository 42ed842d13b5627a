package main

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dialect-corpus/dialect/transcript"
)

// sarifOutput streams one SARIF 2.1.0 log: the header and the rules first,
// then each result as it comes, then the invocation, so a large run needs
// no more memory than a small one. Columns are code points
// (columnKind unicodeCodePoints), as in the other formats.
type sarifOutput struct {
	w       *bufio.Writer // keeps its first error for close (see lintOutput)
	o       outputOptions
	ruleIdx map[string]int
	n       int
	buf     []byte
}

func newSARIFOutput(w io.Writer, o outputOptions) lintOutput {
	s := &sarifOutput{w: bufio.NewWriter(w), o: o, ruleIdx: map[string]int{}}
	b := []byte(`{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"dialect lint","informationUri":"https://github.com/dialect-corpus/dialect","version":`)
	b = appendJSONString(b, version)
	b = append(b, `,"rules":[`...)
	for i, r := range transcript.Rules() {
		s.ruleIdx[r.ID] = i
		if i > 0 {
			b = append(b, ',')
		}
		level := "error"
		if r.Severity == transcript.Warning {
			level = "warning"
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, r.ID)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, r.Name)
		b = append(b, `,"shortDescription":{"text":`...)
		b = appendJSONString(b, r.Summary)
		b = append(b, `},"defaultConfiguration":{"level":"`+level+`"},"properties":{"summary_zh":`...)
		b = appendJSONString(b, r.SummaryZh)
		b = append(b, `}}`...)
	}
	b = append(b, `]}},"columnKind":"unicodeCodePoints","results":[`...)
	_, _ = s.w.Write(b)
	return s
}

func (s *sarifOutput) findings(path string, fs []transcript.Finding) {
	uri := sarifURI(path)
	for i := range fs {
		f := &fs[i]
		b := s.buf[:0]
		if s.n > 0 {
			b = append(b, ',')
		}
		s.n++
		level := "error"
		if f.Severity == transcript.Warning {
			level = "warning"
		}
		b = append(b, "\n"+`{"ruleId":`...)
		b = appendJSONString(b, f.Rule)
		b = append(b, `,"ruleIndex":`...)
		b = strconv.AppendInt(b, int64(s.ruleIdx[f.Rule]), 10)
		b = append(b, `,"level":"`+level+`","message":{"text":`...)
		msg := f.Message
		if s.o.zh && f.MessageZh != "" {
			msg = f.MessageZh
		}
		b = appendJSONString(b, msg)
		b = append(b, `},"locations":[{"physicalLocation":{"artifactLocation":{"uri":`...)
		b = appendJSONString(b, uri)
		b = append(b, '}')
		if f.Line > 0 {
			b = append(b, `,"region":`...)
			b = appendRegion(b, f)
		}
		b = append(b, `}}]`...)
		if f.HasFix {
			b = append(b, `,"fixes":[{"description":{"text":`...)
			b = appendJSONString(b, f.Message)
			b = append(b, `},"artifactChanges":[{"artifactLocation":{"uri":`...)
			b = appendJSONString(b, uri)
			b = append(b, `},"replacements":[{"deletedRegion":{"byteOffset":`...)
			b = strconv.AppendInt(b, f.ByteOffset, 10)
			b = append(b, `,"byteLength":`...)
			b = strconv.AppendInt(b, int64(len(f.Text)), 10)
			b = append(b, `},"insertedContent":{"text":`...)
			b = appendJSONString(b, f.Fix)
			b = append(b, `}}]}]}]`...)
		}
		b = append(b, `,"properties":{"message_zh":`...)
		b = appendJSONString(b, f.MessageZh)
		b = append(b, `}}`...)
		_, _ = s.w.Write(b)
		s.buf = b
	}
}

// appendRegion writes the region of f: start and end in lines and code
// points, and the same place in bytes.
func appendRegion(b []byte, f *transcript.Finding) []byte {
	endLine, endCol := f.Line, f.Column
	if i := strings.LastIndexByte(f.Text, '\n'); i >= 0 {
		endLine += strings.Count(f.Text, "\n")
		endCol = 1 + utf8.RuneCountInString(f.Text[i+1:])
	} else {
		endCol += utf8.RuneCountInString(f.Text)
	}
	b = append(b, `{"startLine":`...)
	b = strconv.AppendInt(b, int64(f.Line), 10)
	b = append(b, `,"startColumn":`...)
	b = strconv.AppendInt(b, int64(f.Column), 10)
	b = append(b, `,"endLine":`...)
	b = strconv.AppendInt(b, int64(endLine), 10)
	b = append(b, `,"endColumn":`...)
	b = strconv.AppendInt(b, int64(endCol), 10)
	b = append(b, `,"byteOffset":`...)
	b = strconv.AppendInt(b, f.ByteOffset, 10)
	b = append(b, `,"byteLength":`...)
	b = strconv.AppendInt(b, int64(len(f.Text)), 10)
	b = append(b, `,"snippet":{"text":`...)
	b = appendJSONString(b, f.Text)
	return append(b, `}}`...)
}

func (s *sarifOutput) diff(string, string) {}

func (s *sarifOutput) close(sum lintSummary) error {
	ok := "true"
	if sum.fileErrors > 0 {
		ok = "false"
	}
	_, _ = s.w.WriteString("\n" + `],"invocations":[{"executionSuccessful":` + ok + `}]}]}` + "\n")
	return s.w.Flush()
}
