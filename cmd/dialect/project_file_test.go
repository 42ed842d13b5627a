package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release"
)

// TestProjectFileTerms (issue 10): `dialect project create --file` takes the
// licence, terms of use and train/dev/test split a release's archives carry;
// a split that does not add up to 100 is a usage error, said in English and
// zh-TW.
func TestProjectFileTerms(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "project.yaml")
	if err := os.WriteFile(yml, []byte("dialect: nan-TW\nlicense: CC BY-NC 4.0\nterms: |\n  Research use only.\n  Do not re-identify speakers.\n"+
		"split: {seed: 5, train: 60, dev: 20, test: 20}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, "project", "create", "--name", "Kaohsiung", "--file", yml, "--data-dir", dir); code != 0 {
		t.Fatalf("project create: %d %s", code, errs)
	}
	db, err := corpus.Open(context.Background(), dir, corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.ProjectBySlug(context.Background(), "kaohsiung")
	if cerr := db.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if want := (release.SplitConfig{Seed: 5, Train: 60, Dev: 20, Test: 20}); p.License != "CC BY-NC 4.0" ||
		p.Terms != "Research use only.\nDo not re-identify speakers." || p.Split != want {
		t.Fatalf("project license %q terms %q split %+v", p.License, p.Terms, p.Split)
	}

	if err := os.WriteFile(yml, []byte("split: {train: 90, dev: 20, test: 10}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCmd(t, "project", "create", "--name", "Bad", "--file", yml, "--data-dir", dir)
	if code != exitUsage || !strings.Contains(errs, "add up to 100") || !strings.Contains(errs, "加總為 100") || !strings.Contains(errs, "Try:") {
		t.Fatalf("bad split: %d %q", code, errs)
	}
}
