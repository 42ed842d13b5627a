// Package wavtest builds WAV files and test signals for tests and benchmarks:
// speech-like audio, stationary noise at exact levels, and files of every
// encoding, including broken ones. Like net/http/httptest, it exists so that
// every package's tests can make their own fixtures on a fresh clone.
package wavtest

import (
	"encoding/binary"
	"math"
)

// Spec describes the encoding of a file to write.
type Spec struct {
	SampleRate int
	Channels   int
	Bits       int
	Float      bool
	// Extensible writes a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk.
	Extensible bool
	// FormatTag overrides the fmt chunk's tag (A-law = 6, ...); the samples
	// are still written as PCM.
	FormatTag int
}

// PCM16 is the corpus format: 16 kHz mono 16-bit PCM.
var PCM16 = Spec{SampleRate: 16000, Channels: 1, Bits: 16}

// Chunk is an extra chunk to place before or after the data.
type Chunk struct {
	ID   string
	Data []byte
}

// File is a WAV file under construction.
type File struct {
	Spec   Spec
	Before []Chunk // between fmt and data
	After  []Chunk // after data
	// Samples are interleaved, scaled to full scale 1.
	Samples []float64
}

// Bytes encodes the file.
func (f *File) Bytes() []byte {
	data := EncodeSamples(f.Spec, f.Samples)
	var body []byte
	body = append(body, "WAVE"...)
	body = appendChunk(body, "fmt ", FmtChunk(f.Spec))
	for _, c := range f.Before {
		body = appendChunk(body, c.ID, c.Data)
	}
	body = appendChunk(body, "data", data)
	for _, c := range f.After {
		body = appendChunk(body, c.ID, c.Data)
	}
	out := make([]byte, 0, len(body)+8)
	out = append(out, "RIFF"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// Encode writes interleaved samples as a complete WAV file.
func Encode(s Spec, samples []float64) []byte {
	f := File{Spec: s, Samples: samples}
	return f.Bytes()
}

func appendChunk(b []byte, id string, data []byte) []byte {
	b = append(b, id...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// FmtChunk returns the body of the fmt chunk for s.
func FmtChunk(s Spec) []byte {
	tag := 1
	if s.Float {
		tag = 3
	}
	if s.FormatTag != 0 {
		tag = s.FormatTag
	}
	blockAlign := s.Channels * s.Bits / 8
	var b []byte
	le := binary.LittleEndian
	outerTag := tag
	if s.Extensible {
		outerTag = 0xFFFE
	}
	b = le.AppendUint16(b, uint16(outerTag))
	b = le.AppendUint16(b, uint16(s.Channels))
	b = le.AppendUint32(b, uint32(s.SampleRate))
	b = le.AppendUint32(b, uint32(s.SampleRate*blockAlign))
	b = le.AppendUint16(b, uint16(blockAlign))
	b = le.AppendUint16(b, uint16(s.Bits))
	if s.Extensible {
		b = le.AppendUint16(b, 22)
		b = le.AppendUint16(b, uint16(s.Bits))
		b = le.AppendUint32(b, 0)
		guid := []byte{0, 0, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}
		le.PutUint16(guid, uint16(tag))
		b = append(b, guid...)
	}
	return b
}

// EncodeSamples encodes interleaved samples in s's encoding, rounding and
// saturating integer formats the way a recorder would.
func EncodeSamples(s Spec, samples []float64) []byte {
	bps := s.Bits / 8
	out := make([]byte, len(samples)*bps)
	le := binary.LittleEndian
	for i, x := range samples {
		p := out[i*bps:]
		switch {
		case s.Float && s.Bits == 32:
			le.PutUint32(p, math.Float32bits(float32(x)))
		case s.Float && s.Bits == 64:
			le.PutUint64(p, math.Float64bits(x))
		case s.Bits == 8:
			p[0] = byte(quantize(x, 128) + 128)
		case s.Bits == 16:
			le.PutUint16(p, uint16(int16(quantize(x, 1<<15))))
		case s.Bits == 24:
			v := uint32(int32(quantize(x, 1<<23)))
			p[0], p[1], p[2] = byte(v), byte(v>>8), byte(v>>16)
		case s.Bits == 32:
			le.PutUint32(p, uint32(int32(quantize(x, 1<<31))))
		}
	}
	return out
}

func quantize(x, scale float64) int64 {
	v := math.Round(x * scale)
	return int64(min(max(v, -scale), scale-1))
}
