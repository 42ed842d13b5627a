package wavtest

import (
	"math"
	"math/rand/v2"
)

// Noise colours for Noise.
const (
	White = "white"
	Pink  = "pink"
	Brown = "brown"
)

// Noise returns n samples of stationary noise of the given colour, scaled so
// that its RMS level (DC removed) is exactly levelDBFS.
func Noise(rng *rand.Rand, colour string, n int, sampleRate int, levelDBFS float64) []float64 {
	x := make([]float64, n)
	switch colour {
	case Pink:
		// Paul Kellett's filter: pink within ±0.05 dB from 9 Hz up.
		var b0, b1, b2, b3, b4, b5, b6 float64
		for i := range x {
			w := rng.NormFloat64()
			b0 = 0.99886*b0 + w*0.0555179
			b1 = 0.99332*b1 + w*0.0750759
			b2 = 0.96900*b2 + w*0.1538520
			b3 = 0.86650*b3 + w*0.3104856
			b4 = 0.55000*b4 + w*0.5329522
			b5 = -0.7616*b5 - w*0.0168980
			x[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w*0.5362
			b6 = w * 0.115926
		}
	case Brown:
		// Integrated white noise with a leak at about 10 Hz, so it stays
		// bounded: room rumble.
		leak := math.Exp(-2 * math.Pi * 10 / float64(sampleRate))
		var y float64
		for i := range x {
			y = leak*y + rng.NormFloat64()
			x[i] = y
		}
	default:
		for i := range x {
			x[i] = rng.NormFloat64()
		}
	}
	SetLevel(x, levelDBFS)
	return x
}

// SetLevel removes the mean of x and scales it to an RMS level in dBFS.
func SetLevel(x []float64, levelDBFS float64) {
	if len(x) == 0 {
		return
	}
	var mean float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var p float64
	for i := range x {
		x[i] -= mean
		p += x[i] * x[i]
	}
	if p == 0 {
		return
	}
	g := math.Pow(10, levelDBFS/20) / math.Sqrt(p/float64(len(x)))
	for i := range x {
		x[i] *= g
	}
}

// RMSDB is the RMS level of x in dBFS, mean removed.
func RMSDB(x []float64) float64 {
	var mean, p float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		p += (v - mean) * (v - mean)
	}
	return 10 * math.Log10(p/float64(len(x)))
}

// Speech returns a speech-like signal of the given length: voiced syllables
// with a gliding pitch and harmonics, shaped by syllable envelopes, grouped
// into words with pauses, like read speech. Its RMS over the voiced parts is
// levelDBFS; the pauses are exact zero, for the caller to fill with noise.
func Speech(rng *rand.Rand, sampleRate int, seconds, levelDBFS float64) []float64 {
	sr := float64(sampleRate)
	n := int(seconds * sr)
	x := make([]float64, n)
	pos := 0
	var voiced []int // indices of voiced samples, for levelling
	for pos < n {
		syllables := 1 + rng.IntN(3)
		for s := 0; s < syllables && pos < n; s++ {
			dur := int((0.15 + 0.15*rng.Float64()) * sr)
			f0 := 110 + 120*rng.Float64()
			glide := (rng.Float64() - 0.5) * 40
			phase := 0.0
			for i := 0; i < dur && pos+i < n; i++ {
				t := float64(i) / float64(dur)
				env := math.Sin(math.Pi * t)
				env *= env
				f := f0 + glide*t
				phase += 2 * math.Pi * f / sr
				var v float64
				for k := 1; k <= 12; k++ {
					// A falling spectrum with a formant-like bump near 700 Hz.
					hk := float64(k) * f
					d := (hk - 700) / 300
					a := 1 / float64(k) * (1 + 2*math.Exp(-d*d))
					v += a * math.Sin(float64(k)*phase)
				}
				x[pos+i] = env * v
				voiced = append(voiced, pos+i)
			}
			pos += dur + int((0.02+0.04*rng.Float64())*sr)
		}
		pos += int((0.12 + 0.2*rng.Float64()) * sr)
	}
	var p float64
	for _, i := range voiced {
		p += x[i] * x[i]
	}
	if p > 0 {
		g := math.Pow(10, levelDBFS/20) / math.Sqrt(p/float64(len(voiced)))
		for i := range x {
			x[i] *= g
		}
	}
	return x
}

// Clip builds a prompted-style clip: lead seconds of noise, speech, trail
// seconds of noise, with the noise running under the speech too. It returns
// the mixed samples and the noise alone (whose RMS is the true noise level).
func Clip(rng *rand.Rand, sampleRate int, lead, speech, trail float64, speechDBFS float64, colour string, noiseDBFS float64) (mix, noise []float64) {
	sr := float64(sampleRate)
	total := int((lead + speech + trail) * sr)
	noise = Noise(rng, colour, total, sampleRate, noiseDBFS)
	sp := Speech(rng, sampleRate, speech, speechDBFS)
	mix = make([]float64, total)
	copy(mix, noise)
	off := int(lead * sr)
	for i, v := range sp {
		mix[off+i] += v
	}
	return mix, noise
}

// Sine returns n samples of a sine of frequency hz and peak amplitude amp.
func Sine(n, sampleRate int, hz, amp float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*hz*float64(i)/float64(sampleRate))
	}
	return x
}

// Interleave merges channels into one interleaved slice.
func Interleave(chans ...[]float64) []float64 {
	n := len(chans[0])
	out := make([]float64, 0, n*len(chans))
	for i := 0; i < n; i++ {
		for _, c := range chans {
			out = append(out, c[i])
		}
	}
	return out
}
