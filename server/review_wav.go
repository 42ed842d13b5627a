package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
)

// wavTag is one LIST/INFO entry of a WAV file (INAM, ICMT, ISFT…): text a
// speaker's software wrote and a reviewer is shown, always escaped (S-17).
type wavTag struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// wavView is what the review page shows of a clip file besides its bytes:
// the LIST/INFO metadata and the waveform's peaks (0…1, one per bucket, the
// largest absolute sample over every channel).
type wavView struct {
	Tags  []wavTag
	Peaks []float32
}

const (
	maxWAVTags     = 32
	maxWAVTagBytes = 1024
	peakBuckets    = 800
)

var errNotRIFF = errors.New("not a RIFF/WAVE file")

// readWAVView walks the RIFF chunks of r (a clip file of size bytes): it
// reads LIST/INFO and computes the peaks of the data chunk in one pass over
// it. Formats: PCM 8/16/24/32-bit and IEEE float 32/64, plain or
// WAVE_FORMAT_EXTENSIBLE. Anything it cannot interpret (an encoding it does
// not draw, a chunk overrunning the file) gives fewer results, not an error.
// A read that fails inside size bytes is an error: the file is damaged or
// the disk failed, and zero peaks for the unread part would show silence
// that is not in the recording.
func readWAVView(r io.Reader, size int64, buckets int) (*wavView, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var hdr [12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, errNotRIFF
	}
	v := &wavView{}
	var (
		format           uint16
		channels, bits   int
		haveFmt          bool
		pos              = int64(12)
		chunkHdr         [8]byte
		readChunkPayload = func(n int64) ([]byte, error) {
			b := make([]byte, n)
			_, err := io.ReadFull(br, b)
			return b, err
		}
	)
	for pos+8 <= size {
		if _, err := io.ReadFull(br, chunkHdr[:]); err != nil {
			return nil, fmt.Errorf("chunk header at byte %d: %w", pos, err)
		}
		pos += 8
		id := string(chunkHdr[0:4])
		n := int64(binary.LittleEndian.Uint32(chunkHdr[4:8]))
		if n > size-pos {
			n = size - pos
		}
		pad := n & 1
		var err error
		switch {
		case id == "fmt " && n >= 16 && n <= 1024:
			var b []byte
			if b, err = readChunkPayload(n); err == nil {
				format = binary.LittleEndian.Uint16(b[0:2])
				channels = int(binary.LittleEndian.Uint16(b[2:4]))
				bits = int(binary.LittleEndian.Uint16(b[14:16]))
				if format == 0xFFFE && n >= 26 {
					format = binary.LittleEndian.Uint16(b[24:26])
				}
				haveFmt = true
			}
		case id == "LIST" && n >= 4 && n <= 1<<20:
			var b []byte
			if b, err = readChunkPayload(n); err == nil && string(b[0:4]) == "INFO" {
				v.Tags = parseInfo(b[4:])
			}
		case id == "data" && haveFmt:
			v.Peaks, err = peaks(io.LimitReader(br, n), n, format, channels, bits, buckets)
			if err == nil || errors.Is(err, errNotRIFF) {
				// Nothing after the samples matters here. errNotRIFF is an
				// encoding peaks does not draw: the tags, no waveform.
				return v, nil
			}
		default:
			_, err = br.Discard(int(n))
		}
		if err != nil {
			return nil, fmt.Errorf("%q chunk at byte %d: %w", id, pos-8, err)
		}
		// A last chunk of odd size often lacks its pad byte (or overran the
		// file and was cut to it): only a pad byte inside size is read.
		if pad == 1 && pos+n < size {
			if _, err := br.Discard(1); err != nil {
				return nil, fmt.Errorf("pad byte at byte %d: %w", pos+n, err)
			}
		}
		pos += n + pad
	}
	return v, nil
}

// parseInfo reads the sub-chunks of a LIST/INFO chunk.
func parseInfo(b []byte) []wavTag {
	var tags []wavTag
	for len(b) >= 8 && len(tags) < maxWAVTags {
		id := string(b[0:4])
		n := int(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
		if n > len(b) {
			n = len(b)
		}
		val := b[:n]
		if i := strings.IndexByte(string(val), 0); i >= 0 {
			val = val[:i]
		}
		if len(val) > maxWAVTagBytes {
			val = val[:maxWAVTagBytes]
		}
		s := strings.ToValidUTF8(string(val), "\uFFFD")
		s = strings.Map(func(r rune) rune {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
				return -1
			}
			return r
		}, s)
		if !utf8.ValidString(id) {
			id = "????"
		}
		tags = append(tags, wavTag{ID: strings.Map(func(r rune) rune {
			if r < 0x20 || r > 0x7e {
				return '?'
			}
			return r
		}, id), Value: s})
		n += n & 1
		if n > len(b) {
			break
		}
		b = b[n:]
	}
	return tags
}

// peaks folds the samples of a data chunk of n bytes into buckets.
func peaks(r io.Reader, n int64, format uint16, channels, bits, buckets int) ([]float32, error) {
	bps := bits / 8
	if channels < 1 || channels > 64 || bps < 1 || bps > 8 || bits%8 != 0 {
		return nil, errNotRIFF
	}
	float := format == 3
	if !float && format != 1 {
		return nil, errNotRIFF
	}
	if float && bps != 4 && bps != 8 {
		return nil, errNotRIFF
	}
	frame := int64(bps * channels)
	frames := n / frame
	if frames == 0 {
		return []float32{}, nil
	}
	buckets = int(min(int64(buckets), frames))
	out := make([]float32, buckets)
	buf := make([]byte, frame*1024)
	var f int64
	for f < frames {
		k := min(int64(len(buf))/frame, frames-f)
		if _, err := io.ReadFull(r, buf[:k*frame]); err != nil {
			return nil, fmt.Errorf("samples at frame %d of %d: %w", f, frames, err)
		}
		for i := int64(0); i < k*frame; i += int64(bps) {
			s := sample(buf[i:i+int64(bps)], bps, float)
			if s < 0 {
				s = -s
			}
			if s > 1 || math.IsNaN(s) {
				s = 1
			}
			bkt := int((f + i/frame) * int64(buckets) / frames)
			if float32(s) > out[bkt] {
				out[bkt] = float32(s)
			}
		}
		f += k
	}
	return out, nil
}

// sample decodes one little-endian sample to −1…1.
func sample(b []byte, bps int, float bool) float64 {
	switch {
	case float && bps == 4:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case float:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case bps == 1:
		return (float64(b[0]) - 128) / 128
	case bps == 2:
		return float64(int16(binary.LittleEndian.Uint16(b))) / 32768 //nolint:gosec // G115: the bits read as two's complement are the signed sample
	case bps == 3:
		v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8 //nolint:gosec // G115: the 24 bits read as two's complement, sign-extended by the shift
		return float64(v) / 8388608
	case bps == 4:
		return float64(int32(binary.LittleEndian.Uint32(b))) / 2147483648 //nolint:gosec // G115: the bits read as two's complement are the signed sample
	}
	return 0
}
