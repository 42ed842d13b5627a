package main

// Configuration that says what is wrong (issue #18): an unknown key in the
// configuration file or an unknown DIALECT_* variable stops the program with
// exit 2, naming the key and the nearest known one; `dialect config` prints
// the effective configuration with each value's source; an unknown
// subcommand exits 2 with a suggestion at every level.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// otherEnv are DIALECT_* variables that are not configuration keys: read by
// the failpoints build, by tests and by scripts. Every other DIALECT_*
// variable must name a configuration key.
var otherEnv = map[string]bool{
	"DIALECT_FAILPOINT":      true, // corpus, failpoints build only
	"DIALECT_TEST_AS_MAIN":   true, // cmd/dialect tests re-executing themselves
	"DIALECT_SHARED":         true, // bench scripts
	"DIALECT_SCREENSHOTS":    true, // browsertest
	"DIALECT_VULNDB_CACHE":   true, // scripts/vulndb.sh
	"DIALECT_F05_DIR":        true, // corpus tests' child
	"DIALECT_F05_RELEASE":    true,
	"DIALECT_HUGELINE_CHILD": true, // transcript tests' child
}

// otherEnvPrefixes are families of test and benchmark variables.
var otherEnvPrefixes = []string{"DIALECT_TEST_", "DIALECT_BENCH_"}

// configKeys lists every leaf key of the configuration, sorted.
func configKeys() []string {
	var keys []string
	walkConfig("", reflect.ValueOf(defaultConfig()), func(key string, _ reflect.Value) { keys = append(keys, key) })
	sort.Strings(keys)
	return keys
}

// walkConfig calls fn for every leaf field of rv with its dotted
// mapstructure key.
func walkConfig(prefix string, rv reflect.Value, fn func(key string, v reflect.Value)) {
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("mapstructure"), ",")[0]
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if fv := rv.Field(i); fv.Kind() == reflect.Struct {
			walkConfig(key, fv, fn)
		} else {
			fn(key, fv)
		}
	}
}

