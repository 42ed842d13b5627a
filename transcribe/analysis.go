package transcribe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
)

// HopS is the hop between frames (validate's: frames of 20 ms every 10 ms).
const HopS = 0.010

// ErrUnsupported is a stored clip this package cannot read: not 16-bit PCM
// WAV (the corpus format; a project allowing others gets no waveform).
var ErrUnsupported = errors.New("transcribe: only 16-bit PCM WAV clips can be transcribed")

// Analysis is what one streaming pass over a clip learns, per channel, at
// the frame rate of validate: the level of every 20 ms frame (DC removed)
// and the smallest and largest sample of every 10 ms hop, for the
// waveform. It holds about 4 bytes per channel per hop: 4.3 MB for a
// 3-hour mono recording, against 345 MB of audio.
type Analysis struct {
	SampleRate int
	Channels   int
	Frames     int64 // sample frames (per channel)
	HopSamples int
	// Level[c][k] is the level of the frame of hops k and k+1 of channel
	// c, in hundredths of a dBFS (−12000 = −120 dBFS, digital zero).
	Level [][]int16
	// Min[c][k] and Max[c][k] are hop k's extreme samples, scaled to int8.
	Min, Max [][]int8
	// DC is each channel's mean sample value, in [−1, 1).
	DC []float64
}

// Hops is the number of whole hops in the clip.
func (a *Analysis) Hops() int { return len(a.Min[0]) }

// DurationS is the clip's length in seconds.
func (a *Analysis) DurationS() float64 { return float64(a.Frames) / float64(a.SampleRate) }

// wavData is where a WAV's samples are.
type wavData struct {
	channels, rate, blockAlign int
	offset, size               int64
}

// readWAV walks the RIFF chunks of a stored clip, with bounds: at most 64
// chunks, every size within the file (the clip passed validate on upload,
// but a file is never trusted blindly).
func readWAV(r io.ReaderAt, size int64) (*wavData, error) {
	var hdr [12]byte
	if err := readFullAt(r, hdr[:], 0); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, ErrUnsupported
	}
	var w wavData
	haveFmt := false
	off := int64(12)
	for i := 0; i < 64 && off+8 <= size; i++ {
		var ch [8]byte
		if err := readFullAt(r, ch[:], off); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		id, n := string(ch[0:4]), int64(binary.LittleEndian.Uint32(ch[4:8]))
		body := off + 8
		switch id {
		case "fmt ":
			if n < 16 || n > 1024 || body+n > size {
				return nil, ErrUnsupported
			}
			f := make([]byte, n)
			if err := readFullAt(r, f, body); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
			}
			tag := binary.LittleEndian.Uint16(f[0:2])
			w.channels = int(binary.LittleEndian.Uint16(f[2:4]))
			w.rate = int(binary.LittleEndian.Uint32(f[4:8]))
			w.blockAlign = int(binary.LittleEndian.Uint16(f[12:14]))
			bits := binary.LittleEndian.Uint16(f[14:16])
			if tag == 0xFFFE && n >= 26 {
				tag = binary.LittleEndian.Uint16(f[24:26]) // the sub-format GUID starts with the tag
			}
			if tag != 1 || bits != 16 || w.channels < 1 || w.channels > 8 || w.rate < 1000 || w.rate > 384000 || w.blockAlign != 2*w.channels {
				return nil, ErrUnsupported
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, ErrUnsupported
			}
			w.offset, w.size = body, min(n, size-body)
			w.size -= w.size % int64(w.blockAlign)
			return &w, nil
		}
		off = body + n + n&1
	}
	return nil, ErrUnsupported
}

// readFullAt reads len(p) bytes at off. io.ReaderAt may report io.EOF
// with a full read that ends the input: that is success. A short read is an
// error even when the reader gives none.
func readFullAt(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) && (err == nil || errors.Is(err, io.EOF)) {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF // a reader breaking the io.ReaderAt contract
	}
	return err
}

