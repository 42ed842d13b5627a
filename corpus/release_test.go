package corpus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release/releasetest"
)

// releaseFixture is a project with consenting speakers and accepted clips.
type releaseFixture struct {
	fixture
	other *corpus.User // a second consenting speaker
	clips map[string][]byte
}

func mustReleaseFixture(tb testing.TB, db *corpus.DB) *releaseFixture {
	tb.Helper()
	ctx := context.Background()
	f := &releaseFixture{fixture: mustFixture(tb, db), clips: map[string][]byte{}}
	f.other = mustUser(tb, db, f.project.ID, "speaker-2", corpus.RoleSpeaker)
	for _, u := range []*corpus.User{f.speaker, f.other} {
		if err := db.RecordConsent(ctx, u.ID, f.project.ConsentVersion); err != nil {
			tb.Fatal(err)
		}
		if err := db.UpdateProfile(ctx, u.ID, "臺南 Tainan", "30-39", "female"); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}

// addClip commits a clip of speaker u; accept makes a reviewer accept it.
func (f *releaseFixture) addClip(tb testing.TB, db *corpus.DB, u *corpus.User, n int, accept bool) string {
	tb.Helper()
	c := newClip(f.fixture, nil, fmt.Sprintf("client-%d", n))
	c.SpeakerID = u.ID
	c.Transcript = fmt.Sprintf("=第 %d 句\t%s", n, "阮兜佇台南")
	data := append([]byte("RIFF"), bytes.Repeat([]byte{byte(n & 0xff)}, 2000+n)...)
	mustCommitClip(tb, db, c, data)
	f.clips[c.ID] = data
	if accept {
		if err := db.AppendDecision(context.Background(), &corpus.Decision{ClipID: c.ID, AuthorID: f.reviewer.ID,
			To: corpus.StatusAccepted, Reason: "ok"}); err != nil {
			tb.Fatal(err)
		}
	}
	return c.ID
}

func mustRelease(tb testing.TB, db *corpus.DB, projectID int64) *corpus.Release {
	tb.Helper()
	r, err := db.CreateRelease(context.Background(), projectID, corpus.ReleaseOptions{CheckConfig: []byte(`{"sample_rates":[16000]}`)})
	if err != nil {
		tb.Fatalf("CreateRelease: %v", err)
	}
	return r
}

func releaseClipIDs(tb testing.TB, db *corpus.DB, id int64) []string {
	tb.Helper()
	cs, err := db.ReleaseClips(context.Background(), id, "", 5000)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ClipID)
	}
	return ids
}

func archiveBytes(tb testing.TB, db *corpus.DB, id int64, format string) []byte {
	tb.Helper()
	af, err := db.ReleaseArchive(context.Background(), id, format)
	if err != nil {
		tb.Fatalf("ReleaseArchive(%d, %s): %v", id, format, err)
	}
	defer func() { _ = af.Close() }() // opened read-only
	b, err := io.ReadAll(af)
	if err != nil {
		tb.Fatal(err)
	}
	if int64(len(b)) != af.Size {
		tb.Fatalf("archive is %d bytes, recorded %d", len(b), af.Size)
	}
	return b
}

