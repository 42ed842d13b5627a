package transcript

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestFormatsGolden lints and fixes every file in testdata/formats and
// compares the findings (placed in the file) and the fixed file with
// testdata/formats/NAME.golden.
func TestFormatsGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/formats/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if strings.HasSuffix(path, ".golden") {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, _ := FormatOf(path)
			opts := ReadOptions{Format: f}
			var b strings.Builder
			lintErr := LintStream(bytes.NewReader(data), opts, DefaultConfig(), func(u Utterance, fs []Finding) error {
				for _, f := range fs {
					fmt.Fprintf(&b, "%s [%s]\n", brief(f), u.ID)
					checkFilePosition(t, data, f)
				}
				return nil
			})
			fmt.Fprintf(&b, "lint error: %v\n--- fixed\n", lintErr)
			var out bytes.Buffer
			fixErr := FixStream(bytes.NewReader(data), &out, opts, DefaultConfig(), func(c *Change) error {
				for _, f := range c.Remaining {
					fmt.Fprintf(&b, "remaining %s\n", brief(f))
				}
				return nil
			})
			if fixErr == nil {
				// What is left after fixing must be what linting the output finds.
				var again []string
				err := LintStream(bytes.NewReader(out.Bytes()), opts, DefaultConfig(), func(_ Utterance, fs []Finding) error {
					for _, f := range fs {
						again = append(again, "remaining "+brief(f))
						checkFilePosition(t, out.Bytes(), f)
					}
					return nil
				})
				if err != nil {
					t.Errorf("lint of fixed output: %v", err)
				}
				got := strings.Join(again, "\n")
				if want := remainingLines(b.String()); got != want {
					t.Errorf("lint of fixed output:\n%s\nwant the remaining findings:\n%s", got, want)
				}
			}
			fmt.Fprintf(&b, "fix error: %v\n%s", fixErr, out.String())
			golden := path + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("%s differs from %s:\n%s", path, golden, got)
			}
		})
	}
}

func remainingLines(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "remaining ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// checkFilePosition checks that a finding's line and column are those of
// its byte offset in the file, and that its text is there when the format
// does not escape it. Columns on line 1 do not count a BOM.
func checkFilePosition(t *testing.T, data []byte, f Finding) {
	t.Helper()
	if f.ByteOffset < 0 || f.ByteOffset > int64(len(data)) {
		t.Fatalf("%s: byte offset %d outside the file", brief(f), f.ByteOffset)
	}
	before := string(data[:f.ByteOffset])
	lineStart := strings.LastIndexByte(before, '\n') + 1
	line := 1 + strings.Count(before, "\n")
	col := 1 + len([]rune(strings.TrimPrefix(before[lineStart:], "\ufeff")))
	if f.Line != line || f.Column != col {
		t.Errorf("%s at byte %d: line:col %d:%d, want %d:%d", brief(f), f.ByteOffset, f.Line, f.Column, line, col)
	}
	if f.Rule == RuleInvalidUTF8 || strings.ContainsAny(f.Text, `"\`) || bytes.HasPrefix(data[f.ByteOffset:], []byte(`\`)) {
		return
	}
	if !bytes.HasPrefix(data[f.ByteOffset:], []byte(f.Text)) {
		t.Errorf("%s: file at byte %d has %q", brief(f), f.ByteOffset, data[f.ByteOffset:min(len(data), int(f.ByteOffset)+len(f.Text))])
	}
}

func TestInvalidUTF8Stops(t *testing.T) {
	in := "好。\nbad \xc3\x28 byte\n好、\n"
	var got []string
	err := LintStream(strings.NewReader(in), ReadOptions{}, DefaultConfig(), func(_ Utterance, fs []Finding) error {
		got = append(got, briefs(fs)...)
		return nil
	})
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Fatalf("err=%v, want ErrInvalidUTF8", err)
	}
	if want := []string{`F002 2:5 "\xc3"`}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("findings=%q, want %q", got, want)
	}
	var out bytes.Buffer
	err = FixStream(strings.NewReader("\xff\xfeT\x00"), &out, ReadOptions{Format: TextGrid}, DefaultConfig(), func(c *Change) error {
		if !strings.Contains(c.Found[0].Message, "UTF-16") {
			t.Errorf("message=%q, want a UTF-16 hint", c.Found[0].Message)
		}
		return nil
	})
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("UTF-16 TextGrid: err=%v, want ErrInvalidUTF8", err)
	}
}

func TestTSVColumn(t *testing.T) {
	in := "id\ttext\n1\t好、\n"
	for _, tc := range []struct {
		col  string
		want string
		err  bool
	}{
		{"", `T001 2:4 "、" -> "，"`, false},
		{"text", `T001 2:4 "、" -> "，"`, false},
		{"2", `T001 2:4 "、" -> "，"`, false},
		{"sentence", "", true},
		{"0", "", true},
	} {
		var got []string
		err := LintStream(strings.NewReader(in), ReadOptions{Format: TSV, Column: tc.col}, DefaultConfig(), func(_ Utterance, fs []Finding) error {
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
}

// TestStreamFlatMemory streams 64 MiB through LintStream and checks the heap
// does not grow with the input (the 1 GB demonstration is in
// bench/lint-vs-peers.sh).
func TestStreamFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB")
	}
	line := "我今仔日欲去市場、買菜，真歡喜。\n"
	r := io.LimitReader(repeatReader(line), int64(len(line))*(64<<20/int64(len(line))))
	n := 0
	var peak uint64
	err := LintStream(r, ReadOptions{}, DefaultConfig(), func(_ Utterance, fs []Finding) error {
		n++
		if n%200000 == 0 {
			if h := heapInUse(); h > peak {
				peak = h
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak > 64<<20 {
		t.Errorf("heap in use reached %d MiB while streaming", peak>>20)
	}
}
