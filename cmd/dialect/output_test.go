package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// failWriter fails every write, as a full disk or a closed pipe does.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// TestOutputWriteError: a command whose output cannot be written exits 2
// (an I/O error), never 0 or 1. An id, a token or a one-time password that
// never reached the operator must not pass for done, nor a listing cut
// short for a whole one.
func TestOutputWriteError(t *testing.T) {
	dir := t.TempDir()
	seedAccepted(t, dir, 1) // project "tainan", one accepted clip
	prompts := writeFile(t, t.TempDir(), "prompts.txt", "今仔日天氣真好。\n")
	wavs := t.TempDir()
	writeClip(t, wavs, "a.wav", 1, -65)
	writeClip(t, wavs, "b.wav", 2, -65)
	transcripts := writeFile(t, t.TempDir(), "bad.txt", "好、你\n")
	export := filepath.Join(t.TempDir(), "r.tar")
	data := []string{"--data-dir", dir}
	// In order: export reads the release that "release create" made.
	for _, tc := range []struct {
		name      string
		args      []string
		failOut   bool // else standard error fails
		wantInErr string
	}{
		{"project create prints the id", append([]string{"project", "create", "--name", "Out"}, data...), true, ""},
		{"project list", append([]string{"project", "list"}, data...), true, ""},
		{"user add prints the id", append([]string{"user", "add", "--role", "admin", "--username", "out1"}, data...), true, ""},
		{"user add shows the password once", append([]string{"user", "add", "--role", "admin", "--username", "out2"}, data...), false, ""},
		{"token create shows the token once", append([]string{"token", "create", "--vendor", "v", "--project", "tainan"}, data...), true, ""},
		{"import prompts", append([]string{"import", "prompts", "--project", "tainan", prompts}, data...), true, ""},
		{"release create prints the id", append([]string{"release", "create", "--project", "tainan"}, data...), true, ""},
		{"release list", append([]string{"release", "list"}, data...), true, ""},
		{"export prints size and SHA-256", append([]string{"export", "--release", "1", "--format", "kaldi", "--out", export}, data...), false, ""},
		{"audit text", append([]string{"audit"}, data...), true, ""},
		{"check summary", []string{"check", "--band", "low", wavs}, false, ""},
		{"lint summary", []string{"lint", transcripts}, false, "T0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			var stdout, stderr io.Writer = failWriter{}, &errb
			if !tc.failOut {
				stdout, stderr = &out, failWriter{}
			}
			code := run(context.Background(), tc.args, strings.NewReader(""), stdout, stderr)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out.String(), errb.String())
			}
			if !strings.Contains(out.String(), tc.wantInErr) {
				t.Errorf("stdout %q lacks %q", out.String(), tc.wantInErr)
			}
		})
	}
}

// TestServeOutputWriteError: serve keeps serving when it cannot print its
// banner (the failure is logged), and exits 2 at the end, not 0.
func TestServeOutputWriteError(t *testing.T) {
	cfg := defaultConfig()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Server.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	up := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, streams{in: strings.NewReader(""), out: failWriter{}, err: &logs}, cfg, func(string, string) { close(up) })
	}()
	select {
	case <-up:
	case err := <-done:
		t.Fatalf("serve stopped before it was ready: %v\n%s", err, logs.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve not ready in 30 s")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("serve with a standard output that fails returned nil\n%s", logs.String())
		}
	case <-time.After(35 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	if !strings.Contains(logs.String(), "no space left on device") {
		t.Errorf("the failure is not in the log:\n%s", logs.String())
	}
}

// TestExportFileMode: the exported archive holds speakers' voices and
// details; like the corpus's own clip files (0640) it is not readable by
// every user of the machine.
func TestExportFileMode(t *testing.T) {
	dir := t.TempDir()
	seedAccepted(t, dir, 1)
	if code, _, errs := runCmd(t, "release", "create", "--project", "tainan", "--data-dir", dir); code != 0 {
		t.Fatalf("release create: %d %s", code, errs)
	}
	file := filepath.Join(t.TempDir(), "r.tar")
	if code, _, errs := runCmd(t, "export", "--release", "1", "--format", "kaldi", "--out", file, "--data-dir", dir); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o007 != 0 {
		t.Fatalf("export mode %v: readable by others", perm)
	}
}
