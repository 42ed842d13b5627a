package release_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/release"
	"github.com/dialect-corpus/dialect/transcript"
)

var (
	hanWords   = []string{"我", "足", "歡喜", "今仔日", "天氣", "真好", "你", "食飽未", "阮", "阿媽", "𪜶", "欲去", "市場", "買菜", "轉去--矣", "歡-hí"}
	latinWords = []string{"Guá", "tsin", "huann-hí", "kin-á-ji̍t", "thinn-khì", "tsiok", "hó", "lí", "tsia̍h-pá", "buē", "khuànn--tio̍h", "LINE", "OK"}
)

// cleanText is a random utterance that follows every default rule: a Han
// line with full-width marks or a Latin line with half-width ones. With
// final, it ends with a mark; without, it ends with a letter.
func cleanText(rng *rand.Rand, final bool) string {
	n := 1 + rng.IntN(6)
	var b strings.Builder
	if rng.IntN(2) == 0 {
		for i := range n {
			if i > 0 && rng.IntN(3) == 0 {
				b.WriteString("，")
			}
			b.WriteString(hanWords[rng.IntN(len(hanWords))])
		}
		if final {
			b.WriteString([]string{"。", "？", "！"}[rng.IntN(3)])
		}
		return b.String()
	}
	for i := range n {
		if i > 0 {
			b.WriteString([]string{" ", " ", ", "}[rng.IntN(3)])
		}
		b.WriteString(latinWords[rng.IntN(len(latinWords))])
	}
	if final {
		b.WriteString([]string{".", "?", "!"}[rng.IntN(3)])
	}
	return b.String()
}

// randomRecording has 1 or 2 channels of segments that do not overlap
// within a channel (they may across channels, as in a dialogue).
func randomRecording(rng *rand.Rand, final bool) release.Recording {
	r := release.Recording{ID: "s1-" + fmt.Sprintf("%032x", rng.Uint64()), Channels: 1 + rng.IntN(2)}
	for ch := range r.Channels {
		at := 0.0
		for range rng.IntN(12) {
			start := at + float64(rng.IntN(3000))/1000
			end := start + 0.001 + float64(rng.IntN(8000))/1000
			r.Segments = append(r.Segments, release.Segment{Start: start, End: end, Channel: ch, Text: cleanText(rng, final)})
			at = end
		}
		r.DurationS = max(r.DurationS, at+float64(rng.IntN(2000))/1000)
	}
	rng.Shuffle(len(r.Segments), func(i, j int) { r.Segments[i], r.Segments[j] = r.Segments[j], r.Segments[i] })
	return r
}

// lint reads data as dialect lint does (transcript.LintStream) and returns
// every finding's utterance text and rule.
func lint(t *testing.T, data []byte, f transcript.Format, cfg transcript.Config) (texts, rules []string) {
	t.Helper()
	err := transcript.LintStream(bytes.NewReader(data), transcript.ReadOptions{Format: f}, cfg, func(u transcript.Utterance, fs []transcript.Finding) error {
		for _, x := range fs {
			texts, rules = append(texts, u.Text), append(rules, x.Rule+" "+x.Message)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("lint %s: %v", f, err)
	}
	return texts, rules
}

// TestSegmentWritersRoundTrip is the property of issue 7 item 3: for random
// clean segments, the TextGrid, the SRT and the Kaldi text read back
// through the linter with no findings; and with the final-mark rule on
// (texts written without a final mark, so each utterance reports itself),
// every segment's text comes back, in order.
func TestSegmentWritersRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 26))
	def := transcript.DefaultConfig()
	final := transcript.DefaultConfig()
	final.FinalMark = true
	for i := range 300 {
		r := randomRecording(rng, true)
		_, text := release.KaldiSegments([]release.Recording{r})
		for name, out := range map[transcript.Format][]byte{transcript.TextGrid: release.TextGrid(&r), transcript.SRT: release.SRT(&r), transcript.Kaldi: text} {
			if len(r.Segments) == 0 && name == transcript.Kaldi {
				continue
			}
			if _, rules := lint(t, out, name, def); len(rules) > 0 {
				t.Fatalf("case %d %s: findings %v in\n%s", i, name, rules, out)
			}
		}

		r = randomRecording(rng, false)
		var want []string
		for _, s := range sortedByChannel(r.Segments) {
			want = append(want, s.Text)
		}
		if got, _ := lint(t, release.TextGrid(&r), transcript.TextGrid, final); !slices.Equal(got, want) {
			t.Fatalf("case %d TextGrid texts:\n got %q\nwant %q", i, got, want)
		}
		got, _ := lint(t, release.SRT(&r), transcript.SRT, final)
		if len(got) != len(r.Segments) {
			t.Fatalf("case %d SRT: %d utterances, want %d", i, len(got), len(r.Segments))
		}
	}
}

