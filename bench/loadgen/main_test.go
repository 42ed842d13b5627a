package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// sinkConfig is a short run against the built-in sink.
func sinkConfig(acks string) config {
	return config{sink: true, conc: 2, dur: 200 * time.Millisecond, acks: acks}
}

// TestAcksLogged: every acknowledged upload is a line of the acks file.
func TestAcksLogged(t *testing.T) {
	acks := filepath.Join(t.TempDir(), "acks.jsonl")
	if err := run(t.Context(), sinkConfig(acks)); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(acks)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read only
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var a struct {
			ClipID string `json:"clip_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil || a.ClipID != "sink" {
			t.Fatalf("line %d: %q: %v", n+1, sc.Text(), err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no acknowledgement logged")
	}
}

// TestAcksWriteErrorFails: the acks file is the run's record of every
// receipt it was given; when it cannot be written (here /dev/full, a full
// disk) the run fails instead of ending with status 0 and a short log.
func TestAcksWriteErrorFails(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		if os.Getenv("CI") == "true" { // a skip must not hide a missing tool in CI
			t.Fatal("no /dev/full:", err)
		}
		t.Skip("no /dev/full:", err)
	}
	if err := run(t.Context(), sinkConfig("/dev/full")); err == nil {
		t.Fatal("run logging to /dev/full returned no error")
	}
}
