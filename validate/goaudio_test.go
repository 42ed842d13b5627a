package validate_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-audio/audio"
	"github.com/go-audio/wav"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// audioIntBuffer wraps go-audio's buffer for the benchmarks.
type audioIntBuffer struct{ *audio.IntBuffer }

func (a *audioIntBuffer) init(d *wav.Decoder) {
	a.IntBuffer = &audio.IntBuffer{Format: d.Format(), Data: make([]int, 64<<10), SourceBitDepth: int(d.BitDepth)}
}

// TestGoAudioAgreement writes PCM files with go-audio/wav's encoder, an
// independent writer, and decodes them with go-audio/wav's reader, an
// independent decoder: our format fields, peak and RMS must agree with
// what go-audio reads, for 16-, 24- and 32-bit integer PCM (the encodings
// go-audio decodes correctly).
func TestGoAudioAgreement(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	mix, _ := wavtest.Clip(rng, 16000, 0.5, 2, 0.5, -15, wavtest.Pink, -50)
	for _, bits := range []int{16, 24, 32} {
		scale := math.Pow(2, float64(bits-1))
		ints := make([]int, len(mix))
		for i, x := range mix {
			ints[i] = int(math.Round(x * (scale - 1)))
		}
		path := filepath.Join(t.TempDir(), "goaudio.wav")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		enc := wav.NewEncoder(f, 16000, bits, 1, 1)
		if err := enc.Write(&audio.IntBuffer{Format: &audio.Format{NumChannels: 1, SampleRate: 16000}, Data: ints, SourceBitDepth: bits}); err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}

		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dec := wav.NewDecoder(bytes.NewReader(raw))
		buf, err := dec.FullPCMBuffer()
		if err != nil {
			t.Fatal(err)
		}
		var peak, p float64
		for _, v := range buf.Data {
			x := float64(v) / scale
			peak = max(peak, math.Abs(x))
			p += x * x
		}
		rms := 10 * math.Log10(p/float64(len(buf.Data)))

		all := validate.DefaultConfig()
		all.Encodings = []string{"pcm16", "pcm24", "pcm32"}
		rep, err := validate.File(path, validate.Options{Config: &all})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Format.Bits != bits || rep.Format.Frames != int64(len(buf.Data)) || rep.Format.SampleRate != int(dec.SampleRate) {
			t.Fatalf("%d-bit: format %+v, go-audio %d frames at %d Hz", bits, rep.Format, len(buf.Data), dec.SampleRate)
		}
		m := rep.Measurements
		if d := math.Abs(m.PeakDBFS - 20*math.Log10(peak)); d > 0.006 { // figures are rounded to 0.01 dB
			t.Errorf("%d-bit: peak %.4f dBFS, go-audio %.4f", bits, m.PeakDBFS, 20*math.Log10(peak))
		}
		if d := math.Abs(m.RMSDBFS - rms); d > 0.006 {
			t.Errorf("%d-bit: rms %.4f dBFS, go-audio %.4f", bits, m.RMSDBFS, rms)
		}
		if !rep.Pass && bits == 16 {
			t.Errorf("16-bit go-audio file fails: %+v", rep.Findings)
		}
	}
}
