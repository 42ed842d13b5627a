package validate

import (
	"bytes"
	"io"
	"math"
	"runtime"
	"sync"
)

// blockBytes is the read size. One block is decoded into hop summaries by a
// worker while the next is read, so a 3-hour file costs a few blocks of
// memory, never the file's length.
const blockBytes = 256 << 10

// analysis is what one pass over the data yields.
type analysis struct {
	channels []*channelState
	// identical[i][j] (i < j) stays true while channels i and j carry the
	// same samples.
	identical [][]bool
}

// blockPool recycles read buffers and hop summaries across files.
var blockPool = freeList[block]{max: 16}

// release returns the per-channel state to its pool.
func (a *analysis) release() {
	for _, st := range a.channels {
		st.release()
	}
}

// block is one unit of work: the bytes of whole hops and their summaries.
type block struct {
	off, n    int64
	data      []byte
	hops      [][]hopStats // [channel][hop]
	identical []bool       // flattened pairs, see pairIndex
	err       error
	done      chan struct{}
}

// analyze reads the data chunk once and folds it into per-channel state.
// Blocks are summarised in parallel and folded strictly in order.
func analyze(r io.ReaderAt, h *header, cfg *Config) (*analysis, error) {
	f := h.format
	hopLen := max(int64(f.SampleRate)/100, 1)
	minDropout := max(int64(math.Ceil(cfg.MinDropoutS*float64(f.SampleRate))), 1)
	a := &analysis{}
	for range f.Channels {
		a.channels = append(a.channels, newChannelState(hopLen, minDropout))
	}
	a.identical = make([][]bool, f.Channels)
	for i := range a.identical {
		a.identical[i] = make([]bool, f.Channels)
		for j := range a.identical[i] {
			a.identical[i][j] = true
		}
	}
	hopBytes := hopLen * int64(f.BlockAlign)
	perBlock := max(blockBytes/hopBytes, 1) * hopBytes
	nBlocks := (h.dataSize + perBlock - 1) / perBlock

	fold := func(b *block) {
		for c, st := range a.channels {
			for i := range b.hops[c] {
				st.add(&b.hops[c][i])
			}
		}
		for i := 0; i < f.Channels; i++ {
			for j := i + 1; j < f.Channels; j++ {
				a.identical[i][j] = a.identical[i][j] && b.identical[pairIndex(i, j, f.Channels)]
			}
		}
	}
	newBlock := func() *block {
		b := blockPool.get()
		if need := min(perBlock, h.dataSize); int64(cap(b.data)) < need {
			b.data = make([]byte, need)
		}
		b.data = b.data[:cap(b.data)]
		for len(b.hops) < f.Channels {
			b.hops = append(b.hops, nil)
		}
		b.hops = b.hops[:f.Channels]
		return b
	}

	workers := min(runtime.GOMAXPROCS(0), 4, int(nBlocks))
	if workers <= 1 {
		// Short clips: no goroutines, since a check of many files already
		// runs one file per core.
		b := newBlock()
		defer blockPool.put(b)
		for i := int64(0); i < nBlocks; i++ {
			b.off = h.dataOffset + i*perBlock
			b.n = min(perBlock, h.dataSize-i*perBlock)
			b.work(r, f, hopLen)
			if b.err != nil {
				return nil, b.err
			}
			fold(b)
		}
	} else if err := a.parallel(r, h, hopLen, perBlock, nBlocks, workers, newBlock, fold); err != nil {
		return nil, err
	}
	for _, st := range a.channels {
		st.finish()
	}
	return a, nil
}

func (a *analysis) parallel(r io.ReaderAt, h *header, hopLen, perBlock, nBlocks int64, workers int,
	newBlock func() *block, fold func(*block)) error {
	free := make(chan *block, 2*workers)
	for range 2 * workers {
		free <- newBlock()
	}
	todo := make(chan *block)
	order := make(chan *block, 2*workers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range todo {
				b.work(r, h.format, hopLen)
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(todo)
		defer close(order)
		for i := int64(0); i < nBlocks; i++ {
			var b *block
			select {
			case b = <-free:
			case <-stop:
				return
			}
			b.off = h.dataOffset + i*perBlock
			b.n = min(perBlock, h.dataSize-i*perBlock)
			b.done = make(chan struct{})
			order <- b
			todo <- b
		}
	}()
	defer func() {
		for range 2 * workers {
			blockPool.put(<-free)
		}
	}()
	var err error
	for b := range order {
		<-b.done
		if err == nil && b.err != nil {
			err = b.err
			close(stop)
		}
		if err == nil {
			fold(b)
		}
		free <- b
	}
	wg.Wait()
	return err
}

// work reads the block and summarises each channel's hops.
func (b *block) work(r io.ReaderAt, f Format, hopLen int64) {
	// A pooled block may carry the error of the file that last used it.
	b.err = nil
	data := b.data[:b.n]
	if err := readFullAt(r, data, b.off); err != nil {
		// A short read leaves the pooled buffer's old bytes in data: the
		// missing audio is reported, never measured.
		b.err = ioErr(err, "audio")
		return
	}
	nFrames := b.n / int64(f.BlockAlign)
	nHops := (nFrames + hopLen - 1) / hopLen
	for c := range b.hops {
		if int64(cap(b.hops[c])) < nHops {
			b.hops[c] = make([]hopStats, nHops)
		}
		b.hops[c] = b.hops[c][:nHops]
		analyzeHops(f, data, c, int(hopLen), b.hops[c])
	}
	b.identical = identicalPairs(f, data, b.identical[:0])
}

// identicalPairs reports, for every pair of channels, whether their sample
// bytes are equal throughout data (a mono signal saved as "stereo").
func identicalPairs(f Format, data []byte, out []bool) []bool {
	bps := f.Bits / 8
	for i := 0; i < f.Channels; i++ {
		for j := i + 1; j < f.Channels; j++ {
			same := true
			for p := 0; p+f.BlockAlign <= len(data); p += f.BlockAlign {
				if !bytes.Equal(data[p+i*bps:p+i*bps+bps], data[p+j*bps:p+j*bps+bps]) {
					same = false
					break
				}
			}
			out = append(out, same)
		}
	}
	return out
}

// pairIndex is the position of pair (i, j), i < j, in identicalPairs' output.
func pairIndex(i, j, n int) int {
	return i*n - i*(i+1)/2 + (j - i - 1)
}
