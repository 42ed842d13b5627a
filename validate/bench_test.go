package validate_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/go-audio/wav"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// Benchmark inputs are generated on first use into one temporary folder,
// shared by every benchmark of the run and removed by TestMain.
var (
	benchDir  string
	benchOnce = map[string]*sync.Once{"clips": {}, "3h": {}, "1h48k": {}}
	clipPaths []string
	clipBytes int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		_ = os.RemoveAll(benchDir) // best effort: a leftover temporary folder does not change the result
	}
	os.Exit(code)
}

func benchPath(b *testing.B, name string, make func(dir string) error) string {
	b.Helper()
	if benchDir == "" {
		d, err := os.MkdirTemp("", "dialect-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	}
	var err error
	benchOnce[name].Do(func() { err = make(benchDir) })
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(benchDir, name)
}

// BenchmarkCheckClips checks 1,000 five-second 16 kHz clips on all cores,
// as `dialect check DIR` does.
func BenchmarkCheckClips(b *testing.B) {
	dir := benchPath(b, "clips", func(d string) error {
		d = filepath.Join(d, "clips")
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		var err error
		clipPaths, clipBytes, err = wavtest.WriteClips(d, 1000, 5)
		return err
	})
	_ = dir
	b.SetBytes(clipBytes)
	b.ReportAllocs()
	for b.Loop() {
		next := make(chan string)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range next {
					if _, err := validate.File(p, validate.Options{Mode: validate.ModePrompted}); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for _, p := range clipPaths {
			next <- p
		}
		close(next)
		wg.Wait()
	}
}

func long3h(b *testing.B) string {
	return benchPath(b, "3h", func(d string) error {
		_, err := wavtest.WriteLong(filepath.Join(d, "3h"), wavtest.PCM16, 3*3600)
		return err
	})
}

// BenchmarkCheck3Hour16k checks a 3-hour 16 kHz mono 16-bit recording.
func BenchmarkCheck3Hour16k(b *testing.B) {
	benchFile(b, long3h(b), validate.Options{Mode: validate.ModeMonologue})
}

// BenchmarkCheck1Hour48kStereo24 checks a 1-hour 48 kHz stereo 24-bit file.
func BenchmarkCheck1Hour48kStereo24(b *testing.B) {
	p := benchPath(b, "1h48k", func(d string) error {
		_, err := wavtest.WriteLong(filepath.Join(d, "1h48k"), wavtest.Spec{SampleRate: 48000, Channels: 2, Bits: 24}, 3600)
		return err
	})
	benchFile(b, p, validate.Options{Mode: validate.ModeDialogue})
}

func benchFile(b *testing.B, path string, opts validate.Options) {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		rep, err := validate.File(path, opts)
		if err != nil || rep.Measurements == nil {
			b.Fatalf("%v %+v", err, rep.Findings)
		}
	}
}

// BenchmarkPlainLoop3Hour16k is the yardstick of the issue: a plain Go loop
// reading 16-bit PCM through bufio and computing 20 ms frame RMS, nothing
// else.
func BenchmarkPlainLoop3Hour16k(b *testing.B) {
	path := long3h(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := bufio.NewReaderSize(f, 64<<10)
		if _, err := r.Discard(44); err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		var sum float64
		var n, frames int
		var loudest float64
		for {
			got, err := io.ReadFull(r, buf)
			for i := 0; i+1 < got; i += 2 {
				x := float64(int16(binary.LittleEndian.Uint16(buf[i:]))) / 32768
				sum += x * x
				if n++; n == 320 {
					loudest = max(loudest, math.Sqrt(sum/320))
					sum, n = 0, 0
					frames++
				}
			}
			if err != nil {
				break
			}
		}
		_ = f.Close() // read-only
		if frames == 0 || loudest == 0 {
			b.Fatal("read nothing")
		}
	}
}

// BenchmarkGoAudioPCMBuffer3Hour16k reads the same file with go-audio/wav's
// PCMBuffer, the client's library, computing the same frame RMS: the reason
// the validator converts PCM blocks itself.
func BenchmarkGoAudioPCMBuffer3Hour16k(b *testing.B) {
	path := long3h(b)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d := wav.NewDecoder(f)
		d.ReadInfo()
		buf := &audioIntBuffer{}
		buf.init(d)
		var sum float64
		var n int
		for {
			got, err := d.PCMBuffer(buf.IntBuffer)
			if err != nil || got == 0 {
				break
			}
			for _, v := range buf.Data[:got] {
				x := float64(v) / 32768
				sum += x * x
				if n++; n == 320 {
					sum, n = 0, 0
				}
			}
		}
		_ = f.Close() // read-only
	}
}
