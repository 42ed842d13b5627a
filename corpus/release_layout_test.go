package corpus_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release"
	"github.com/dialect-corpus/dialect/release/releasetest"
)

// addSpeaker adds a consenting speaker with n accepted clips.
func (f *releaseFixture) addSpeaker(tb testing.TB, db *corpus.DB, name string, n, first int) *corpus.User {
	tb.Helper()
	u := mustUser(tb, db, f.project.ID, name, corpus.RoleSpeaker)
	if err := db.RecordConsent(context.Background(), u.ID, f.project.ConsentVersion); err != nil {
		tb.Fatal(err)
	}
	if err := db.UpdateProfile(context.Background(), u.ID, "臺南市", "30_39", "male"); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		f.addClip(tb, db, u, first+i, true)
	}
	return u
}

func verify(tb testing.TB, b []byte, format string) *releasetest.Archive {
	tb.Helper()
	a, err := releasetest.Verify(bytes.NewReader(b), format)
	if err != nil {
		tb.Fatalf("%s: %v", format, err)
	}
	return a
}

// TestDB_ReleaseLayout (issue 10): a release keeps the archive layout it
// was made in. One made by the code before (flat: no top folder, no
// splits) is built and rebuilt flat, to the same bytes, after releases of
// the new layout exist; a release row written without the new columns
// reads as flat. A new release unpacks into dialect-<slug>-r<n>-<format>/,
// its download is named after that folder, and it freezes the project's
// licence, terms and split.
func TestDB_ReleaseLayout(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	ctx := context.Background()
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	f := mustReleaseFixture(t, db)
	for i := range 3 {
		f.addClip(t, db, []*corpus.User{f.speaker, f.other}[i%2], i, true)
	}
	restore := corpus.SetReleaseLayout(release.LayoutFlat)
	old := mustRelease(t, db, f.project.ID)
	restore()
	if old.Layout != release.LayoutFlat || corpus.ArchiveName(old, "kaldi") != fmt.Sprintf("dialect-release-%d-r1-kaldi.tar", old.ID) {
		t.Fatalf("flat release: layout %d, name %s", old.Layout, corpus.ArchiveName(old, "kaldi"))
	}
	flat := map[string][]byte{}
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		flat[format] = archiveBytes(t, db, old.ID, format)
		if a := verify(t, flat[format], format); a.Top != "" || len(a.Split) != 0 {
			t.Fatalf("%s: a flat release's archive has a top folder %q or splits", format, a.Top)
		}
	}

	r := mustRelease(t, db, f.project.ID)
	if r.Layout != release.CurrentLayout || r.ProjectSlug != "minnan-1" || r.Split != release.DefaultSplit() {
		t.Fatalf("new release %+v", r)
	}
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		a := verify(t, archiveBytes(t, db, r.ID, format), format)
		want := "dialect-minnan-1-r2-" + format
		if a.Top != want+"/" || corpus.ArchiveName(r, format) != want+".tar" {
			t.Errorf("%s: top folder %q, download name %q, want %s/", format, a.Top, corpus.ArchiveName(r, format), want)
		}
	}
	MustCloseDB(t, db)

	// The flat release's archives, their plans gone, are planned again by
	// this code: flat, to the bytes first served.
	for format := range flat {
		removeArchiveFiles(t, dir, old.ID, format)
	}
	db = MustOpenDBAt(t, dir, corpus.Options{})
	defer MustCloseDB(t, db)
	for format, want := range flat {
		if got := archiveBytes(t, db, old.ID, format); !bytes.Equal(got, want) {
			t.Errorf("%s: the flat release's archive rebuilt to other bytes", format)
		}
	}
	// A row as the code before migration 0010 wrote it is flat.
	raw := rawDB(t, db)
	res, err := raw.ExecContext(ctx, `INSERT INTO releases (project_id, number, status, consent_version, project_name, dialect,
		validation, created_at) VALUES (?, 99, 'building', 1, 'x', 'nan-TW', '', 0)`, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	rowID, _ := res.LastInsertId()
	var layout int
	if err := raw.QueryRowContext(ctx, `SELECT layout FROM releases WHERE id = ?`, rowID).Scan(&layout); err != nil || layout != release.LayoutFlat {
		t.Fatalf("a release row without a layout reads %d (%v), want %d", layout, err, release.LayoutFlat)
	}
	if _, err := raw.ExecContext(ctx, `DELETE FROM releases WHERE id = ?`, rowID); err != nil {
		t.Fatal(err)
	}
	MustAudit(t, db)
}

