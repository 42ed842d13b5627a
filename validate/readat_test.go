package validate_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// shortReader holds fewer bytes than the size WAV is told, as a file that
// shrank between its Stat and its reads. Its short reads end in io.EOF, or
// (nilErr) in no error at all, breaking the io.ReaderAt contract.
type shortReader struct {
	b      []byte
	nilErr bool
}

func (r shortReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(r.b).ReadAt(p, off)
	if r.nilErr && n > 0 {
		err = nil
	}
	return n, err
}

// TestWAV_ShortRead: when the reader runs out before the size it was
// given, the audio that is missing is reported (A006), never measured
// from whatever the reused block buffer held.
func TestWAV_ShortRead(t *testing.T) {
	loud := wavtest.Encode(wavtest.PCM16, clip(2, -30))
	x := clip(1, -65)
	var long []float64 // 30 s, four blocks: the parallel path
	for range 6 {
		long = append(long, x...)
	}
	for _, good := range [][]byte{wavtest.Encode(wavtest.PCM16, x), wavtest.Encode(wavtest.PCM16, long)} {
		for _, nilErr := range []bool{false, true} {
			// Leave a loud file's samples in the pooled buffers first.
			check(t, loud, validate.Options{})
			r := shortReader{b: good[:len(good)/2], nilErr: nilErr}
			rep, err := validate.WAV(r, int64(len(good)), validate.Options{})
			if err != nil {
				t.Fatalf("%d bytes, nilErr=%v: WAV: %v", len(good), nilErr, err)
			}
			if f, ok := rep.Finding("A006"); !ok || f.Code != "truncated" || rep.Pass {
				t.Errorf("%d bytes, nilErr=%v: half the data missing, findings %s, want A006 truncated", len(good), nilErr, rules(rep))
			}
		}
	}
}

// eofAtEnd returns io.EOF with a full read that ends at the end of the
// input, which io.ReaderAt allows.
type eofAtEnd struct{ b []byte }

func (r eofAtEnd) ReadAt(p []byte, off int64) (int, error) {
	n, err := bytes.NewReader(r.b).ReadAt(p, off)
	if err == nil && off+int64(n) == int64(len(r.b)) {
		err = io.EOF
	}
	return n, err
}

// TestWAV_EOFWithFullRead: a full read reported with io.EOF is a full
// read, also for the chunk header that ends the file.
func TestWAV_EOFWithFullRead(t *testing.T) {
	f := wavtest.File{Spec: wavtest.PCM16, Samples: clip(1, -65), After: []wavtest.Chunk{{ID: "JUNK"}}}
	data := f.Bytes()
	want := check(t, data, validate.Options{})
	if !want.Pass {
		t.Fatalf("fixture fails: %s", rules(want))
	}
	rep, err := validate.WAV(eofAtEnd{data}, int64(len(data)), validate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pass || rules(rep) != rules(want) || len(rep.Chunks) != len(want.Chunks) {
		t.Errorf("with io.EOF on the last read: pass=%v findings %q chunks %d, want pass with %q and %d chunks",
			rep.Pass, rules(rep), len(rep.Chunks), rules(want), len(want.Chunks))
	}
}

// failingReader fails every read past the header, as a disk error would.
type failingReader struct{ b []byte }

var errDisk = errors.New("disk error")

func (r failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= 44 {
		return 0, errDisk
	}
	return bytes.NewReader(r.b).ReadAt(p, off)
}

// TestWAV_ReadErrorDoesNotLeak: a read error is the failing file's alone;
// the next file, which may get the same pooled block, is measured.
// Both the one-block path and the parallel one (a 30 s file is four
// blocks) are covered.
func TestWAV_ReadErrorDoesNotLeak(t *testing.T) {
	x := clip(1, -65)
	var long []float64
	for range 6 {
		long = append(long, x...)
	}
	for _, good := range [][]byte{wavtest.Encode(wavtest.PCM16, x), wavtest.Encode(wavtest.PCM16, long)} {
		for range 3 {
			if _, err := validate.WAV(failingReader{good}, int64(len(good)), validate.Options{}); !errors.Is(err, errDisk) {
				t.Fatalf("WAV over a failing reader: %v, want %v", err, errDisk)
			}
			if rep := check(t, good, validate.Options{}); !rep.Pass {
				t.Fatalf("a good %d-byte file after a read error: %s", len(good), rules(rep))
			}
		}
	}
}
