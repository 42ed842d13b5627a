package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func init() {
	// Another test file of this package may define -update too; define it
	// only if nobody has.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// runLintCmd runs dialect with args in-process and returns its exit code,
// standard output and standard error.
func runLintCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLintExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := writeFile(t, dir, "clean.txt", "我足歡-hí。\ngua2 beh4 khi3.\n")
	bad := writeFile(t, dir, "bad.txt", "好、你\n")
	warn := writeFile(t, dir, "warn.txt", "我有3個。\n")
	missing := filepath.Join(dir, "missing.txt")
	for _, format := range []string{"text", "json", "sarif", "github"} {
		for _, tc := range []struct {
			name string
			args []string
			want int
		}{
			{"clean", []string{clean}, 0},
			{"errors", []string{bad}, 1},
			{"warnings", []string{warn}, 0},
			{"warnings strict", []string{"--strict", warn}, 1},
			{"unreadable", []string{missing, clean}, 2},
			{"unreadable and errors", []string{bad, missing}, 2},
		} {
			args := append([]string{"lint", "--format", format}, tc.args...)
			if code, out, errOut := runLintCmd(t, "", args...); code != tc.want {
				t.Errorf("%s %s: exit %d, want %d\nstdout: %s\nstderr: %s", format, tc.name, code, tc.want, out, errOut)
			}
		}
	}
}

func TestLintUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		hint string
	}{
		{[]string{"lint"}, "Try: dialect lint transcripts/"},
		{[]string{"lint", "--format", "xml", "a.txt"}, "Try: dialect lint --format json"},
		{[]string{"lint", "--fix", "--diff", "a.txt"}, "Try:"},
		{[]string{"lint", "--input", "docx", "a.txt"}, "Try:"},
		{[]string{"lint", "--diff", "--format", "json", "a.txt"}, "Try:"},
		{[]string{"lint", "--width", "wide", "-"}, "Try:"},
		{[]string{"lint", "--bogus"}, "Try:"},
	} {
		code, _, errOut := runLintCmd(t, "", tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.hint) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.hint)
		}
	}
}

// TestLintGolden runs each output format over testdata/lint/tree and
// compares with testdata/lint/NAME.golden (go test -update rewrites them).
func TestLintGolden(t *testing.T) {
	for _, tc := range []struct{ name, format string }{
		{"text", "text"}, {"json", "json"}, {"sarif", "sarif"}, {"github", "github"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, _ := runLintCmd(t, "", "lint", "--format", tc.format, "-j", "3", filepath.Join("testdata", "lint", "tree"))
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			out = strings.ReplaceAll(out, filepath.ToSlash(filepath.Join("testdata", "lint"))+"/", "")
			golden := filepath.Join("testdata", "lint", tc.name+".golden")
			if updateGolden() {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, out)
			}
		})
	}
}

// TestLintJSONFields checks the stable field names of --format json.
func TestLintJSONFields(t *testing.T) {
	_, out, _ := runLintCmd(t, "好、你\n我有3個。\n", "lint", "--format", "json", "-")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, k := range []string{"path", "line", "column", "byte_offset", "rule", "severity", "message", "message_zh", "text"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d has no %q: %s", i+1, k, l)
			}
		}
		_, hasFix := m["fix"]
		if want := i == 0; hasFix != want {
			t.Errorf("line %d: fix present=%v, want %v", i+1, hasFix, want)
		}
	}
}

// TestLintSARIF checks the fields SARIF 2.1.0 requires, and the ones code
// scanning reads.
func TestLintSARIF(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a b.txt", "好、你\n")
	_, out, _ := runLintCmd(t, "", "lint", "--format", "sarif", p, filepath.Join(dir, "missing.txt"))
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			ColumnKind string `json:"columnKind"`
			Results    []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
							EndColumn   int `json:"endColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
			Invocations []struct {
				ExecutionSuccessful *bool `json:"executionSuccessful"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Schema == "" {
		t.Fatalf("version=%q runs=%d schema=%q, want 2.1.0, 1 run and a schema", log.Version, len(log.Runs), log.Schema)
	}
	r := log.Runs[0]
	if r.Tool.Driver.Name == "" || len(r.Tool.Driver.Rules) == 0 {
		t.Errorf("tool.driver: name=%q rules=%d, want both", r.Tool.Driver.Name, len(r.Tool.Driver.Rules))
	}
	if r.ColumnKind != "unicodeCodePoints" {
		t.Errorf("columnKind=%q, want unicodeCodePoints", r.ColumnKind)
	}
	if len(r.Results) != 2 {
		t.Fatalf("%d results, want 2", len(r.Results))
	}
	res := r.Results[0]
	if res.RuleID != "T001" || res.Level != "error" || res.Message.Text == "" {
		t.Errorf("result: %+v", res)
	}
	loc := res.Locations[0].PhysicalLocation
	if !strings.HasSuffix(loc.ArtifactLocation.URI, "/a%20b.txt") || loc.Region == nil ||
		loc.Region.StartLine != 1 || loc.Region.StartColumn != 2 || loc.Region.EndColumn != 3 {
		t.Errorf("location: %+v %+v", loc.ArtifactLocation, loc.Region)
	}
	if len(r.Invocations) != 1 || r.Invocations[0].ExecutionSuccessful == nil || *r.Invocations[0].ExecutionSuccessful {
		t.Errorf("invocations=%+v, want one, not successful (a file is missing)", r.Invocations)
	}
}