// TestDB_ReleaseFreezesProjectTerms: the licence, terms and split a release
// was made under stay in its archive when the project changes them later
// (its archive rebuilt after the change has the same bytes); the next
// release takes the new ones. A project's split must add up to 100.
func TestDB_ReleaseFreezesProjectTerms(t *testing.T) {
	t.Setenv("GODEBUG", "tarinsecurepath=0")
	ctx := context.Background()
	dir := t.TempDir()
	db := MustOpenDBAt(t, dir, corpus.Options{})
	p := &corpus.Project{Slug: "licensed", Name: "Licensed", Dialect: "nan-TW", Modes: []string{"prompted"},
		BandQuota: map[string]int{"low": 1}, License: "CC BY-NC 4.0", Terms: "Research use only.",
		Split: release.SplitConfig{Seed: 3, Train: 70, Dev: 15, Test: 15}}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := db.ProjectBySlug(ctx, "licensed")
	if err != nil || got.License != p.License || got.Terms != p.Terms || got.Split != p.Split {
		t.Fatalf("project read back %+v, %v", got, err)
	}
	rev := mustUser(t, db, got.ID, "rev", corpus.RoleReviewer)
	// newClip needs a speaker to start from; addClip sets the real one.
	f := &releaseFixture{fixture: fixture{project: got, reviewer: rev, speaker: rev}, clips: map[string][]byte{}}
	f.speaker = f.addSpeaker(t, db, "a", 2, 0)
	r1 := mustRelease(t, db, p.ID)
	if r1.License != p.License || r1.Terms != p.Terms || r1.Split != p.Split {
		t.Fatalf("release 1 froze %q %q %+v", r1.License, r1.Terms, r1.Split)
	}
	before := archiveBytes(t, db, r1.ID, "cv")
	readme := string(verify(t, before, "cv").Files["README.md"])
	if !strings.Contains(readme, "Licence: CC BY-NC 4.0") || !strings.Contains(readme, "Research use only.") || !strings.Contains(readme, "70/15/15, with seed 3") {
		t.Fatalf("release 1 README.md:\n%s", readme)
	}
	if _, err := rawDB(t, db).ExecContext(ctx, `UPDATE projects SET license = 'proprietary', terms = '', split = '{"seed":1,"train":0,"dev":0,"test":100}' WHERE id = ?`, p.ID); err != nil {
		t.Fatal(err)
	}
	MustCloseDB(t, db)
	removeArchiveFiles(t, dir, r1.ID, "cv")
	db = MustOpenDBAt(t, dir, corpus.Options{})
	defer MustCloseDB(t, db)
	if after := archiveBytes(t, db, r1.ID, "cv"); !bytes.Equal(after, before) {
		t.Fatal("a project's new licence or split changed a published release's archive")
	}
	r2 := mustRelease(t, db, p.ID)
	a := verify(t, archiveBytes(t, db, r2.ID, "cv"), "cv")
	if !strings.Contains(string(a.Files["README.md"]), "Licence: proprietary") {
		t.Error("release 2 does not carry the project's new licence")
	}
	for id, s := range a.Split {
		if s != "test" {
			t.Errorf("%s in %s under a 0/0/100 split", id, s)
		}
	}

	bad := &corpus.Project{Slug: "bad-split", Name: "Bad", Dialect: "nan-TW", Split: release.SplitConfig{Train: 90, Dev: 20}}
	wantErr(t, db.CreateProject(ctx, bad), corpus.ErrInvalid)
}

// TestDB_ReleaseSplitsStable (issue 10): a speaker is in the same split in
// every release of a project: speakers who joined for release 2 move none
// of release 1's, in any format.
func TestDB_ReleaseSplitsStable(t *testing.T) {
	db := MustOpenDB(t)
	defer MustCloseDB(t, db)
	f := mustReleaseFixture(t, db)
	for i := range 8 {
		f.addSpeaker(t, db, fmt.Sprint("early-", i), 1, 100+i)
	}
	r1 := mustRelease(t, db, f.project.ID)
	for i := range 12 {
		f.addSpeaker(t, db, fmt.Sprint("late-", i), 1, 200+i)
	}
	r2 := mustRelease(t, db, f.project.ID)
	for _, format := range []string{"kaldi", "hf", "nemo", "cv"} {
		a1 := verify(t, archiveBytes(t, db, r1.ID, format), format)
		a2 := verify(t, archiveBytes(t, db, r2.ID, format), format)
		if len(a1.Split) != 8 || len(a2.Split) != 20 {
			t.Fatalf("%s: %d and %d utterances with a split", format, len(a1.Split), len(a2.Split))
		}
		for id, s := range a1.Split {
			if a2.Split[id] != s {
				t.Errorf("%s: %s was in %s in release 1, in %q in release 2", format, id, s, a2.Split[id])
			}
		}
	}
}

// removeArchiveFiles removes what a release's archive in format left on
// disk: its plan and skeleton (and an archive file of older versions).
func removeArchiveFiles(tb testing.TB, dir string, id int64, format string) {
	tb.Helper()
	n := 0
	for _, ext := range []string{".tar", ".plan", ".skel"} {
		err := os.Remove(filepath.Join(dir, "releases", fmt.Sprint(id), format+ext))
		if err == nil {
			n++
		} else if !errors.Is(err, os.ErrNotExist) {
			tb.Fatal(err)
		}
	}
	if n == 0 {
		tb.Fatalf("release %d %s: no archive files to remove", id, format)
	}
}
