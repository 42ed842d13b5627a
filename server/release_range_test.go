package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
)

// TestReleaseDownloadRanges (issue 21): over HTTP, Range requests at many
// offsets (every tar block boundary ±1, so inside headers and across
// members, and random spans) answer the slice of the full download; the
// full download equals release.Write's bytes (WriteReleaseArchive, as
// `dialect export`); and the request log records the bytes sent, not 0.
func TestReleaseDownloadRanges(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, server.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	e.acceptClips(t, "ah-bin", 3, 30)
	admin := e.signIn("admin")
	r := admin.do("POST", "/api/v1/admin/releases", map[string]any{"project_id": e.project.ID})
	if r.status != 201 {
		t.Fatalf("create release: %d %s", r.status, r.body)
	}
	rid := int64(r.json()["id"].(float64))
	rel, err := e.db.Release(t.Context(), rid)
	if err != nil {
		t.Fatal(err)
	}
	vendor, _ := e.vendorClient(t, "acme", e.project.ID)
	rnd := rand.New(rand.NewPCG(4, 21))
	for _, format := range []string{"kaldi", "cv"} {
		url := fmt.Sprintf("/api/v1/releases/%d/download?format=%s", rid, format)
		d := vendor.get(url)
		if d.status != 200 {
			t.Fatalf("%s: %d %s", format, d.status, d.body)
		}
		var want bytes.Buffer
		if _, err := e.db.WriteReleaseArchive(t.Context(), &want, rel, format); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.body, want.Bytes()) {
			t.Fatalf("%s: download differs from WriteReleaseArchive", format)
		}
		size := len(d.body)
		var offs []int
		for o := 512; o < size; o += 512 * 7 {
			offs = append(offs, o-1, o, o+1)
		}
		for range 40 {
			offs = append(offs, rnd.IntN(size))
		}
		for _, off := range offs {
			end := min(off+rnd.IntN(3000), size-1)
			p := vendor.get(url, "Range", fmt.Sprintf("bytes=%d-%d", off, end))
			if p.status != http.StatusPartialContent || !bytes.Equal(p.body, d.body[off:end+1]) {
				t.Fatalf("%s: bytes %d-%d: %d, %d bytes, not the slice", format, off, end, p.status, len(p.body))
			}
		}
		// Several ranges in one request (multipart/byteranges).
		m := vendor.get(url, "Range", "bytes=0-99,1000-1999,-10")
		if m.status != http.StatusPartialContent || !bytes.Contains(m.body, d.body[1000:2000]) || !bytes.Contains(m.body, d.body[size-10:]) {
			t.Fatalf("%s: multipart ranges: %d", format, m.status)
		}
		// The log line of the full download has its size.
		found := false
		for _, line := range strings.Split(logs.String(), "\n") {
			var l struct {
				Msg, Path string
				Status    int
				Bytes     int64
			}
			if json.Unmarshal([]byte(line), &l) == nil && strings.HasSuffix(l.Path, "/download") && l.Status == 200 && l.Bytes == int64(size) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no request log line with \"bytes\":%d", format, size)
		}
	}
}
