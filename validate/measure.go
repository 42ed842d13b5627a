package validate

import "math"

// Estimator names the noise-floor method, reported with every measurement.
const Estimator = "nonspeech-mean-power/v1"

// Measurements are the figures of one channel, or of the whole file (where
// each figure is the worst channel's). Levels are dBFS (full-scale square wave
// = 0 dBFS), durations seconds, ratios fractions of 1.
type Measurements struct {
	NoiseFloorDBFS   float64 `json:"noise_floor_dbfs"`
	SpeechLevelDBFS  float64 `json:"speech_level_dbfs"`
	SNRDB            float64 `json:"snr_db"`
	ActiveS          float64 `json:"active_s"`
	LeadingSilenceS  float64 `json:"leading_silence_s"`
	TrailingSilenceS float64 `json:"trailing_silence_s"`
	ClippedRatio     float64 `json:"clipped_ratio"`
	ClippedSamples   int64   `json:"clipped_samples"`
	// ClippedRuns counts runs of two or more clipped samples in a row;
	// ClippedRuns3 those of three or more.
	ClippedRuns    int64   `json:"clipped_runs"`
	ClippedRuns3   int64   `json:"clipped_runs_3"`
	LongestClipRun int64   `json:"longest_clipped_run"`
	DCOffset       float64 `json:"dc_offset"`
	PeakDBFS       float64 `json:"peak_dbfs"`
	RMSDBFS        float64 `json:"rms_dbfs"`
	Dropouts       int64   `json:"dropouts"`
	DropoutS       float64 `json:"dropout_s"`
	// NonFiniteSamples counts NaN and infinite float samples.
	NonFiniteSamples int64 `json:"nonfinite_samples,omitempty"`
	// NoiseBand is the band the noise floor falls in: low, medium, high or
	// too_noisy.
	NoiseBand string `json:"noise_band"`
	// NonSpeechS is how long the frames the noise floor was measured on
	// last (hops judged non-speech). The recorder's room check needs a
	// second of it before its figure means anything.
	NonSpeechS float64 `json:"non_speech_s"`
	Frames     int64   `json:"frames_analyzed"`
	Estimator  string  `json:"estimator,omitempty"`

	Channels []Measurements `json:"channels,omitempty"`
}

// measure turns a channel's folded state into its figures.
func (c *channelState) measure(sampleRate int, cfg *Config) Measurements {
	sr := float64(sampleRate)
	dur := float64(c.samples) / sr
	m := Measurements{
		NoiseFloorDBFS:   histMinDB,
		SpeechLevelDBFS:  histMinDB,
		ClippedSamples:   c.clipped,
		ClippedRuns:      c.clipRuns2,
		ClippedRuns3:     c.clipRuns3,
		LongestClipRun:   c.clipMaxRun,
		PeakDBFS:         ampDB(c.peak),
		RMSDBFS:          histMinDB,
		NonFiniteSamples: c.nonFinite,
		Frames:           c.frames,
		LeadingSilenceS:  dur,
		TrailingSilenceS: dur,
	}
	if c.samples > 0 {
		m.ClippedRatio = float64(c.clipped) / float64(c.samples)
		m.DCOffset = c.sum / float64(c.samples)
		m.RMSDBFS = powerDB(c.sq / float64(c.samples))
	}
	if c.frames > 0 {
		var quiet int64
		m.NoiseFloorDBFS, quiet = c.noiseFloor()
		m.NonSpeechS = float64(quiet) * float64(c.hopLen) / sr
		m.SpeechLevelDBFS = c.percentile(0.95)
	}
	m.SNRDB = m.SpeechLevelDBFS - m.NoiseFloorDBFS
	m.NoiseBand = cfg.bandOf(m.NoiseFloorDBFS)

	// Active frames: louder than the noise floor + 10 dB and than -55 dBFS.
	thr := levelBin(max(m.NoiseFloorDBFS+cfg.ActiveAboveNoiseDB, cfg.ActiveMinDBFS))
	firstF, lastF := int64(-1), int64(-1)
	var active int64
	for i := thr + 1; i < histBins; i++ {
		if c.count[i] == 0 {
			continue
		}
		active += c.count[i]
		if firstF < 0 || c.first[i] < firstF {
			firstF = c.first[i]
		}
		lastF = max(lastF, c.last[i])
	}
	hop := float64(c.hopLen)
	m.ActiveS = float64(active) * hop / sr
	if firstF >= 0 {
		startSample := firstF * c.hopLen
		endSample := (lastF + 2) * c.hopLen
		m.LeadingSilenceS = float64(startSample) / sr
		m.TrailingSilenceS = max(dur-float64(endSample)/sr, 0)
		for _, r := range c.zeroRuns {
			if r.start >= startSample && r.end <= endSample {
				m.Dropouts++
				m.DropoutS += float64(r.end-r.start) / sr
			}
		}
		// Runs past the remembered ones: count all but a final run that
		// lies after the speech.
		if c.zeroOverflow > 0 {
			m.Dropouts += c.zeroOverflow
			if c.haveLastZero && c.lastZero.end > endSample {
				m.Dropouts--
			}
		}
	}
	m.round()
	return m
}

