package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/release"
	"github.com/dialect-corpus/dialect/server"
)

// openCorpus opens the corpus named by the command's config and flags.
func openCorpus(cmd *cobra.Command) (*corpus.DB, error) {
	cfg, err := loadConfig(cmd, dataFlags)
	if err != nil {
		return nil, err
	}
	db, err := corpus.Open(cmd.Context(), cfg.DataDir, corpus.Options{})
	if err != nil {
		return nil, fmt.Errorf("open corpus %s: %w", cfg.DataDir, err)
	}
	return db, nil
}

// closeCorpus closes db when a command ends. A close that fails becomes the
// command's error unless it already has one: the command may have written.
func closeCorpus(db *corpus.DB, err *error) {
	if cerr := db.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("close corpus: %w", cerr)
	}
}

func addDataDir(cmd *cobra.Command) {
	cmd.PersistentFlags().String("data-dir", "", "data folder (default ./dialect-data)")
}

func newProjectCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{Use: "project", Short: "Create and list projects"}
	addDataDir(cmd)
	var name, slug, file string
	create := &cobra.Command{
		Use:   "create --name NAME [--slug SLUG] [--file project.yaml]",
		Short: "Create a project and print its id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			p := corpus.Project{Dialect: "nan-TW", Modes: []string{"prompted"}, Currency: "TWD",
				BandQuota: map[string]int{"low": 1, "medium": 1, "high": 1}}
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return usageError{message: err.Error(), hint: "dialect project create --name NAME --file project.yaml"}
				}
				if err := decodeProjectYAML(b, &p); err != nil {
					return usageError{message: fmt.Sprintf("%s: %v", file, err), hint: "see README, Projects"}
				}
			}
			if name != "" {
				p.Name = name
			}
			if slug != "" {
				p.Slug = slug
			}
			if p.Slug == "" {
				p.Slug = slugify(p.Name)
			}
			if p.Name == "" || p.Slug == "" {
				return usageError{message: "a project needs --name (and a slug of a-z, 0-9 and -)", hint: `dialect project create --name "Tainan 2026" --slug tainan-2026`}
			}
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			if err := db.CreateProject(cmd.Context(), &p); err != nil {
				if errors.Is(err, corpus.ErrConflict) {
					return usageError{message: fmt.Sprintf("a project with slug %q exists", p.Slug), hint: "choose another --slug"}
				}
				return err
			}
			if _, err := fmt.Fprintln(st.out, p.ID); err != nil {
				return fmt.Errorf("project %s created, but its id could not be printed: %w", p.Slug, err)
			}
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "project name")
	create.Flags().StringVar(&slug, "slug", "", "short id used in URLs and commands (default from the name)")
	create.Flags().StringVar(&file, "file", "", "YAML with dialect, modes, band_quota, rate_cents_per_minute, currency, consent_text, check, lint, license, terms, split, time_zone")
	list := &cobra.Command{
		Use:   "list",
		Short: "List projects",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			ps, err := db.Projects(cmd.Context())
			if err != nil {
				return err
			}
			out := &printer{w: st.out}
			for _, p := range ps {
				out.printf("%d\t%s\t%s\t%s\t%s\n", p.ID, p.Slug, p.Dialect, strings.Join(p.Modes, ","), p.Name)
			}
			if out.err != nil {
				return fmt.Errorf("write output: %w", out.err)
			}
			return nil
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

// projectFile is the YAML of `dialect project create --file`.
type projectFile struct {
	Name               string         `yaml:"name"`
	Slug               string         `yaml:"slug"`
	Dialect            string         `yaml:"dialect"`
	Modes              []string       `yaml:"modes"`
	BandQuota          map[string]int `yaml:"band_quota"`
	RateCentsPerMinute int64          `yaml:"rate_cents_per_minute"`
	Currency           string         `yaml:"currency"`
	ConsentText        string         `yaml:"consent_text"`
	Check              map[string]any `yaml:"check"`
	Lint               map[string]any `yaml:"lint"`
	// ReviewsRequired: agreeing reviews that decide a clip (1–3, default 1).
	ReviewsRequired int `yaml:"reviews_required"`
	// License and Terms are stated in every release's datasheet; unset,
	// the datasheet says the terms were not set.
	License string `yaml:"license"`
	Terms   string `yaml:"terms"`
	// Split divides a release's speakers into train, dev and test by a
	// hash of the seed and the speaker's pseudonymous id (default seed 0,
	// 80/10/10).
	Split *struct {
		Seed  int64 `yaml:"seed"`
		Train int   `yaml:"train"`
		Dev   int   `yaml:"dev"`
		Test  int   `yaml:"test"`
	} `yaml:"split"`
	// TimeZone is the IANA zone pages show the project's times in
	// ("Asia/Taipei"; default UTC).
	TimeZone string `yaml:"time_zone"`
}

func decodeProjectYAML(b []byte, p *corpus.Project) error {
	var f projectFile
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if f.Name != "" {
		p.Name = f.Name
	}
	if f.Slug != "" {
		p.Slug = f.Slug
	}
	if f.Dialect != "" {
		p.Dialect = f.Dialect
	}
	if len(f.Modes) > 0 {
		p.Modes = f.Modes
	}
	if len(f.BandQuota) > 0 {
		p.BandQuota = f.BandQuota
	}
	if f.RateCentsPerMinute > 0 {
		p.RateCentsPerMinute = f.RateCentsPerMinute
	}
	if f.Currency != "" {
		p.Currency = f.Currency
	}
	p.ConsentText = f.ConsentText
	if f.ReviewsRequired != 0 {
		p.ReviewsRequired = f.ReviewsRequired
	}
	p.License, p.Terms = strings.TrimSpace(f.License), strings.TrimSpace(f.Terms)
	if f.TimeZone != "" {
		p.TimeZone = strings.TrimSpace(f.TimeZone)
	}
	if f.Split != nil {
		p.Split = release.SplitConfig{Seed: f.Split.Seed, Train: f.Split.Train, Dev: f.Split.Dev, Test: f.Split.Test}
		if err := p.Split.OrDefault().Validate(); err != nil {
			return fmt.Errorf("%w（切分比例：train、dev、test 須為 0 以上、加總為 100 的百分比）", err)
		}
	}
	var err error
	if f.Check != nil {
		if p.CheckConfig, err = json.Marshal(f.Check); err != nil {
			return err
		}
	}
	if f.Lint != nil {
		if p.LintConfig, err = json.Marshal(f.Lint); err != nil {
			return err
		}
	}
	return nil
}

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

func newUserCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add people; print one-time sign-in links"}
	addDataDir(cmd)
	var role, username, project string
	var pwStdin bool
	add := &cobra.Command{
		Use:   "add --role ROLE --username NAME [--project SLUG] [--password-stdin]",
		Short: "Add a speaker, reviewer, vendor or admin",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			r := corpus.Role(role)
			switch r {
			case corpus.RoleSpeaker, corpus.RoleReviewer, corpus.RoleVendor, corpus.RoleAdmin:
			default:
				return usageError{message: fmt.Sprintf("unknown role %q", role), hint: "--role speaker|reviewer|vendor|admin"}
			}
			if !server.ValidUsername(username) {
				return usageError{message: fmt.Sprintf("invalid username %q", username), hint: "1–64 characters, no spaces, quotes or <>&"}
			}
			if r != corpus.RoleAdmin && project == "" {
				return usageError{message: "a " + role + " belongs to a project", hint: "--project SLUG (see dialect project list)"}
			}
			var pw string
			if pwStdin {
				line, err := bufio.NewReader(st.in).ReadString('\n')
				if err != nil && err != io.EOF {
					return err
				}
				pw = strings.TrimRight(line, "\r\n")
				if err := server.CheckPasswordPolicy(username, pw); err != nil {
					return usageError{message: err.Error(), hint: "8 to 256 characters, not a common password"}
				}
			} else {
				var b [15]byte
				_, _ = rand.Read(b[:])
				pw = base64.RawURLEncoding.EncodeToString(b[:])
			}
			hash, err := server.HashPassword(pw)
			if err != nil {
				return err
			}
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			u := &corpus.User{Username: username, Role: r, PasswordHash: hash}
			if project != "" {
				p, err := db.ProjectBySlug(cmd.Context(), project)
				if err != nil {
					return usageError{message: fmt.Sprintf("no project %q", project), hint: "dialect project list"}
				}
				u.ProjectID = p.ID
			}
			if err := db.CreateUser(cmd.Context(), u); err != nil {
				if errors.Is(err, corpus.ErrConflict) {
					return usageError{message: fmt.Sprintf("username %q is taken", username), hint: "choose another --username"}
				}
				return err
			}
			_, idErr := fmt.Fprintf(st.out, "%d\n", u.ID)
			if !pwStdin {
				// Shown once, even when the id could not be: the account
				// exists either way.
				if _, err := fmt.Fprintf(st.err, "password for %s (shown once): %s\n", username, pw); err != nil {
					return fmt.Errorf("user %s created, but its password could not be shown: %w", username, err)
				}
			}
			if idErr != nil {
				return fmt.Errorf("user %s created, but its id could not be printed: %w", username, idErr)
			}
			return nil
		},
	}
	add.Flags().StringVar(&role, "role", "", "speaker, reviewer, vendor or admin")
	add.Flags().StringVar(&username, "username", "", "sign-in name")
	add.Flags().StringVar(&project, "project", "", "project slug (not for admins)")
	add.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (default: generate one and print it once)")
	cmd.AddCommand(add, newUserLinkCmd(st))
	return cmd
}

func newTokenCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Issue vendor tokens"}
	addDataDir(cmd)
	var vendorName, project string
	create := &cobra.Command{
		Use:   "create --vendor NAME --project SLUG",
		Short: "Create a vendor bearer token and print it once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if vendorName == "" || project == "" {
				return usageError{message: "token create needs --vendor and --project", hint: "dialect token create --vendor acme --project demo"}
			}
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			p, err := db.ProjectBySlug(cmd.Context(), project)
			if err != nil {
				return usageError{message: fmt.Sprintf("no project %q", project), hint: "dialect project list"}
			}
			raw, hash := server.NewToken()
			if err := db.CreateToken(cmd.Context(), &corpus.Token{Hash: hash, Vendor: vendorName, ProjectID: p.ID}); err != nil {
				return err
			}
			if _, err := fmt.Fprintln(st.out, raw); err != nil {
				return fmt.Errorf("token for %s created, but it could not be shown (create another): %w", vendorName, err)
			}
			if _, err := fmt.Fprintln(st.err, "the token is shown once and stored hashed; keep it safe"); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	create.Flags().StringVar(&vendorName, "vendor", "", "vendor name")
	create.Flags().StringVar(&project, "project", "", "project slug")
	cmd.AddCommand(create)
	return cmd
}

func newImportCmd(st streams) *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Import data into the corpus"}
	addDataDir(cmd)
	var project string
	prompts := &cobra.Command{
		Use:   "prompts --project SLUG FILE",
		Short: "Import prompts: one per line, optionally TEXT<TAB>ROMANIZED<TAB>NOTE; '#' lines are comments",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			if project == "" {
				return usageError{message: "import prompts needs --project", hint: "dialect import prompts --project demo prompts.tsv"}
			}
			ps, err := readPrompts(args[0])
			if err != nil {
				return usageError{message: err.Error(), hint: "one prompt per line, UTF-8"}
			}
			db, err := openCorpus(cmd)
			if err != nil {
				return err
			}
			defer closeCorpus(db, &err)
			p, err := db.ProjectBySlug(cmd.Context(), project)
			if err != nil {
				return usageError{message: fmt.Sprintf("no project %q", project), hint: "dialect project list"}
			}
			n, err := db.AddPrompts(context.WithoutCancel(cmd.Context()), p.ID, ps)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(st.out, "%d prompts added (%d already there)\n", n, len(ps)-n); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	prompts.Flags().StringVar(&project, "project", "", "project slug")
	cmd.AddCommand(prompts)
	return cmd
}

func readPrompts(path string) ([]corpus.Prompt, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	var out []corpus.Prompt
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cols := strings.Split(t, "\t")
		p := corpus.Prompt{Text: strings.TrimSpace(cols[0])}
		if len(cols) > 1 {
			p.Romanized = strings.TrimSpace(cols[1])
		}
		if len(cols) > 2 {
			p.Note = strings.TrimSpace(cols[2])
		}
		if !isValidUTF8(p.Text) {
			return nil, fmt.Errorf("%s:%d: not valid UTF-8", path, line)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no prompts", path)
	}
	return out, nil
}

func isValidUTF8(s string) bool { return utf8.ValidString(s) }
