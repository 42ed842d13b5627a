package wavtest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// WriteClips writes n prompted-style clips of the given length (16 kHz mono
// 16-bit: noise, speech, noise) into dir as clip-00000.wav…, cycling through
// a few distinct recordings so that writing a thousand stays fast. It returns
// the paths and the total number of bytes.
func WriteClips(dir string, n int, seconds float64) ([]string, int64, error) {
	const distinct = 8
	var bodies [][]byte
	for i := range min(n, distinct) {
		rng := rand.New(rand.NewPCG(uint64(i), 99))
		lead := 0.5 + 0.1*float64(i%4)
		mix, _ := Clip(rng, 16000, lead, seconds-lead-0.7, 0.7, -20+float64(i%3), []string{White, Pink, Brown}[i%3], -62+float64(i))
		bodies = append(bodies, Encode(PCM16, mix))
	}
	var paths []string
	var total int64
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("clip-%05d.wav", i))
		b := bodies[i%len(bodies)]
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, 0, err
		}
		paths = append(paths, p)
		total += int64(len(b))
	}
	return paths, total, nil
}

// WriteLong writes a long recording of the given length and encoding to
// path, streaming: a 10-second stretch of speech over noise is synthesised
// once per channel and repeated, so a 3-hour file costs seconds and little
// memory.
func WriteLong(path string, s Spec, seconds float64) (int64, error) {
	const stretch = 10.0
	var chans [][]float64
	for c := range s.Channels {
		rng := rand.New(rand.NewPCG(uint64(c), 7))
		mix, _ := Clip(rng, s.SampleRate, 1, stretch-2, 1, -20, Pink, -58)
		chans = append(chans, mix)
	}
	block := EncodeSamples(s, Interleave(chans...))
	frames := int64(seconds * float64(s.SampleRate))
	dataSize := frames * int64(s.Channels*s.Bits/8)
	if dataSize+36+int64(len(FmtChunk(s)))-16 > 0xFFFFFFFF {
		return 0, fmt.Errorf("%s: %d bytes do not fit a RIFF file", path, dataSize)
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	// For the early returns, which report their own error; the end of the
	// function checks Close (a second Close only returns os.ErrClosed).
	defer func() { _ = f.Close() }()
	fmtBody := FmtChunk(s)
	var hdr []byte
	hdr = append(hdr, "RIFF"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(4+8+len(fmtBody)+8+int(dataSize)))
	hdr = append(hdr, "WAVEfmt "...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(len(fmtBody)))
	hdr = append(hdr, fmtBody...)
	hdr = append(hdr, "data"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(dataSize))
	if _, err := f.Write(hdr); err != nil {
		return 0, err
	}
	left := dataSize
	for left > 0 {
		n := min(left, int64(len(block)))
		if _, err := f.Write(block[:n]); err != nil {
			return 0, err
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return int64(len(hdr)) + dataSize, nil
}
