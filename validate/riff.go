package validate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of the header walk. go-audio/wav trusts declared sizes and allocates
// or loops on them (1.6 GiB for a 36-byte fuzzed file, a hang on 48 bytes), so
// nothing reaches it, or our decoder, before every size has been checked
// against the bytes actually present.
const (
	maxChunks   = 64
	maxFmtBytes = 1024 // WAVE_FORMAT_EXTENSIBLE needs 40; anything near 1 KiB is hostile
	// maxChannels bounds the per-channel state (about 300 KiB each). The
	// spec asks for 1 to 8; real files with up to 32 (a 20-channel
	// extensible file in the conformance corpus) are measured too, so that
	// the verdict is the channel rule (A004), not "unreadable".
	maxChannels = 32
)

// Chunk is one RIFF chunk as found in the file.
type Chunk struct {
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

// header is what the walk learns about a file before any sample is read.
type header struct {
	format     Format
	chunks     []Chunk
	dataOffset int64
	dataSize   int64 // whole frames actually present in the file
	truncated  string
}

var (
	guidPCM   = [16]byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}
	guidFloat = [16]byte{0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}
)

// Format tags of the fmt chunk.
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagALaw       = 0x0006
	tagMuLaw      = 0x0007
	tagExtensible = 0xFFFE
)

