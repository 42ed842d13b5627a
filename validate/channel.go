package validate

import "math"

// Frame levels go into a fixed histogram (spec: percentiles from a histogram,
// not a stored list), so memory stays flat however long the file is.
const (
	histMinDB  = -120.0 // a frame of digital zero
	histMaxDB  = 10.0   // float files may exceed full scale
	histStep   = 0.1
	histBins   = int((histMaxDB-histMinDB)/histStep) + 1
	maxZeroRun = 1024 // zero runs remembered for the dropout rule
)

// zeroRun is a run of exact digital zero, in samples [start, end).
type zeroRun struct{ start, end int64 }

// channelState folds one channel's hops, in order, into everything the
// report needs. For every histogram bin it also keeps the summed power and
// the first and last frame that fell in it: that gives the mean power of the
// non-speech frames and the first and last active frame without storing a
// list of frame levels.
type channelState struct {
	hopLen, minDropout int64

	samples, clipped, nonFinite int64
	sum, sq, peak               float64

	clipRun, clipRuns2, clipRuns3, clipMaxRun int64

	zeroRun, zeroStart int64
	zeroRuns           []zeroRun
	zeroOverflow       int64
	lastZero           zeroRun
	haveLastZero       bool

	prev     hopStats
	havePrev bool
	frames   int64

	count       [histBins]int64
	pow         [histBins]float64
	first, last [histBins]int64
	// The same frames binned by the mean power of the window of frames
	// around them (their context), and jointly by window and frame level in
	// 1 dB cells with the frame power summed per cell: see noiseFloor.
	ring       [2*contextHalf + 1]ringEntry
	ringHead   int   // ring position of the oldest entry
	ringLen    int   // entries held
	ringStart  int64 // frame index of the oldest entry
	ringSum    float64
	ringCenter int64 // frame to be filed next
	wcount     [histBins]int64
	wpow       [histBins]float64
	jcount     [jointBins * jointBins]int32
	jpow       [jointBins * jointBins]float64
}

// contextHalf is half the window, in frames (10 ms apart), whose mean power
// is a frame's context: 2×15+1 frames span 320 ms, a syllable and its
// neighbours.
const contextHalf = 15

type ringEntry struct {
	p   float64
	bin int
}

// jointBins is the number of 1 dB cells per axis of the joint histogram.
const jointBins = int(histMaxDB-histMinDB) + 1

func jointCell(bin int) int { return int(float64(bin) * histStep) }

// statePool recycles channel states (about 300 KiB each, mostly histograms),
// so that checking many short clips, or a hostile stream of small uploads,
// does not allocate per file.
var statePool = freeList[channelState]{max: 32}

func newChannelState(hopLen, minDropout int64) *channelState {
	c := statePool.get()
	runs := c.zeroRuns[:0]
	*c = channelState{hopLen: hopLen, minDropout: minDropout, zeroRuns: runs}
	for i := range c.first {
		c.first[i] = -1
	}
	return c
}

func (c *channelState) release() { statePool.put(c) }

// add folds the next hop of the channel.
func (c *channelState) add(h *hopStats) {
	pos := c.samples
	n := int64(h.n)
	c.samples += n
	c.sum += h.sum
	c.sq += h.sq
	c.peak = max(c.peak, h.peak)
	c.nonFinite += int64(h.nonFinite)
	c.addClips(h, n)
	c.addZeros(h, pos, n)
	if n != c.hopLen {
		c.havePrev = false // a partial final hop makes no frame
		return
	}
	if c.havePrev {
		c.addFrame(&c.prev, h)
	}
	c.prev, c.havePrev = *h, true
}

func (c *channelState) addClips(h *hopStats, n int64) {
	if h.clipN == 0 {
		c.closeClipRun()
		return
	}
	c.clipped += int64(h.clipN)
	if int64(h.clipLead) == n {
		c.clipRun += n
		return
	}
	c.clipRun += int64(h.clipLead)
	c.closeClipRun()
	c.clipRuns2 += int64(h.runs2)
	c.clipRuns3 += int64(h.runs3)
	c.clipMaxRun = max(c.clipMaxRun, int64(h.maxRun))
	c.clipRun = int64(h.clipTrail)
}

func (c *channelState) closeClipRun() {
	if c.clipRun >= 2 {
		c.clipRuns2++
	}
	if c.clipRun >= 3 {
		c.clipRuns3++
	}
	c.clipMaxRun = max(c.clipMaxRun, c.clipRun)
	c.clipRun = 0
}

