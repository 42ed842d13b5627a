package transcript

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is a transcript file format.
type Format string

// The formats LintStream and FixStream read.
const (
	// Plain is one utterance per line.
	Plain Format = "plain"
	// Kaldi is Kaldi's `text` file: an utterance id, a space, the text.
	Kaldi Format = "kaldi"
	// TSV is tab-separated values without quoting (Common Voice, most
	// toolkits); the text is in one column, by header name or number.
	TSV Format = "tsv"
	// CSV is comma-separated values with RFC 4180 quoting (a Hugging Face
	// audiofolder's metadata.csv); the text is in one column, by header
	// name or number, as for TSV.
	CSV Format = "csv"
	// SRT is SubRip subtitles: cue text only; timings are checked (T100).
	SRT Format = "srt"
	// WebVTT is WebVTT subtitles: cue text only; timings are checked (T100).
	WebVTT Format = "vtt"
	// TextGrid is a Praat TextGrid in the long or short text format, UTF-8:
	// the texts of interval tiers.
	TextGrid Format = "textgrid"
	// JSONL is JSON Lines with a "text" field (NeMo manifests).
	JSONL Format = "jsonl"
)

// Formats lists every format.
func Formats() []Format { return []Format{Plain, Kaldi, TSV, CSV, SRT, WebVTT, TextGrid, JSONL} }

// ParseFormat returns the format called s.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	switch f {
	case "txt", "text":
		return Plain, nil
	case "webvtt":
		return WebVTT, nil
	case "json", "ndjson":
		return JSONL, nil
	default: // a format's own name, or none: the loop below decides
	}
	for _, g := range Formats() {
		if f == g {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown input format %q: want one of plain, kaldi, tsv, csv, srt, vtt, textgrid, jsonl", s)
}

// FormatOf guesses the format of a file from its name: .txt, .tsv, .csv, .srt,
// .vtt, .TextGrid, .jsonl/.ndjson/.json (NeMo manifests are JSON Lines in
// .json files), and a file named `text` (Kaldi). ok is false for any other
// name, which a directory walk skips.
func FormatOf(path string) (f Format, ok bool) {
	base := filepath.Base(path)
	if base == "text" {
		return Kaldi, true
	}
	switch strings.ToLower(filepath.Ext(base)) {
	case ".txt":
		return Plain, true
	case ".tsv":
		return TSV, true
	case ".csv":
		return CSV, true
	case ".srt":
		return SRT, true
	case ".vtt":
		return WebVTT, true
	case ".textgrid":
		return TextGrid, true
	case ".jsonl", ".ndjson", ".json":
		return JSONL, true
	}
	return Plain, false
}

// ReadOptions says how to find the utterances in a file.
type ReadOptions struct {
	// Format of the file; empty means Plain.
	Format Format
	// Column holds the TSV or CSV text column: a header name, or a 1-based
	// number (then the file has no header). Empty looks for a header
	// column named text, sentence, transcript or transcription.
	Column string
}

// Utterance is one transcript read from a file, and where its text starts.
type Utterance struct {
	// ID is the utterance id where the format has one: Kaldi's utt-id, a
	// subtitle cue's number or identifier, "tier[n]" in a TextGrid.
	ID     string `json:"id,omitempty"`
	Text   string `json:"text"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Offset int64  `json:"byte_offset"`
}
