package validate_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/validate"
)

// conformanceDir holds real-world WAV files with a manifest of what sox,
// ffmpeg and libsndfile say about each (../shared/testdata/wav-conformance).
const conformanceDir = "../../shared/testdata/wav-conformance"

// TestConformance reads every file of the shared corpus and holds the reader
// to the manifest: format fields for every well-formed file, a clear A001,
// A002 or A006 for every malformed or unsupported one, no crash on the
// disputed ones. It runs whenever the folder is present, and fails under CI
// when it is not.
func TestConformance(t *testing.T) {
	manifest := filepath.Join(conformanceDir, "manifest.tsv")
	f, err := os.Open(manifest)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("conformance corpus missing under CI: %v", err)
		}
		t.Skipf("conformance corpus not present (%v); it is in CI", err)
	}
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan()
	cols := map[string]int{}
	for i, c := range strings.Split(sc.Text(), "\t") {
		cols[c] = i
	}
	counts := map[string]int{}
	for sc.Scan() {
		row := strings.Split(sc.Text(), "\t")
		get := func(c string) string { return row[cols[c]] }
		name, expect := get("file"), get("expect")
		counts[expect]++
		t.Run(name, func(t *testing.T) {
			rep, err := validate.File(filepath.Join(conformanceDir, name), validate.Options{})
			if err != nil {
				t.Fatalf("I/O error: %v", err)
			}
			structural := ""
			for _, fd := range rep.Findings {
				if fd.Code != "" && fd.Severity == validate.SeverityError && (fd.Rule == "A001" || fd.Rule == "A002" || fd.Rule == "A006") && fd.Code != "encoding_not_allowed" {
					structural = fd.Rule + " " + fd.Code + ": " + fd.Message
					break
				}
			}
			switch expect {
			case "ok":
				if structural != "" {
					t.Fatalf("well-formed file rejected: %s", structural)
				}
				wantInt := func(field string, got int64) {
					want, err := strconv.ParseInt(get(field), 10, 64)
					if err != nil {
						t.Fatalf("manifest %s=%q: %v", field, get(field), err)
					}
					if got != want {
						t.Errorf("%s=%d, want %d", field, got, want)
					}
				}
				wantInt("sample_rate", int64(rep.Format.SampleRate))
				wantInt("channels", int64(rep.Format.Channels))
				wantInt("bits_per_sample", int64(rep.Format.Bits))
				wantInt("frames", rep.Format.Frames)
				if rep.Measurements == nil {
					t.Fatal("no measurements for a well-formed file")
				}
				if want := get("peak_dbfs"); want != "" && rep.Format.Frames > 100 {
					w, _ := strconv.ParseFloat(want, 64)
					w = max(w, -120) // libsndfile says -inf for digital silence
					if d := rep.Measurements.PeakDBFS - w; d > 0.1 || d < -0.1 {
						t.Errorf("peak %.2f dBFS, libsndfile says %.2f", rep.Measurements.PeakDBFS, w)
					}
				}
			case "unsupported":
				if f, ok := rep.Finding("A002"); !ok || f.Severity != validate.SeverityError {
					t.Fatalf("unsupported file without an A002 error: %+v", rep.Findings)
				}
			case "malformed":
				if structural == "" {
					t.Fatalf("malformed file (%s) without an A001/A002/A006 error: %+v", get("notes"), rep.Findings)
				}
			}
			if rep.Pass && expect != "ok" && expect != "disputed" {
				t.Errorf("pass=true for a %s file", expect)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if counts["ok"] < 100 {
		t.Fatalf("only %d ok files read from the manifest", counts["ok"])
	}
}
