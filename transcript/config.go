// Package transcript lints transcripts against spec/transcript-rules.md:
// only the four marks ，。？！ (or , . ? ! in romanized lines), no stray
// whitespace, digits or invisible characters, with Tâi-lô and POJ
// hyphenation understood. Lint and Fix work on one transcript in memory;
// LintStream and FixStream work on files of any size in the formats of
// Format.
package transcript

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Config is a project's transcript settings: the `lint:` section of the
// config file. Every field has a mapstructure tag so viper can read it.
type Config struct {
	// Width of the four marks: "auto" (full-width in a line with Han or
	// Bopomofo, half-width in a Latin-only line), "full" or "half".
	Width string `mapstructure:"width"`
	// AllowedTags are annotation tags written literally, such as "[noise]"
	// or "<unk>", that are not T001 errors.
	AllowedTags []string `mapstructure:"allowed_tags"`
	// AllowInWords are single characters allowed between two letters, such
	// as "'" for "don't" or "·" for name separators.
	AllowInWords []string `mapstructure:"allow_in_words"`
	// Disable switches rules off, by id ("T006") or name ("digits").
	Disable []string `mapstructure:"disable"`
	// Errors raises rules that are warnings by default (T006) to errors.
	Errors []string `mapstructure:"errors"`
	// FinalMark turns on T013: every utterance ends with one of the marks.
	FinalMark bool `mapstructure:"final_mark"`
	// MaxLength turns on T014 when above 0: utterances longer than this
	// many characters (code points).
	MaxLength int `mapstructure:"max_length"`
	// Script turns on T015: "traditional" or "simplified" Han characters
	// only; "" is off.
	Script string `mapstructure:"script"`
}

// DefaultConfig returns the settings of spec/transcript-rules.md: automatic
// width, no tags, no optional rules.
func DefaultConfig() Config { return Config{Width: "auto"} }

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch c.Width {
	case "", "auto", "full", "half":
	default:
		return fmt.Errorf("width %q: want auto, full or half", c.Width)
	}
	for _, t := range c.AllowedTags {
		if t == "" || !utf8.ValidString(t) || strings.ContainsAny(t, " \t\r\n") {
			return fmt.Errorf("allowed_tags: %q is not a tag (non-empty, no whitespace)", t)
		}
	}
	for _, s := range c.AllowInWords {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || n != len(s) || r == utf8.RuneError || unicode.IsLetter(r) || unicode.IsSpace(r) || r == '-' {
			return fmt.Errorf("allow_in_words: %q is not a single non-letter character", s)
		}
	}
	for _, id := range c.Disable {
		if _, ok := lookupRule(id); !ok {
			return fmt.Errorf("disable: unknown rule %q", id)
		}
	}
	for _, id := range c.Errors {
		if _, ok := lookupRule(id); !ok {
			return fmt.Errorf("errors: unknown rule %q", id)
		}
	}
	if c.MaxLength < 0 {
		return errors.New("max_length is negative")
	}
	switch c.Script {
	case "", "traditional", "simplified":
	default:
		return fmt.Errorf("script %q: want traditional, simplified or empty", c.Script)
	}
	return nil
}

// width is the form of the four marks a line needs.
type width uint8

const (
	widthAuto width = iota
	widthFull
	widthHalf
)

// compiled is a Config checked and turned into lookups, built once per
// Lint call or per stream.
type compiled struct {
	width     width
	tags      []string
	tagFirst  [256]bool // first bytes of the allowed tags, to skip the prefix test
	inWords   map[rune]bool
	off       map[string]bool
	severity  map[string]Severity
	finalMark bool
	maxLength int
	script    string
}

func compile(c Config) (*compiled, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	k := &compiled{finalMark: c.FinalMark, maxLength: c.MaxLength, script: c.Script,
		off: map[string]bool{}, severity: map[string]Severity{}}
	switch c.Width {
	case "full":
		k.width = widthFull
	case "half":
		k.width = widthHalf
	}
	// Longest tag first, so "[noise]" wins over "[n" if both are listed.
	k.tags = append(k.tags, c.AllowedTags...)
	for i := 1; i < len(k.tags); i++ {
		for j := i; j > 0 && len(k.tags[j]) > len(k.tags[j-1]); j-- {
			k.tags[j], k.tags[j-1] = k.tags[j-1], k.tags[j]
		}
	}
	for _, t := range k.tags {
		k.tagFirst[t[0]] = true
	}
	if len(c.AllowInWords) > 0 {
		k.inWords = map[rune]bool{}
		for _, s := range c.AllowInWords {
			r, _ := utf8.DecodeRuneInString(s)
			k.inWords[r] = true
		}
	}
	for _, r := range rules {
		k.severity[r.ID] = r.Severity
	}
	for _, s := range c.Disable {
		r, _ := lookupRule(s)
		k.off[r.ID] = true
	}
	for _, s := range c.Errors {
		r, _ := lookupRule(s)
		k.severity[r.ID] = Error
	}
	return k, nil
}

// mustCompile is compile for configs that failed Validate: Lint has no error
// result (the server validates its config at start-up), so an invalid
// config falls back to the default rules rather than panicking.
func mustCompile(c Config) *compiled {
	k, err := compile(c)
	if err != nil {
		k, _ = compile(DefaultConfig())
	}
	return k
}
