package release_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/dialect-corpus/dialect/release"
)

// assemble lays a plan's pieces end to end, each audio piece the clip's
// bytes: what corpus serves.
func assemble(t *testing.T, f release.Format, m *release.Meta, src *memSource) []byte {
	t.Helper()
	var skel bytes.Buffer
	var out []byte
	size, err := release.WritePlan(context.Background(), &skel, f, m, src, func(p release.Piece) error {
		if p.Off != int64(len(out)) {
			return fmt.Errorf("piece at %d, archive so far %d bytes", p.Off, len(out))
		}
		if p.Clip != nil {
			if int64(len(src.audio[p.Clip.ClipID])) != p.Len {
				return fmt.Errorf("clip %s: piece of %d bytes", p.Clip.ClipID, p.Len)
			}
			out = append(out, src.audio[p.Clip.ClipID]...)
			return nil
		}
		// The skeleton is written before its piece is reported.
		out = append(out, skel.Bytes()[p.SkelOff:p.SkelOff+p.Len]...)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	if size != int64(len(out)) {
		t.Fatalf("%s: WritePlan said %d bytes, pieces make %d", f, size, len(out))
	}
	if int64(skel.Len())+audioBytes(src) != size {
		t.Fatalf("%s: skeleton %d bytes + audio %d != %d: audio is in the skeleton", f, skel.Len(), audioBytes(src), size)
	}
	return out
}

func audioBytes(src *memSource) int64 {
	var n int64
	for _, u := range src.utts {
		n += u.Bytes
	}
	return n
}

// TestWritePlanBytes: an archive assembled from WritePlan's skeleton and
// pieces is, byte for byte, Write's, in every format and both layouts,
// with and without segments; the flat layout's still hash to the pinned
// SHA-256 of TestLayoutFlatBytesUnchanged.
func TestWritePlanBytes(t *testing.T) {
	for _, layout := range []int{release.LayoutFlat, release.LayoutSplits} {
		for _, name := range []string{"plain", "segmented", "clean"} {
			for _, f := range release.Formats() {
				src := map[string]func() *memSource{"plain": sampleSource, "segmented": segmentedSource, "clean": cleanSource}[name]()
				m := splitMeta()
				m.Layout = layout
				want := write(t, f, m, src)
				got := assemble(t, f, m, src)
				if !bytes.Equal(got, want) {
					t.Errorf("layout %d, %s %s: assembled archive (%x) differs from Write's (%x)", layout, name, f,
						sha256.Sum256(got), sha256.Sum256(want))
				}
			}
		}
	}
}
