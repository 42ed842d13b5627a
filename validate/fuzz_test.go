package validate_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// FuzzCheck feeds arbitrary bytes to the validator. It must not panic, must
// answer within 10 ms, and for inputs up to 64 KiB must allocate at most
// 64 KiB beyond the input (spec/reliability.md Z-01: go-audio/wav allocated
// 1.6 GiB for a 36-byte file). A report that passes must describe a file
// whose data really is there. Crashers are kept in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	// Small seeds: the fuzzer spends its time minimising large ones.
	speech, _ := wavtest.Clip(rng, 8000, 0.1, 0.3, 0.1, -18, wavtest.White, -60)
	for _, s := range []wavtest.Spec{
		{SampleRate: 8000, Channels: 1, Bits: 16},
		{SampleRate: 8000, Channels: 2, Bits: 24},
		{SampleRate: 8000, Channels: 1, Bits: 32, Float: true, Extensible: true},
		{SampleRate: 8000, Channels: 1, Bits: 8},
	} {
		samples := speech[:len(speech)/s.Channels*s.Channels]
		f.Add(wavtest.Encode(s, samples))
	}
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x32"))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVELIST\x00\x00\x00\x40INFO"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := validate.Options{Mode: validate.ModePrompted, Band: validate.BandLow}
		// Warm the pools, then measure one call with the collector off
		// so that it cannot empty them in between.
		if _, err := validate.WAV(bytes.NewReader(data), int64(len(data)), opts); err != nil {
			t.Fatalf("I/O error from a bytes.Reader: %v", err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		rep, err := validate.WAV(bytes.NewReader(data), int64(len(data)), opts)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) <= 64<<10 {
			if extra := after.TotalAlloc - before.TotalAlloc; extra > 64<<10+uint64(len(data)) {
				t.Errorf("allocated %d bytes for a %d-byte input", extra, len(data))
			}
			// The fastest of three runs: a hang or a quadratic path is slow
			// every time, a busy machine (other packages' tests, a
			// browser) only now and then.
			for i := 0; i < 2 && elapsed > 10*time.Millisecond*timeSlack(); i++ {
				start := time.Now()
				_, _ = validate.WAV(bytes.NewReader(data), int64(len(data)), opts)
				elapsed = min(elapsed, time.Since(start))
			}
			if elapsed > 10*time.Millisecond*timeSlack() {
				t.Errorf("took %v for a %d-byte input", elapsed, len(data))
			}
		}
		if rep.Pass {
			if rep.Measurements == nil || rep.Format.Frames == 0 {
				t.Fatalf("pass without audio: %+v", rep)
			}
			end := int64(len(data))
			if need := rep.Format.Frames * int64(rep.Format.BlockAlign); need > end {
				t.Fatalf("pass claims %d bytes of audio in a %d-byte file", need, end)
			}
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatalf("report does not marshal: %v", err)
		}
		for _, f := range rep.Findings {
			if f.Rule == "" || f.Message == "" || f.MessageZH == "" {
				t.Fatalf("incomplete finding %+v", f)
			}
		}
	})
}

// timeSlack widens time bounds when the race detector or coverage slows
// everything down.
func timeSlack() time.Duration {
	if testing.CoverMode() != "" || raceEnabled {
		return 10
	}
	return 1
}
