package release

import (
	"archive/tar"
	"context"
	"io"
)

// Piece is one run of a planned archive's bytes, in archive order: either
// Len bytes of the skeleton from SkelOff (tar headers, index files,
// SHA256SUMS, the datasheet, padding and the end blocks), or the whole WAV
// of Clip (Len is Clip.Bytes).
type Piece struct {
	Off     int64 // where the piece starts in the archive
	Len     int64
	SkelOff int64      // skeleton pieces: where they start in the skeleton
	Clip    *Utterance // audio pieces; nil for a skeleton piece
}

// WritePlan works out the archive Write would write for the same
// arguments without reading any audio: every byte that is not a WAV's goes
// to skel, and piece is called for each run of the archive, in order, so
// the archive is the pieces laid end to end, a WAV piece being the clip
// file's bytes. It returns the archive's size.
//
// The bytes are Write's own (the same code lays them out), so an archive
// assembled from the skeleton and the clip files is byte for byte the one
// Write gives, and the SHA-256 of Write's output is the assembled
// archive's.
func WritePlan(ctx context.Context, skel io.Writer, f Format, m *Meta, src Source, piece func(Piece) error) (int64, error) {
	pw := &planWriter{skel: skel, piece: piece}
	n, err := write(ctx, pw, f, m, src, func(tw *tar.Writer, u *Utterance) error {
		if err := pw.flush(); err != nil {
			return err
		}
		pw.audio = true
		_, err := io.CopyN(tw, zeros{}, u.Bytes)
		pw.audio = false
		if err != nil {
			return err
		}
		if err := piece(Piece{Off: pw.off, Len: u.Bytes, Clip: u}); err != nil {
			return err
		}
		pw.off += u.Bytes
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, pw.flush()
}

// planWriter is where write's output goes in WritePlan: audio is counted
// and dropped, everything else goes to the skeleton as pending pieces.
type planWriter struct {
	skel    io.Writer
	piece   func(Piece) error
	audio   bool
	off     int64 // archive offset of the pending skeleton run
	skelOff int64 // skeleton offset of the pending run
	pending int64 // bytes of the pending run
}

func (w *planWriter) Write(p []byte) (int, error) {
	if w.audio {
		return len(p), nil
	}
	n, err := w.skel.Write(p)
	w.pending += int64(n)
	return n, err
}

func (w *planWriter) flush() error {
	if w.pending == 0 {
		return nil
	}
	err := w.piece(Piece{Off: w.off, Len: w.pending, SkelOff: w.skelOff})
	w.off += w.pending
	w.skelOff += w.pending
	w.pending = 0
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
