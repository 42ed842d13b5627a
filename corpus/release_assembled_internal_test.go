package corpus

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/release"
)

// fakePlan writes the plan and skeleton of an archive of n clips (a
// 512-byte skeleton run, then a 1 KiB clip, cycling over 100 clip files)
// for release id, format kaldi, and returns the archive's size.
func fakePlan(tb testing.TB, db *DB, dir string, id int64, n int) int64 {
	tb.Helper()
	var ids []string
	for i := range 100 {
		cid := fmt.Sprintf("%032x", i+1)
		if err := os.WriteFile(filepath.Join(dir, "clips", clipName(cid)), make([]byte, 1024), 0o640); err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, cid)
	}
	skelName, planName := planPaths(id, release.Kaldi)
	if err := db.root.MkdirAll(path.Dir(planName), dirPerm); err != nil {
		tb.Fatal(err)
	}
	plan := make([]byte, planHeader, planHeader+(2*n+1)*planRecord)
	var off, skelOff int64
	rec := func(l, so int64, clip string) {
		var r [planRecord]byte
		put64(r[0:], off)
		put64(r[8:], l)
		put64(r[16:], so)
		copy(r[24:], clip)
		plan = append(plan, r[:]...)
		off += l
	}
	for i := range n {
		rec(512, skelOff, "")
		skelOff += 512
		rec(1024, -1, ids[i%len(ids)])
	}
	rec(1024, skelOff, "")
	skelOff += 1024
	copy(plan, planMagic)
	put64(plan[16:], off)
	put64(plan[24:], int64(2*n+1))
	put64(plan[32:], skelOff)
	if err := os.WriteFile(filepath.Join(dir, planName), plan, 0o640); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, skelName), make([]byte, skelOff), 0o640); err != nil {
		tb.Fatal(err)
	}
	return off
}

// heapProbe is a writer that, once half the archive has passed, measures
// the live heap.
type heapProbe struct {
	n, half int64
	heap    uint64
}

func (h *heapProbe) Write(p []byte) (int, error) {
	if h.n < h.half && h.n+int64(len(p)) >= h.half {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.heap = ms.HeapAlloc
	}
	h.n += int64(len(p))
	return len(p), nil
}

// BenchmarkAssembledArchive streams a whole assembled archive of 10,000
// and 100,000 clips (synthetic plan, 1 KiB clips): the live heap halfway
// through (heap-B) and what a Range request deep into it costs before its
// first byte (first-byte-ns) stay flat as the release grows.
//
//	go test -run '^$' -bench AssembledArchive -benchmem -benchtime 2x ./corpus
func BenchmarkAssembledArchive(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("clips=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			db, err := Open(context.Background(), dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = db.Close() }()
			size := fakePlan(b, db, dir, 1, n)
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			b.SetBytes(size)
			b.ResetTimer()
			var heap uint64
			var first time.Duration
			for range b.N {
				t0 := time.Now()
				a, err := db.openAssembled(1, release.Kaldi)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := a.Seek(size*9/10, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				if _, err := a.Read(make([]byte, 1)); err != nil {
					b.Fatal(err)
				}
				first += time.Since(t0)
				if _, err := a.Seek(0, io.SeekStart); err != nil {
					b.Fatal(err)
				}
				probe := &heapProbe{half: size / 2}
				if c, err := a.CopyTo(probe, size); err != nil || c != size {
					b.Fatalf("copied %d of %d: %v", c, size, err)
				}
				heap = max(heap, probe.heap)
				_ = a.Close() // only read
			}
			b.ReportMetric(float64(int64(heap)-int64(base.HeapAlloc)), "heap-B")
			b.ReportMetric(float64(first.Nanoseconds())/float64(b.N), "first-byte-ns")
		})
	}
}
