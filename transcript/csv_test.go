package transcript

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCSVColumn: the text column is found by header name (transcription
// among the defaults, for a Hugging Face metadata.csv) or 1-based number
// (no header), through quoting; a missing column is a setup error.
func TestCSVColumn(t *testing.T) {
	in := "file_name,speaker_id,transcription\n\"a,1.wav\",s1,\"好、\"\n"
	for _, tc := range []struct {
		col  string
		in   string
		want string
		err  bool
	}{
		{"", in, `T001 2:16 "、" -> "，"`, false},
		{"transcription", in, `T001 2:16 "、" -> "，"`, false},
		{"3", "x.wav,s1,好、\n", `T001 1:11 "、" -> "，"`, false},
		{"sentence", in, "", true},
		{"0", in, "", true},
	} {
		var got []string
		err := LintStream(strings.NewReader(tc.in), ReadOptions{Format: CSV, Column: tc.col}, DefaultConfig(), func(_ Utterance, fs []Finding) error {
			got = append(got, briefs(fs)...)
			return nil
		})
		var se *SetupError
		if tc.err != errors.As(err, &se) {
			t.Errorf("column %q: err=%v, want setup error %v", tc.col, err, tc.err)
		}
		if !tc.err && (len(got) != 1 || got[0] != tc.want) {
			t.Errorf("column %q: %q, want %q", tc.col, got, tc.want)
		}
	}
	if f, ok := FormatOf("train/metadata.csv"); !ok || f != CSV {
		t.Errorf("FormatOf(metadata.csv) = %q, %v", f, ok)
	}
	if f, err := ParseFormat("CSV"); err != nil || f != CSV {
		t.Errorf("ParseFormat(CSV) = %q, %v", f, err)
	}
}

// TestCSVFixKeepsRecords: what Fix writes is still CSV that encoding/csv
// reads to the same number of records and fields, with the text column
// fixed; a bare field that a fix gives a comma gets quoted.
func TestCSVFixKeepsRecords(t *testing.T) {
	in := "id,transcription,n\r\n1,\"Guá tsin hó；lí leh.\",2\r\n2,Guá tsin hó；lí leh.,3\r\n3,\"伊講「好」、\n阮兜佇台南。\",4\r\n"
	var out bytes.Buffer
	if err := FixStream(strings.NewReader(in), &out, ReadOptions{Format: CSV}, DefaultConfig(), func(*Change) error { return nil }); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("fixed output is not CSV: %v\n%s", err, out.String())
	}
	want := []string{"transcription", "Guá tsin hó,lí leh.", "Guá tsin hó,lí leh.", "伊講好，\n阮兜佇台南。"}
	if len(rows) != 4 {
		t.Fatalf("%d records, want 4:\n%s", len(rows), out.String())
	}
	for i, r := range rows {
		if len(r) != 3 || r[1] != want[i] {
			t.Errorf("record %d = %q, want %q in column 2", i, r, want[i])
		}
	}
}

// FuzzCSV (reader fuzz target): whatever the bytes, the CSV reader never
// panics; every finding is placed at its byte offset in the file; fixing
// leaves exactly the findings that linting the output finds, and never
// changes the number of lines.
func FuzzCSV(f *testing.F) {
	for _, s := range []string{
		"file_name,transcription\na.wav,好、\n",
		"file_name,transcription\n\"a,b.wav\",\"Guá, tsin hó；\"\n",
		"transcription\n\"伊講\"\"好\"\"、\n阮兜。\"\n",
		"transcription\n\"未結束\n",
		"transcription,x\n\"好\"x,1\n",
		"transcription\r\n好、\r\n\r\nGuá tsin hó；lí\r\n",
		"\ufefftranscription\n好 。\n",
		"a,transcription\n1\n2,\n3,,\n",
		"transcription\n\"\"\n\"\"\"\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		// checkFilePosition does not count a BOM at the start of a line as
		// a column: only one at the start of the file is meant.
		if !utf8.ValidString(in) || strings.Contains(strings.TrimPrefix(in, "\ufeff"), "\ufeff") {
			return
		}
		opts := ReadOptions{Format: CSV}
		var found []string
		err := LintStream(strings.NewReader(in), opts, DefaultConfig(), func(_ Utterance, fs []Finding) error {
			for _, x := range fs {
				checkFilePosition(t, []byte(in), x)
				found = append(found, brief(x))
			}
			return nil
		})
		var se *SetupError
		if errors.As(err, &se) {
			return // no text column in the header
		}
		if err != nil {
			t.Fatalf("lint: %v", err)
		}
		var out bytes.Buffer
		var remaining []string
		err = FixStream(strings.NewReader(in), &out, opts, DefaultConfig(), func(c *Change) error {
			for _, x := range c.Remaining {
				remaining = append(remaining, brief(x))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("fix: %v", err)
		}
		if strings.Count(out.String(), "\n") != strings.Count(in, "\n") {
			t.Fatalf("fix changed the number of lines:\n%q\n%q", in, out.String())
		}
		var again []string
		if err := LintStream(bytes.NewReader(out.Bytes()), opts, DefaultConfig(), func(_ Utterance, fs []Finding) error {
			for _, x := range fs {
				checkFilePosition(t, out.Bytes(), x)
				again = append(again, brief(x))
			}
			return nil
		}); err != nil {
			t.Fatalf("lint of the fixed output: %v", err)
		}
		if strings.Join(again, "\n") != strings.Join(remaining, "\n") {
			t.Fatalf("input %q\nfixed %q\nremaining %q\nlint of the output %q", in, out.String(), remaining, again)
		}
	})
}
