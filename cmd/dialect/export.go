package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/corpus"
)

// newExportCmd is `dialect export --release ID --format F --out FILE.tar`:
// the vendor archive, offline, byte for byte what the download serves.
func newExportCmd(st streams) *cobra.Command {
	var (
		id     int64
		format string
		out    string
	)
	cmd := &cobra.Command{
		Use:   "export --release ID --format kaldi|hf|nemo|cv --out FILE.tar",
		Short: "Write a release's vendor archive to a file, the same bytes as the download",
		Long: `Write the archive of a published release in one format: the audio, the
format's index files, speakers.tsv, SHA256SUMS and a README.md datasheet. The
bytes are exactly those of GET /api/v1/releases/{id}/download?format=F.

The file appears whole or not at all: it is written to a temporary name
beside FILE, synced, then renamed. --out - writes to standard output.`,
		Example: `  dialect export --release 3 --format kaldi --out tainan-r3-kaldi.tar
  dialect export --release 3 --format hf --out - | tar -tvf -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			switch {
			case id <= 0:
				return usageError{message: "export needs --release ID", hint: "dialect release list"}
			case format != "kaldi" && format != "hf" && format != "nemo" && format != "cv":
				return usageError{message: fmt.Sprintf("unknown format %q", format), hint: "--format kaldi|hf|nemo|cv"}
			case out == "":
				return usageError{message: "export needs --out FILE.tar", hint: "dialect export --release ID --format kaldi --out FILE.tar"}
			}
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			r, err := db.Release(cmd.Context(), id)
			if errors.Is(err, corpus.ErrNotFound) {
				return usageError{message: fmt.Sprintf("no published release %d", id), hint: "dialect release list"}
			}
			if err != nil {
				return err
			}
			if out == "-" {
				bw := bufio.NewWriterSize(st.out, 1<<20)
				if _, err := db.WriteReleaseArchive(cmd.Context(), bw, r, format); err != nil {
					return err
				}
				return bw.Flush()
			}
			n, sum, err := exportFile(cmd, db, r, format, out)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(st.err, "%s: %d bytes, SHA-256 %s\n", out, n, sum); err != nil {
				return fmt.Errorf("%s written, but its SHA-256 could not be printed: %w", out, err)
			}
			return nil
		},
	}
	addDataDir(cmd)
	f := cmd.Flags()
	f.Int64Var(&id, "release", 0, "release id (see dialect release list)")
	f.StringVar(&format, "format", "kaldi", "archive format: kaldi, hf, nemo or cv")
	f.StringVar(&out, "out", "", "output file, or - for standard output")
	return cmd
}

// exportFile writes the archive to a temp file beside out, syncs it and
// renames it into place, then syncs the directory.
func exportFile(cmd *cobra.Command, db *corpus.DB, r *corpus.Release, format, out string) (n int64, sum string, err error) {
	dir := filepath.Dir(out)
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(out)+"."+hex.EncodeToString(rnd[:])+".tmp")
	// The archive carries speakers' voices and details: readable by its
	// owner and group, like the corpus's own clip files, not by everyone.
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640) //nolint:gosec // G302: the 0640 of the corpus's own clip files (corpus filePerm): who may read the corpus may read its releases
	if err != nil {
		return 0, "", err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	if n, err = db.WriteReleaseArchive(cmd.Context(), bw, r, format); err != nil {
		return 0, "", err
	}
	if err = bw.Flush(); err != nil {
		return 0, "", err
	}
	if err = f.Sync(); err != nil {
		return 0, "", err
	}
	if err = f.Close(); err != nil {
		return 0, "", err
	}
	if err = os.Rename(tmp, out); err != nil {
		return 0, "", err
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