func (c *channelState) addZeros(h *hopStats, pos, n int64) {
	if int64(h.zeroLead) == n {
		if c.zeroRun == 0 {
			c.zeroStart = pos
		}
		c.zeroRun += n
		return
	}
	if h.zeroLead > 0 && c.zeroRun == 0 {
		c.zeroStart = pos
	}
	c.zeroRun += int64(h.zeroLead)
	c.closeZeroRun()
	if h.zeroTrail > 0 {
		c.zeroRun = int64(h.zeroTrail)
		c.zeroStart = pos + n - c.zeroRun
	}
}

func (c *channelState) closeZeroRun() {
	if c.zeroRun >= c.minDropout {
		r := zeroRun{c.zeroStart, c.zeroStart + c.zeroRun}
		if len(c.zeroRuns) < maxZeroRun {
			c.zeroRuns = append(c.zeroRuns, r)
		} else {
			c.zeroOverflow++
		}
		c.lastZero, c.haveLastZero = r, true
	}
	c.zeroRun = 0
}

// finish closes runs still open at the end of the data.
func (c *channelState) finish() {
	c.closeClipRun()
	c.closeZeroRun()
	// The last frames' windows lose frames at their end, as the first ones
	// lost them at their start.
	for ; c.ringCenter < c.frames; c.ringCenter++ {
		for c.ringStart < c.ringCenter-contextHalf {
			c.popContext()
		}
		c.emitContext()
	}
}

// pushContext adds frame c.frames to the context window and, once the window
// around the frame at ringCenter is complete, files that frame.
func (c *channelState) pushContext(e ringEntry) {
	if c.ringLen == len(c.ring) {
		c.popContext()
	}
	c.ring[(c.ringHead+c.ringLen)%len(c.ring)] = e
	c.ringLen++
	c.ringSum += e.p
	if c.frames-c.ringCenter >= contextHalf {
		c.emitContext()
		c.ringCenter++
	}
}

func (c *channelState) popContext() {
	c.ringSum -= c.ring[c.ringHead].p
	c.ringHead = (c.ringHead + 1) % len(c.ring)
	c.ringStart++
	c.ringLen--
}

// emitContext files the frame at ringCenter under its window's mean power.
func (c *channelState) emitContext() {
	e := c.ring[(c.ringHead+int(c.ringCenter-c.ringStart))%len(c.ring)]
	w := max(c.ringSum, 0) / float64(c.ringLen)
	wbin := powerBin(w)
	c.wcount[wbin]++
	c.wpow[wbin] += w
	cell := jointCell(wbin)*jointBins + jointCell(e.bin)
	c.jcount[cell]++
	c.jpow[cell] += e.p
}

// addFrame adds the 20 ms frame made of two consecutive hops. The DC offset
// comes out before the level is taken (spec), using the running mean so far,
// which settles within the first second and costs nothing per sample.
func (c *channelState) addFrame(a, b *hopStats) {
	n := float64(2 * c.hopLen)
	sq := a.sq + b.sq
	p := 0.0
	if sq > 0 {
		m := c.sum / float64(c.samples)
		p = (sq-2*m*(a.sum+b.sum))/n + m*m
		if p < 0 {
			p = 0
		}
	}
	bin := powerBin(p)
	c.count[bin]++
	c.pow[bin] += p
	c.pushContext(ringEntry{p, bin})
	if c.first[bin] < 0 {
		c.first[bin] = c.frames
	}
	c.last[bin] = c.frames
	c.frames++
}

func powerDB(p float64) float64 {
	if p <= 0 {
		return histMinDB
	}
	return max(10*math.Log10(p), histMinDB)
}

// log2Table[i] is log2(1 + i/256): the mantissa part of powerBin's
// logarithm. Binning a million frames of a 3-hour file with math.Log10 took
// a tenth of the check; the table is accurate to 0.02 dB, a fifth of a bin.
var log2Table = func() (t [257]float64) {
	for i := range t {
		t[i] = math.Log2(1 + float64(i)/256)
	}
	return t
}()

// powerBin is levelBin(powerDB(p)) without a logarithm call.
func powerBin(p float64) int {
	if p <= 0 {
		return 0
	}
	bits := math.Float64bits(p)
	exp := int(bits>>52&0x7ff) - 1023
	if exp == -1023 {
		return 0 // subnormal: far below -120 dBFS
	}
	frac := float64(bits&(1<<52-1)) / (1 << 52) * 256
	i := int(frac)
	l2 := float64(exp) + log2Table[i] + (frac-float64(i))*(log2Table[i+1]-log2Table[i])
	const dbPerOctave = 3.0102999566398120 // 10·log10(2)
	db := dbPerOctave * l2
	return levelBin(db)
}

func levelBin(db float64) int {
	i := int(math.Round((db - histMinDB) * (1 / histStep)))
	return min(max(i, 0), histBins-1)
}

func binLevel(i int) float64 { return histMinDB + float64(i)*histStep }