func TestDB_CreateRelease(t *testing.T) {
	defer corpus.SetReleasePaging(2, 2)() // cross batch and page boundaries
	ctx := context.Background()
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustReleaseFixture(t, db)
	a1 := f.addClip(t, db, f.speaker, 1, true)
	a2 := f.addClip(t, db, f.speaker, 2, true)
	b1 := f.addClip(t, db, f.other, 3, true)
	f.addClip(t, db, f.other, 4, false) // pending review: never in a release
	rej := f.addClip(t, db, f.other, 5, false)
	if err := db.AppendDecision(ctx, &corpus.Decision{ClipID: rej, AuthorID: f.reviewer.ID, To: corpus.StatusRejected, Reason: "noise"}); err != nil {
		t.Fatal(err)
	}
	// A speaker who never consented.
	nc := mustUser(t, db, f.project.ID, "speaker-3", corpus.RoleSpeaker)
	f.addClip(t, db, nc, 6, true)

	t.Run("OK", func(t *testing.T) {
		r := mustRelease(t, db, f.project.ID)
		if r.Number != 1 || r.Status != corpus.ReleasePublished || r.Clips != 3 || r.Speakers != 2 || len(r.ManifestSHA256) != 64 {
			t.Fatalf("release = %+v", r)
		}
		got := strings.Join(releaseClipIDs(t, db, r.ID), " ")
		for _, id := range []string{a1, a2, b1} {
			if !strings.Contains(got, id) {
				t.Errorf("release lacks accepted clip %s", id)
			}
		}
		if len(releaseClipIDs(t, db, r.ID)) != 3 {
			t.Errorf("release clips = %s", got)
		}
		rs, err := db.Releases(ctx, f.project.ID)
		if err != nil || len(rs) != 1 || rs[0].ID != r.ID {
			t.Fatalf("Releases = %v, %v", rs, err)
		}
	})

	t.Run("Immutable", func(t *testing.T) {
		r1, _ := db.Releases(ctx, f.project.ID)
		first := r1[0]
		before := archiveBytes(t, db, first.ID, "kaldi")
		late := f.addClip(t, db, f.speaker, 7, true) // accepted after release 1
		r2 := mustRelease(t, db, f.project.ID)
		if r2.Number != 2 || r2.Clips != 4 {
			t.Fatalf("release 2 = %+v, want number 2 with 4 clips", r2)
		}
		again, err := db.Release(ctx, first.ID)
		if err != nil || again.Clips != 3 || again.ManifestSHA256 != first.ManifestSHA256 {
			t.Fatalf("release 1 changed: %+v %v", again, err)
		}
		if strings.Contains(strings.Join(releaseClipIDs(t, db, first.ID), " "), late) {
			t.Fatal("a clip accepted later entered release 1")
		}
		if after := archiveBytes(t, db, first.ID, "kaldi"); !bytes.Equal(before, after) {
			t.Fatal("release 1's archive changed")
		}
		// The triggers refuse changes from outside too.
		raw := rawDB(t, db)
		for _, q := range []string{
			fmt.Sprintf(`UPDATE releases SET clips = 99 WHERE id = %d`, first.ID),
			fmt.Sprintf(`DELETE FROM releases WHERE id = %d`, first.ID),
			fmt.Sprintf(`UPDATE release_clips SET transcript = 'x' WHERE release_id = %d`, first.ID),
			fmt.Sprintf(`DELETE FROM release_clips WHERE release_id = %d`, first.ID),
			fmt.Sprintf(`INSERT INTO release_clips SELECT %d, clip_id, speaker, sha256, bytes, duration_s, sample_rate, channels, bits, mode, noise_band, transcript, dialect_region, age_band, gender, transcription_id FROM release_clips WHERE release_id = %d`, first.ID, r2.ID),
		} {
			if _, err := raw.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "immutable") {
				t.Errorf("%s: err = %v, want immutable", q, err)
			}
		}
	})

	t.Run("ConsentWithdrawn", func(t *testing.T) {
		if _, err := rawDB(t, db).ExecContext(ctx, `UPDATE users SET consent_version = 0 WHERE id = ?`, f.other.ID); err != nil {
			t.Fatal(err)
		}
		r3 := mustRelease(t, db, f.project.ID)
		ids := strings.Join(releaseClipIDs(t, db, r3.ID), " ")
		if strings.Contains(ids, b1) || r3.Speakers != 1 {
			t.Fatalf("release 3 has the withdrawn speaker's clip: %+v", r3)
		}
		r1, _ := db.Release(ctx, r3.ID-2)
		if !strings.Contains(strings.Join(releaseClipIDs(t, db, r1.ID), " "), b1) {
			t.Fatal("withdrawal changed an earlier release")
		}
	})

	t.Run("PseudonymsStable", func(t *testing.T) {
		rs, _ := db.Releases(ctx, f.project.ID)
		spk := map[string]string{}
		for _, r := range rs {
			cs, _ := db.ReleaseClips(ctx, r.ID, "", 100)
			for _, c := range cs {
				if prev, ok := spk[c.ClipID]; ok && prev != c.Speaker {
					t.Fatalf("clip %s: speaker %s then %s", c.ClipID, prev, c.Speaker)
				}
				spk[c.ClipID] = c.Speaker
				if strings.Contains(c.Speaker, fmt.Sprint(f.speaker.ID)) && len(c.Speaker) < 17 {
					t.Fatalf("speaker id %q looks like the user id", c.Speaker)
				}
			}
		}
		if spk[a1] == spk[b1] || spk[a1] != spk[a2] {
			t.Fatalf("pseudonyms: %v", spk)
		}
	})

	t.Run("ErrEmptyRelease", func(t *testing.T) {
		p := mustProject(t, db, "empty-1")
		_, err := db.CreateRelease(ctx, p.ID, corpus.ReleaseOptions{})
		wantErr(t, err, corpus.ErrEmptyRelease)
		wantErr(t, err, corpus.ErrInvalid)
		if rs, _ := db.Releases(ctx, p.ID); len(rs) != 0 {
			t.Fatalf("empty project has releases %v", rs)
		}
		_, err = db.CreateRelease(ctx, 9999, corpus.ReleaseOptions{})
		wantErr(t, err, corpus.ErrNotFound)
	})
	MustAudit(t, db)
}

