package validate_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// clip returns a clean prompted clip: 1 s of noise, 3 s of speech at -18
// dBFS, 1 s of noise, noise at noiseDB.
func clip(seed uint64, noiseDB float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -18, wavtest.White, noiseDB)
	return mix
}

func check(t *testing.T, data []byte, opts validate.Options) *validate.Report {
	t.Helper()
	rep, err := validate.WAV(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("WAV: %v", err)
	}
	return rep
}

func rules(rep *validate.Report) string {
	var s []string
	for _, f := range rep.Findings {
		s = append(s, f.Rule+":"+string(f.Severity))
	}
	return strings.Join(s, " ")
}

func TestWAV_Rules(t *testing.T) {
	mono := wavtest.PCM16
	stereo := wavtest.Spec{SampleRate: 16000, Channels: 2, Bits: 16}
	tests := []struct {
		name string
		data func() []byte
		opts validate.Options
		want string // findings as rule:severity, in rule order
	}{
		{"clean low band", func() []byte { return wavtest.Encode(mono, clip(1, -65)) },
			validate.Options{Mode: validate.ModePrompted, Band: validate.BandLow}, ""},
		{"A002 float not allowed", func() []byte {
			return wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 32, Float: true}, clip(1, -65))
		}, validate.Options{}, "A002:error"},
		{"A003 44.1 kHz", func() []byte {
			rng := rand.New(rand.NewPCG(2, 2))
			mix, _ := wavtest.Clip(rng, 44100, 1, 3, 1, -18, wavtest.White, -65)
			return wavtest.Encode(wavtest.Spec{SampleRate: 44100, Channels: 1, Bits: 16}, mix)
		}, validate.Options{}, "A003:error"},
		{"A004 stereo prompted", func() []byte {
			a, b := clip(1, -65), clip(2, -65)
			return wavtest.Encode(stereo, wavtest.Interleave(a, b))
		}, validate.Options{Mode: validate.ModePrompted}, "A004:error"},
		{"A004 stereo dialogue ok", func() []byte {
			a, b := clip(1, -65), clip(2, -65)
			return wavtest.Encode(stereo, wavtest.Interleave(a, b))
		}, validate.Options{Mode: validate.ModeDialogue}, "A005:error"}, // 5 s is short for a dialogue
		{"A005 too short for prompted", func() []byte {
			rng := rand.New(rand.NewPCG(3, 3))
			mix, _ := wavtest.Clip(rng, 16000, 0.2, 0.5, 0.2, -18, wavtest.White, -65)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Mode: validate.ModePrompted}, "A005:error"},
		{"A007 clipping", func() []byte {
			x := clip(1, -65)
			for i := range x {
				x[i] *= 40 // -18 dBFS speech pushed far past full scale
			}
			return wavtest.Encode(mono, x)
		}, validate.Options{}, "A007:error"},
		{"A007 one run of 3 is a warning", func() []byte {
			x := clip(1, -65)
			x[30000], x[30001], x[30002] = 1, 1, 1
			return wavtest.Encode(mono, x)
		}, validate.Options{}, "A007:warning"},
		{"A008 DC offset", func() []byte {
			x := clip(1, -65)
			for i := range x {
				x[i] += 0.02
			}
			return wavtest.Encode(mono, x)
		}, validate.Options{}, "A008:warning"},
		{"A009 digital silence", func() []byte { return wavtest.Encode(mono, make([]float64, 16000*3)) },
			validate.Options{}, "A009:error"},
		{"A009 noise only", func() []byte {
			return wavtest.Encode(mono, wavtest.Noise(rand.New(rand.NewPCG(5, 5)), wavtest.Pink, 16000*3, 16000, -50))
		}, validate.Options{}, "A009:error"},
		{"A010 quiet speech", func() []byte {
			rng := rand.New(rand.NewPCG(6, 6))
			mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -46, wavtest.White, -80)
			return wavtest.Encode(mono, mix)
		}, validate.Options{}, "A010:warning"},
		{"A011 SNR below low band minimum", func() []byte {
			rng := rand.New(rand.NewPCG(7, 7))
			mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -40, wavtest.White, -58)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Band: validate.BandLow}, "A011:error"},
		{"A012 too noisy for low", func() []byte { return wavtest.Encode(mono, clip(1, -38)) },
			validate.Options{Band: validate.BandLow}, "A011:error A012:error"}, // the low band also wants 25 dB SNR
		{"A012 too quiet for high", func() []byte { return wavtest.Encode(mono, clip(1, -65)) },
			validate.Options{Band: validate.BandHigh}, "A012:error"},
		{"A012 medium fits medium", func() []byte { return wavtest.Encode(mono, clip(1, -48)) },
			validate.Options{Band: validate.BandMedium}, ""},
		{"A012 too noisy for any band", func() []byte {
			rng := rand.New(rand.NewPCG(8, 8))
			mix, _ := wavtest.Clip(rng, 16000, 1, 3, 1, -16, wavtest.White, -23)
			return wavtest.Encode(mono, mix)
		}, validate.Options{}, "A012:error"},
		{"A013 no leading silence", func() []byte {
			rng := rand.New(rand.NewPCG(9, 9))
			mix, _ := wavtest.Clip(rng, 16000, 0, 3, 1, -18, wavtest.White, -65)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Mode: validate.ModePrompted}, "A013:warning"},
		{"A013 trailing silence too long", func() []byte {
			rng := rand.New(rand.NewPCG(9, 9))
			mix, _ := wavtest.Clip(rng, 16000, 1, 3, 5, -18, wavtest.White, -65)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Mode: validate.ModePrompted}, "A013:warning"},
		{"A013 only in prompted mode", func() []byte {
			rng := rand.New(rand.NewPCG(9, 9))
			mix, _ := wavtest.Clip(rng, 16000, 1, 10, 5, -18, wavtest.White, -65)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Mode: validate.ModeMonologue}, ""},
		{"A014 dropout", func() []byte {
			x := clip(1, -65)
			for i := 36000; i < 36000+1600; i++ { // 100 ms of digital zero mid-speech
				x[i] = 0
			}
			return wavtest.Encode(mono, x)
		}, validate.Options{}, "A014:warning"},
		{"A015 fake stereo", func() []byte {
			a := clip(1, -65)
			return wavtest.Encode(stereo, wavtest.Interleave(a, a))
		}, validate.Options{Mode: validate.ModeDialogue, Config: &validate.Config{}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := check(t, tt.data(), tt.opts)
			if got := rules(rep); got != tt.want && tt.opts.Config == nil {
				t.Fatalf("findings %q, want %q\n%+v", got, tt.want, rep.Findings)
			}
			if rep.Pass != !strings.Contains(tt.want, "error") && tt.opts.Config == nil {
				t.Errorf("pass=%v with findings %q", rep.Pass, tt.want)
			}
			for _, f := range rep.Findings {
				if f.Message == "" || f.MessageZH == "" || f.Name == "" {
					t.Errorf("finding %s lacks a message, zh message or name: %+v", f.Rule, f)
				}
				if f.Rule != "A015" && f.Rule != "A002" && f.Measured == nil {
					t.Errorf("finding %s has no measured figure", f.Rule)
				}
			}
		})
	}
}

