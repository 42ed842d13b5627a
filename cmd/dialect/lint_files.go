package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/term"

	"github.com/dialect-corpus/dialect/transcript"
)

type lintMode uint8

const (
	modeLint lintMode = iota
	modeFix
	modeDiff
)

// lintJob is one file to lint. Its events reach the printer in input order
// through events, a small buffer: a worker that gets ahead waits, so memory
// stays flat however much a file reports.
type lintJob struct {
	path   string // "-" for standard input
	opts   transcript.ReadOptions
	err    error // the path could not be walked
	events chan lintEvent
}

// lintEvent is a batch of one file's output.
type lintEvent struct {
	findings []transcript.Finding
	diff     string
	fileErr  bool // findings holds an F001/F002: the file could not be read
	changed  bool // --fix rewrote the file
	silent   bool // count the findings for the exit status, do not print them (--diff)
}

// lintRun is what every job shares.
type lintRun struct {
	mode   lintMode
	cfg    transcript.Config
	stdin  io.Reader
	stdout io.Writer
}

// collectTranscripts expands args into jobs: files as given, directories
// walked (skipping hidden ones) for files whose name says they are
// transcripts, in lexical order.
func collectTranscripts(args []string, input transcript.Format, column string) []*lintJob {
	var jobs []*lintJob
	add := func(path string, f transcript.Format, err error) {
		if input != "" {
			f = input
		}
		jobs = append(jobs, &lintJob{path: path, opts: transcript.ReadOptions{Format: f, Column: column}, err: err})
	}
	for _, a := range args {
		if a == "-" {
			add(a, transcript.Plain, nil)
			continue
		}
		info, err := os.Stat(a)
		if err != nil || !info.IsDir() {
			f, _ := transcript.FormatOf(a)
			add(a, f, err)
			continue
		}
		werr := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				add(p, transcript.Plain, err)
				return nil
			}
			if d.IsDir() {
				if p != a && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if f, ok := transcript.FormatOf(p); ok && d.Type().IsRegular() {
				add(p, f, nil)
			}
			return nil
		})
		if werr != nil {
			add(a, transcript.Plain, werr)
		}
	}
	return jobs
}

// lintAll runs jobs on workers goroutines and prints their events in input
// order.
func lintAll(jobs []*lintJob, run lintRun, workers int, out lintOutput) lintSummary {
	queue := make(chan *lintJob)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				j.run(run)
				close(j.events)
			}
		}()
	}
	for _, j := range jobs {
		j.events = make(chan lintEvent, 8)
	}
	go func() {
		for _, j := range jobs {
			queue <- j
		}
		close(queue)
	}()
	var sum lintSummary
	for _, j := range jobs {
		sum.files++
		name := displayPath(j.path)
		for ev := range j.events {
			if ev.changed {
				sum.changed++
			}
			if ev.diff != "" {
				out.diff(name, ev.diff)
			}
			for i := range ev.findings {
				f := &ev.findings[i]
				switch {
				case ev.fileErr:
					sum.fileErrors++
				case f.Severity == transcript.Error:
					sum.errors++
				default:
					sum.warnings++
				}
				if f.HasFix {
					sum.fixable++
				}
			}
			if len(ev.findings) > 0 && !ev.silent {
				out.findings(name, ev.findings)
			}
		}
	}
	wg.Wait()
	return sum
}

// fileErrorZH says in Chinese why a file could not be read. The English
// message keeps the system's own text (with the path); the Chinese one
// names the common causes and, for the rest, says where the detail is.
func fileErrorZH(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "找不到這個檔案"
	case errors.Is(err, fs.ErrPermission):
		return "沒有讀取這個檔案的權限"
	case errors.Is(err, syscall.EISDIR):
		return "這是資料夾，不是檔案"
	case errors.Is(err, syscall.ELOOP):
		return "符號連結形成迴圈，找不到實際的檔案"
	case errors.Is(err, syscall.ENAMETOOLONG):
		return "檔案路徑太長"
	}
	return "讀取時發生系統錯誤（詳情見英文訊息）"
}

func displayPath(p string) string {
	if p == "-" {
		return "<stdin>"
	}
	return p
}

// batchSize is how many findings a job collects before handing them over.
const batchSize = 256

