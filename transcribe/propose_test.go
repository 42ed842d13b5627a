package transcribe_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/transcribe"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// speechFixture is noise at -60 dBFS with speech (at -18 dBFS) in the
// given [start, length] stretches; it returns the WAV and, for each
// stretch, where the speech really starts and ends (first and last
// non-zero sample of the synthesised speech).
func speechFixture(seconds float64, stretches ...[2]float64) ([]byte, [][2]float64) {
	const sr = 16000
	rng := rand.New(rand.NewPCG(3, 7))
	x := wavtest.Noise(rng, wavtest.Pink, int(seconds*sr), sr, -60)
	var truth [][2]float64
	for _, s := range stretches {
		sp := wavtest.Speech(rng, sr, s[1], -18)
		off := int(s[0] * sr)
		first, last := -1, -1
		for i, v := range sp {
			if v != 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
			x[off+i] += v
		}
		truth = append(truth, [2]float64{float64(off+first) / sr, float64(off+last+1) / sr})
	}
	return wavtest.Encode(wavtest.PCM16, x), truth
}

func TestProposeFindsPauses(t *testing.T) {
	wav, truth := speechFixture(30, [2]float64{1, 5}, [2]float64{7.5, 4}, [2]float64{13, 8}, [2]float64{23, 5})
	a, err := transcribe.Analyze(bytes.NewReader(wav), int64(len(wav)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.DurationS(); math.Abs(got-30) > 1e-9 {
		t.Fatalf("DurationS=%g, want 30", got)
	}
	segs := a.Propose([]float64{-60}, transcribe.ProposeOptions{})
	if len(segs) != len(truth) {
		t.Fatalf("%d segments %+v, want %d (%v)", len(segs), segs, len(truth), truth)
	}
	for i, s := range segs {
		if math.Abs(s.Start-truth[i][0]) > 0.1 || math.Abs(s.End-truth[i][1]) > 0.1 {
			t.Errorf("segment %d: [%.3f, %.3f], want within 0.1 s of [%.3f, %.3f]", i, s.Start, s.End, truth[i][0], truth[i][1])
		}
	}
	// A floor the receipt lacks is estimated.
	if est := a.Propose(nil, transcribe.ProposeOptions{}); len(est) != len(truth) {
		t.Errorf("estimated floor: %d segments, want %d", len(est), len(truth))
	}
	// A longer gap merges segments whose pause is shorter.
	if merged := a.Propose([]float64{-60}, transcribe.ProposeOptions{GapS: 2}); len(merged) >= len(truth) {
		t.Errorf("gap 2 s: %d segments, want fewer than %d", len(merged), len(truth))
	}
	// MaxSegmentS splits long speech.
	for _, s := range a.Propose([]float64{-60}, transcribe.ProposeOptions{MaxSegmentS: 3}) {
		if s.End-s.Start > 3+0.2 {
			t.Errorf("segment [%.3f, %.3f] longer than 3 s", s.Start, s.End)
		}
	}
}

func TestAnalyzeStereoAndPeaks(t *testing.T) {
	const sr = 16000
	l := wavtest.Sine(sr*2, sr, 440, 0.5)
	r := make([]float64, sr*2)
	wav := wavtest.Encode(wavtest.Spec{SampleRate: sr, Channels: 2, Bits: 16}, wavtest.Interleave(l, r))
	a, err := transcribe.Analyze(bytes.NewReader(wav), int64(len(wav)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Channels != 2 || a.Hops() != 200 {
		t.Fatalf("channels %d hops %d, want 2, 200", a.Channels, a.Hops())
	}
	mins, maxs := a.Peaks(0, 10, 0, 100)
	if len(mins) != 20 || maxs[0] < 60 || mins[0] > -60 {
		t.Fatalf("peaks of a 0.5 sine: %d, %v %v", len(mins), mins[:2], maxs[:2])
	}
	if _, maxs := a.Peaks(1, 10, 0, 5); maxs[0] != 0 {
		t.Fatalf("silent channel peak %d", maxs[0])
	}
	segs := a.Propose(nil, transcribe.ProposeOptions{})
	for _, s := range segs {
		if s.Channel != 0 {
			t.Fatalf("a segment on the silent channel: %+v", s)
		}
	}
}

// TestAnalyzeThreeHours bounds the pass over a 3-hour recording, the
// longest a monologue may be (4 h is the mode's limit).
func TestAnalyzeThreeHours(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 345 MB file")
	}
	path := t.TempDir() + "/long.wav"
	n, err := wavtest.WriteLong(path, wavtest.PCM16, 3*3600)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a, err := analyzeFile(path, n)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("3-hour analysis: %v (%d hops)", took, a.Hops())
	if took > 2500*time.Millisecond {
		t.Errorf("analysis took %v, want < 2.5 s", took)
	}
}

func analyzeFile(path string, size int64) (*transcribe.Analysis, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only
	return transcribe.Analyze(f, size, nil)
}
