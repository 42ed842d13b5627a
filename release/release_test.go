package release_test

import (
	"archive/tar"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/release"
	"github.com/dialect-corpus/dialect/release/releasetest"
	"github.com/dialect-corpus/dialect/transcript"
)

// memSource is a release held in memory.
type memSource struct {
	utts  []release.Utterance
	audio map[string][]byte
}

func (m *memSource) Each(ctx context.Context, fn func(release.Utterance) error) error {
	for _, u := range m.utts {
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

func (m *memSource) Open(ctx context.Context, u *release.Utterance) (io.ReadCloser, error) {
	b, ok := m.audio[u.ClipID]
	if !ok {
		return nil, errors.New("no audio")
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m *memSource) add(speaker, transcript, region string, audio []byte) {
	id := fmt.Sprintf("%032x", len(m.utts)*7919+1)
	h := sha256.Sum256(audio)
	m.utts = append(m.utts, release.Utterance{ClipID: id, Speaker: speaker, Transcript: transcript, DurationS: float64(len(audio)) / 32000,
		SampleRate: 16000, Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: []string{"low", "medium", "high"}[len(m.utts)%3],
		DialectRegion: region, AgeBand: "30-39", Gender: "female", SHA256: hex.EncodeToString(h[:]), Bytes: int64(len(audio))})
	if m.audio == nil {
		m.audio = map[string][]byte{}
	}
	m.audio[id] = audio
}

func testMeta() *release.Meta {
	return &release.Meta{ReleaseID: 7, Number: 2, Project: "Tâi-lâm | <b>2026</b>", Dialect: "nan-TW",
		CreatedAt: time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.UTC), ConsentVersion: 2,
		ManifestSHA256: strings.Repeat("ab", 32),
		Validation:     release.Validation{CheckConfig: []byte(`{"sample_rates":[16000]}`), CheckOverrides: []byte(`{"low":{"min_snr_db":30}}`)}}
}

func sampleSource() *memSource {
	m := &memSource{}
	m.add("s0a1b2c3d4e5f6a7b", "阮兜佇台南。", "臺南 Tainan", []byte("RIFF-one"))
	m.add("s0a1b2c3d4e5f6a7b", "=HYPERLINK(\"http://x\")", "臺南 Tainan", []byte("RIFF-two-two"))
	m.add("s99ffee0011223344", "line one\nline\ttwo\r", "", []byte("RIFF-three"))
	m.add("s12", "", "@宜蘭", []byte("RIFF-four!"))
	m.add("s12", "+1 -2", "-", []byte{})
	return m
}

func write(t testing.TB, f release.Format, m *release.Meta, src release.Source) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := release.Write(context.Background(), &b, f, m, src)
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	if n != int64(b.Len()) {
		t.Fatalf("%s: Write said %d bytes, wrote %d", f, n, b.Len())
	}
	return b.Bytes()
}

func TestWrite(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	src := sampleSource()
	for _, f := range release.Formats() {
		t.Run(string(f), func(t *testing.T) {
			b := write(t, f, testMeta(), src)
			a, err := releasetest.Verify(bytes.NewReader(b), string(f))
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Audio) != len(src.utts) {
				t.Fatalf("audio files = %d, want %d", len(a.Audio), len(src.utts))
			}
			for _, u := range src.utts {
				if got := a.Audio[u.Speaker+"-"+u.ClipID]; !bytes.Equal(got, src.audio[u.ClipID]) {
					t.Errorf("audio of %s differs", u.ClipID)
				}
			}
			if want := time.Date(2026, 3, 1, 12, 30, 45, 0, time.UTC); !a.ModTime.Equal(want) {
				t.Errorf("mtime = %v, want %v", a.ModTime, want)
			}
			if again := write(t, f, testMeta(), src); !bytes.Equal(b, again) {
				t.Error("two writes differ")
			}
			readme := string(a.Files["README.md"])
			for _, want := range []string{"release 2", "Dialect region", "Noise band", "Gender", "Age band", "consent version | 2",
				"HMAC-SHA-256", "A011", "min_snr_db", "&lt;b&gt;"} {
				if !strings.Contains(readme, want) {
					t.Errorf("README.md lacks %q", want)
				}
			}
		})
	}
}