func TestWAV_FakeStereo(t *testing.T) {
	a := clip(1, -65)
	data := wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 2, Bits: 16}, wavtest.Interleave(a, a))
	rep := check(t, data, validate.Options{Mode: validate.ModeDialogue})
	f, ok := rep.Finding("A015")
	if !ok || f.Severity != validate.SeverityInfo {
		t.Fatalf("no A015 info for identical channels: %s", rules(rep))
	}
	b := clip(2, -65)
	rep = check(t, wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 2, Bits: 16}, wavtest.Interleave(a, b)), validate.Options{Mode: validate.ModeDialogue})
	if _, ok := rep.Finding("A015"); ok {
		t.Fatalf("A015 for different channels")
	}
	if n := len(rep.Measurements.Channels); n != 2 {
		t.Fatalf("channels measured: %d, want 2", n)
	}
}

// TestWAV_Encodings reads one signal in every encoding and format tag and
// expects the same figures from each.
func TestWAV_Encodings(t *testing.T) {
	x := clip(3, -60)
	ref := check(t, wavtest.Encode(wavtest.PCM16, x), validate.Options{}).Measurements
	all := validate.DefaultConfig()
	all.Encodings = []string{"pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64"}
	for _, s := range []wavtest.Spec{
		{Bits: 16}, {Bits: 24}, {Bits: 32}, {Bits: 32, Float: true}, {Bits: 64, Float: true},
		{Bits: 16, Extensible: true}, {Bits: 24, Extensible: true}, {Bits: 32, Float: true, Extensible: true},
	} {
		s.SampleRate, s.Channels = 16000, 1
		rep := check(t, wavtest.Encode(s, x), validate.Options{Config: &all})
		name := rep.Format.Name()
		if !rep.Pass {
			t.Errorf("%s (extensible=%v): %s", name, s.Extensible, rules(rep))
			continue
		}
		if rep.Format.Bits != s.Bits || rep.Format.Frames != int64(len(x)) {
			t.Errorf("%s: bits %d frames %d, want %d %d", name, rep.Format.Bits, rep.Format.Frames, s.Bits, len(x))
		}
		m := rep.Measurements
		if d := math.Abs(m.NoiseFloorDBFS - ref.NoiseFloorDBFS); d > 0.3 {
			t.Errorf("%s: noise floor %.2f, pcm16 %.2f", name, m.NoiseFloorDBFS, ref.NoiseFloorDBFS)
		}
		if d := math.Abs(m.SpeechLevelDBFS - ref.SpeechLevelDBFS); d > 0.2 {
			t.Errorf("%s: speech %.2f, pcm16 %.2f", name, m.SpeechLevelDBFS, ref.SpeechLevelDBFS)
		}
	}
	// 8-bit: quantisation noise at about -50 dBFS swamps a -60 dBFS floor;
	// the format must still read right.
	rep := check(t, wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 8}, x), validate.Options{Config: &all})
	if rep.Format.Name() != "pcm8" || math.Abs(rep.Measurements.SpeechLevelDBFS-ref.SpeechLevelDBFS) > 0.5 {
		t.Errorf("pcm8: %s speech %.2f, want %.2f", rep.Format.Name(), rep.Measurements.SpeechLevelDBFS, ref.SpeechLevelDBFS)
	}
}

