package release_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/release"
	"github.com/dialect-corpus/dialect/release/releasetest"
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
// = + - @ unescaped.
func FuzzArchiveManifest(f *testing.F) {
	f.Add("=cmd|' /C calc'!A0", "@SUM(1+1)", "+886", "-", uint8(0))
	f.Add("../../etc/passwd", "\t=x", "\r\n", "a,b\"c", uint8(1))
	f.Add("臺語\u2028句", "<script>", "|", "`", uint8(2))
	f.Add("\x00\xff", " =1", "\u00a0+1", "", uint8(3))
	f.Fuzz(func(t *testing.T, transcript, region, age, gender string, fmtIdx uint8) {
		src := &memSource{}
		src.add("s1", transcript, region, []byte("RIFF"))
		src.add("s2", region, transcript, []byte("RIFF2"))
		src.utts[0].AgeBand, src.utts[0].Gender = age, gender
		src.utts[1].AgeBand, src.utts[1].Gender, src.utts[1].NoiseBand, src.utts[1].Mode = gender, age, transcript, region
		f := release.Formats()[int(fmtIdx)%len(release.Formats())]
		m := testMeta()
		m.Project, m.Dialect = transcript, gender
		var b bytes.Buffer
		if _, err := release.Write(context.Background(), &b, f, m, src); err != nil {
			t.Fatal(err)
		}
		if _, err := releasetest.Verify(&b, string(f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	})
}
