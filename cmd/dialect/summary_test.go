package main

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/units/zhtest"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// TestCheck_Summary: the line after several files counts in the right
// plural, and in Chinese with --lang zh-TW.
func TestCheck_Summary(t *testing.T) {
	dir := t.TempDir()
	quiet := writeClip(t, dir, "quiet.wav", 1, -65)
	noisy := writeClip(t, dir, "noisy.wav", 2, -38)
	// A dropout: 100 ms of digital zero inside the speech (A014 warning).
	mix, _ := wavtest.Clip(rand.New(rand.NewPCG(4, 3)), 16000, 1, 3, 1, -18, wavtest.White, -65)
	for i := 32000; i < 33600; i++ {
		mix[i] = 0
	}
	gap := filepath.Join(dir, "gap.wav")
	if err := os.WriteFile(gap, wavtest.Encode(wavtest.PCM16, mix), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{quiet, noisy}, "2 files checked: 1 passed, 1 failed, 0 warnings\n"},
		{[]string{quiet, gap}, "2 files checked: 2 passed, 0 failed, 1 warning\n"},
		{[]string{"--lang", "zh-TW", quiet, noisy, gap}, "已檢查 3 個檔案：2 個通過、1 個未通過、1 個警告\n"},
		{[]string{"--lang", "en", quiet, gap}, "2 files checked: 2 passed, 0 failed, 1 warning\n"},
	} {
		_, _, errs := runCheckCLI(t, append([]string{"check", "--band", "low"}, tc.args...)...)
		if errs != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, errs, tc.want)
		}
	}
	// Findings and --verbose figures in the language asked for, each in the
	// unit of its rule.
	_, out, _ := runCheckCLI(t, "check", "--band", "low", "--lang", "zh-TW", "-v", noisy, gap)
	for _, want := range []string{"error[A012] 背景噪音 -38.", "（標準：低於 -55 dBFS）", "warning[A014] 有 1 處斷音", "（標準：不可有）",
		"16 位元 PCM 16000 Hz 1 個聲道 5.00 秒，背景噪音 ", "：未通過\n", "斷音 1 處斷音：通過\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("zh-TW output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		line = line[strings.Index(line, ".wav: ")+len(".wav: "):]
		if en := zhtest.English(strings.NewReplacer("error", "", "warning", "").Replace(line)); en != nil {
			t.Errorf("zh-TW line %q has English %q", line, en)
		}
	}
	_, out, _ = runCheckCLI(t, "check", "--band", "low", "-v", gap)
	if want := "16-bit PCM 16000 Hz 1 channel 5.00 s, noise floor "; !strings.Contains(out, want) || !strings.Contains(out, "dropouts 1 dropout: pass\n") {
		t.Errorf("verbose output %q, want %q … dropouts 1 dropout: pass", out, want)
	}
}

// TestLint_Summary: the lint summary counts in the right plural, in Chinese
// with --lang zh-TW, and counts a file that cannot be read (F001, F002) as
// an error.
func TestLint_Summary(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.txt", "好、你\n阮兜有4个人。\n")
	two := writeFile(t, dir, "two.txt", "好、你、\n")
	binary := writeFile(t, dir, "binary.txt", "好\xff你\n")
	clean := writeFile(t, dir, "clean.txt", "我足歡-hí。\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{bad}, "1 error, 1 warning in 1 file (1 fixable with --fix)\n"},
		{[]string{two, clean}, "2 errors, 0 warnings in 2 files (2 fixable with --fix)\n"},
		{[]string{binary}, "1 error, 0 warnings in 1 file; 1 file could not be read\n"},
		{[]string{binary, two}, "3 errors, 0 warnings in 2 files (2 fixable with --fix); 1 file could not be read\n"},
		{[]string{"--lang", "zh-TW", bad}, "1 個檔案中有 1 個錯誤、1 個警告（其中 1 個可用 --fix 修正）\n"},
		{[]string{"--lang", "zh-TW", binary, clean}, "2 個檔案中有 1 個錯誤、0 個警告；1 個檔案無法讀取\n"},
		{[]string{"--diff", bad}, "1 error, 1 warning in 1 file\n"},
		{[]string{clean}, ""},
	} {
		_, _, errs := runLintCmd(t, "", append([]string{"lint"}, tc.args...)...)
		if errs != tc.want {
			t.Errorf("%q: stderr %q, want %q", tc.args, errs, tc.want)
		}
	}
	for _, tc := range []struct {
		lang, want string
	}{
		{"en", "fixed 1 file; left 0 errors, 1 warning\n"},
		{"zh-TW", "已修正 1 個檔案；尚有 0 個錯誤、1 個警告\n"},
	} {
		f := writeFile(t, dir, "fix-"+tc.lang+".txt", "好、你\n阮兜有4个人。\n")
		if _, _, errs := runLintCmd(t, "", "lint", "--lang", tc.lang, "--fix", f); errs != tc.want {
			t.Errorf("--fix --lang %s: stderr %q, want %q", tc.lang, errs, tc.want)
		}
	}
}
