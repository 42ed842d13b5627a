package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by every subcommand (spec/api.md): 0 nothing found,
// 1 findings, 2 usage or I/O error.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// exitError carries a subcommand's exit code through cobra without printing
// anything more: the subcommand has already reported what it found.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// usageError is a mistake in how the command was called; main prints it with
// a hint and exits 2.
type usageError struct {
	message string
	hint    string
}

func (e usageError) Error() string { return e.message }

// streams are the process's standard streams, passed down so tests can run
// the command in-process.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// run executes the command line args and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	st := streams{in: stdin, out: stdout, err: stderr}
	root := newRootCmd(st)
	// Once the whole tree is built: an unknown subcommand exits 2 at
	// every level (config_strict.go).
	strictCommands(root)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// The exit status is 2 whatever happens to these messages: one that
	// cannot be written has nowhere else to go.
	var ue usageError
	if errors.As(err, &ue) {
		_, _ = fmt.Fprintf(stderr, "dialect: %s\n", ue.message)
		if ue.hint != "" {
			_, _ = fmt.Fprintf(stderr, "Try: %s\n", ue.hint)
		}
		return exitUsage
	}
	_, _ = fmt.Fprintf(stderr, "dialect: %v\n", err)
	return exitUsage
}

func newRootCmd(st streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "dialect",
		Short:         "Collect and validate a dialect speech corpus",
		Long:          "dialect records, validates and releases a dialect speech corpus (Minnan / Taiwanese Hokkien and Taiwanese-accent Mandarin).",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().String("config", "", "YAML config file (default: none; DIALECT_* environment variables and flags override it)")
	// cobra reports flag mistakes as plain errors; turn them into usage errors
	// so they exit 2 with a hint, like every other usage mistake.
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{message: err.Error(), hint: c.CommandPath() + " --help"}
	})
	root.AddCommand(newCheckCmd(st), newLintCmd(st), newServeCmd(st), newProjectCmd(st), newUserCmd(st),
		newTokenCmd(st), newImportCmd(st), newAuditCmd(st), newReleaseCmd(st), newExportCmd(st))
	root.AddCommand(newConfigCmd(st))
	root.AddCommand(newBackupCmd(st), newRestoreCmd(st))
	return root
}
