package validate

import (
	"encoding/binary"
	"math"
)

// clipLevel is the magnitude, relative to full scale, at which a sample counts
// as clipped (spec: |x| ≥ 0.999).
const clipLevel = 0.999

// hopStats summarises one hop (10 ms) of one channel. A hop is the unit that
// the first, parallel stage produces and the second, sequential stage (state.go)
// folds into frames, runs and histograms: everything that spans hops (frames,
// zero runs, clipped runs) is rebuilt from these edge counts.
type hopStats struct {
	sum, sq float64 // Σx and Σx², x scaled to full scale 1
	n       int32   // samples; below the hop length only for the final hop
	// zeroLead and zeroTrail count exact-zero samples before the first and
	// after the last non-zero sample; both equal n when the hop is all zero.
	zeroLead, zeroTrail int32
	// clipN counts clipped samples; clipLead/clipTrail are the clipped runs
	// touching the hop's edges (n when the whole hop is clipped); runs2, runs3
	// and maxRun describe the runs strictly inside the hop.
	clipN, clipLead, clipTrail int32
	runs2, runs3, maxRun       int32
	nonFinite                  int32
	peak                       float64
}

// sampleReader gives random access to one channel's scaled samples inside a
// block; the hot loops below do not use it, only the rare rescans do.
type sampleReader struct {
	data   []byte
	f      Format
	stride int
	off    int
}

// at returns sample i with NaN and ±Inf read as 0.
func (s sampleReader) at(i int) float64 {
	x := s.raw(i)
	if x-x != 0 { // NaN or ±Inf
		return 0
	}
	return x
}

func (s sampleReader) raw(i int) float64 {
	p := i*s.stride + s.off
	b := s.data[p:]
	switch s.f.Encoding {
	case EncodingFloat:
		var x float64
		if s.f.Bits == 32 {
			x = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		} else {
			x = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		return x
	default: // PCM: parseFmt lets no other encoding reach the decoder
	}
	switch s.f.Bits {
	case 8:
		return float64(int32(b[0])-128) / 128
	case 16:
		return float64(int16(binary.LittleEndian.Uint16(b))) / 32768
	case 24:
		return float64(int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24)>>8) / (1 << 23)
	default:
		return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31)
	}
}

// analyzeHops fills out[h] for channel ch from data, which holds whole frames;
// every hop but possibly the last has hopLen samples.
func analyzeHops(f Format, data []byte, ch, hopLen int, out []hopStats) {
	stride := f.BlockAlign
	bps := f.Bits / 8
	nFrames := len(data) / stride
	sr := sampleReader{data: data, f: f, stride: stride, off: ch * bps}
	for h := range out {
		start := h * hopLen
		end := min(start+hopLen, nFrames)
		hs := &out[h]
		*hs = hopStats{n: int32(end - start)}
		var mn, mx float64
		switch {
		case f.Encoding == EncodingPCM && f.Bits == 16:
			mn, mx = hopPCM16(hs, data, start*stride+ch*2, stride, end-start)
		case f.Encoding == EncodingPCM && f.Bits == 24:
			mn, mx = hopPCM24(hs, data, start*stride+ch*3, stride, end-start)
		case f.Encoding == EncodingPCM && f.Bits == 8:
			mn, mx = hopPCM8(hs, data, start*stride+ch, stride, end-start)
		default:
			mn, mx = hopGeneric(hs, sr, start, end)
		}
		hs.peak = max(mx, -mn)
		edgeZeros(hs, sr, start, end)
		if mx >= clipLevel || -mn >= clipLevel {
			rescanClips(hs, sr, start, end)
		}
	}
}

// hopPCM16 is the hot loop for the corpus format. It keeps integer sums and a
// branch-free zero count so that a 3-hour file reads at memory speed; the
// rare events (zeros, clipping) are found again by the rescans.
func hopPCM16(hs *hopStats, data []byte, p, stride, n int) (mn, mx float64) {
	var sum, sq int64
	var lo, hi int32 = math.MaxInt32, math.MinInt32
	if stride == 2 {
		// Mono: walk a sub-slice so the compiler drops the bounds checks.
		// Four samples per 64-bit load, two sets of accumulators: about
		// twice as fast as one sample at a time.
		d := data[p : p+2*n]
		var sum2, sq2 int64
		lo2, hi2 := lo, hi
		for len(d) >= 8 {
			w := binary.LittleEndian.Uint64(d)
			d = d[8:]
			a, b := int32(int16(w)), int32(int16(w>>16))
			c, e := int32(int16(w>>32)), int32(int16(w>>48))
			sum += int64(a + b)
			sum2 += int64(c + e)
			sq += int64(a*a) + int64(b*b)
			sq2 += int64(c*c) + int64(e*e)
			lo, hi = min(lo, a, b), max(hi, a, b)
			lo2, hi2 = min(lo2, c, e), max(hi2, c, e)
		}
		for len(d) >= 2 {
			v := int32(int16(binary.LittleEndian.Uint16(d)))
			d = d[2:]
			sum += int64(v)
			sq += int64(v * v)
			lo, hi = min(lo, v), max(hi, v)
		}
		sum, sq, lo, hi = sum+sum2, sq+sq2, min(lo, lo2), max(hi, hi2)
		n = 0
	}
	for i := 0; i < n; i++ {
		v := int32(int16(uint16(data[p]) | uint16(data[p+1])<<8))
		p += stride
		sum += int64(v)
		sq += int64(v * v)
		lo = min(lo, v)
		hi = max(hi, v)
	}
	const scale = 1.0 / 32768
	hs.sum = float64(sum) * scale
	hs.sq = float64(sq) * scale * scale
	if hs.n == 0 {
		return 0, 0
	}
	return float64(lo) * scale, float64(hi) * scale
}

