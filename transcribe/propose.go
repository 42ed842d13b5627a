package transcribe

import (
	"math"
	"slices"

	"github.com/dialect-corpus/dialect/corpus"
)

// ProposeOptions tune segment proposal. Zero fields take the defaults.
type ProposeOptions struct {
	// GapS: a pause longer than this ends a segment (default 0.6 s).
	GapS float64
	// PadS widens each segment on both sides, without overlapping its
	// neighbours or leaving the recording (default 0.05 s): the first and
	// last syllables fade in and out below the activity threshold.
	PadS float64
	// MinSpeechS drops segments with less activity than this: clicks and
	// bumps (default 0.1 s).
	MinSpeechS float64
	// MaxSegmentS splits longer segments at their longest inner pause, or
	// at their quietest frame (default 30 s): a segment is typed as one
	// line, and ASR toolkits train on utterances, not on minutes.
	MaxSegmentS float64
	// AboveNoiseDB and MinDBFS define an active frame, as validate does:
	// louder than the noise floor + AboveNoiseDB and than MinDBFS
	// (defaults 10 dB and −55 dBFS).
	AboveNoiseDB, MinDBFS float64
}

func (o ProposeOptions) withDefaults() ProposeOptions {
	if o.GapS <= 0 {
		o.GapS = 0.6
	}
	if o.PadS == 0 {
		o.PadS = 0.05
	}
	if o.MinSpeechS <= 0 {
		o.MinSpeechS = 0.1
	}
	if o.MaxSegmentS <= 0 {
		o.MaxSegmentS = 30
	}
	if o.AboveNoiseDB == 0 {
		o.AboveNoiseDB = 10
	}
	if o.MinDBFS == 0 {
		o.MinDBFS = -55
	}
	return o
}

// Propose cuts the recording into segments of speech, per channel, split
// at pauses longer than GapS. floors are the channels' noise floors (dBFS,
// from the receipt); a missing one is estimated from the analysis (the
// mean power of the quietest tenth of frames). Segments come sorted by
// start, then channel, with empty texts.
func (a *Analysis) Propose(floors []float64, o ProposeOptions) []corpus.Segment {
	o = o.withDefaults()
	var out []corpus.Segment
	for c := range a.Channels {
		floor := math.NaN()
		if c < len(floors) {
			floor = floors[c]
		}
		if math.IsNaN(floor) || floor <= -120 {
			floor = a.estimateFloor(c)
		}
		thr := int16(math.Round(max(floor+o.AboveNoiseDB, o.MinDBFS) * 100))
		out = append(out, a.proposeChannel(c, thr, o)...)
	}
	slices.SortStableFunc(out, func(x, y corpus.Segment) int {
		if x.Start != y.Start {
			if x.Start < y.Start {
				return -1
			}
			return 1
		}
		return x.Channel - y.Channel
	})
	return out
}

// span is a run of frames [first, last] of one channel.
type span struct{ first, last int }

func (a *Analysis) proposeChannel(c int, thr int16, o ProposeOptions) []corpus.Segment {
	lv := a.Level[c]
	gap := int(math.Round(o.GapS / HopS))
	var spans []span
	cur := span{-1, -1}
	for k, l := range lv {
		if l <= thr {
			continue
		}
		switch {
		case cur.first < 0:
			cur = span{k, k}
		case k-cur.last-1 > gap: // the inactive frames between them
			spans = append(spans, cur)
			cur = span{k, k}
		default:
			cur.last = k
		}
	}
	if cur.first >= 0 {
		spans = append(spans, cur)
	}
	maxFrames := int(o.MaxSegmentS / HopS)
	var split []span
	for _, s := range spans {
		split = append(split, a.splitLong(c, s, thr, maxFrames)...)
	}
	minActive := int(math.Ceil(o.MinSpeechS / HopS))
	var kept []span
	for _, s := range split {
		n := 0
		for k := s.first; k <= s.last; k++ {
			if lv[k] > thr {
				n++
			}
		}
		if n >= minActive {
			kept = append(kept, s)
		}
	}
	dur := a.DurationS()
	segs := make([]corpus.Segment, len(kept))
	for i, s := range kept {
		// Frame k spans [k, k+2) hops.
		start := float64(s.first)*HopS - o.PadS
		end := float64(s.last+2)*HopS + o.PadS
		if i > 0 {
			prevEnd := float64(kept[i-1].last+2) * HopS
			start = max(start, (prevEnd+float64(s.first)*HopS)/2)
		}
		if i+1 < len(kept) {
			nextStart := float64(kept[i+1].first) * HopS
			end = min(end, (float64(s.last+2)*HopS+nextStart)/2)
		}
		segs[i] = corpus.Segment{Start: ms(max(start, 0)), End: ms(min(end, dur)), Channel: c}
	}
	return segs
}

// splitLong splits s until no part is longer than maxFrames: at the
// longest run of inactive frames, or failing that at the quietest frame of
// the middle half.
func (a *Analysis) splitLong(c int, s span, thr int16, maxFrames int) []span {
	if s.last-s.first+1 <= maxFrames || s.last-s.first < 4 {
		return []span{s}
	}
	lv := a.Level[c]
	bestLen, bestAt := 0, -1
	run := 0
	for k := s.first; k <= s.last; k++ {
		if lv[k] <= thr {
			run++
			continue
		}
		if run > bestLen {
			bestLen, bestAt = run, k-run
		}
		run = 0
	}
	var left, right span
	if bestAt >= 0 {
		left, right = span{s.first, bestAt - 1}, span{bestAt + bestLen, s.last}
	} else {
		q := (s.last - s.first) / 4
		at := s.first + q
		for k := s.first + q; k <= s.last-q; k++ {
			if lv[k] < lv[at] {
				at = k
			}
		}
		left, right = span{s.first, at}, span{at + 1, s.last}
	}
	return append(a.splitLong(c, left, thr, maxFrames), a.splitLong(c, right, thr, maxFrames)...)
}

// estimateFloor is the mean power of the quietest tenth of the channel's
// frames, in dBFS: a fallback when the receipt has no noise floor.
func (a *Analysis) estimateFloor(c int) float64 {
	lv := slices.Clone(a.Level[c])
	if len(lv) == 0 {
		return -120
	}
	slices.Sort(lv)
	n := max(len(lv)/10, 1)
	var p float64
	for _, l := range lv[:n] {
		p += math.Pow(10, float64(l)/1000)
	}
	return 10 * math.Log10(p/float64(n))
}

// ms rounds seconds to whole milliseconds.
func ms(s float64) float64 { return math.Round(s*1000) / 1000 }
