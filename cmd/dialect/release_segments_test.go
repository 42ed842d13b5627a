package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// realWAV is a real RIFF/WAVE file: 16 kHz mono 16-bit PCM, secs seconds of
// a tone at hz.
func realWAV(secs float64, hz float64) []byte {
	n := int(secs * 16000)
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, []any{uint32(16), uint16(1), uint16(1), uint32(16000), uint32(32000), uint16(2), uint16(16)})
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(2*n))
	for i := range n {
		_ = binary.Write(&b, binary.LittleEndian, int16(8000*math.Sin(2*math.Pi*hz*float64(i)/16000)))
	}
	return b.Bytes()
}

// extract unpacks a tar file into a new directory through an os.Root (no
// name in the archive can write outside it) and returns the directory.
func extract(t *testing.T, file string) string {
	t.Helper()
	x := t.TempDir()
	root, err := os.OpenRoot(x)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }() // a directory handle; the files are written and closed by WriteFile
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return x
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.FromSlash(h.Name)
		if h.Typeflag == tar.TypeDir {
			if err := root.MkdirAll(name, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := root.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// textBearing lists the files of an extracted export that carry
// transcripts, by format: the Kaldi split directories' text, the
// audiofolder splits' metadata.csv, the NeMo split manifests, the Common
// Voice TSVs, and the TextGrid and SRT files.
func textBearing(t *testing.T, top string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(top, p)
		base := d.Name()
		switch {
		case base == "text", base == "metadata.csv", strings.HasSuffix(base, "_manifest.json"),
			strings.HasSuffix(base, ".TextGrid"), strings.HasSuffix(base, ".srt"),
			slices.Contains([]string{"validated.tsv", "train.tsv", "dev.tsv", "test.tsv", "invalidated.tsv", "other.tsv"}, rel):
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportSegmentsLint (issue 7 item 6, issue 10): in every format, the
// export of a release with transcribed monologues (Han, romanized, mixed)
// and a multi-line transcript unpacks into one folder
// dialect-<project>-r<release>-<format>/, and every text-bearing file in it
// passes `dialect lint --strict` as it is: the Kaldi data/<split>/text
// files, the Hugging Face <split>/metadata.csv (a CSV, its transcription
// column), the NeMo <split>_manifest.json, the Common Voice TSVs, the
// TextGrid and SRT files. A 、 slipped into any one of them is found there:
// lint really reads each file.
func TestExportSegmentsLint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	seedAccepted(t, dir, 2)
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.ProjectBySlug(ctx, "tainan")
	if err != nil {
		t.Fatal(err)
	}
	rv, err := db.UserByUsername(ctx, "reviewer")
	if err != nil {
		t.Fatal(err)
	}
	// Several speakers, so that (their pseudonyms being random) the
	// release most likely spans more than one split.
	for i := range 6 {
		sp := &corpus.User{Username: fmt.Sprint("speaker-", i), Role: corpus.RoleSpeaker, ProjectID: p.ID, ConsentVersion: 1,
			DialectRegion: "臺南市", AgeBand: "30_39", Gender: []string{"female", "male", "other"}[i%3]}
		if err := db.CreateUser(ctx, sp); err != nil {
			t.Fatal(err)
		}
		commit := func(c *corpus.Clip, audio []byte) {
			t.Helper()
			u, err := db.NewUpload()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := u.Write(audio); err != nil {
				t.Fatal(err)
			}
			if err := db.CommitClip(ctx, c, u); err != nil {
				t.Fatal(err)
			}
		}
		mono := &corpus.Clip{ProjectID: p.ID, SpeakerID: sp.ID, ClientClipID: fmt.Sprint("mono-", i), DurationS: 30, SampleRate: 16000,
			Channels: 1, Bits: 16, Mode: "monologue", NoiseBand: "low"}
		commit(mono, realWAV(30, 200+float64(i)))
		segs := []corpus.Segment{{Start: 1, End: 9.5, Text: "我是台南人。"}, {Start: 10, End: 18.25, Text: "阮兜佇台南，真歡喜。"},
			{Start: 20, End: 29, Text: "Guá tsin huann-hí."}}
		if i%2 == 1 {
			segs = []corpus.Segment{{Start: 1, End: 9, Text: "Guá tsin hó."}, {Start: 10, End: 19, Text: "Lí hó bô?"}}
		}
		var texts []string
		for _, s := range segs {
			texts = append(texts, s.Text)
		}
		if err := db.SubmitTranscription(ctx, &corpus.Transcription{ClipID: mono.ID, AuthorID: sp.ID, Segments: segs,
			Text: strings.Join(texts, "\n")}); err != nil {
			t.Fatal(err)
		}
		lines := &corpus.Clip{ProjectID: p.ID, SpeakerID: sp.ID, ClientClipID: fmt.Sprint("lines-", i), DurationS: 12, SampleRate: 16000,
			Channels: 1, Bits: 16, Mode: "monologue", NoiseBand: "medium", Transcript: "今仔日天氣真好。\n阮欲去公園。"}
		commit(lines, realWAV(12, 300+float64(i)))
		for _, c := range []*corpus.Clip{mono, lines} {
			if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: c.ID, AuthorID: rv.ID, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCmd(t, "release", "create", "--project", "tainan", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("release create: %d %s", code, errs)
	}
	id, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), format+".tar")
			if code, _, errs := runCmd(t, "export", "--release", fmt.Sprint(id), "--format", format, "--out", file, "--data-dir", dir); code != 0 {
				t.Fatalf("export: %d %s", code, errs)
			}
			x := extract(t, file)
			ents, err := os.ReadDir(x)
			if want := "dialect-tainan-r1-" + format; err != nil || len(ents) != 1 || ents[0].Name() != want || !ents[0].IsDir() {
				t.Fatalf("the export unpacks into %v, want the one folder %s", ents, want)
			}
			top := filepath.Join(x, ents[0].Name())
			files := textBearing(t, top)
			// Each format has its index, a TextGrid and an SRT file at least.
			if len(files) < 3 {
				t.Fatalf("text-bearing files %q", files)
			}
			code, out, errs := runCmd(t, append([]string{"lint", "--strict"}, files...)...)
			if code != 0 {
				t.Fatalf("dialect lint --strict: %d\n%s%s", code, out, errs)
			}
			var joined bool
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				joined = joined || bytes.Contains(b, []byte("我是台南人。阮兜佇台南，真歡喜。Guá tsin huann-hí。")) ||
					bytes.Contains(b, []byte("我是台南人。"))
				bad := bytes.Replace(b, []byte("。"), []byte("。、"), 1)
				if bytes.Equal(bad, b) {
					continue // a header-only TSV, or romanized text only
				}
				if err := os.WriteFile(f, bad, 0o644); err != nil {
					t.Fatal(err)
				}
				if code, out, _ := runCmd(t, "lint", f); code != 1 || !strings.Contains(out, "T001") || !strings.Contains(out, f) {
					t.Errorf("lint of %s with 、: %d\n%s", f, code, out)
				}
				if err := os.WriteFile(f, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if !joined {
				t.Error("no transcript of the monologues in the text-bearing files")
			}
			if format != "kaldi" {
				for _, f := range files {
					b, _ := os.ReadFile(f)
					if bytes.Contains(b, []byte("。 ")) || bytes.Contains(b, []byte("人。 阮")) {
						t.Errorf("%s joins Han utterances with a space", f)
					}
				}
			}
		})
	}
}
