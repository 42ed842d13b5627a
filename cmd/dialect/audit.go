package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/corpus"
)

type auditFlags struct {
	format       string
	verifyHashes bool
}

func newAuditCmd(st streams) *cobra.Command {
	var fl auditFlags
	cmd := &cobra.Command{
		Use:   "audit [flags]",
		Short: "Audit the corpus: database integrity, clip files, decision and ledger hash chains",
		Long: `Run the invariant audit (reliability.md B0 1-5) on the corpus in the data
directory: SQLite integrity and foreign keys, every clip row has its file at
the recorded size (and SHA-256 with --verify-hashes), orphan clip files and
temp files, the decision hash chain end to end, and each clip's status
against its last decision; the payment ledger's hash chain, exactly one
earning per accepted clip and none for others, and the ledger's sum against
the accepted clips' duration times rate (B0 item 5).

The audit only reads: it may run beside a live server, and it runs on a
corpus the server refuses to open. Exit status: 0 when nothing blocks a
release, 1 when something does, 2 on a usage or I/O error.`,
		Example: `  dialect audit --data-dir /srv/dialect
  dialect audit --verify-hashes --format json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd, st, fl, args)
		},
	}
	f := cmd.Flags()
	f.String("data-dir", defaultConfig().DataDir, "corpus data directory")
	f.BoolVar(&fl.verifyHashes, "verify-hashes", false, "re-read every clip file and compare its SHA-256 (slow)")
	f.StringVar(&fl.format, "format", "text", "output format: text or json")
	return cmd
}

func runAudit(cmd *cobra.Command, st streams, fl auditFlags, args []string) error {
	if len(args) != 0 {
		return usageError{message: fmt.Sprintf("audit takes no arguments, got %q", args[0]), hint: "dialect audit --data-dir DIR"}
	}
	if fl.format != "text" && fl.format != "json" {
		return usageError{message: fmt.Sprintf("unknown format %q", fl.format), hint: "dialect audit --format json"}
	}
	cfg, err := loadConfig(cmd, map[string]string{"data_dir": "data-dir"})
	if err != nil {
		return err
	}
	rep, err := corpus.AuditDir(cmd.Context(), cfg.DataDir, fl.verifyHashes)
	if err != nil {
		return err
	}
	if fl.format == "json" {
		enc := json.NewEncoder(st.out)
		enc.SetEscapeHTML(false)
		err = enc.Encode(struct {
			*corpus.AuditReport
			HashesVerified bool `json:"hashes_verified"`
			OK             bool `json:"ok"`
		}{rep, fl.verifyHashes, rep.OK()})
	} else {
		err = printAuditText(st.out, rep, fl.verifyHashes)
	}
	if err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if !rep.OK() {
		return exitError{code: exitFindings}
	}
	return nil
}

func printAuditText(w io.Writer, rep *corpus.AuditReport, verified bool) error {
	sha := fmt.Sprint(rep.SHAMismatches)
	if !verified {
		sha = "not checked (--verify-hashes)"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	out := &printer{w: tw}
	for _, l := range [][2]any{
		{"integrity check", rep.IntegrityCheck},
		{"foreign key errors", rep.ForeignKeyErrors},
		{"clips", rep.Clips},
		{"rows without file", rep.RowsWithoutFile},
		{"size mismatches", rep.SizeMismatches},
		{"SHA-256 mismatches", sha},
		{"orphan files", rep.OrphanFiles},
		{"temp files", rep.TempFiles},
		{"decisions", rep.Decisions},
		{"chain ok", rep.ChainOK},
		{"status mismatches", rep.StatusMismatches},
		{"ledger entries", rep.LedgerEntries},
		{"ledger chain ok", rep.LedgerChainOK},
		{"ledger mismatches", rep.LedgerMismatches},
		{"ledger cents", rep.LedgerCents},
		{"accepted cents", rep.AcceptedCents},
		{"tally mismatches", rep.TallyMismatches},
	} {
		out.printf("%s:\t%v\n", l[0], l[1])
	}
	if out.err != nil {
		return out.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "OK"
	if !rep.OK() {
		verdict = "FAILED: a release is blocked"
	}
	_, err := fmt.Fprintf(w, "audit: %s\n", verdict)
	return err
}