// Analyze reads the clip once, in blocks, and returns its Analysis. dc, when
// it has one value per channel (the receipt's DC offsets), is removed
// before levels are taken; otherwise the pass measures the mean itself.
func Analyze(r io.ReaderAt, size int64, dc []float64) (*Analysis, error) {
	w, err := readWAV(r, size)
	if err != nil {
		return nil, err
	}
	hop := int(math.Round(HopS * float64(w.rate)))
	frames := w.size / int64(w.blockAlign)
	hops := int(frames / int64(hop))
	a := &Analysis{SampleRate: w.rate, Channels: w.channels, Frames: frames, HopSamples: hop,
		Level: make([][]int16, w.channels), Min: make([][]int8, w.channels), Max: make([][]int8, w.channels),
		DC: make([]float64, w.channels)}
	// Per hop: the sum and the sum of squares, to take frame levels once
	// the channel's mean is known.
	sum := make([][]float64, w.channels)
	sq := make([][]float64, w.channels)
	for c := range w.channels {
		a.Min[c], a.Max[c] = make([]int8, hops), make([]int8, hops)
		sum[c], sq[c] = make([]float64, hops), make([]float64, hops)
	}
	// Two workers over halves of the file: the pass is CPU-bound on integer
	// sums (the file is usually in the page cache, just written or read).
	workers := min(runtime.GOMAXPROCS(0), 4)
	per := (hops + workers - 1) / max(workers, 1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		from, to := i*per, min((i+1)*per, hops)
		if from >= to {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = a.pass(r, w, from, to, sum, sq)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	total := make([]float64, w.channels)
	for c := range w.channels {
		for _, v := range sum[c] {
			total[c] += v
		}
	}
	for c := range w.channels {
		m := 0.0
		if len(dc) == w.channels {
			m = dc[c]
		} else if hops > 0 {
			m = total[c] / float64(hops*hop)
		}
		a.DC[c] = m
		lv := make([]int16, max(hops-1, 0))
		n := float64(2 * hop)
		for k := range lv {
			s, q := sum[c][k]+sum[c][k+1], sq[c][k]+sq[c][k+1]
			p := q/n - 2*m*s/n + m*m
			db := -120.0
			if p > 0 {
				db = max(10*math.Log10(p), -120)
			}
			lv[k] = int16(math.Round(db * 100))
		}
		a.Level[c] = lv
	}
	return a, nil
}

// pass reads hops [from, to) in blocks of about 1 MiB.
func (a *Analysis) pass(r io.ReaderAt, w *wavData, from, to int, sum, sq [][]float64) error {
	hop := a.HopSamples
	hopBytes := int64(hop * w.blockAlign)
	perBlock := max(int64(1<<20)/hopBytes, 1)
	buf := make([]byte, perBlock*hopBytes)
	const scale = 1.0 / 32768
	for k := from; k < to; {
		n := min(int64(to-k), perBlock)
		b := buf[:n*hopBytes]
		off := w.offset + int64(k)*hopBytes
		if err := readFullAt(r, b, off); err != nil {
			// The hops lie inside the size given to Analyze: a short read
			// means the file shrank, and buf still holds the last block.
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("transcribe: read samples at byte %d: %w", off, err)
		}
		for j := int64(0); j < n; j++ {
			h := b[j*hopBytes : (j+1)*hopBytes]
			for c := range w.channels {
				var s, q int64
				lo, hi := int16(math.MaxInt16), int16(math.MinInt16)
				for i := 2 * c; i+1 < len(h); i += w.blockAlign {
					v := int16(h[i]) | int16(h[i+1])<<8 // little-endian; the shift carries the sign
					lo, hi = min(lo, v), max(hi, v)
					s += int64(v)
					q += int64(v) * int64(v)
				}
				sum[c][k], sq[c][k] = float64(s)*scale, float64(q)*scale*scale
				a.Min[c][k], a.Max[c][k] = int8(lo>>8), int8(hi>>8) //nolint:gosec // G115: an int16 shifted right by 8 is in [-128, 127]
			}
			k++
		}
	}
	return nil
}

// Peaks returns channel c's waveform from peak index from, count peaks of
// per hops each: the smallest and largest sample of each, scaled to int8.
func (a *Analysis) Peaks(c, per, from, count int) (mins, maxs []int8) {
	hops := a.Hops()
	for i := 0; i < count; i++ {
		k0 := (from + i) * per
		if k0 >= hops {
			break
		}
		lo, hi := int8(math.MaxInt8), int8(math.MinInt8)
		for k := k0; k < min(k0+per, hops); k++ {
			lo, hi = min(lo, a.Min[c][k]), max(hi, a.Max[c][k])
		}
		mins, maxs = append(mins, lo), append(maxs, hi)
	}
	return mins, maxs
}