func TestLintFix(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.txt", "\ufeff伊講「好」.\r\n巧（khá）、\r\n")
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	clean := writeFile(t, dir, "clean.txt", "好。\n")
	cleanInfo, _ := os.Stat(clean)
	code, out, _ := runLintCmd(t, "", "lint", "--fix", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1 (the brackets are left)", code)
	}
	got, _ := os.ReadFile(p)
	if want := "伊講好。\r\n巧（khá），\r\n"; string(got) != want {
		t.Errorf("fixed file=%q, want %q (BOM gone, CRLF kept)", got, want)
	}
	if want := p + ":2:2: error[T001]"; !strings.HasPrefix(out, want) {
		t.Errorf("output=%q, want it to start with %q", out, want)
	}
	if info, _ := os.Stat(p); info.Mode().Perm() != 0o640 {
		t.Errorf("mode=%v, want 0640 kept", info.Mode().Perm())
	}
	if info, _ := os.Stat(clean); !info.ModTime().Equal(cleanInfo.ModTime()) {
		t.Errorf("a clean file was rewritten")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d entries in the directory, want 2 (no temporary files left)", len(entries))
	}
	// Fixing the fixed file changes nothing.
	before, _ := os.ReadFile(p)
	runLintCmd(t, "", "lint", "--fix", p)
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Errorf("second --fix changed %q to %q", before, after)
	}
}

func TestLintFixInvalidUTF8LeavesFile(t *testing.T) {
	dir := t.TempDir()
	content := "好、\n\xc3\x28\n"
	p := writeFile(t, dir, "a.txt", content)
	code, out, _ := runLintCmd(t, "", "lint", "--fix", p)
	if code != 2 || !strings.Contains(out, "F002") {
		t.Errorf("exit %d, output %q; want 2 and F002", code, out)
	}
	if got, _ := os.ReadFile(p); string(got) != content {
		t.Errorf("file changed to %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries, want 1 (temporary file removed)", len(entries))
	}
}

func TestLintFixStdin(t *testing.T) {
	code, out, errOut := runLintCmd(t, "伊講「好」.\n好（啦）\n", "lint", "--fix", "-")
	if want := "伊講好。\n好（啦）\n"; out != want {
		t.Errorf("stdout=%q, want %q", out, want)
	}
	if code != 1 || !strings.Contains(errOut, "<stdin>:2:2: error[T001]") {
		t.Errorf("exit %d, stderr %q; want 1 and the bracket on stderr", code, errOut)
	}
	code, out, _ = runLintCmd(t, "好，\n", "lint", "--fix", "-")
	if code != 0 || out != "好，\n" {
		t.Errorf("clean input: exit %d, stdout %q", code, out)
	}
}

func TestLintDiff(t *testing.T) {
	dir := t.TempDir()
	content := "好。\n伊講「好」.\n"
	p := writeFile(t, dir, "a.txt", content)
	code, out, _ := runLintCmd(t, "", "lint", "--diff", p)
	want := "--- " + p + "\n+++ " + p + " (fixed)\n@@ -2,1 +2,1 @@\n-伊講「好」.\n+伊講好。\n"
	if code != 1 || out != want {
		t.Errorf("exit %d, diff\n%s\nwant 1 and\n%s", code, out, want)
	}
	if got, _ := os.ReadFile(p); string(got) != content {
		t.Errorf("--diff wrote the file")
	}
}