// TestWAV_Measurements checks figures against signals whose values are known.
func TestWAV_Measurements(t *testing.T) {
	// A full-scale square wave is 0 dBFS; a full-scale sine -3.01 dBFS.
	sine := wavtest.Sine(16000*2, 16000, 440, 0.5)
	m := check(t, wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 32, Float: true}, sine), validate.Options{}).Measurements
	if want := 20*math.Log10(0.5) - 3.0103; math.Abs(m.RMSDBFS-want) > 0.05 {
		t.Errorf("sine RMS %.3f dBFS, want %.3f", m.RMSDBFS, want)
	}
	if want := 20 * math.Log10(0.5); math.Abs(m.PeakDBFS-want) > 0.01 {
		t.Errorf("sine peak %.3f dBFS, want %.3f", m.PeakDBFS, want)
	}
	// Leading and trailing silence: speech starts at 1.0 s, ends 1.0 s
	// before the end (the speech generator leaves a pause at its end).
	rng := rand.New(rand.NewPCG(4, 4))
	mix, _ := wavtest.Clip(rng, 16000, 1.0, 3, 1.0, -18, wavtest.White, -70)
	m = check(t, wavtest.Encode(wavtest.PCM16, mix), validate.Options{}).Measurements
	if m.LeadingSilenceS < 0.95 || m.LeadingSilenceS > 1.1 {
		t.Errorf("leading silence %.3f s, want about 1.0", m.LeadingSilenceS)
	}
	if m.TrailingSilenceS < 0.95 || m.TrailingSilenceS > 1.6 {
		t.Errorf("trailing silence %.3f s, want 0.95 to 1.6", m.TrailingSilenceS)
	}
	if m.ActiveS < 1.5 || m.ActiveS > 3 {
		t.Errorf("active %.2f s, want 1.5..3 of 3 s of syllables and pauses", m.ActiveS)
	}
	// Clipping counts: 10 clipped samples in runs of 1, 2, 3 and 4.
	x := make([]float64, 16000)
	copy(x, wavtest.Sine(16000, 16000, 200, 0.3))
	pos := 1000
	for _, run := range []int{1, 2, 3, 4} {
		for i := 0; i < run; i++ {
			x[pos+i] = -1
		}
		pos += 500
	}
	m = check(t, wavtest.Encode(wavtest.PCM16, x), validate.Options{}).Measurements
	if m.ClippedSamples != 10 || m.ClippedRuns != 3 || m.ClippedRuns3 != 2 || m.LongestClipRun != 4 {
		t.Errorf("clipped %d runs2 %d runs3 %d longest %d, want 10 3 2 4", m.ClippedSamples, m.ClippedRuns, m.ClippedRuns3, m.LongestClipRun)
	}
	// DC offset.
	for i := range x {
		x[i] = 0.25
	}
	m = check(t, wavtest.Encode(wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 64, Float: true}, x), validate.Options{}).Measurements
	if math.Abs(m.DCOffset-0.25) > 1e-9 {
		t.Errorf("dc offset %g, want 0.25", m.DCOffset)
	}
}