// round trims figures to what they mean: 0.01 dB, 1 ms, six decimals for
// ratios, so that receipts and JSON lines read cleanly.
func (m *Measurements) round() {
	for _, p := range []*float64{&m.NoiseFloorDBFS, &m.SpeechLevelDBFS, &m.SNRDB, &m.PeakDBFS, &m.RMSDBFS} {
		*p = round(*p, 2)
	}
	for _, p := range []*float64{&m.ActiveS, &m.LeadingSilenceS, &m.TrailingSilenceS, &m.DropoutS, &m.NonSpeechS} {
		*p = round(*p, 3)
	}
	m.ClippedRatio = round(m.ClippedRatio, 6)
	m.DCOffset = round(m.DCOffset, 6)
}

// noiseFloor estimates the mean power of the non-speech frames.
//
// A low percentile of frame levels reads low on noise whose frame levels
// scatter (a low percentile of a scattered level sits below its mean power),
// so the estimate is a mean power over frames judged to be non-speech. Which
// frames those are is decided on two levels at once:
//
//   - the broadband level, on which white noise sits in a tight cluster far
//     below speech, but rumble (brown noise), whose power lies below 50 Hz,
//     scatters by ±10 dB across 20 ms frames and overlaps speech near 10 dB SNR;
//   - the level of the frame's first difference, a high-pass on which rumble
//     becomes white and tight and speech stands clear of it, but white noise
//     gains 3 dB while speech loses about 14, so the two come close.
//
// Each level gets its own iteration (start at the 10th percentile; take the
// frames within a margin above the estimate; their mean power is the next
// estimate), and a frame counts as non-speech when it is under both
// thresholds: each axis removes the speech the other lets through. The noise
// floor is the mean broadband power of those frames. Frames of digital zero
// are left out unless there is nothing else: they say nothing about the room.
// The second result counts the frames the floor was measured on.
func (c *channelState) noiseFloor() (float64, int64) {
	lo := 0
	if c.count[0] < c.frames {
		lo = 1
	}
	topP := iterateFloor(c.count[:], c.pow[:], lo, 4, 9)
	wlo := 0
	if c.wcount[0] < c.frames {
		wlo = 1
	}
	// No iteration on the window axis: window levels run in a continuum
	// from the noise up to the speech (windows that take in part of a
	// syllable), which an iteration climbs when the SNR is low. The
	// quietest windows are noise alone (spec: a second or more holds no
	// speech), and 4 dB above them covers their scatter (brown noise read 1.9 dB low with 3).
	topW := levelBin(percentileOf(c.wcount[:], wlo, 0.05) + 4)
	var n int64
	var p float64
	for d := jointCell(wlo); d <= jointCell(topW); d++ {
		row := d * jointBins
		for b := jointCell(lo); b <= jointCell(topP); b++ {
			n += int64(c.jcount[row+b])
			p += c.jpow[row+b]
		}
	}
	if n == 0 {
		// Nothing under both: fall back on the broadband axis alone.
		for i := lo; i <= topP; i++ {
			n += c.count[i]
			p += c.pow[i]
		}
	}
	if n == 0 {
		return histMinDB, 0
	}
	return powerDB(p / float64(n)), n
}

// iterateFloor runs the non-speech iteration on one level histogram and
// returns the top bin of the frames it settles on. The margin above the
// estimate widens with the scatter of the lowest levels, from minMargin to
// maxMargin dB.
func iterateFloor(count []int64, pow []float64, lo int, minMargin, maxMargin float64) int {
	est := percentileOf(count, lo, 0.10)
	// The scatter is read once, below the first estimate, where speech
	// does not reach; read again as the estimate rises, it would grow with
	// every step and let speech in.
	spread := est - percentileOf(count, lo, 0.02)
	margin := min(max(3*spread, minMargin), maxMargin)
	top := levelBin(est)
	for iter := 0; iter < 50; iter++ {
		top = levelBin(est + margin)
		var n int64
		var p float64
		for i := lo; i <= top; i++ {
			n += count[i]
			p += pow[i]
		}
		if n == 0 {
			break
		}
		next := powerDB(p / float64(n))
		done := math.Abs(next-est) < 0.005
		est = next
		if done {
			break
		}
	}
	return top
}

func (c *channelState) percentile(q float64) float64 { return percentileOf(c.count[:], 0, q) }

// percentileOf is the q-quantile of the levels counted in bins lo and above.
func percentileOf(count []int64, lo int, q float64) float64 {
	var total int64
	for i := lo; i < histBins; i++ {
		total += count[i]
	}
	if total == 0 {
		return histMinDB
	}
	target := int64(math.Ceil(q * float64(total)))
	target = max(target, 1)
	var cum int64
	for i := lo; i < histBins; i++ {
		cum += count[i]
		if cum >= target {
			return binLevel(i)
		}
	}
	return histMaxDB
}

func ampDB(a float64) float64 {
	if a <= 0 {
		return histMinDB
	}
	return max(20*math.Log10(a), histMinDB)
}
