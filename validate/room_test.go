package validate_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// roomSample is a 3-second room check: noise at noiseDB with speech over
// it for talk seconds in syllable-length bursts (what a speaker who says "is
// this on?" during the check gives).
func roomSample(seed uint64, colour string, noiseDB, talk float64) []byte {
	const sr = 16000
	rng := rand.New(rand.NewPCG(seed, 11))
	x := wavtest.Noise(rng, colour, 3*sr, sr, noiseDB)
	for start := 0.2; start < 0.2+talk-1e-9; start += 0.5 {
		n := math.Min(0.35, 0.2+talk-start)
		sp := wavtest.Speech(rng, sr, n, -18)
		off := int(start * sr)
		for i, v := range sp {
			if off+i < len(x) {
				x[off+i] += v
			}
		}
	}
	return wavtest.Encode(wavtest.PCM16, x)
}

func TestRoomOf(t *testing.T) {
	cases := []struct {
		colour  string
		noiseDB float64
		talk    float64
		band    string
		enough  bool
	}{
		{"white", -65, 1.0, "low", true},
		{"pink", -48, 1.0, "medium", true},
		{"brown", -33, 1.0, "high", true},
		{"white", -20, 0, "too_noisy", true},
		// Talking through the whole window: no second of quiet to judge.
		{"white", -65, 2.9, "", false},
	}
	for i, c := range cases {
		wav := roomSample(uint64(i+1), c.colour, c.noiseDB, c.talk)
		rep, err := validate.WAV(bytes.NewReader(wav), int64(len(wav)), validate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := validate.RoomOf(rep, nil)
		if r.Enough != c.enough {
			t.Errorf("%s %.0f dBFS, %.1f s talk: enough=%v (quiet %.2f s), want %v", c.colour, c.noiseDB, c.talk, r.Enough, r.QuietS, c.enough)
			continue
		}
		if !c.enough {
			if r.QuietS >= validate.MinRoomQuietS {
				t.Errorf("quiet %.2f s with speech throughout", r.QuietS)
			}
			continue
		}
		if r.Band != c.band || math.Abs(r.NoiseFloorDBFS-c.noiseDB) > 1 {
			t.Errorf("%s %.0f dBFS with speech: floor %.2f, band %s; want %s within 1 dB", c.colour, c.noiseDB, r.NoiseFloorDBFS, r.Band, c.band)
		}
		if r.Band != rep.Measurements.NoiseBand || r.NoiseFloorDBFS != rep.Measurements.NoiseFloorDBFS {
			t.Errorf("room %+v disagrees with the clip's measurements %+v", r, rep.Measurements)
		}
	}
}
