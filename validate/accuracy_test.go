package validate_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// TestNoiseFloorAccuracy is the spec's accuracy bar: speech mixed with
// stationary white, pink and brown noise, with a second or more of no speech,
// measured within ±2 dB of the noise's true RMS level from -70 to -20 dBFS.
// The file is written as 16-bit PCM, so quantisation is part of the test.
func TestNoiseFloorAccuracy(t *testing.T) {
	for _, colour := range []string{wavtest.White, wavtest.Pink, wavtest.Brown} {
		for level := -70.0; level <= -20; level += 5 {
			for seed := uint64(1); seed <= 3; seed++ {
				name := fmt.Sprintf("%s/%g/%d", colour, level, seed)
				t.Run(name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(seed, uint64(-level)))
					speech := -18.0
					if level > -35 {
						speech = -12
					}
					mix, noise := wavtest.Clip(rng, 16000, 1.0, 3.5, 1.0, speech, colour, level)
					truth := wavtest.RMSDB(noise)
					data := wavtest.Encode(wavtest.PCM16, mix)
					rep, err := validate.WAV(bytes.NewReader(data), int64(len(data)), validate.Options{})
					if err != nil {
						t.Fatal(err)
					}
					got := rep.Measurements.NoiseFloorDBFS
					if math.Abs(got-truth) > 2 {
						t.Errorf("noise floor %.2f dBFS, want %.2f ± 2 (speech %.1f, snr %.1f)", got, truth, rep.Measurements.SpeechLevelDBFS, rep.Measurements.SNRDB)
					}
					if testing.Verbose() {
						t.Logf("err %+.2f dB (speech %.1f)", got-truth, rep.Measurements.SpeechLevelDBFS)
					}
				})
			}
		}
	}
}
