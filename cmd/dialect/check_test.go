package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// runCheckCLI runs the command in-process, as a user would from a shell.
func runCheckCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// writeClip writes a prompted clip with noise at noiseDB to dir/name.
func writeClip(t *testing.T, dir, name string, seed uint64, noiseDB float64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 3))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, noiseDB)
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, wavtest.Encode(wavtest.PCM16, mix), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck_ExitCodesAndText(t *testing.T) {
	dir := t.TempDir()
	quiet := writeClip(t, dir, "quiet.wav", 1, -65)
	noisy := writeClip(t, dir, "noisy.wav", 2, -38)

	if code, out, errs := runCheckCLI(t, "check", "--band", "low", "--mode", "prompted", quiet); code != 0 || out != "" {
		t.Fatalf("clean file: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ := runCheckCLI(t, "check", "--band", "low", quiet, noisy)
	if code != 1 {
		t.Fatalf("noisy file: exit %d, want 1", code)
	}
	want := noisy + ": error[A012] noise floor -38."
	if !strings.Contains(out, want) || !strings.Contains(out, "is outside band low (allowed: below -55 dBFS)") {
		t.Fatalf("stdout %q lacks %q", out, want)
	}
	code, out, _ = runCheckCLI(t, "check", "--band", "low", "--lang", "zh-TW", noisy)
	if code != 1 || !strings.Contains(out, "背景噪音") {
		t.Fatalf("zh-TW: exit %d, stdout %q", code, out)
	}
	// An unreadable path among good ones: the others are still checked,
	// and the exit status says a path could not be read.
	code, out, errs := runCheckCLI(t, "check", "--band", "low", quiet, filepath.Join(dir, "missing.wav"), noisy)
	if code != 2 || !strings.Contains(errs, "missing.wav") || !strings.Contains(out, "A012") {
		t.Fatalf("missing path: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestCheck_JSONLines(t *testing.T) {
	dir := t.TempDir()
	writeClip(t, dir, "b/2.wav", 2, -65)
	writeClip(t, dir, "a/1.WAV", 1, -65)
	writeClip(t, dir, "a/sub/3.wav", 3, -45)
	if err := os.WriteFile(filepath.Join(dir, "a", "notes.txt"), []byte("not audio"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, filepath.Join("c", "broken.wav"), "RIFF\x10\x00\x00\x00WAVEfmt ")

	code, out, errs := runCheckCLI(t, "check", "--format", "json", "--band", "low", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (stderr %q)", code, errs)
	}
	var paths []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var obj map[string]any
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		p := obj["path"].(string)
		paths = append(paths, filepath.ToSlash(strings.TrimPrefix(p, dir)))
		if _, ok := obj["pass"].(bool); !ok {
			t.Errorf("%s: no pass field", p)
		}
		format := obj["format"].(map[string]any)
		findings := obj["findings"].([]any)
		if strings.HasSuffix(p, "broken.wav") {
			f := findings[0].(map[string]any)
			if obj["pass"] != false || f["rule"] != "A001" || f["message_zh"] == "" {
				t.Errorf("broken file: %s", sc.Text())
			}
			continue
		}
		for _, k := range []string{"encoding", "format_tag", "sample_rate", "channels", "bits", "frames", "duration_s"} {
			if _, ok := format[k]; !ok {
				t.Errorf("%s: format.%s missing", p, k)
			}
		}
		m := obj["measurements"].(map[string]any)
		for _, k := range []string{"noise_floor_dbfs", "speech_level_dbfs", "snr_db", "active_s", "leading_silence_s",
			"trailing_silence_s", "clipped_ratio", "dc_offset", "peak_dbfs", "noise_band", "channels"} {
			if _, ok := m[k]; !ok && k != "channels" {
				t.Errorf("%s: measurements.%s missing", p, k)
			}
		}
		for _, f := range findings {
			f := f.(map[string]any)
			for _, k := range []string{"rule", "severity", "message", "message_zh", "measured", "threshold"} {
				if _, ok := f[k]; !ok {
					t.Errorf("%s: finding %v lacks %s", p, f["rule"], k)
				}
			}
		}
	}
	want := []string{"/a/1.WAV", "/a/sub/3.wav", "/b/2.wav", "/c/broken.wav"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("paths %v, want %v in lexical order", paths, want)
	}
}

func TestCheck_Config(t *testing.T) {
	dir := t.TempDir()
	noisy := writeClip(t, dir, "noisy.wav", 2, -38)
	cfg := writeFile(t, dir, "dialect.yaml", "check:\n  low:\n    max_noise_dbfs: -30\n    min_snr_db: 10\n  medium:\n    min_noise_dbfs: -30\n")
	if code, out, errs := runCheckCLI(t, "check", "--config", cfg, "--band", "low", noisy); code != 0 {
		t.Fatalf("raised low band from config: exit %d\n%s%s", code, out, errs)
	}
	// Environment overrides the file.
	t.Setenv("DIALECT_CHECK_LOW_MAX_NOISE_DBFS", "-50")
	if code, _, _ := runCheckCLI(t, "check", "--config", cfg, "--band", "low", noisy); code != 1 {
		t.Fatalf("DIALECT_CHECK_LOW_MAX_NOISE_DBFS=-50: exit %d, want 1", code)
	}
	writeFile(t, dir, "dialect.yaml", "check:\n  encodings: [mp3]\n")
	if code, _, errs := runCheckCLI(t, "check", "--config", cfg, noisy); code != 2 || !strings.Contains(errs, "mp3") {
		t.Fatalf("bad config: exit %d, stderr %q", code, errs)
	}
}

// TestCheck_Usage: every usage mistake exits 2 with a message and a hint.
func TestCheck_Usage(t *testing.T) {
	dir := t.TempDir()
	clip := writeClip(t, dir, "c.wav", 1, -65)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "Try: dialect check recordings/"},
		{[]string{"check", "--band", "loud", clip}, "unknown noise band"},
		{[]string{"check", "--mode", "singing", clip}, "unknown mode"},
		{[]string{"check", "--format", "xml", clip}, "unknown format"},
		{[]string{"check", "--lang", "fr", clip}, "unknown language"},
		{[]string{"check", "--no-such-flag", clip}, "Try: dialect check --help"},
		{[]string{"check", "--config", filepath.Join(dir, "none.yaml"), clip}, "read config"},
		{[]string{"check", t.TempDir()}, "no .wav files found"},
	} {
		code, _, errs := runCheckCLI(t, tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tt.args, code, errs, tt.want)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCheckCLI(t, "--version")
	if code != 0 || !strings.Contains(out, "dialect version") {
		t.Fatalf("--version: exit %d, %q", code, out)
	}
}