func sortedByChannel(segs []release.Segment) []release.Segment {
	s := slices.Clone(segs)
	slices.SortStableFunc(s, func(a, b release.Segment) int {
		if a.Channel != b.Channel {
			return a.Channel - b.Channel
		}
		if a.Start < b.Start {
			return -1
		}
		return 1
	})
	return s
}

func TestKaldiSegments(t *testing.T) {
	recs := []release.Recording{
		{ID: "b-rec", DurationS: 10, Channels: 1, Segments: []release.Segment{{Start: 5, End: 6.5, Text: "第二。"}, {Start: 0.25, End: 1.5, Text: "第一。"}}},
		{ID: "a-rec", DurationS: 4, Channels: 2, Segments: []release.Segment{{Start: 1, End: 2, Channel: 1, Text: "乙。"}, {Start: 0.5, End: 2, Text: "甲。"}}},
	}
	segs, text := release.KaldiSegments(recs)
	wantSegs := "a-rec-1-00001 a-rec-1 0.500 2.000\na-rec-2-00001 a-rec-2 1.000 2.000\nb-rec-1-00001 b-rec 0.250 1.500\nb-rec-1-00002 b-rec 5.000 6.500\n"
	if string(segs) != wantSegs {
		t.Errorf("segments:\n%s\nwant\n%s", segs, wantSegs)
	}
	wantText := "a-rec-1-00001 甲。\na-rec-2-00001 乙。\nb-rec-1-00001 第一。\nb-rec-1-00002 第二。\n"
	if string(text) != wantText {
		t.Errorf("text:\n%s\nwant\n%s", text, wantText)
	}
	if got, want := release.KaldiChannelSCP(&recs[1], "wav/a-rec.wav"), "a-rec-1 sox wav/a-rec.wav -t wav - remix 1 |\na-rec-2 sox wav/a-rec.wav -t wav - remix 2 |\n"; got != want {
		t.Errorf("scp %q, want %q", got, want)
	}
}

func TestSRTMergesOverlaps(t *testing.T) {
	r := release.Recording{ID: "x", DurationS: 5, Channels: 2, Segments: []release.Segment{
		{Start: 0, End: 2, Channel: 0, Text: "我先講。"}, {Start: 1.5, End: 3, Channel: 1, Text: "你講。"}, {Start: 3.5, End: 4.25, Text: "好。"}}}
	want := "1\n00:00:00,000 --> 00:00:03,000\n我先講。\n你講。\n\n2\n00:00:03,500 --> 00:00:04,250\n好。\n\n"
	if got := string(release.SRT(&r)); got != want {
		t.Fatalf("SRT:\n%q\nwant\n%q", got, want)
	}
}

func TestTextGridQuotes(t *testing.T) {
	r := release.Recording{ID: "x", DurationS: 2, Channels: 1, Segments: []release.Segment{{Start: 0.5, End: 1, Text: `say "hi"`}}}
	got := string(release.TextGrid(&r))
	if !strings.Contains(got, `text = "say ""hi"""`) || !strings.Contains(got, "intervals: size = 3") {
		t.Fatalf("TextGrid:\n%s", got)
	}
	texts, _ := lint(t, []byte(got), transcript.TextGrid, transcript.DefaultConfig())
	if len(texts) == 0 || texts[0] != `say "hi"` {
		t.Fatalf("read back %q, want the quoted text", texts)
	}
}