func hopPCM24(hs *hopStats, data []byte, p, stride, n int) (mn, mx float64) {
	var sum, sq int64
	var lo, hi int32 = math.MaxInt32, math.MinInt32
	for i := 0; i < n; i++ {
		v := int32(uint32(data[p])<<8|uint32(data[p+1])<<16|uint32(data[p+2])<<24) >> 8
		p += stride
		sum += int64(v)
		sq += int64(v) * int64(v)
		lo = min(lo, v)
		hi = max(hi, v)
	}
	const scale = 1.0 / (1 << 23)
	hs.sum = float64(sum) * scale
	hs.sq = float64(sq) * scale * scale
	if n == 0 {
		return 0, 0
	}
	return float64(lo) * scale, float64(hi) * scale
}

func hopPCM8(hs *hopStats, data []byte, p, stride, n int) (mn, mx float64) {
	var sum, sq int64
	var lo, hi int32 = math.MaxInt32, math.MinInt32
	for i := 0; i < n; i++ {
		v := int32(data[p]) - 128 // 8-bit WAV is unsigned, centred on 128
		p += stride
		sum += int64(v)
		sq += int64(v * v)
		lo = min(lo, v)
		hi = max(hi, v)
	}
	const scale = 1.0 / 128
	hs.sum = float64(sum) * scale
	hs.sq = float64(sq) * scale * scale
	if n == 0 {
		return 0, 0
	}
	return float64(lo) * scale, float64(hi) * scale
}

// hopGeneric serves 32-bit integer and float samples, which need float64 sums.
func hopGeneric(hs *hopStats, sr sampleReader, start, end int) (mn, mx float64) {
	var sum, sq float64
	mn, mx = math.Inf(1), math.Inf(-1)
	for i := start; i < end; i++ {
		x := sr.raw(i)
		if x-x != 0 { // NaN or ±Inf: counted, then read as silence
			hs.nonFinite++
			x = 0
		}
		sum += x
		sq += x * x
		mn = min(mn, x)
		mx = max(mx, x)
	}
	hs.sum, hs.sq = sum, sq
	if end == start {
		return 0, 0
	}
	return mn, mx
}

// edgeZeros counts the exact zeros at each end of the hop, reading only as
// far as the first non-zero sample from each side (usually one sample).
func edgeZeros(hs *hopStats, sr sampleReader, start, end int) {
	first := start
	for first < end && sr.isZero(first) {
		first++
	}
	if first == end {
		hs.zeroLead, hs.zeroTrail = hs.n, hs.n
		return
	}
	last := end - 1
	for sr.isZero(last) {
		last--
	}
	hs.zeroLead = int32(first - start)
	hs.zeroTrail = int32(end - 1 - last)
}

// isZero reports whether sample i is exact digital zero, from its bytes:
// all zero for signed integers, 0x80 for unsigned 8-bit, ±0.0 for floats.
func (s sampleReader) isZero(i int) bool {
	p := i*s.stride + s.off
	b := s.data[p : p+s.f.Bits/8]
	switch {
	case s.f.Bits == 8:
		return b[0] == 0x80
	case s.f.Encoding == EncodingFloat:
		for _, c := range b[:len(b)-1] {
			if c != 0 {
				return false
			}
		}
		return b[len(b)-1]&0x7f == 0
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func rescanClips(hs *hopStats, sr sampleReader, start, end int) {
	run := int32(0)
	leading := true
	for i := start; i < end; i++ {
		x := sr.at(i)
		if x >= clipLevel || x <= -clipLevel {
			hs.clipN++
			run++
			continue
		}
		if leading {
			hs.clipLead = run
			leading = false
		} else {
			hs.countRun(run)
		}
		run = 0
	}
	if leading {
		hs.clipLead, hs.clipTrail = run, run
		return
	}
	hs.clipTrail = run
}

func (hs *hopStats) countRun(run int32) {
	if run >= 2 {
		hs.runs2++
	}
	if run >= 3 {
		hs.runs3++
	}
	hs.maxRun = max(hs.maxRun, run)
}
