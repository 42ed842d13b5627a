package recorder

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/transcript"
	"github.com/dialect-corpus/dialect/validate"
)

// defaultMaxClipBytes bounds a clip upload when Options.MaxClipBytes is 0.
const defaultMaxClipBytes = 64 << 20

// withDefaults fills what the caller left zero: the zero validate.Config and
// transcript.Config mean the spec's defaults.
func (o Options) withDefaults() Options {
	if reflect.ValueOf(o.Check).IsZero() {
		o.Check = validate.DefaultConfig()
	}
	if reflect.ValueOf(o.Lint).IsZero() {
		o.Lint = transcript.DefaultConfig()
	}
	if o.MaxClipBytes == 0 {
		o.MaxClipBytes = defaultMaxClipBytes
	}
	return o
}

// lintConfigJSON mirrors transcript.Config with JSON names equal to its
// mapstructure tags, so a project's LintConfig can be decoded onto the
// defaults. The two types convert into each other; a field added to
// transcript.Config breaks the conversion at compile time, which is the
// reminder to add it here.
type lintConfigJSON struct {
	Width        string   `json:"width"`
	AllowedTags  []string `json:"allowed_tags"`
	AllowInWords []string `json:"allow_in_words"`
	Disable      []string `json:"disable"`
	Errors       []string `json:"errors"`
	FinalMark    bool     `json:"final_mark"`
	MaxLength    int      `json:"max_length"`
	Script       string   `json:"script"`
}

// projectConfig is a project's settings merged over the Service's defaults.
type projectConfig struct {
	check  validate.Config
	linter *transcript.Linter
}

// checkConfig returns a copy of the check settings, for validate.Options
// (validate does not modify it, but a copy keeps that a local fact).
func (pc *projectConfig) checkConfig() *validate.Config {
	c := pc.check
	return &c
}

// config returns p's merged settings. Each JSON override is applied field by
// field over the defaults (a nested object such as "low" overrides only the
// keys it names; a list replaces the list). Unknown keys are errors: a typo
// in a threshold must not pass silently as the default.
func (s *Service) config(p *corpus.Project) (*projectConfig, error) {
	key := string(p.CheckConfig) + "\x00" + string(p.LintConfig)
	if pc, ok := s.configs.Load(key); ok {
		return pc.(*projectConfig), nil
	}
	pc, err := mergeConfig(s.opts, p.CheckConfig, p.LintConfig)
	if err != nil {
		return nil, fmt.Errorf("project %q: %w", p.Slug, err)
	}
	s.configs.Store(key, pc)
	return pc, nil
}

func mergeConfig(opts Options, checkJSON, lintJSON json.RawMessage) (*projectConfig, error) {
	check := opts.Check
	// Lists are replaced, never appended to: copy them so that decoding
	// cannot write into the Service's defaults.
	check.Encodings = append([]string(nil), check.Encodings...)
	check.SampleRates = append([]int(nil), check.SampleRates...)
	if err := decodeStrict(checkJSON, &check); err != nil {
		return nil, fmt.Errorf("check_config: %w", err)
	}
	if err := check.Validate(); err != nil {
		return nil, fmt.Errorf("check_config: %w", err)
	}
	lint := lintConfigJSON(opts.Lint)
	if err := decodeStrict(lintJSON, &lint); err != nil {
		return nil, fmt.Errorf("lint_config: %w", err)
	}
	linter, err := transcript.NewLinter(transcript.Config(lint))
	if err != nil {
		return nil, fmt.Errorf("lint_config: %w", err)
	}
	return &projectConfig{check: check, linter: linter}, nil
}

func decodeStrict(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// CheckProject reports whether p's CheckConfig and LintConfig decode and
// validate over the Service's defaults, so that a project with a broken
// override is refused when it is created rather than on its first task.
func (s *Service) CheckProject(p *corpus.Project) error {
	_, err := mergeConfig(s.opts, p.CheckConfig, p.LintConfig)
	return err
}

// modeLimits returns the bounds of a recording mode.
func modeLimits(c *validate.Config, mode string) validate.ModeLimits {
	switch validate.Mode(mode) {
	case validate.ModeMonologue:
		return c.Monologue
	case validate.ModeDialogue:
		return c.Dialogue
	case validate.ModePrompted:
		return c.Prompted
	default:
		// Every task is made with one of the three modes; ModeAny is for
		// checking a file outside a task. Anything else is shown
		// prompted's bounds, as it always was.
		return c.Prompted
	}
}

// taskFormat is the format a task asks the page to record: the first
// allowed sample rate, the mode's first allowed channel count (1 by
// default) and the bits of the first allowed PCM encoding (16 by default).
func taskFormat(c *validate.Config, mode string) Format {
	f := Format{SampleRate: 16000, Channels: 1, Bits: 16}
	if len(c.SampleRates) > 0 {
		f.SampleRate = c.SampleRates[0]
	}
	if ch := modeLimits(c, mode).Channels; len(ch) > 0 {
		f.Channels = ch[0]
	}
	for _, e := range c.Encodings {
		if bits, ok := strings.CutPrefix(e, "pcm"); ok {
			if n, err := strconv.Atoi(bits); err == nil {
				f.Bits = n
				break
			}
		}
	}
	return f
}