// TestWriteOrderIndependent: the source's order does not change a byte.
func TestWriteOrderIndependent(t *testing.T) {
	src := sampleSource()
	want := write(t, release.Kaldi, testMeta(), src)
	rev := &memSource{audio: src.audio}
	for i := len(src.utts) - 1; i >= 0; i-- {
		rev.utts = append(rev.utts, src.utts[i])
	}
	if got := write(t, release.Kaldi, testMeta(), rev); !bytes.Equal(got, want) {
		t.Fatal("reversed source gives other bytes")
	}
}

func TestWriteRefuses(t *testing.T) {
	for name, mut := range map[string]func(*memSource){
		"speaker with a slash": func(m *memSource) { m.utts[0].Speaker = "../etc" },
		"upper-case clip id":   func(m *memSource) { m.utts[0].ClipID = "ABCDEF" + m.utts[0].ClipID[6:] },
		"audio changed": func(m *memSource) {
			m.audio[m.utts[1].ClipID] = []byte("RIFF-tampered")
		},
		"audio longer": func(m *memSource) {
			m.audio[m.utts[0].ClipID] = append(append([]byte(nil), m.audio[m.utts[0].ClipID]...), 'x')
		},
		"same utterance twice": func(m *memSource) { m.utts = append(m.utts, m.utts[0]) },
	} {
		t.Run(name, func(t *testing.T) {
			src := sampleSource()
			mut(src)
			_, err := release.Write(context.Background(), io.Discard, release.Kaldi, testMeta(), src)
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, err := release.Write(context.Background(), io.Discard, "zip", testMeta(), sampleSource()); err == nil {
		t.Fatal("unknown format accepted")
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1":         "'=1+1",
		"+886":         "'+886",
		"-2":           "'-2",
		"@SUM(A1)":     "'@SUM(A1)",
		"\t=cmd":       "'=cmd",
		"\r\n@x":       "'@x",
		"a\tb\nc":      "a b c",
		"臺南":           "臺南",
		"  spaced  ":   "spaced",
		"a\u2028b":     "a b",
		"bad\xffutf-8": "bad utf-8",
		"":             "",
	} {
		if got := release.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzArchiveManifest (reliability.md Z-06): whatever the transcripts and
// profile text, every entry name is local and no CSV/TSV cell starts with
// = + - @ unescaped; with segments, the Kaldi directory stays valid; in the
// layout with splits too (bit 8 of fmtIdx).
func FuzzArchiveManifest(f *testing.F) {
	f.Add("=cmd|' /C calc'!A0", "@SUM(1+1)", "+886", "-", uint8(0))
	f.Add("../../etc/passwd", "\t=x", "\r\n", "a,b\"c", uint8(1))
	f.Add("臺語\u2028句", "<script>", "|", "`", uint8(2))
	f.Add("\x00\xff", " =1", "\u00a0+1", "", uint8(3))
	f.Add("我是台南人。\nGuá, tsin hó.", "臺南市", "30_39", "male", uint8(8|4|3))
	f.Add("a,\"b\"\n=c", "'", "70_plus", "female", uint8(8|1))
	f.Fuzz(func(t *testing.T, transcript, region, age, gender string, fmtIdx uint8) {
		src := &memSource{}
		src.add("s1", transcript, region, []byte("RIFF"))
		src.add("s2", region, transcript, []byte("RIFF2"))
		src.utts[0].AgeBand, src.utts[0].Gender = age, gender
		src.utts[1].AgeBand, src.utts[1].Gender, src.utts[1].NoiseBand, src.utts[1].Mode = gender, age, transcript, region
		if fmtIdx&4 != 0 { // a transcribed recording: its text in the TextGrid and SRT too
			src.utts[0].Segments = []release.Segment{{Start: 0, End: 1, Text: transcript}, {Start: 0.5, End: 2, Text: region}}
		}
		f := release.Formats()[int(fmtIdx)%len(release.Formats())]
		m := testMeta()
		m.Project, m.Dialect = transcript, gender
		if fmtIdx&8 != 0 { // the layout with splits (issue 10)
			m.Layout, m.Slug, m.License, m.Terms = release.LayoutSplits, "p", region, age
		}
		var b bytes.Buffer
		if _, err := release.Write(context.Background(), &b, f, m, src); err != nil {
			t.Fatal(err)
		}
		if _, err := releasetest.Verify(&b, string(f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	})
}

// segmentedSource is sampleSource with three transcribed recordings: a
// mono monologue (one segment running 5 ms past the end, one shorter than
// a millisecond), a dialogue with both channels transcribed and speech
// overlapping across them, and a dialogue with only its first channel
// transcribed. The clips of sampleSource, shorter than a millisecond but
// the first, become whole-file segments of one millisecond.
func segmentedSource() *memSource {
	m := sampleSource()
	m.utts[0].DurationS = 2.5 // the others are shorter than a millisecond
	add := func(speaker, mode string, channels int, dur float64, audio string, segs []release.Segment) {
		m.add(speaker, "", "臺南 Tainan", []byte(audio))
		u := &m.utts[len(m.utts)-1]
		u.Mode, u.Channels, u.DurationS, u.Segments = mode, channels, dur, segs
		var texts []string
		for _, s := range segs {
			texts = append(texts, s.Text)
		}
		u.Transcript = strings.Join(texts, "\n")
	}
	add("s0a1b2c3d4e5f6a7b", "monologue", 1, 12, "RIFF-monologue", []release.Segment{
		{Start: 6, End: 12.005, Text: "轉去--矣。"}, {Start: 1, End: 5.5, Text: "今仔日天氣真好。"}, {Start: 5.5, End: 5.5004, Text: "好。"}})
	add("s12", "dialogue", 2, 8, "RIFF-dialogue-both", []release.Segment{
		{Start: 0.5, End: 3, Channel: 0, Text: "你食飽未？"}, {Start: 2.5, End: 4, Channel: 1, Text: "食飽矣。"},
		{Start: 4.5, End: 7.25, Channel: 0, Text: "Guá tsin huann-hí."}})
	add("s99ffee0011223344", "dialogue", 2, 6, "RIFF-dialogue-one", []release.Segment{
		{Start: 1, End: 2, Channel: 0, Text: "阿媽欲去市場買菜。"}})
	return m
}

// TestWriteSegments (issue 7 item 6): a release with transcribed recordings
// has, in every format, a TextGrid and an SRT file per transcribed
// recording that dialect lint's reader takes back with no finding and the
// same texts; the Kaldi directory has `segments`, is keyed by segment and
// passes validate_data_dir.sh's rules; a release without any keeps its
// layout.
func TestWriteSegments(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	src := segmentedSource()
	var transcribed []release.Utterance
	for _, u := range src.utts {
		if len(u.Segments) > 0 {
			transcribed = append(transcribed, u)
		}
	}
	// Every utterance with more than one character is a T014 finding:
	// the texts the reader saw, in file order.
	echo := transcript.DefaultConfig()
	echo.MaxLength = 1
	for _, f := range release.Formats() {
		t.Run(string(f), func(t *testing.T) {
			b := write(t, f, testMeta(), src)
			a, err := releasetest.Verify(bytes.NewReader(b), string(f))
			if err != nil {
				t.Fatal(err)
			}
			if again := write(t, f, testMeta(), src); !bytes.Equal(b, again) {
				t.Fatal("two writes differ")
			}
			var grids int
			for _, name := range a.Names {
				if strings.HasPrefix(name, "textgrid/") && name != "textgrid/" {
					grids++
				}
			}
			if grids != len(transcribed) {
				t.Fatalf("%d TextGrid files, want %d: %q", grids, len(transcribed), a.Names)
			}
			for _, u := range transcribed {
				tg, srt := a.Files["textgrid/"+u.ID()+".TextGrid"], a.Files["srt/"+u.ID()+".srt"]
				if tg == nil || srt == nil {
					t.Fatalf("%s: no TextGrid or SRT", u.ID())
				}
				for format, data := range map[transcript.Format][]byte{transcript.TextGrid: tg, transcript.SRT: srt} {
					if _, rules := lint(t, data, format, transcript.DefaultConfig()); len(rules) > 0 {
						t.Errorf("%s %s: findings %v", u.ID(), format, rules)
					}
				}
				gotTG, _ := lint(t, tg, transcript.TextGrid, echo)
				if want := textsBy(u.Segments, true); !slices.Equal(gotTG, want) {
					t.Errorf("%s TextGrid texts %q, want %q", u.ID(), gotTG, want)
				}
				gotSRT, _ := lint(t, srt, transcript.SRT, echo)
				if want := textsBy(u.Segments, false); !slices.Equal(gotSRT, want) {
					t.Errorf("%s SRT texts %q, want %q", u.ID(), gotSRT, want)
				}
			}
			readme := string(a.Files["README.md"])
			if !strings.Contains(readme, "textgrid/<utt>.TextGrid") || strings.Contains(readme, "directory is segmented") != (f == release.Kaldi) {
				t.Errorf("README.md does not describe the segment files:\n%s", readme)
			}
			if f != release.Kaldi {
				if _, ok := a.Files["segments"]; ok {
					t.Error("segments outside the Kaldi archive")
				}
				return
			}
			mono, both, one := transcribed[0].ID(), transcribed[1].ID(), transcribed[2].ID()
			segs := string(a.Files["segments"])
			for _, want := range []string{
				mono + "-1-00001 " + mono + " 1.000 5.500\n" + mono + "-1-00002 " + mono + " 5.500 5.501\n" + mono + "-1-00003 " + mono + " 6.000 12.000\n",
				both + "-1-00001 " + both + "-1 0.500 3.000\n" + both + "-1-00002 " + both + "-1 4.500 7.250\n" + both + "-2-00001 " + both + "-2 2.500 4.000\n",
				one + "-1-00001 " + one + "-1 1.000 2.000\n",
			} {
				if !strings.Contains(segs, want) {
					t.Errorf("segments lacks\n%s\nin\n%s", want, segs)
				}
			}
			prompted := src.utts[0].ID()
			if !strings.Contains(segs, fmt.Sprintf("%s %s 0.000 2.500\n", prompted, prompted)) {
				t.Errorf("no whole-file segment for %s in\n%s", prompted, segs)
			}
			text, scp := string(a.Files["text"]), string(a.Files["wav.scp"])
			for _, want := range []string{mono + "-1-00001 今仔日天氣真好。\n", both + "-2-00001 食飽矣。\n", prompted + " 阮兜佇台南。\n"} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			for _, want := range []string{both + "-1 sox wav/" + both + ".wav -t wav - remix 1 |\n", both + "-2 sox wav/" + both + ".wav -t wav - remix 2 |\n",
				one + "-1 sox wav/" + one + ".wav -t wav - remix 1 |\n", mono + " wav/" + mono + ".wav\n"} {
				if !strings.Contains(scp, want) {
					t.Errorf("wav.scp lacks %q", want)
				}
			}
			if strings.Contains(scp, one+"-2 ") || strings.Contains(scp, both+" ") {
				t.Errorf("wav.scp names a recording no segment uses:\n%s", scp)
			}
		})
	}

	// Without transcribed recordings, nothing of this is in the archive.
	a, err := releasetest.Verify(bytes.NewReader(write(t, release.Kaldi, testMeta(), sampleSource())), "kaldi")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range a.Names {
		if name == "segments" || name == "reco2dur" || strings.HasPrefix(name, "textgrid/") || strings.HasPrefix(name, "srt/") {
			t.Errorf("unsegmented release has %s", name)
		}
	}
}

// textsBy is the segments' texts by channel then time (TextGrid tiers), or
// by time then channel (SRT cues).
func textsBy(segs []release.Segment, byChannel bool) []string {
	s := slices.Clone(segs)
	slices.SortStableFunc(s, func(a, b release.Segment) int {
		if byChannel && a.Channel != b.Channel {
			return a.Channel - b.Channel
		}
		if a.Start != b.Start {
			return cmp.Compare(a.Start, b.Start)
		}
		return a.Channel - b.Channel
	})
	var out []string
	for _, x := range s {
		out = append(out, x.Text)
	}
	return out
}

// TestVerifySegmentRules: releasetest.Verify refuses a segmented Kaldi
// directory that breaks a rule of validate_data_dir.sh.
func TestVerifySegmentRules(t *testing.T) {
	src := segmentedSource()
	good := write(t, release.Kaldi, testMeta(), src)
	mono := src.utts[len(src.utts)-3].ID()
	both := src.utts[len(src.utts)-2].ID()
	swapLines := func(b []byte) []byte {
		l := strings.SplitAfter(string(b), "\n")
		l[0], l[1] = l[1], l[0]
		return []byte(strings.Join(l, ""))
	}
	for name, c := range map[string]struct {
		file string
		edit func([]byte) []byte
	}{
		"segments unsorted": {"segments", swapLines},
		"segment past the end": {"segments", func(b []byte) []byte {
			return bytes.Replace(b, []byte(" 6.000 12.000\n"), []byte(" 6.000 12.005\n"), 1)
		}},
		"start not before end": {"segments", func(b []byte) []byte {
			return bytes.Replace(b, []byte(" 1.000 5.500\n"), []byte(" 5.500 5.500\n"), 1)
		}},
		"recording not in wav.scp": {"wav.scp", func(b []byte) []byte {
			return bytes.Replace(b, []byte(both+"-2 sox wav/"+both+".wav -t wav - remix 2 |\n"), nil, 1)
		}},
		"recording no segment uses": {"wav.scp", func(b []byte) []byte {
			return bytes.Replace(b, []byte(both+"-1 sox"), []byte(both+" wav/"+both+".wav\n"+both+"-1 sox"), 1)
		}},
		"utterance not in text": {"text", func(b []byte) []byte {
			return bytes.Replace(b, []byte(mono+"-1-00002 好。\n"), nil, 1)
		}},
		"utt2spk not keyed by segment": {"utt2spk", func(b []byte) []byte {
			return bytes.Replace(b, []byte(mono+"-1-00001 "), []byte(mono+"-1-00000 "), 1)
		}},
		"spk2utt inconsistent": {"spk2utt", func(b []byte) []byte {
			return bytes.Replace(b, []byte(" "+mono+"-1-00003"), nil, 1)
		}},
		"no reco2dur":          {"reco2dur", nil},
		"SRT without TextGrid": {"textgrid/" + mono + ".TextGrid", nil},
	} {
		t.Run(name, func(t *testing.T) {
			bad := rewriteArchive(t, good, c.file, c.edit)
			_, err := releasetest.Verify(bytes.NewReader(bad), "kaldi")
			if err == nil {
				t.Fatal("Verify accepted it")
			}
			t.Log(err)
		})
	}
	if _, err := releasetest.Verify(bytes.NewReader(rewriteArchive(t, good, "README.md", func(b []byte) []byte { return b })), "kaldi"); err != nil {
		t.Fatalf("rewriteArchive itself breaks the archive: %v", err)
	}
}

// rewriteArchive re-tars archive with file passed through edit (or left
// out, when edit is nil) and SHA256SUMS made right again.
func rewriteArchive(t *testing.T, archive []byte, file string, edit func([]byte) []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	type ent struct {
		h    *tar.Header
		data []byte
	}
	var ents []ent
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Name == file {
			if edit == nil {
				continue
			}
			data = edit(data)
		}
		ents = append(ents, ent{h, data})
	}
	var sums strings.Builder
	for _, e := range ents {
		if e.h.Typeflag == tar.TypeReg && e.h.Name != "SHA256SUMS" {
			h := sha256.Sum256(e.data)
			fmt.Fprintf(&sums, "%x  %s\n", h, e.h.Name)
		}
	}
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, e := range ents {
		if e.h.Name == "SHA256SUMS" {
			e.data = []byte(sums.String())
		}
		e.h.Size = int64(len(e.data))
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write(e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