// readHeader walks the RIFF chunk list of a file of the given size. It reads
// at most a few KiB whatever the sizes claim. A non-nil error is a
// *FormatError (the file cannot be measured) or an I/O error from r.
func readHeader(r io.ReaderAt, size int64) (*header, error) {
	h := &header{}
	if size == 0 {
		return h, formatErr("A001", "empty", "the file is empty (0 bytes)")
	}
	var buf [12]byte
	n, err := r.ReadAt(buf[:], 0)
	if err != nil && err != io.EOF {
		return h, err
	}
	magic := string(buf[:min(n, 4)])
	switch {
	case n >= 4 && magic == "RIFX":
		h.format.Container = "RIFX"
		return h, formatErr("A002", "unsupported_container", "big-endian RIFX container is not supported; save as little-endian RIFF/WAVE")
	case n >= 4 && magic == "RF64":
		h.format.Container = "RF64"
		return h, formatErr("A002", "unsupported_container", "RF64 container (files over 4 GiB) is not supported; split the recording or save as RIFF/WAVE")
	case n >= 4 && magic != "RIFF":
		return h, formatErr("A001", "not_wav", "not a RIFF/WAVE file: starts with "+describeMagic(buf[:n]))
	case n < 12:
		return h, formatErr("A001", "truncated_header", fmt.Sprintf("file ends after %d bytes, inside the 12-byte RIFF header", n))
	}
	if string(buf[8:12]) != "WAVE" {
		return h, formatErr("A001", "not_wav", fmt.Sprintf("RIFF form type is %q, not \"WAVE\"", printable(buf[8:12])))
	}
	h.format.Container = "RIFF"
	riffEnd := int64(binary.LittleEndian.Uint32(buf[4:8])) + 8
	end := min(riffEnd, size)

	var fmtChunk []byte
	var haveData bool
	off := int64(12)
	for off < end {
		if len(h.chunks) >= maxChunks {
			return h, formatErr("A001", "too_many_chunks", fmt.Sprintf("more than %d chunks", maxChunks))
		}
		if end-off < 8 {
			if off+1 == end && off == riffEnd-1 {
				break // a final pad byte counted in the RIFF size
			}
			return h, formatErr("A001", "stray_bytes", fmt.Sprintf("%d stray byte(s) at offset %d, too few for a chunk header", end-off, off))
		}
		var ch [8]byte
		if err := readFullAt(r, ch[:], off); err != nil {
			return h, ioErr(err, "header")
		}
		id := string(ch[:4])
		csize := int64(binary.LittleEndian.Uint32(ch[4:]))
		if !validChunkID(ch[:4]) {
			return h, formatErr("A001", "bad_chunk", fmt.Sprintf("invalid chunk id %s at offset %d (a missing pad byte or corrupted bytes)", describeMagic(ch[:4]), off))
		}
		h.chunks = append(h.chunks, Chunk{ID: id, Offset: off, Size: csize})
		body := off + 8
		left := size - body
		switch id {
		case "fmt ":
			if fmtChunk != nil {
				return h, formatErr("A001", "duplicate_fmt", "more than one fmt chunk")
			}
			if haveData {
				return h, formatErr("A001", "fmt_after_data", "fmt chunk comes after the data chunk")
			}
			if csize > maxFmtBytes {
				return h, formatErr("A001", "bad_fmt", fmt.Sprintf("fmt chunk declares %d bytes; a sane one has 16 to 40", csize))
			}
			if csize > left {
				return h, formatErr("A001", "bad_fmt", fmt.Sprintf("fmt chunk declares %d bytes but only %d remain", csize, left))
			}
			fmtChunk = make([]byte, csize)
			if err := readFullAt(r, fmtChunk, body); err != nil {
				return h, ioErr(err, "header")
			}
			if err := parseFmt(&h.format, fmtChunk); err != nil {
				return h, err
			}
		case "data":
			if haveData {
				return h, formatErr("A001", "duplicate_data", "more than one data chunk")
			}
			if fmtChunk == nil {
				return h, formatErr("A001", "data_before_fmt", "data chunk comes before the fmt chunk")
			}
			haveData = true
			h.dataOffset = body
			h.dataSize = csize
			if csize > left {
				h.dataSize = max(left, 0)
				h.truncated = fmt.Sprintf("data chunk declares %d bytes but only %d are in the file", csize, h.dataSize)
			} else if ba := int64(h.format.BlockAlign); ba > 0 && csize%ba != 0 {
				return h, formatErr("A001", "partial_frame", fmt.Sprintf("data size %d is not a whole number of %d-byte frames", csize, ba))
			}
		default:
			if csize > left {
				if haveData && h.truncated == "" && riffEnd > size {
					h.truncated = fmt.Sprintf("chunk %q after the audio declares %d bytes but only %d are in the file", id, csize, left)
					break
				}
				return h, formatErr("A001", "bad_chunk", fmt.Sprintf("chunk %q at offset %d declares %d bytes but only %d remain", strings.TrimSpace(id), off, csize, left))
			}
		}
		if h.truncated != "" {
			break
		}
		off = body + csize + csize&1 // odd chunks carry a pad byte
	}
	if fmtChunk == nil {
		return h, formatErr("A001", "no_fmt", "no fmt chunk")
	}
	if !haveData {
		return h, formatErr("A001", "no_data", "no data chunk")
	}
	if h.truncated == "" && riffEnd > size {
		// A writer that left out the final pad byte declares one byte more
		// than it wrote: harmless. Anything more means bytes are missing.
		last := h.chunks[len(h.chunks)-1]
		if riffEnd != size+1 || last.Size%2 != 1 || last.Offset+8+last.Size != size {
			h.truncated = fmt.Sprintf("the RIFF header declares %d bytes but the file has %d", riffEnd, size)
		}
	}
	if riffEnd < size-1 {
		// Bytes outside the RIFF chunk are how polyglot files hide a second
		// payload; a corpus file has no reason to carry them.
		return h, formatErr("A001", "trailing_data", fmt.Sprintf("%d bytes after the end of the RIFF chunk", size-riffEnd))
	}
	if h.format.BlockAlign > 0 {
		h.format.Frames = h.dataSize / int64(h.format.BlockAlign)
		h.dataSize = h.format.Frames * int64(h.format.BlockAlign)
	}
	if h.format.SampleRate > 0 {
		h.format.DurationS = float64(h.format.Frames) / float64(h.format.SampleRate)
	}
	return h, nil
}