func TestLintUnreadableAmongGood(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", "好、\n")
	bad := writeFile(t, dir, "b.txt", "ok\n\xff\xfe\n")
	// Root reads any file whatever its mode, so make the unreadable one a
	// symlink to itself.
	dirAsFile := filepath.Join(dir, "c.txt")
	if err := os.Symlink("c.txt", dirAsFile); err != nil {
		t.Fatal(err)
	}
	d := writeFile(t, dir, "d.txt", "你、\n")
	code, out, _ := runLintCmd(t, "", "lint", a, bad, dirAsFile, filepath.Join(dir, "missing.txt"), d)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{a + ":1:2: error[T001]", bad + ":2:1: error[F002] not valid UTF-8: byte 0xFF",
		dirAsFile + ": error[F001]", "missing.txt: error[F001]", d + ":1:2: error[T001]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Output keeps the order of the arguments.
	if strings.Index(out, a) > strings.Index(out, d) {
		t.Errorf("output out of order:\n%s", out)
	}
}

func TestLintBOMAndCRLF(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.txt", "\ufeff好、\r\n你。\r\n")
	_, out, _ := runLintCmd(t, "", "lint", "--format", "json", p)
	for _, want := range []string{`"line":1,"column":1,"byte_offset":0,"rule":"T007"`, `"line":1,"column":2,"byte_offset":6,"rule":"T001"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\\r") || strings.Contains(out, "T007\",\"severity\":\"error\",\"message\":\"invisible or control character U+000D") {
		t.Errorf("CR reported as a finding:\n%s", out)
	}
}

func TestLintColor(t *testing.T) {
	saved := lintIsTerminal
	defer func() { lintIsTerminal = saved }()
	lintIsTerminal = func(any) bool { return true }
	t.Setenv("NO_COLOR", "")
	if _, out, _ := runLintCmd(t, "好、\n", "lint", "-"); !strings.Contains(out, "\x1b[") {
		t.Errorf("terminal without NO_COLOR: no colour in %q", out)
	}
	t.Setenv("NO_COLOR", "1")
	if _, out, _ := runLintCmd(t, "好、\n", "lint", "-"); strings.Contains(out, "\x1b[") {
		t.Errorf("NO_COLOR set: colour in %q", out)
	}
	lintIsTerminal = saved
	t.Setenv("NO_COLOR", "")
	if _, out, _ := runLintCmd(t, "好、\n", "lint", "-"); strings.Contains(out, "\x1b[") {
		t.Errorf("not a terminal: colour in %q", out)
	}
}

func TestLintConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "dialect.yaml", "lint:\n  allowed_tags: [\"[noise]\"]\n  disable: [T006]\n  final_mark: true\n")
	in := "[noise] 我有3個。\n"
	if code, out, errOut := runLintCmd(t, in, "--config", cfg, "lint", "-"); code != 0 {
		t.Errorf("exit %d: %s %s", code, out, errOut)
	}
	if code, out, _ := runLintCmd(t, "我\n", "--config", cfg, "lint", "-"); code != 1 || !strings.Contains(out, "T013") {
		t.Errorf("final_mark: exit %d, %q", code, out)
	}
	bad := writeFile(t, dir, "bad.yaml", "lint:\n  width: wide\n")
	if code, _, errOut := runLintCmd(t, "好\n", "--config", bad, "lint", "-"); code != 2 || !strings.Contains(errOut, "width") {
		t.Errorf("bad config: exit %d, %q", code, errOut)
	}
}

func TestLintInputFormats(t *testing.T) {
	dir := t.TempDir()
	tsv := writeFile(t, dir, "cv.tsv", "path\tsentence\n1.mp3\t好、\n")
	if _, out, _ := runLintCmd(t, "", "lint", tsv); !strings.Contains(out, tsv+":2:8: error[T001]") {
		t.Errorf("tsv: %q", out)
	}
	if code, _, _ := runLintCmd(t, "", "lint", "--column", "text", tsv); code != 2 {
		t.Errorf("tsv with a missing column: exit %d, want 2", code)
	}
	if _, out, _ := runLintCmd(t, "u1 好、\n", "lint", "--input", "kaldi", "-"); !strings.Contains(out, "<stdin>:1:5: error[T001]") {
		t.Errorf("kaldi on stdin: %q", out)
	}
	// A Hugging Face metadata.csv: quoted fields, a quoted line break; the
	// transcription column found by default or named, the finding placed in
	// the file (line 3, after the quoted line break).
	csv := writeFile(t, dir, "metadata.csv", "file_name,transcription\n\"a,1.wav\",\"好。\n伊講、\"\n")
	for _, args := range [][]string{{"lint", csv}, {"lint", "--input", "csv", "--column", "transcription", csv}} {
		if code, out, _ := runLintCmd(t, "", args...); code != 1 || !strings.Contains(out, csv+":3:3: error[T001]") {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}
	if code, out, _ := runLintCmd(t, "", "lint", "--column", "sentence", csv); code != 2 || !strings.Contains(out, "CSV header has no column sentence") {
		t.Errorf("csv with a missing column: exit %d %q, want 2", code, out)
	}
	if code, out, _ := runLintCmd(t, "", "lint", "--lang", "zh-TW", "--column", "sentence", csv); code != 2 || !strings.Contains(out, "CSV 標題列沒有 sentence 欄") {
		t.Errorf("csv with a missing column, in zh-TW: exit %d %q, want 2", code, out)
	}
}

func TestLintManyFilesInOrder(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for i := 0; i < 40; i++ {
		name := filepath.Join(dir, string(rune('a'+i/26))+string(rune('a'+i%26))+".txt")
		writeFile(t, dir, filepath.Base(name), strings.Repeat("好、\n", 300))
		want = append(want, name)
	}
	_, out, _ := runLintCmd(t, "", "lint", "-j", strings.TrimSpace(string(rune('0'+runtime.GOMAXPROCS(0)%10))), dir)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		p := l[:strings.Index(l, ":")]
		if len(got) == 0 || got[len(got)-1] != p {
			got = append(got, p)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("files out of order:\n%v\nwant\n%v", got, want)
	}
	_ = io.Discard
}