// run lints, fixes or diffs one file, sending its events.
func (j *lintJob) run(run lintRun) {
	fail := func(err error) {
		en := "cannot read file: " + err.Error()
		zh := "無法讀取檔案：" + fileErrorZH(err)
		var se *transcript.SetupError
		if errors.As(err, &se) {
			en, zh = se.Msg, se.MsgZh
			if zh == "" {
				zh = se.Msg
			}
		}
		j.events <- lintEvent{fileErr: true, findings: []transcript.Finding{{
			Rule: transcript.RuleUnreadable, Severity: transcript.Error, Message: en, MessageZh: zh}}}
	}
	if j.err != nil {
		fail(j.err)
		return
	}
	in := run.stdin
	if j.path != "-" {
		f, err := os.Open(j.path)
		if err != nil {
			fail(err)
			return
		}
		defer func() { _ = f.Close() }() // read only; --fix writes a new file (rewriteFile)
		in = f
	}
	var batch []transcript.Finding
	var diff strings.Builder
	flush := func() {
		if len(batch) > 0 || diff.Len() > 0 {
			j.events <- lintEvent{findings: batch, diff: diff.String(), silent: run.mode == modeDiff}
			batch = nil
			diff.Reset()
		}
	}
	add := func(fs []transcript.Finding) {
		for _, f := range fs {
			if f.Rule == transcript.RuleInvalidUTF8 {
				// The stream stopped at a byte that is not UTF-8: this file
				// is unreadable input, exit 2.
				flush()
				j.events <- lintEvent{fileErr: true, findings: []transcript.Finding{f}}
				continue
			}
			batch = append(batch, f)
		}
		if len(batch) >= batchSize {
			flush()
		}
	}
	var err error
	switch run.mode {
	case modeLint:
		err = transcript.LintStream(in, j.opts, run.cfg, func(_ transcript.Utterance, fs []transcript.Finding) error {
			add(fs)
			return nil
		})
	case modeDiff:
		err = transcript.FixStream(in, io.Discard, j.opts, run.cfg, func(c *transcript.Change) error {
			if c.Changed() {
				writeHunk(&diff, c)
			}
			add(c.Found)
			return nil
		})
	case modeFix:
		changed := false
		fix := func(w io.Writer) error {
			return transcript.FixStream(in, w, j.opts, run.cfg, func(c *transcript.Change) error {
				changed = changed || c.Changed()
				add(c.Remaining)
				return nil
			})
		}
		if j.path == "-" {
			bw := bufio.NewWriterSize(run.stdout, 64<<10)
			if err = fix(bw); err == nil {
				err = bw.Flush()
			}
		} else {
			err = rewriteFile(j.path, fix, &changed)
		}
		if err == nil && changed {
			flush()
			j.events <- lintEvent{changed: true}
		}
	}
	flush()
	if err != nil && !errors.Is(err, transcript.ErrInvalidUTF8) {
		fail(err)
	}
}

// writeHunk adds a unified-diff hunk for one changed record. Fixes never add
// or remove lines, so both sides start at the same line and have the same
// length; there are no context lines.
func writeHunk(b *strings.Builder, c *transcript.Change) {
	before := splitLines(c.Before)
	after := splitLines(c.After)
	line := c.BeforeLine
	fmt.Fprintf(b, "@@ -%d,%d +%d,%d @@\n", line, len(before), line, len(after))
	for _, l := range before {
		b.WriteString("-" + l + "\n")
	}
	for _, l := range after {
		b.WriteString("+" + l + "\n")
	}
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// rewriteFile replaces path atomically with what fix writes: a temporary
// file in the same directory, fsynced, renamed over the original, then the
// directory fsynced, so a crash leaves the old file or the new one, never
// half of one. A symlink is followed and its target replaced. When fix
// changes nothing the file is left alone, mtime included.
func rewriteFile(path string, fix func(io.Writer) error, changed *bool) (err error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	info, err := os.Stat(real)
	if err != nil {
		return err
	}
	dir := filepath.Dir(real)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(real)+".dialect-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil || !*changed {
			// The temp file is discarded and the original left untouched:
			// a close or remove that fails leaves a hidden .dialect-* file
			// beside it, never a changed transcript.
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err = fix(bw); err != nil {
		return err
	}
	if !*changed {
		return nil
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(info.Mode().Perm()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), real); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer func() { _ = d.Close() }() // opened only to be synced; Sync's error is checked below
	if err = d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// lintIsTerminal reports whether w is a terminal; tests replace it.
var lintIsTerminal = func(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