// TestWAV_Structure covers the structural cases of spec/reliability.md
// (W-01…W-21): each gets its rule and code, never a crash.
func TestWAV_Structure(t *testing.T) {
	good := wavtest.Encode(wavtest.PCM16, clip(1, -65))
	le := binary.LittleEndian
	mutate := func(f func(b []byte) []byte) func() []byte {
		return func() []byte { return f(bytes.Clone(good)) }
	}
	fmtWith := func(edit func(fmtBody []byte)) func() []byte {
		return mutate(func(b []byte) []byte { edit(b[20:36]); return b })
	}
	withChunk := func(id string, declared uint32, body []byte) func() []byte {
		return func() []byte {
			b := bytes.Clone(good[:36])
			b = append(b, id...)
			b = le.AppendUint32(b, declared)
			b = append(b, body...)
			b = append(b, good[36:]...)
			le.PutUint32(b[4:], uint32(len(b)-8))
			return b
		}
	}
	tests := []struct {
		name, rule, code string
		data             func() []byte
	}{
		{"W-01 empty", "A001", "empty", func() []byte { return nil }},
		{"W-02 header cut", "A001", "truncated_header", func() []byte { return good[:10] }},
		{"W-02 chunk header cut", "A001", "stray_bytes", mutate(func(b []byte) []byte {
			b = b[:40]
			le.PutUint32(b[4:], 32)
			return b
		})},
		{"W-03 RIFX", "A002", "unsupported_container", mutate(func(b []byte) []byte { copy(b, "RIFX"); return b })},
		{"W-03 AIFF", "A001", "not_wav", func() []byte { return []byte("FORM\x00\x00\x00\x04AIFF") }},
		{"W-03 MP3", "A001", "not_wav", func() []byte { return []byte("ID3\x04\x00\x00\x00\x00\x00\x00") }},
		{"W-03 Ogg", "A001", "not_wav", func() []byte { return []byte("OggS\x00\x02\x00\x00") }},
		{"W-03 WebM", "A001", "not_wav", func() []byte { return []byte{0x1a, 0x45, 0xdf, 0xa3, 1, 0, 0, 0} }},
		{"W-03 FLAC", "A001", "not_wav", func() []byte { return []byte("fLaC\x00\x00\x00\x22") }},
		{"W-04 RF64", "A002", "unsupported_container", mutate(func(b []byte) []byte { copy(b, "RF64"); return b })},
		{"W-05 AVI", "A001", "not_wav", mutate(func(b []byte) []byte { copy(b[8:], "AVI "); return b })},
		{"W-06 RIFF size past the end", "A006", "truncated", mutate(func(b []byte) []byte { le.PutUint32(b[4:], uint32(len(b)+1000)); return b })},
		{"W-06 data cut short", "A006", "truncated", func() []byte { return good[:len(good)/2] }},
		{"W-07 trailing bytes", "A001", "trailing_data", mutate(func(b []byte) []byte { return append(b, "<script>alert(1)</script>"...) })},
		{"W-08 no fmt", "A001", "data_before_fmt", mutate(func(b []byte) []byte { copy(b[12:], "junk"); return b })},
		{"W-08 no data", "A001", "no_data", func() []byte {
			b := bytes.Clone(good[:36])
			le.PutUint32(b[4:], 28)
			return b
		}},
		{"W-09 fmt size 0x32000010", "A001", "bad_fmt", mutate(func(b []byte) []byte { le.PutUint32(b[16:], 0x32000010); return b })},
		{"W-09 fmt size 12", "A001", "bad_fmt", mutate(func(b []byte) []byte {
			le.PutUint32(b[16:], 12)
			return b
		})},
		{"W-10 IMA ADPCM", "A002", "unsupported_codec", fmtWith(func(f []byte) { le.PutUint16(f, 0x11) })},
		{"W-10 MP3 tag", "A002", "unsupported_codec", fmtWith(func(f []byte) { le.PutUint16(f, 0x55) })},
		{"W-10 A-law", "A002", "unsupported_codec", fmtWith(func(f []byte) { le.PutUint16(f, 6) })},
		{"W-11 0 channels", "A001", "bad_fmt", fmtWith(func(f []byte) { le.PutUint16(f[2:], 0) })},
		{"W-11 65535 channels", "A002", "unsupported_channels", fmtWith(func(f []byte) {
			le.PutUint16(f[2:], 65535)
			le.PutUint16(f[12:], 65534)
		})},
		{"W-12 rate 0", "A001", "bad_fmt", fmtWith(func(f []byte) { le.PutUint32(f[4:], 0) })},
		{"W-12 rate 0xFFFFFFFF", "A001", "bad_fmt", fmtWith(func(f []byte) { le.PutUint32(f[4:], 0xFFFFFFFF) })},
		{"W-13 12 bits", "A002", "unsupported_bits", fmtWith(func(f []byte) { le.PutUint16(f[14:], 12) })},
		{"W-13 0 bits", "A002", "unsupported_bits", fmtWith(func(f []byte) { le.PutUint16(f[14:], 0) })},
		{"W-14 block align", "A001", "bad_fmt", fmtWith(func(f []byte) { le.PutUint16(f[12:], 4) })},
		{"W-14 byte rate", "A001", "bad_fmt", fmtWith(func(f []byte) { le.PutUint32(f[8:], 1234) })},
		{"W-15 partial frame", "A001", "partial_frame", mutate(func(b []byte) []byte {
			le.PutUint32(b[40:], le.Uint32(b[40:])-1)
			b = b[:len(b)-1]
			le.PutUint32(b[4:], uint32(len(b)-8+1)) // the odd data chunk's pad byte is missing too
			return b
		})},
		{"W-16 data size 0xFFFFFFFF", "A006", "truncated", mutate(func(b []byte) []byte {
			le.PutUint32(b[40:], 0xFFFFFFFF)
			return b
		})},
		{"W-17 duplicate fmt", "A001", "duplicate_fmt", withChunk("fmt ", 16, good[20:36])},
		{"W-18 LIST declaring 1 GiB", "A001", "bad_chunk", withChunk("LIST", 1<<30, []byte("INFO"))},
		{"W-20 chunk size 0xFFFFFFF0", "A001", "bad_chunk", withChunk("junk", 0xFFFFFFF0, nil)},
		{"W-21 chunk bomb", "A001", "too_many_chunks", func() []byte {
			b := bytes.Clone(good[:36])
			for range 100_000 {
				b = append(b, "JUNK\x00\x00\x00\x00"...)
			}
			b = append(b, good[36:]...)
			le.PutUint32(b[4:], uint32(len(b)-8))
			return b
		}},
		{"bad chunk id (missing pad byte)", "A001", "bad_chunk", withChunk("\x00\x01ab", 4, []byte("xxxx"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data()
			rep := check(t, data, validate.Options{})
			if rep.Pass {
				t.Fatalf("pass=true, want %s %s", tt.rule, tt.code)
			}
			f, ok := rep.Finding(tt.rule)
			if !ok || f.Code != tt.code || f.Severity != validate.SeverityError {
				t.Fatalf("findings %+v, want %s error with code %s", rep.Findings, tt.rule, tt.code)
			}
			if f.Message == "" || f.MessageZH == "" {
				t.Errorf("message %q / %q", f.Message, f.MessageZH)
			}
		})
	}
}

// TestWAV_UnknownChunks: odd-sized chunks with their pad byte and unknown
// chunks before and after the data are skipped, never fatal.
func TestWAV_UnknownChunks(t *testing.T) {
	f := wavtest.File{Spec: wavtest.PCM16, Samples: clip(1, -65),
		Before: []wavtest.Chunk{{ID: "LIST", Data: []byte("INFOISFT\x05\x00\x00\x00odd!\x00")}, {ID: "bext", Data: make([]byte, 602)}, {ID: "odd ", Data: []byte{1, 2, 3}}},
		After:  []wavtest.Chunk{{ID: "id3 ", Data: []byte("ID3 tag")}, {ID: "JUNK", Data: make([]byte, 13)}},
	}
	rep := check(t, f.Bytes(), validate.Options{})
	if !rep.Pass || len(rep.Chunks) != 7 {
		t.Fatalf("pass=%v chunks=%d findings=%s", rep.Pass, len(rep.Chunks), rules(rep))
	}
}

// TestWAV_Truncated measures what is present of a cut file.
func TestWAV_Truncated(t *testing.T) {
	good := wavtest.Encode(wavtest.PCM16, clip(1, -65))
	cut := good[:44+16000*2*3+1] // 3 s and half a sample
	rep := check(t, cut, validate.Options{})
	f, ok := rep.Finding("A006")
	if !ok || rep.Pass {
		t.Fatalf("no A006: %s", rules(rep))
	}
	if rep.Format.Frames != 48000 || *f.Measured != 3 {
		t.Errorf("frames %d measured %v, want 48000 and 3 s", rep.Format.Frames, *f.Measured)
	}
	if rep.Measurements == nil || rep.Measurements.ActiveS < 1 {
		t.Errorf("the present audio was not measured: %+v", rep.Measurements)
	}
}

// TestWAV_Config: every threshold comes from the config.
func TestWAV_Config(t *testing.T) {
	cfg := validate.DefaultConfig()
	data := wavtest.Encode(wavtest.PCM16, clip(1, -38))
	if rep := check(t, data, validate.Options{Band: validate.BandLow, Config: &cfg}); rep.Pass {
		t.Fatal("default config passed a -38 dBFS floor as low")
	}
	cfg.Low.MaxNoiseDBFS = -30
	cfg.Medium.MinNoiseDBFS = -30
	cfg.Low.MinSNRDB = 10
	if rep := check(t, data, validate.Options{Band: validate.BandLow, Config: &cfg}); !rep.Pass {
		t.Fatalf("raised low band still fails: %s", rules(rep))
	}
	cfg = validate.DefaultConfig()
	cfg.Disabled = []string{"A008"}
	x := clip(1, -65)
	for i := range x {
		x[i] += 0.02
	}
	if rep := check(t, wavtest.Encode(wavtest.PCM16, x), validate.Options{Config: &cfg}); len(rep.Findings) != 0 {
		t.Fatalf("disabled A008 still reported: %s", rules(rep))
	}
	bad := validate.DefaultConfig()
	bad.Encodings = []string{"mp3"}
	if err := bad.Validate(); err == nil {
		t.Fatal("config with encoding mp3 validated")
	}
}
