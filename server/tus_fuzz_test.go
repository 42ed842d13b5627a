package server

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// FuzzTusHeaders (reliability.md Z-04) feeds the tus header parsers: no
// panic, every error is an apiError with one of the protocol's statuses,
// and the offset arithmetic of a chunk never overflows. Seeds are in
// testdata/fuzz/FuzzTusHeaders.
func FuzzTusHeaders(f *testing.F) {
	f.Add("0", "345600044", "client_clip_id MDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAx,task_id YWJj,noise_band bG93,sha256 YWJj", "sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
	f.Add("-1", "-1", "key", "sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
	f.Add("9223372036854775808", "4294967296", "a b,a b", "md5 1B2M2Y8AsgTpgAmY7PhCfg==")
	f.Add("abc", "4294967295", "file name eA==", "sha1 !!!")
	f.Add("", "", ",,,", "sha1")
	f.Fuzz(func(t *testing.T, offset, length, metadata, checksum string) {
		allowed := func(what string, err error) {
			if err == nil {
				return
			}
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("%s: %v is not an apiError", what, err)
			}
			switch ae.Status {
			case http.StatusBadRequest, http.StatusConflict, http.StatusPreconditionFailed,
				http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, statusChecksumMismatch:
			default:
				t.Fatalf("%s: status %d", what, ae.Status)
			}
		}
		off, oerr := parseUploadOffset(offset)
		allowed("Upload-Offset", oerr)
		n, lerr := parseUploadLength(length)
		allowed("Upload-Length", lerr)
		meta, merr := parseUploadMetadata(metadata)
		allowed("Upload-Metadata", merr)
		h, want, cerr := parseUploadChecksum(checksum)
		allowed("Upload-Checksum", cerr)
		allowed("Tus-Resumable", checkTUSResumable(offset))
		allowed("Content-Type", checkTUSContentType(metadata))

		if oerr == nil && off < 0 {
			t.Fatalf("offset %d from %q", off, offset)
		}
		if lerr == nil && (n < 0 || n > tusMaxSize) {
			t.Fatalf("length %d from %q", n, length)
		}
		if merr == nil {
			if len(meta) > tusMaxMetadataKeys {
				t.Fatalf("%d metadata keys", len(meta))
			}
			if _, err := resumableRequest(meta, n); err != nil {
				allowed("metadata fields", err)
			}
		}
		if cerr == nil && h != nil && len(want) != h.Size() {
			t.Fatalf("digest of %d bytes for a %d-byte hash", len(want), h.Size())
		}
		if oerr == nil && lerr == nil {
			room, err := chunkRoom(n, off)
			switch {
			case off > n && err == nil:
				t.Fatalf("offset %d past length %d accepted", off, n)
			case err == nil && (room < 0 || room > tusChunkMax || off+room > n || off+room < off):
				t.Fatalf("room %d at offset %d of %d", room, off, n)
			}
		}
	})
}

// TestUploadLocksHandover: a new holder asks the old one to stop, the
// newest waiter wins, and nothing is left in the table.
func TestUploadLocksHandover(t *testing.T) {
	var ls uploadLocks
	ctx := context.Background()
	a, err := ls.acquire(ctx, "u", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *heldUpload)
	go func() {
		b, err := ls.acquire(ctx, "u", time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	select {
	case <-a.stop:
	case <-time.After(time.Second):
		t.Fatal("holder not asked to stop")
	}
	a.release()
	b := <-got
	// Nobody gives way: the wait is bounded.
	if _, err := ls.acquire(ctx, "u", 50*time.Millisecond); !errors.Is(err, errLockTimeout) {
		t.Fatalf("acquire while held: %v", err)
	}
	b.release()
	if n := ls.size(); n != 0 {
		t.Fatalf("%d locks left", n)
	}
}