// parseFmt decodes a fmt chunk and checks that its fields agree with each
// other, so the decoder can trust them.
func parseFmt(f *Format, b []byte) error {
	if len(b) < 16 {
		return formatErr("A001", "bad_fmt", fmt.Sprintf("fmt chunk has %d bytes; at least 16 are needed", len(b)))
	}
	le := binary.LittleEndian
	f.FormatTag = int(le.Uint16(b[0:]))
	f.Channels = int(le.Uint16(b[2:]))
	f.SampleRate = int(le.Uint32(b[4:]))
	byteRate := int64(le.Uint32(b[8:]))
	f.BlockAlign = int(le.Uint16(b[12:]))
	f.Bits = int(le.Uint16(b[14:]))
	f.ValidBits = f.Bits
	tag := f.FormatTag
	if tag == tagExtensible {
		if len(b) < 40 {
			return formatErr("A001", "bad_fmt", fmt.Sprintf("extensible fmt chunk has %d bytes; 40 are needed", len(b)))
		}
		if cb := le.Uint16(b[16:]); cb < 22 {
			return formatErr("A001", "bad_fmt", fmt.Sprintf("extensible fmt chunk declares a %d-byte extension; 22 are needed", cb))
		}
		f.ValidBits = int(le.Uint16(b[18:]))
		f.ChannelMask = le.Uint32(b[20:])
		var g [16]byte
		copy(g[:], b[24:40])
		f.SubFormat = guidString(g)
		switch g {
		case guidPCM:
			tag = tagPCM
		case guidFloat:
			tag = tagFloat
		default:
			// The first two bytes of a KSDATAFORMAT GUID are the format tag.
			tag = int(le.Uint16(g[0:]))
		}
		if f.ValidBits == 0 || f.ValidBits > f.Bits {
			f.ValidBits = f.Bits
		}
	}
	switch tag {
	case tagPCM:
		f.Encoding = EncodingPCM
	case tagFloat:
		f.Encoding = EncodingFloat
	case tagALaw:
		f.Encoding = EncodingALaw
	case tagMuLaw:
		f.Encoding = EncodingMuLaw
	default:
		f.Encoding = EncodingOther
	}
	if f.Channels == 0 {
		return formatErr("A001", "bad_fmt", "fmt chunk declares 0 channels")
	}
	if f.SampleRate == 0 {
		return formatErr("A001", "bad_fmt", "fmt chunk declares a sample rate of 0 Hz")
	}
	if f.Encoding == EncodingOther || f.Encoding == EncodingALaw || f.Encoding == EncodingMuLaw {
		return formatErr("A002", "unsupported_codec", fmt.Sprintf("%s audio cannot be checked; record or export as PCM", f.codecName()))
	}
	if !f.decodable() {
		return formatErr("A002", "unsupported_bits", fmt.Sprintf("%d-bit %s samples are not supported; use 16-bit PCM", f.Bits, f.Encoding))
	}
	if f.Channels > maxChannels {
		return formatErr("A002", "unsupported_channels", fmt.Sprintf("%d channels; at most %d are supported", f.Channels, maxChannels))
	}
	if want := f.Channels * f.Bits / 8; f.BlockAlign != want {
		return formatErr("A001", "bad_fmt", fmt.Sprintf("block align %d does not match %d channel(s) of %d bits (%d)", f.BlockAlign, f.Channels, f.Bits, want))
	}
	if want := int64(f.SampleRate) * int64(f.BlockAlign); byteRate != want {
		return formatErr("A001", "bad_fmt", fmt.Sprintf("byte rate %d does not match %d Hz × %d bytes per frame (%d)", byteRate, f.SampleRate, f.BlockAlign, want))
	}
	return nil
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

// ioErr turns the end of the input, met while reading the part of the file
// named by what ("header", "audio"), into an A006 finding; other errors
// are I/O errors and pass through.
func ioErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The size we were given was wrong: the file shrank while we read it.
		return formatErr("A006", "truncated", "the file ended while its "+what+" was being read")
	}
	return err
}

func validChunkID(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func printable(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
	}
	return sb.String()
}

// describeMagic names what a file that is not a WAV probably is, so a speaker
// who uploaded an MP3 or a WebM recording is told so in plain words.
func describeMagic(b []byte) string {
	s := string(b)
	switch {
	case strings.HasPrefix(s, "ID3") || (len(b) >= 2 && b[0] == 0xff && b[1]&0xe0 == 0xe0):
		return "an MP3 header"
	case strings.HasPrefix(s, "OggS"):
		return "an Ogg header (Opus/Vorbis)"
	case len(b) >= 4 && b[0] == 0x1a && b[1] == 0x45 && b[2] == 0xdf && b[3] == 0xa3:
		return "a WebM/Matroska header"
	case strings.HasPrefix(s, "fLaC"):
		return "a FLAC header"
	case strings.HasPrefix(s, "FORM"):
		return "an AIFF header"
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return "an MP4/M4A header"
	}
	return fmt.Sprintf("%q", printable(b[:min(len(b), 4)]))
}

func guidString(g [16]byte) string {
	le := binary.LittleEndian
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", le.Uint32(g[0:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:10], g[10:16])
}
