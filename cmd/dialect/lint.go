package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/units"
)

// lintFlags are the flags of `dialect lint`.
type lintFlags struct {
	format string
	input  string
	column string
	width  string
	lang   string
	fix    bool
	diff   bool
	strict bool
	jobs   int
}

func newLintCmd(st streams) *cobra.Command {
	var fl lintFlags
	cmd := &cobra.Command{
		Use:   "lint [flags] PATH... | -",
		Short: "Lint transcripts: only the four marks ，。？！ and nothing else",
		Long: `Lint transcripts against the rules T001–T015 of spec/transcript-rules.md.

Files are read as plain text (one utterance per line), Kaldi text, TSV, CSV,
SRT, WebVTT, Praat TextGrid or JSON Lines, by extension or --input;
directories are searched recursively for those; "-" reads standard input. Positions are file
line and column, the column counted in characters.

--fix rewrites each file in place, atomically, and reports what is left;
"--fix -" writes the fixed text to standard output and the findings to
standard error. --diff prints the fixes instead of writing them.

Exit status, in every format: 0 no errors (warnings allowed unless --strict),
1 errors found, 2 usage error or a file that cannot be read or is not UTF-8.`,
		Example: `  dialect lint transcripts/
  dialect lint --format json text > findings.jsonl
  dialect lint --input tsv --column sentence validated.tsv
  dialect lint --input csv --column transcription train/metadata.csv
  dialect lint --fix corpus.txt
  cat take.txt | dialect lint --fix - > fixed.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLint(cmd, st, fl, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.format, "format", "text", "output format: text, json (JSON Lines), sarif or github")
	f.StringVar(&fl.input, "input", "", "input format: plain, kaldi, tsv, csv, srt, vtt, textgrid or jsonl (default: by extension)")
	f.StringVar(&fl.column, "column", "", "TSV or CSV text column: header name or 1-based number (default: text, sentence, transcript, transcription)")
	f.StringVar(&fl.width, "width", "auto", "width of the marks: auto, full or half")
	f.StringVar(&fl.lang, "lang", "", "language of text messages: en or zh-TW (default: from LANG)")
	f.BoolVar(&fl.fix, "fix", false, "rewrite files with every fixable finding fixed")
	f.BoolVar(&fl.diff, "diff", false, "print the fixes as a diff instead of writing them")
	f.BoolVar(&fl.strict, "strict", false, "warnings fail too (exit 1)")
	f.IntVarP(&fl.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "files linted in parallel")
	return cmd
}

func runLint(cmd *cobra.Command, st streams, fl lintFlags, args []string) error {
	if len(args) == 0 {
		return usageError{message: "lint needs at least one file, directory or -", hint: "dialect lint transcripts/"}
	}
	if fl.fix && fl.diff {
		return usageError{message: "--fix and --diff do not go together", hint: "dialect lint --diff FILE, then dialect lint --fix FILE"}
	}
	if fl.diff && fl.format != "text" {
		return usageError{message: "--diff prints a diff, not --format " + fl.format, hint: "dialect lint --diff FILE"}
	}
	newOut, ok := lintFormats[fl.format]
	if !ok {
		return usageError{message: fmt.Sprintf("unknown format %q", fl.format), hint: "dialect lint --format json FILE"}
	}
	var input transcript.Format
	if fl.input != "" {
		f, err := transcript.ParseFormat(fl.input)
		if err != nil {
			return usageError{message: err.Error(), hint: "dialect lint --input kaldi text"}
		}
		input = f
	}
	zh, err := wantChinese(fl.lang)
	if err != nil {
		return err
	}
	for _, a := range args {
		if a == "-" && len(args) > 1 && fl.fix {
			return usageError{message: "--fix - writes standard output, so it takes no other paths", hint: "dialect lint --fix - < in.txt > out.txt"}
		}
	}
	cfg, err := loadConfig(cmd, map[string]string{"lint.width": "width"})
	if err != nil {
		return err
	}
	jobs := collectTranscripts(args, input, fl.column)
	if len(jobs) == 0 {
		return usageError{message: "no transcript files found", hint: "name them .txt, .tsv, .csv, .srt, .vtt, .TextGrid, .jsonl or text, or pass --input"}
	}
	mode := modeLint
	switch {
	case fl.fix:
		mode = modeFix
	case fl.diff:
		mode = modeDiff
	}
	// With "--fix -" the fixed text owns standard output, so the findings
	// go to standard error.
	w := st.out
	if fl.fix && args[0] == "-" {
		w = st.err
	}
	color := useColor(w)
	out := newOut(w, outputOptions{zh: zh, color: color})
	sum := lintAll(jobs, lintRun{mode: mode, cfg: cfg.Lint, stdin: st.in, stdout: st.out}, max(fl.jobs, 1), out)
	if err := out.close(sum); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if fl.format == "text" {
		if err := sum.print(st.err, mode, zh); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	switch {
	case sum.fileErrors > 0:
		return exitError{code: exitUsage}
	case sum.errors > 0 || fl.strict && sum.warnings > 0:
		return exitError{code: exitFindings}
	}
	return nil
}

// lintSummary counts what a run found. fileErrors counts the findings of
// files that could not be read (F001, F002): errors too, counted apart for
// the exit status (2, not 1).
type lintSummary struct {
	files, changed, errors, warnings, fixable, fileErrors int
}

func (s lintSummary) print(w interface{ Write([]byte) (int, error) }, mode lintMode, zh bool) error {
	if s.errors+s.warnings+s.fileErrors == 0 && s.changed == 0 {
		return nil
	}
	_, err := fmt.Fprintln(w, s.text(mode).In(zh))
	return err
}

// text is the summary line in both languages: "1 error, 2 warnings in
// 1 file (1 fixable with --fix)" / "1 個檔案中有 1 個錯誤、2 個警告（其中 1 個
// 可用 --fix 修正）". An unreadable file's F001/F002 is one of its errors.
func (s lintSummary) text(mode lintMode) units.Text {
	count := func(n int, u units.Unit) units.Text { return units.Count(int64(n), u) }
	errs, warns, files := count(s.errors+s.fileErrors, units.Error), count(s.warnings, units.Warning), count(s.files, units.File)
	t := units.Text{EN: errs.EN + ", " + warns.EN + " in " + files.EN, ZH: files.ZH + "中有 " + errs.ZH + "、" + warns.ZH}
	switch mode {
	case modeFix:
		fixed := count(s.changed, units.File)
		t = units.Text{EN: "fixed " + fixed.EN + "; left " + errs.EN + ", " + warns.EN, ZH: "已修正 " + fixed.ZH + "；尚有 " + errs.ZH + "、" + warns.ZH}
	case modeLint:
		if s.fixable > 0 {
			t.EN += fmt.Sprintf(" (%d fixable with --fix)", s.fixable)
			t.ZH += fmt.Sprintf("（其中 %d 個可用 --fix 修正）", s.fixable)
		}
	case modeDiff:
		// The diff above shows the fixes: no "fixable with --fix" note.
	}
	if s.fileErrors > 0 {
		unread := count(s.fileErrors, units.File)
		t.EN += "; " + unread.EN + " could not be read"
		t.ZH += "；" + unread.ZH + "無法讀取"
	}
	return t
}

// useColor reports whether text output may be coloured: only on a terminal,
// and never when NO_COLOR is set to anything (https://no-color.org).
func useColor(w any) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	return lintIsTerminal(w)
}