// envName is the DIALECT_* variable of a configuration key.
func envName(key string) string {
	return "DIALECT_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// checkEnv refuses DIALECT_* variables (environ is os.Environ's form) that
// name no configuration key.
func checkEnv(environ, keys []string) error {
	known := map[string]bool{}
	var names []string
	for _, k := range keys {
		known[envName(k)] = true
		names = append(names, envName(k))
	}
	var unknown []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "DIALECT_") || known[name] || otherEnv[name] || hasAnyPrefix(name, otherEnvPrefixes) {
			continue
		}
		unknown = append(unknown, name)
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	near := nearest(unknown[0], names)
	return usageError{
		message: fmt.Sprintf("unknown environment variable %s (nearest known: %s)", unknown[0], near),
		hint:    fmt.Sprintf("rename it to %s, or unset it; dialect config lists every setting", near),
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// checkFileKeys refuses keys of the configuration file that are no
// configuration key (fileKeys are viper's lower-case dotted keys).
func checkFileKeys(path string, fileKeys, keys []string) error {
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
		// A section on its own ("tls: {}") is known too.
		for i := range k {
			if k[i] == '.' {
				known[k[:i]] = true
			}
		}
	}
	var unknown []string
	for _, k := range fileKeys {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	near := nearest(unknown[0], keys)
	msg := fmt.Sprintf("unknown configuration key %q in %s (nearest known: %s)", unknown[0], path, near)
	if len(unknown) > 1 {
		msg += fmt.Sprintf("; %d more unknown: %s", len(unknown)-1, strings.Join(unknown[1:], ", "))
	}
	return usageError{message: msg, hint: "compare your file with config.example.yaml; dialect config lists every setting"}
}

// nearest is the candidate closest to s by edit distance. A candidate's
// trailing part counts too (a key written without its section: "tls_cert"
// is near "server.tls.cert_file"), at a cost of one; dots and underscores
// compare equal.
func nearest(s string, candidates []string) string {
	norm := func(x string) string { return strings.ToLower(strings.ReplaceAll(x, ".", "_")) }
	ns := norm(s)
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshtein(ns, norm(c))
		for i := range c {
			if c[i] == '.' || c[i] == '_' {
				if e := levenshtein(ns, norm(c[i+1:])) + 1; e < d {
					d = e
				}
			}
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// configSources says where each key's effective value came from: "default",
// "file PATH", "environment DIALECT_…" or "flag --name".
type configSources map[string]string

// sourcesOf works the sources out the way viper decides: a flag that was
// set, then a non-empty environment variable, then the file, then the
// default.
func sourcesOf(cmd *cobra.Command, flagKeys map[string]string, file *viper.Viper, path string) configSources {
	src := configSources{}
	for _, k := range configKeys() {
		src[k] = "default"
		if file != nil && file.InConfig(k) {
			src[k] = "file " + path
		}
		if v, ok := os.LookupEnv(envName(k)); ok && v != "" {
			src[k] = "environment " + envName(k)
		}
		if name, ok := flagKeys[k]; ok {
			if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
				src[k] = "flag --" + name
			}
		}
	}
	return src
}

// Sources, in a few words, for the first log line.
func (s configSources) summary() string {
	var files, envs, flags []string
	seen := map[string]bool{}
	for _, v := range s {
		if seen[v] {
			continue
		}
		seen[v] = true
		switch {
		case strings.HasPrefix(v, "file "):
			files = append(files, strings.TrimPrefix(v, "file "))
		case strings.HasPrefix(v, "environment "):
			envs = append(envs, strings.TrimPrefix(v, "environment "))
		case strings.HasPrefix(v, "flag "):
			flags = append(flags, strings.TrimPrefix(v, "flag "))
		}
	}
	sort.Strings(envs)
	sort.Strings(flags)
	parts := []string{"defaults"}
	if len(files) > 0 {
		parts = append(parts, "file "+strings.Join(files, ","))
	}
	if len(envs) > 0 {
		parts = append(parts, "environment "+strings.Join(envs, ","))
	}
	if len(flags) > 0 {
		parts = append(parts, "flags "+strings.Join(flags, ","))
	}
	return strings.Join(parts, "; ")
}

// secretWords mark keys whose values are masked by dialect config.
var secretWords = []string{"password", "secret", "token", "private"}

// maskValue hides a secret: the whole value of a key named like one, and
// the password of a URL (postgres://user:PASSWORD@host/db).
func maskValue(key string, v any) any {
	s, ok := v.(string)
	if !ok || s == "" {
		return v
	}
	last := key[strings.LastIndex(key, ".")+1:]
	for _, w := range secretWords {
		if strings.Contains(last, w) {
			return "********"
		}
	}
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return strings.Replace(u.String(), "xxxxx", "********", 1)
		}
	}
	return v
}

func newConfigCmd(st streams) *cobra.Command {
	flagKeys := map[string]string{"data_dir": "data-dir", "server.addr": "addr"}
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, with each value's source",
		Long: `Print the effective configuration: every key, its value and where the
value came from (default, file, environment or flag), one per line, in the
order of precedence defaults < --config file < DIALECT_* variables < flags.
Secrets (keys named like password, secret or token, and passwords in URLs)
are masked. Unknown keys and unknown DIALECT_* variables exit 2, as they do
for every command.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, src, err := loadConfigSources(cmd, flagKeys)
			if err != nil {
				return err
			}
			var buf strings.Builder
			tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
			walkConfig("", reflect.ValueOf(cfg), func(key string, v reflect.Value) {
				val := maskValue(key, v.Interface())
				if v.Kind() == reflect.Slice && v.IsNil() {
					val = []any{} // [] rather than null
				}
				b, err := json.Marshal(val)
				if err != nil {
					b = []byte(fmt.Sprintf("%q", fmt.Sprint(v.Interface())))
				}
				_, _ = fmt.Fprintf(tw, "%s:\t%s\t# %s\n", key, b, src[key])
			})
			_ = tw.Flush() // into a strings.Builder: cannot fail
			if _, err := io.WriteString(st.out, buf.String()); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().String("addr", "", "listen address, as for serve")
	cmd.Flags().String("data-dir", "", "data folder, as for serve")
	return cmd
}

// strictCommands makes every command that only groups others (dialect,
// dialect user, …) refuse an unknown subcommand with exit 2 and a
// suggestion; cobra's default prints the help and exits 0.
func strictCommands(c *cobra.Command) {
	c.SuggestionsMinimumDistance = 2
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			hint := cmd.CommandPath() + " --help"
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf(" (did you mean %q?)", s[0])
				hint = strings.Join(append([]string{cmd.CommandPath(), s[0]}, args[1:]...), " ")
			}
			return usageError{message: msg, hint: hint}
		}
	}
	for _, sub := range c.Commands() {
		strictCommands(sub)
	}
}

// byteUnits are the suffixes parseBytes knows, longest first.
var byteUnits = []struct {
	suffix string
	factor int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// parseBytes reads a size: plain bytes ("1073741824"), or a number with a
// unit, binary (KiB, MiB, GiB, TiB; K, M, G, T) or decimal (kB, MB, GB,
// TB), case-insensitive, spaces allowed ("1GiB", "500 MB", "1.5GiB").
func parseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return 0, errors.New("empty size (want bytes or e.g. 1GiB, 500MB)")
	}
	factor := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, factor = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.factor
			break
		}
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil && n >= 0 && n <= math.MaxInt64/factor {
		return n * factor, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f*float64(factor) >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size (want bytes or e.g. 1GiB, 500MB)", s)
	}
	return int64(f * float64(factor)), nil
}