func TestDB_ReleaseArchive(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	defer corpus.SetReleasePaging(2, 2)()
	ctx := context.Background()
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	f := mustReleaseFixture(t, db)
	for i := range 5 {
		f.addClip(t, db, []*corpus.User{f.speaker, f.other}[i%2], i, true)
	}
	r := mustRelease(t, db, f.project.ID)
	// Concurrent first requests wait for one build and get the same bytes.
	results := make(chan []byte, 4)
	for range 4 {
		go func() {
			af, err := db.ReleaseArchive(ctx, r.ID, "kaldi")
			if err != nil {
				results <- nil
				return
			}
			defer func() { _ = af.Close() }() // opened read-only
			b, _ := io.ReadAll(af)
			results <- b
		}()
	}
	var first []byte
	for range 4 {
		b := <-results
		if b == nil || (first != nil && !bytes.Equal(b, first)) {
			t.Fatal("concurrent first downloads failed or differ")
		}
		first = b
	}
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		t.Run(format, func(t *testing.T) {
			b := archiveBytes(t, db, r.ID, format)
			a, err := releasetest.Verify(bytes.NewReader(b), format)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Audio) != 5 {
				t.Fatalf("audio files = %d, want 5", len(a.Audio))
			}
			for utt, wav := range a.Audio {
				if want := f.clips[utt[strings.IndexByte(utt, '-')+1:]]; !bytes.Equal(wav, want) {
					t.Errorf("%s: not the stored bytes", utt)
				}
			}
			var direct bytes.Buffer
			if _, err := db.WriteReleaseArchive(ctx, &direct, r, format); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(direct.Bytes(), b) {
				t.Fatal("WriteReleaseArchive and the built archive differ")
			}
			if again := archiveBytes(t, db, r.ID, format); !bytes.Equal(again, b) {
				t.Fatal("second open differs")
			}
		})
	}
	if _, err := db.ReleaseArchive(ctx, r.ID, "zip"); !errors.Is(err, corpus.ErrInvalid) {
		t.Fatalf("format zip: %v", err)
	}
	if _, err := db.ReleaseArchive(ctx, r.ID+100, "kaldi"); !errors.Is(err, corpus.ErrNotFound) {
		t.Fatalf("unknown release: %v", err)
	}
	want := archiveBytes(t, db, r.ID, "kaldi")
	if err := db.PrepareReleaseArchives(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	MustCloseDB(t, db)

	// An archive file an older version built, whole and matching its row,
	// is served from the file.
	path := filepath.Join(dir, "releases", fmt.Sprint(r.ID), "kaldi.tar")
	if err := os.WriteFile(path, want, 0o640); err != nil {
		t.Fatal(err)
	}
	db = MustOpenDBAt(t, dir, corpus.Options{})
	af, err := db.ReleaseArchive(ctx, r.ID, "kaldi")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := af.ReadSeekCloser.(*os.File); !ok {
		t.Fatalf("a whole archive file of an older version is not served as the file: %T", af.ReadSeekCloser)
	}
	_ = af.Close() // only read
	if got := archiveBytes(t, db, r.ID, "kaldi"); !bytes.Equal(got, want) {
		t.Fatal("archive file served differently")
	}
	// Once the assembled archive is shown to hash to the file's SHA-256,
	// the file (a copy of the audio) is dropped; the bytes stay.
	if err := db.PrepareReleaseArchives(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	MustCloseDB(t, db)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("archive file after its assembled archive matched: %v", err)
	}
	db = MustOpenDBAt(t, dir, corpus.Options{})
	if got := archiveBytes(t, db, r.ID, "kaldi"); !bytes.Equal(got, want) {
		t.Fatal("assembled archive differs from the dropped file")
	}
	MustCloseDB(t, db)

	// A damaged or missing archive file is never served: the archive is
	// assembled instead, to the same bytes.
	damaged := append([]byte(nil), want...)
	damaged[len(damaged)/2] ^= 0xff
	if err := os.WriteFile(path, damaged, 0o640); err != nil {
		t.Fatal(err)
	}
	db = MustOpenDBAt(t, dir, corpus.Options{})
	if got := archiveBytes(t, db, r.ID, "kaldi"); !bytes.Equal(got, want) {
		t.Fatal("damaged archive served or rebuilt differently")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if got := archiveBytes(t, db, r.ID, "kaldi"); !bytes.Equal(got, want) {
		t.Fatal("missing archive rebuilt differently")
	}
	MustCloseDB(t, db)
}

// TestF05_CrashDuringArchiveBuild (reliability.md F-05): a process killed
// in the middle of writing an archive leaves no archive under its final
// name; the next request rebuilds it whole, and no partial archive is ever
// served.
func TestF05_CrashDuringArchiveBuild(t *testing.T) {
	if os.Getenv("DIALECT_F05_DIR") != "" {
		t.Skip("parent only")
	}
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	f := mustReleaseFixture(t, db)
	for i := range 6 {
		f.addClip(t, db, f.speaker, i, true)
	}
	r := mustRelease(t, db, f.project.ID)
	MustCloseDB(t, db)

	// This test binary again, as the child.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestF05Child$", "-test.v")
	cmd.Env = append(os.Environ(), "DIALECT_F05_DIR="+dir, fmt.Sprintf("DIALECT_F05_RELEASE=%d", r.ID))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 137 {
		t.Fatalf("child: %v, want exit 137\n%s", err, out)
	}
	rdir := filepath.Join(dir, "releases", fmt.Sprint(r.ID))
	for _, name := range []string{"kaldi.tar", "kaldi.plan"} {
		if _, err := os.Stat(filepath.Join(rdir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s after the crash: %v", name, err)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(rdir, ".kaldi.*.tmp"))
	if len(tmps) != 2 {
		t.Fatalf("temp files after the crash: %v, want the partial skeleton and plan", tmps)
	}

	db = MustOpenDBAt(t, dir, corpus.Options{})
	defer MustCloseDB(t, db)
	b := archiveBytes(t, db, r.ID, "kaldi")
	if _, err := releasetest.Verify(bytes.NewReader(b), "kaldi"); err != nil {
		t.Fatalf("archive after the crash: %v", err)
	}
	var direct bytes.Buffer
	if _, err := db.WriteReleaseArchive(context.Background(), &direct, r, "kaldi"); err != nil || !bytes.Equal(direct.Bytes(), b) {
		t.Fatalf("rebuilt archive differs from a fresh write (%v)", err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(rdir, ".kaldi.*.tmp")); len(tmps) != 0 {
		t.Fatalf("temp files left: %v", tmps)
	}
}

// TestF05Child is the process TestF05_CrashDuringArchiveBuild kills: it
// exits with 137, as after kill -9, once 6 KiB of the archive are written.
func TestF05Child(t *testing.T) {
	dir := os.Getenv("DIALECT_F05_DIR")
	if dir == "" {
		t.Skip("run by TestF05_CrashDuringArchiveBuild")
	}
	db := MustOpenDBAt(t, dir, corpus.Options{})
	corpus.SetArchiveHook(func(n int64) {
		if n > 6<<10 {
			os.Exit(137)
		}
	})
	var id int64
	if _, err := fmt.Sscan(os.Getenv("DIALECT_F05_RELEASE"), &id); err != nil {
		t.Fatalf("DIALECT_F05_RELEASE: %v", err)
	}
	_, err := db.ReleaseArchive(context.Background(), id, "kaldi")
	t.Fatalf("the build finished (%v); it should have crashed", err)
}
