package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// failingReader gives the first n bytes of b, then err: a disk that stops
// answering part way through a clip file.
type failingReader struct {
	b   []byte
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	k := copy(p, r.b[:min(r.n, len(r.b))])
	r.b, r.n = r.b[k:], r.n-k
	return k, nil
}

// reviewWAV is 1 s of full-scale 440 Hz tone with one INFO tag before the
// samples.
func reviewWAV() []byte {
	var info []byte
	info = append(info, "INFO"...)
	info = append(info, "INAM"...)
	info = binary.LittleEndian.AppendUint32(info, 6)
	info = append(info, "title\x00"...)
	f := wavtest.File{Spec: wavtest.PCM16, Before: []wavtest.Chunk{{ID: "LIST", Data: info}},
		Samples: wavtest.Sine(16000, 16000, 440, 0.9)}
	return f.Bytes()
}

// TestReadWAVViewReadError: a clip file that cannot be read to its recorded
// size is an error, not a waveform. Before, the read error was dropped and
// the peaks of the unread part came back as zeros: a reviewer was shown
// silence that is not in the recording.
func TestReadWAVViewReadError(t *testing.T) {
	data := reviewWAV()
	eio := errors.New("input/output error")
	for name, tt := range map[string]struct {
		r    io.Reader
		size int64
		want error
	}{
		// The disk fails half way through the samples.
		"io error in data": {&failingReader{b: data, n: len(data) / 2, err: eio}, int64(len(data)), eio},
		// The disk fails inside a chunk header.
		"io error in chunk header": {&failingReader{b: data, n: 14, err: eio}, int64(len(data)), eio},
		// The stored file is shorter than the clip's recorded size.
		"truncated file": {bytes.NewReader(data[:len(data)/2]), int64(len(data)), io.ErrUnexpectedEOF},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := readWAVView(tt.r, tt.size, peakBuckets)
			if !errors.Is(err, tt.want) {
				var peaks int
				if v != nil {
					peaks = len(v.Peaks)
				}
				t.Fatalf("readWAVView = %d peaks, err %v; want an error wrapping %v", peaks, err, tt.want)
			}
		})
	}
}

// TestReadWAVViewFewerResults: what the reader cannot draw (an encoding
// without peaks, a last chunk without its pad byte) still gives what it
// can, without an error.
func TestReadWAVViewFewerResults(t *testing.T) {
	data := reviewWAV()
	v, err := readWAVView(bytes.NewReader(data), int64(len(data)), peakBuckets)
	if err != nil || len(v.Peaks) != peakBuckets || len(v.Tags) != 1 || v.Tags[0].Value != "title" {
		t.Fatalf("good file: %+v, %v", v, err)
	}
	for _, p := range v.Peaks {
		if p < 0.8 || p > 0.95 {
			t.Fatalf("peak %v of a 0.9 tone", p)
		}
	}

	// A-law (format 6): tags, no peaks.
	alaw := wavtest.File{Spec: wavtest.Spec{SampleRate: 8000, Channels: 1, Bits: 8, FormatTag: 6},
		Samples: make([]float64, 800)}
	b := alaw.Bytes()
	if v, err := readWAVView(bytes.NewReader(b), int64(len(b)), peakBuckets); err != nil || v.Peaks != nil {
		t.Fatalf("A-law: %+v, %v", v, err)
	}

	// An odd-sized last chunk whose pad byte was never written.
	odd := wavtest.File{Spec: wavtest.PCM16, Before: []wavtest.Chunk{{ID: "junk", Data: []byte{1, 2, 3}}}}
	b = odd.Bytes()
	b = b[:len(b)-8-1] // drop the empty data chunk and junk's pad byte (the RIFF size is not read)
	if v, err := readWAVView(bytes.NewReader(b), int64(len(b)), peakBuckets); err != nil || v.Peaks != nil {
		t.Fatalf("missing pad byte: %+v, %v", v, err)
	}

	// Not a WAV file at all.
	if _, err := readWAVView(bytes.NewReader([]byte("not a wav file")), 14, peakBuckets); !errors.Is(err, errNotRIFF) {
		t.Fatalf("not RIFF: %v", err)
	}
}
