package transcribe_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/dialect-corpus/dialect/transcribe"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// shortReader holds fewer bytes than the size Analyze is told, as a file
// that shrank between its Stat and its reads.
type shortReader struct{ b []byte }

func (r shortReader) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(r.b).ReadAt(p, off)
}

// TestAnalyzeShortRead: samples the reader cannot deliver are an error,
// never analysed from the previous block's bytes left in the buffer.
func TestAnalyzeShortRead(t *testing.T) {
	wav, _ := speechFixture(10, [2]float64{1, 5})
	a, err := transcribe.Analyze(shortReader{wav[:len(wav)/2]}, int64(len(wav)), nil)
	if err == nil {
		t.Fatalf("half the samples missing: no error, %d hops analysed", a.Hops())
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, transcribe.ErrUnsupported) {
		t.Errorf("error %v, want io.ErrUnexpectedEOF and not ErrUnsupported", err)
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

// TestAnalyzeEOFWithFullRead: a full read reported with io.EOF is a full
// read, for the samples and for a chunk header that ends the file.
func TestAnalyzeEOFWithFullRead(t *testing.T) {
	wav, _ := speechFixture(10, [2]float64{1, 5})
	empty := wavtest.Encode(wavtest.PCM16, nil)
	for _, data := range [][]byte{wav, empty} {
		want, err := transcribe.Analyze(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			t.Fatalf("%d bytes: %v", len(data), err)
		}
		got, err := transcribe.Analyze(eofAtEnd{data}, int64(len(data)), nil)
		if err != nil {
			t.Fatalf("%d bytes, io.EOF on the last read: %v", len(data), err)
		}
		if got.Frames != want.Frames || got.Hops() != want.Hops() {
			t.Errorf("%d bytes: %d frames %d hops, want %d and %d", len(data), got.Frames, got.Hops(), want.Frames, want.Hops())
		}
	}
}
