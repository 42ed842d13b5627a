package transcript

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// benchCorpus builds lines like the benchmark corpus of
// shared/bench/lint/gen_corpus.py: Han, Mandarin, Tâi-lô and Han-lô, about
// one in four with a fault.
func benchCorpus(lines int) []byte {
	samples := []string{
		"我今仔日欲去市場買菜，真歡喜。",
		"阿公講伊足好食、阮兜佇遮。",
		"我們等一下要去便利商店，真的假的？",
		"Guá kin-á-ji̍t beh khì tshī-tiûnn, bué tshài.",
		"伊講「好」.",
		"欲去 tshī-tiûnn 買菜，hó-tsia̍h！",
		"今仔日2024年，落雨。。",
		" 厝邊頭尾攏總都好！",
	}
	var b bytes.Buffer
	for i := 0; i < lines; i++ {
		b.WriteString(samples[i%len(samples)])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func BenchmarkLintStream(b *testing.B) {
	data := benchCorpus(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := LintStream(bytes.NewReader(data), ReadOptions{}, DefaultConfig(), func(_ Utterance, fs []Finding) error {
			n += len(fs)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkFixStream(b *testing.B) {
	data := benchCorpus(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := FixStream(bytes.NewReader(data), io.Discard, ReadOptions{}, DefaultConfig(), func(*Change) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkLint(b *testing.B) {
	l, _ := NewLinter(DefaultConfig())
	text := "我今仔日欲去 tshī-tiûnn 買菜、真歡喜。"
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		l.Lint(text)
	}
}

// BenchmarkLongLine is the linear-time check of reliability T-16: a 100 KB
// line with no spaces.
func BenchmarkLongLine(b *testing.B) {
	for _, tc := range []struct{ name, unit string }{
		{"han", "漢"}, {"latin", "a"}, {"marks", "、"}, {"hyphens", "a-"}, {"combining", "o\u0301"}, {"digits", "1"},
	} {
		text := strings.Repeat(tc.unit, 100_000/len(tc.unit))
		b.Run(tc.name, func(b *testing.B) {
			l, _ := NewLinter(DefaultConfig())
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				l.Lint(text)
			}
		})
	}
}
