package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
)

// TestExportSegmentsLint (issue 7 item 6): the Kaldi export of a release
// with a transcribed monologue, extracted, passes `dialect lint --strict`
// (its text, TextGrid and SRT files), and a 、 slipped into the exported
// TextGrid or SRT is found there: lint really reads the segment files.
func TestExportSegmentsLint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	seedAccepted(t, dir, 2)
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := db.Clips(ctx, corpus.ClipFilter{Limit: 10})
	if err != nil || len(cs) == 0 {
		t.Fatalf("clips %v %v", cs, err)
	}
	u, err := db.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(append([]byte("RIFF"), bytes.Repeat([]byte{7}, 5000)...)); err != nil {
		t.Fatal(err)
	}
	c := &corpus.Clip{ProjectID: cs[0].ProjectID, SpeakerID: cs[0].SpeakerID, ClientClipID: "mono", DurationS: 30, SampleRate: 16000,
		Channels: 1, Bits: 16, Mode: "monologue", NoiseBand: "low"}
	if err := db.CommitClip(ctx, c, u); err != nil {
		t.Fatal(err)
	}
	segs := []corpus.Segment{{Start: 1, End: 9.5, Text: "今仔日天氣真好。"}, {Start: 10, End: 18.25, Text: "阮兜佇台南，真歡喜。"},
		{Start: 20, End: 29, Text: "Guá tsin huann-hí."}}
	tr := &corpus.Transcription{ClipID: c.ID, AuthorID: cs[0].SpeakerID, Segments: segs,
		Text: segs[0].Text + "\n" + segs[1].Text + "\n" + segs[2].Text}
	if err := db.SubmitTranscription(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: c.ID, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runCmd(t, "release", "create", "--project", "tainan", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("release create: %d %s", code, errs)
	}
	id, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	file := filepath.Join(t.TempDir(), "kaldi.tar")
	if code, _, errs := runCmd(t, "export", "--release", fmt.Sprint(id), "--format", "kaldi", "--out", file, "--data-dir", dir); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	// Extracted through an os.Root: no name in the archive can write
	// outside x.
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
	// The TextGrid's name, relative to x.
	var grid string
	tr2 := tar.NewReader(f)
	for {
		h, err := tr2.Next()
		if errors.Is(err, io.EOF) {
			break
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
		b, err := io.ReadAll(tr2)
		if err != nil {
			t.Fatal(err)
		}
		if err := root.WriteFile(name, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(h.Name, ".TextGrid") {
			grid = name
		}
	}
	if grid == "" {
		t.Fatal("no TextGrid in the export")
	}
	code, out, errs = runCmd(t, "lint", "--strict", filepath.Join(x, "text"), filepath.Join(x, "textgrid"), filepath.Join(x, "srt"))
	if code != 0 {
		t.Fatalf("dialect lint --strict: %d\n%s%s", code, out, errs)
	}
	srt := filepath.Join("srt", strings.TrimSuffix(filepath.Base(grid), ".TextGrid")+".srt")
	for _, name := range []string{grid, srt} {
		b, err := root.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := root.WriteFile(name, bytes.Replace(b, []byte("阮兜佇台南，"), []byte("阮兜佇台南、"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(x, name)
		if code, out, _ := runCmd(t, "lint", p); code != 1 || !strings.Contains(out, "T001") || !strings.Contains(out, filepath.Base(p)) {
			t.Fatalf("lint of %s with 、: %d\n%s", filepath.Base(p), code, out)
		}
	}
}
