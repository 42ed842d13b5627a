package main

import (
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dialect-corpus/dialect/units"
	"github.com/dialect-corpus/dialect/validate"
)

type checkFlags struct {
	band, mode, format, lang string
	verbose                  bool
	jobs                     int
}

func newCheckCmd(st streams) *cobra.Command {
	var fl checkFlags
	cmd := &cobra.Command{
		Use:   "check [flags] PATH...",
		Short: "Check WAV files: format, duration, noise band, SNR, clipping, silence",
		Long: `Check WAV files against the corpus rules (A001–A015): format, sample rate,
channels, duration, truncation, clipping, DC offset, speech presence, speech
level, SNR, noise band, leading/trailing silence, dropouts, fake stereo.

Directories are searched recursively for *.wav; "-" reads one WAV from
standard input (copied to a temporary file first, at most 4 GiB). Exit status: 0 when every file
passes, 1 when any has an error, 2 on a usage error or an unreadable path.`,
		Example: `  dialect check take.wav
  dialect check --band low --mode prompted recordings/
  dialect check --format json corpus/ > report.jsonl
  sox take.flac -t wav - | dialect check -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, st, fl, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.band, "band", "", "required noise band: low, medium or high (default: the band the clip is in)")
	f.StringVar(&fl.mode, "mode", "", "recording mode: prompted, monologue or dialogue (default: any)")
	f.StringVar(&fl.format, "format", "text", "output format: text or json (JSON Lines, one object per file)")
	f.StringVar(&fl.lang, "lang", "", "language of text messages: en or zh-TW (default: from LANG)")
	f.BoolVarP(&fl.verbose, "verbose", "v", false, "text output: also print each file's measurements")
	f.IntVarP(&fl.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "files checked in parallel")
	return cmd
}

// checkResult is one file's outcome: a report, or why there is none.
type checkResult struct {
	*validate.Report
	Error string `json:"error,omitempty"`
	err   error
}

func runCheck(cmd *cobra.Command, st streams, fl checkFlags, args []string) error {
	if len(args) == 0 {
		return usageError{message: "check needs at least one WAV file or directory", hint: "dialect check recordings/"}
	}
	band, err := validate.ParseBand(fl.band)
	if err != nil {
		return usageError{message: err.Error(), hint: "dialect check --band low FILE.wav"}
	}
	mode, err := validate.ParseMode(fl.mode)
	if err != nil {
		return usageError{message: err.Error(), hint: "dialect check --mode prompted FILE.wav"}
	}
	if fl.format != "text" && fl.format != "json" {
		return usageError{message: fmt.Sprintf("unknown format %q", fl.format), hint: "dialect check --format json FILE.wav"}
	}
	zh, err := wantChinese(fl.lang)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(cmd, nil)
	if err != nil {
		return err
	}
	opts := validate.Options{Mode: mode, Band: band, Config: &cfg.Check}
	args, stdinTmp, removeTmp, err := spoolStdin(args, st.in) // "-": check_stdin.go
	if err != nil {
		return err
	}
	defer removeTmp()

	paths, walkErrs, sawDir := collectWAVs(args)
	exit := exitOK
	for _, e := range walkErrs {
		// Exit 2 whether or not this reaches standard error.
		_, _ = fmt.Fprintf(st.err, "dialect: %v\n", e)
		exit = exitUsage
	}
	var bar *progressbar.ProgressBar
	if f, ok := st.err.(*os.File); ok && sawDir && term.IsTerminal(int(f.Fd())) && len(paths) > 1 {
		bar = progressbar.NewOptions(len(paths), progressbar.OptionSetWriter(st.err),
			progressbar.OptionSetDescription("checking"), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100_000_000))
	}

	results := checkAll(paths, opts, max(fl.jobs, 1))
	enc := json.NewEncoder(st.out)
	enc.SetEscapeHTML(false)
	var nFiles, nFail, nWarn int
	for i := range paths {
		r := <-results[i]
		if stdinTmp != "" && r.Report != nil && r.Path == stdinTmp {
			r.Path = stdinName
		}
		if bar != nil {
			_ = bar.Add(1)
		}
		nFiles++
		if r.err != nil {
			// Exit 2 whether or not this reaches standard error.
			_, _ = fmt.Fprintf(st.err, "dialect: %v\n", r.err)
			exit = exitUsage
		}
		if !r.Pass {
			nFail++
			if exit == exitOK {
				exit = exitFindings
			}
		}
		for _, f := range r.Findings {
			if f.Severity == validate.SeverityWarning {
				nWarn++
			}
		}
		if fl.format == "json" {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			continue
		}
		if r.err != nil {
			continue // already on stderr
		}
		if err := printCheckText(st.out, r, zh, fl.verbose); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if fl.format == "text" && nFiles > 1 {
		if _, err := fmt.Fprintln(st.err, checkSummary(nFiles, nFail, nWarn).In(zh)); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if nFiles == 0 && len(walkErrs) == 0 {
		// Exit 2 whether or not this reaches standard error.
		_, _ = fmt.Fprintln(st.err, "dialect: no .wav files found")
		exit = exitUsage
	}
	if exit != exitOK {
		return exitError{code: exit}
	}
	return nil
}

// checkAll checks paths on jobs workers and returns one channel per path, so
// the caller can print in input order while later files are still checked.
func checkAll(paths []string, opts validate.Options, jobs int) []chan checkResult {
	results := make([]chan checkResult, len(paths))
	for i := range results {
		results[i] = make(chan checkResult, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, max(len(paths), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep, err := validate.File(paths[i], opts)
				r := checkResult{Report: rep, err: err}
				if err != nil {
					r.Error = err.Error()
					rep.Pass = false
				}
				results[i] <- r
			}
		}()
	}
	go func() {
		for i := range paths {
			next <- i
		}
		close(next)
		wg.Wait()
	}()
	return results
}

// collectWAVs expands directories into the *.wav files under them, in lexical
// order; files named on the command line are taken whatever their extension.
func collectWAVs(args []string) (paths []string, errs []error, sawDir bool) {
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !fi.IsDir() {
			paths = append(paths, arg)
			continue
		}
		sawDir = true
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, err)
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(p), ".wav") {
				paths = append(paths, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return paths, errs, sawDir
}

// checkSummary is the line after several files: "3 files checked: 2
// passed, 1 failed, 1 warning" / "已檢查 3 個檔案：2 個通過、1 個未通過、1 個警告".
func checkSummary(files, failed, warnings int) units.Text {
	n, w := units.Count(int64(files), units.File), units.Count(int64(warnings), units.Warning)
	return units.Text{
		EN: fmt.Sprintf("%s checked: %d passed, %d failed, %s", n.EN, files-failed, failed, w.EN),
		ZH: fmt.Sprintf("已檢查 %s：%d 個通過、%d 個未通過、%s", n.ZH, files-failed, failed, w.ZH),
	}
}

// printCheckText prints the findings of a file that could be read (r.err
// is nil), and with verbose its format and measurements.
func printCheckText(w io.Writer, r checkResult, zh, verbose bool) error {
	for _, f := range r.Findings {
		msg := f.Message
		if zh {
			msg = f.MessageZH
		}
		if _, err := fmt.Fprintf(w, "%s: %s[%s] %s\n", r.Path, f.Severity, f.Rule, msg); err != nil {
			return err
		}
	}
	if verbose {
		fm := r.Format
		rate, ch, dur := units.Hz(float64(fm.SampleRate)), units.Count(int64(fm.Channels), units.Channel), units.Seconds(fm.DurationS)
		parts := []string{validate.EncodingText(fm.Name()).In(zh) + " " + rate.In(zh) + " " + ch.In(zh) + " " + dur.In(zh)}
		if m := r.Measurements; m != nil {
			for _, fg := range m.Figures() {
				parts = append(parts, fg.Name.In(zh)+" "+fg.Value.In(zh))
			}
		}
		status := units.Text{EN: "pass", ZH: "通過"}
		if !r.Pass {
			status = units.Text{EN: "FAIL", ZH: "未通過"}
		}
		sep, colon := ", ", ": "
		if zh {
			sep, colon = "，", "："
		}
		if _, err := fmt.Fprintf(w, "%s: %s%s%s\n", r.Path, strings.Join(parts, sep), colon, status.In(zh)); err != nil {
			return err
		}
	}
	return nil
}

// wantChinese decides the message language: --lang, else LC_ALL, LC_MESSAGES
// or LANG starting with "zh".
func wantChinese(lang string) (bool, error) {
	if lang == "" {
		for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			if s := os.Getenv(v); s != "" {
				lang = s
				break
			}
		}
		return strings.HasPrefix(strings.ToLower(lang), "zh"), nil
	}
	switch strings.ToLower(lang) {
	case "en":
		return false, nil
	case "zh", "zh-tw", "zh_tw":
		return true, nil
	}
	return false, usageError{message: fmt.Sprintf("unknown language %q", lang), hint: "--lang zh-TW or --lang en"}
}
