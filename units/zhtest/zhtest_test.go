package zhtest

import (
	"slices"
	"testing"
)

func TestEnglish(t *testing.T) {
	for _, tc := range []struct {
		zh   string
		want []string
	}{
		{"背景噪音 -38.2 dBFS 不在低噪音範圍（標準：低於 -55 dBFS）", nil},
		{"取樣率 44100 Hz 不符合要求（標準：16000 Hz）", nil},
		{"不可見字元 U+200B（零寬空格），請刪除", nil},
		{"不是有效的 UTF-8：位元組 0xFF", nil},
		{"A012 的標準", nil},
		{"逐字稿超過 1 MiB", nil},
		{"全形拉丁字母「ＬＩＮＥ」，請改用「LINE」", nil},
		{"請求內容有誤：bad request: transcript is not valid UTF-8", []string{"bad", "request", "transcript", "is", "not", "valid"}},
		{"不可見字元 U+200B (ZERO WIDTH SPACE)", []string{"ZERO", "WIDTH", "SPACE"}},
		{"除非專案在 allow_in_words 允許", []string{"allow", "in", "words"}},
		{"這不是 WAV（RIFF/WAVE）檔", []string{"RIFF", "WAVE"}},
		{"編碼 pcm24 不在允許清單內", []string{"pcm"}},
		{"3 files", []string{"files"}},
	} {
		if got := English(tc.zh); !slices.Equal(got, tc.want) {
			t.Errorf("English(%q)=%q, want %q", tc.zh, got, tc.want)
		}
	}
}
