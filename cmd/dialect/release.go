package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialect-corpus/dialect/corpus"
)

// newReleaseCmd is `dialect release create|list`.
func newReleaseCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{Use: "release", Short: "Freeze accepted clips into immutable releases, and list them"}
	addDataDir(cmd)
	var project string
	create := &cobra.Command{
		Use:   "create --project SLUG",
		Short: "Freeze the project's accepted clips from consenting speakers into a new release; print its id",
		Long: `Freeze every accepted clip of the project whose speaker has accepted the
project's current consent version into a new, published release. A published
release never changes: clips accepted later go into the next release, and a
speaker who withdraws consent is left out of every later one. Vendors download
it with GET /api/v1/releases/{id}/download?format=kaldi|hf|nemo|cv; the same
bytes come from 'dialect export'.`,
		Example: "  dialect release create --project tainan-2026",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if project == "" {
				return usageError{message: "release create needs --project", hint: "dialect release create --project SLUG (see dialect project list)"}
			}
			cfg, err := loadConfig(cmd, dataFlags)
			if err != nil {
				return err
			}
			db, err := corpus.Open(cmd.Context(), cfg.DataDir, corpus.Options{})
			if err != nil {
				return fmt.Errorf("open corpus %s: %w", cfg.DataDir, err)
			}
			defer closeCorpus(db, &err)
			p, err := db.ProjectBySlug(cmd.Context(), project)
			if err != nil {
				return usageError{message: fmt.Sprintf("no project %q", project), hint: "dialect project list"}
			}
			check, err := json.Marshal(cfg.Check)
			if err != nil {
				return err
			}
			lint, err := json.Marshal(cfg.Lint)
			if err != nil {
				return err
			}
			r, err := db.CreateRelease(cmd.Context(), p.ID, corpus.ReleaseOptions{CheckConfig: check, LintConfig: lint})
			if errors.Is(err, corpus.ErrEmptyRelease) {
				return usageError{message: fmt.Sprintf("project %q has no accepted clips from speakers with current consent", project),
					hint: "review clips first; see dialect release list"}
			}
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintln(st.out, r.ID); err != nil {
				return fmt.Errorf("release %d created, but its id could not be printed: %w", r.ID, err)
			}
			if _, err := fmt.Fprintf(st.err, "release %d of %s: %d clips, %d speakers, %.2f h, manifest %s\n",
				r.Number, p.Slug, r.Clips, r.Speakers, r.Hours, r.ManifestSHA256); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			// Each format's member plan and SHA-256, once: downloads are
			// assembled from them, and a restart costs nothing.
			last := map[string]int64{}
			err = db.PrepareReleaseArchives(cmd.Context(), r.ID, func(format string, done, size int64) {
				if size > 0 && (done == size || done-last[format] >= max(size/10, 1)) {
					last[format] = done
					_, _ = fmt.Fprintf(st.err, "archive %s: SHA-256 %d%% of %d bytes\n", format, done*100/size, size) // progress only
				}
			})
			if err != nil {
				return fmt.Errorf("release %d created; its archives' SHA-256 is left to the server: %w", r.ID, err)
			}
			return nil
		},
	}
	create.Flags().StringVar(&project, "project", "", "project slug")

	var listProject string
	list := &cobra.Command{
		Use:   "list [--project SLUG]",
		Short: "List published releases: id, project, number, clips, speakers, hours, created, manifest SHA-256, archives' SHA-256 (ready, pending or hashing)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			var pid int64
			if listProject != "" {
				p, err := db.ProjectBySlug(cmd.Context(), listProject)
				if err != nil {
					return usageError{message: fmt.Sprintf("no project %q", listProject), hint: "dialect project list"}
				}
				pid = p.ID
			}
			ps, err := db.Projects(cmd.Context())
			if err != nil {
				return err
			}
			slugs := map[int64]string{}
			for _, p := range ps {
				slugs[p.ID] = p.Slug
			}
			rs, err := db.Releases(cmd.Context(), pid)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
			out := &printer{w: tw}
			out.printf("ID\tPROJECT\tNUMBER\tCLIPS\tSPEAKERS\tHOURS\tCREATED\tMANIFEST\tARCHIVES\n")
			for _, r := range rs {
				status, err := db.ArchivesStatus(cmd.Context(), r.ID)
				if err != nil {
					return err
				}
				out.printf("%d\t%s\t%d\t%d\t%d\t%.2f\t%s\t%s\t%s\n", r.ID, slugs[r.ProjectID], r.Number, r.Clips, r.Speakers,
					r.Hours, r.CreatedAt.Format(time.RFC3339), r.ManifestSHA256, status)
			}
			if out.err == nil {
				out.err = tw.Flush()
			}
			if out.err != nil {
				return fmt.Errorf("write output: %w", out.err)
			}
			return nil
		},
	}
	list.Flags().StringVar(&listProject, "project", "", "only this project's releases")
	cmd.AddCommand(create, list)
	return cmd
}
