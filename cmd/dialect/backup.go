package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/corpus"
)

// addEngineFlags adds --database and --blobs, which name the PostgreSQL and
// S3 engines (spec/api.md); refuseEngineFlags turns them away until those
// engines exist.
func addEngineFlags(cmd *cobra.Command) {
	cmd.Flags().String("database", "", "PostgreSQL database URL (not supported yet)")
	cmd.Flags().String("blobs", "", "S3 blob store URL (not supported yet)")
}

func refuseEngineFlags(cmd *cobra.Command) error {
	for _, name := range []string{"database", "blobs"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return usageError{
				message: fmt.Sprintf("--%s is not supported yet: this binary backs up and restores the embedded SQLite corpus and its clips folder only", name),
				hint:    cmd.CommandPath() + " --data-dir DIR",
			}
		}
	}
	return nil
}

func newBackupCmd(st streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "backup DIR [--data-dir D]",
		Short: "Copy the corpus into a backup folder, consistently, while it serves",
		Long: `Copy the corpus in the data directory into the backup folder DIR while
dialect serve runs on it (the server's lock is not needed):

  - a transactionally consistent copy of the database (SQLite VACUUM INTO:
    one read transaction; uploads carry on),
  - every clip file that copy references, checked against its row's size
    and SHA-256; a second backup into the same DIR copies only the clip
    files it lacks,
  - MANIFEST.json (time, schema version, counts, the database copy's
    SHA-256), written last and atomically.

Before it writes the manifest the backup verifies the copy: the invariant
audit on the database copy, every referenced clip file present with its
SHA-256. A backup cut off (SIGKILL, power loss) leaves no manifest, or the
previous backup's, which names the previous database copy: dialect restore
accepts only a folder whose manifest matches what it holds.

Exit status: 0 when the copy verifies, 1 when it does not (files missing or
damaged in the corpus, an audit finding), 2 on a usage or I/O error.`,
		Example: `  dialect backup /backup/dialect --data-dir /srv/dialect
  # nightly, from cron:
  15 3 * * * dialect backup /backup/dialect --data-dir /srv/dialect`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseEngineFlags(cmd); err != nil {
				return err
			}
			if format != "text" && format != "json" {
				return usageError{message: fmt.Sprintf("unknown format %q", format), hint: "dialect backup DIR --format json"}
			}
			cfg, err := loadConfig(cmd, dataFlags)
			if err != nil {
				return err
			}
			m, err := corpus.Backup(cmd.Context(), cfg.DataDir, args[0], corpus.BackupOptions{})
			var be *corpus.BackupError
			if errors.As(err, &be) {
				_, _ = fmt.Fprintf(st.err, "dialect backup: %v\n", be)
				for _, id := range be.Missing {
					_, _ = fmt.Fprintf(st.err, "missing: clips/%s.wav\n", id)
				}
				for _, id := range be.Mismatched {
					_, _ = fmt.Fprintf(st.err, "damaged: clips/%s.wav\n", id)
				}
				return exitError{code: exitFindings}
			}
			if err != nil {
				return err
			}
			if format == "json" {
				return writeBackupJSON(st.out, m)
			}
			_, err = fmt.Fprintf(st.out, "backup %s: schema v%d, %d clips (%d bytes), database %d bytes sha256 %s; copied %d clip files (%d bytes), %d already there; %.1f s\n",
				args[0], m.SchemaVersion, m.Counts.Clips, m.Counts.ClipBytes, m.Database.Bytes, m.Database.SHA256,
				m.Copied, m.CopiedBytes, m.Skipped, m.Seconds)
			if err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().String("data-dir", "", "data folder to back up (default ./dialect-data)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	addEngineFlags(cmd)
	return cmd
}

func newRestoreCmd(st streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "restore DIR --data-dir D",
		Short: "Make a data directory from a backup folder",
		Long: `Make the data directory D from the backup folder DIR. The target must be
empty or not exist: a non-empty one is refused (exit 2) and left alone.

The backup is checked first (its manifest, the database copy's SHA-256,
every clip file with its SHA-256, the audit on the copy): a backup that was
cut off or damaged is refused (exit 2). Then the clip files and the
database are copied, tmp/ and quarantine/ are created, and the result is
opened as dialect serve opens it and audited; dialect serve --data-dir D
starts on it.

Exit status: 0 when the restored corpus audits clean, 1 when it does not,
2 on a refusal, a usage or an I/O error.`,
		Example: `  dialect restore /backup/dialect --data-dir /srv/dialect-restored`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := refuseEngineFlags(cmd); err != nil {
				return err
			}
			if format != "text" && format != "json" {
				return usageError{message: fmt.Sprintf("unknown format %q", format), hint: "dialect restore DIR --data-dir D --format json"}
			}
			cfg, err := loadConfig(cmd, dataFlags)
			if err != nil {
				return err
			}
			rep, err := corpus.Restore(cmd.Context(), args[0], cfg.DataDir)
			if errors.Is(err, corpus.ErrCorrupt) && rep != nil {
				_, _ = fmt.Fprintf(st.err, "dialect restore: %v\n", err)
				return exitError{code: exitFindings}
			}
			if err != nil && !errors.Is(err, corpus.ErrTargetNotEmpty) && !errors.Is(err, corpus.ErrBackupInvalid) {
				if _, serr := os.Stat(cfg.DataDir); serr == nil {
					return fmt.Errorf("%w (%s may hold a partial restore: remove it before trying again)", err, cfg.DataDir)
				}
			}
			if err != nil {
				return err
			}
			if format == "json" {
				return writeBackupJSON(st.out, rep)
			}
			_, err = fmt.Fprintf(st.out, "restored %s into %s: schema v%d, %d clips (%d bytes), backup of %s; audit OK\n",
				args[0], cfg.DataDir, rep.Manifest.SchemaVersion, rep.Clips, rep.Bytes, rep.Manifest.CreatedAt.Format("2006-01-02 15:04:05Z"))
			if err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().String("data-dir", "", "the data folder to create (must be empty or not exist)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	addEngineFlags(cmd)
	return cmd
}

// writeBackupJSON writes v as one JSON document.
func writeBackupJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
