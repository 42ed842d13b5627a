package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release/releasetest"
)

// seedAccepted makes a project "tainan" with a consenting speaker and n
// accepted clips in the corpus at dir.
func seedAccepted(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := corpus.Open(ctx, dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close seeded corpus: %v", err)
		}
	}()
	p := &corpus.Project{Slug: "tainan", Name: "Tainan", Dialect: "nan-TW"}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	sp := &corpus.User{Username: "ah-bin", Role: corpus.RoleSpeaker, ProjectID: p.ID, ConsentVersion: 1,
		DialectRegion: "臺南市", AgeBand: "20_29", Gender: "female"}
	rv := &corpus.User{Username: "reviewer", Role: corpus.RoleReviewer, ProjectID: p.ID}
	for _, u := range []*corpus.User{sp, rv} {
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		u, err := db.NewUpload()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Write(realWAV(2, 440+float64(i))); err != nil {
			t.Fatal(err)
		}
		c := &corpus.Clip{ProjectID: p.ID, SpeakerID: sp.ID, ClientClipID: fmt.Sprint("c", i), DurationS: 2, SampleRate: 16000,
			Channels: 1, Bits: 16, Mode: "prompted", NoiseBand: "low", Transcript: "今仔日天氣真好。"}
		if err := db.CommitClip(ctx, c, u); err != nil {
			t.Fatal(err)
		}
		if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: c.ID, AuthorID: rv.ID, To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestReleaseExport: `release create` prints the id, `release list` shows
// it, `export` writes exactly the bytes the server serves, in every format.
func TestReleaseExport(t *testing.T) {
	dir := t.TempDir()
	seedAccepted(t, dir, 4)
	code, out, errs := runCmd(t, "release", "create", "--project", "tainan", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("release create: %d %s", code, errs)
	}
	id, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		t.Fatalf("release create printed %q", out)
	}
	if code, out, _ := runCmd(t, "release", "list", "--data-dir", dir); code != 0 || !strings.Contains(out, "tainan") ||
		!strings.Contains(out, fmt.Sprintf("\n%d ", id)) {
		t.Fatalf("release list: %d\n%s", code, out)
	}
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		file := filepath.Join(t.TempDir(), format+".tar")
		if code, _, errs := runCmd(t, "export", "--release", fmt.Sprint(id), "--format", format, "--out", file, "--data-dir", dir); code != 0 {
			t.Fatalf("export %s: %d %s", format, code, errs)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := releasetest.Verify(bytes.NewReader(got), format); err != nil {
			t.Fatalf("export %s: %v", format, err)
		}
		db, err := corpus.Open(context.Background(), dir, corpus.Options{})
		if err != nil {
			t.Fatal(err)
		}
		af, err := db.ReleaseArchive(context.Background(), id, format)
		if err != nil {
			t.Fatal(err)
		}
		served, err := io.ReadAll(af)
		if err != nil {
			t.Fatal(err)
		}
		if err := af.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, served) {
			t.Fatalf("export %s differs from the served archive", format)
		}
		if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*.tmp")); len(tmps) != 0 {
			t.Fatalf("temp files left: %v", tmps)
		}
	}
}

func TestReleaseUsage(t *testing.T) {
	dir := t.TempDir()
	seedAccepted(t, dir, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"release", "create"}, "--project"},
		{[]string{"release", "create", "--project", "nope"}, "no project"},
		{[]string{"export", "--format", "kaldi", "--out", "x.tar"}, "--release"},
		{[]string{"export", "--release", "1", "--format", "zip", "--out", "x.tar"}, "unknown format"},
		{[]string{"export", "--release", "1", "--format", "kaldi"}, "--out"},
		{[]string{"export", "--release", "99", "--format", "kaldi", "--out", filepath.Join(dir, "x.tar")}, "no published release"},
	} {
		code, _, errs := runCmd(t, append(tc.args, "--data-dir", dir)...)
		if code != exitUsage || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "Try:") {
			t.Errorf("%v: %d %q, want 2 with %q and a hint", tc.args, code, errs, tc.want)
		}
	}
}
