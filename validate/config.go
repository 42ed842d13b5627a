package validate

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Mode is the kind of recording a task asks for.
type Mode string

// Recording modes. ModeAny applies the bounds common to all modes, for files
// checked outside a task (a vendor's folder, say).
const (
	ModeAny       Mode = ""
	ModePrompted  Mode = "prompted"
	ModeMonologue Mode = "monologue"
	ModeDialogue  Mode = "dialogue"
)

// Band is a required ambient-noise band.
type Band string

// Noise bands. BandAny checks only the ceiling above which no band accepts.
const (
	BandAny    Band = ""
	BandLow    Band = "low"
	BandMedium Band = "medium"
	BandHigh   Band = "high"
)

// ParseMode accepts "", "any", "prompted", "monologue" and "dialogue".
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case ModeAny, ModePrompted, ModeMonologue, ModeDialogue:
		return m, nil
	case "any":
		return ModeAny, nil
	}
	return "", fmt.Errorf("unknown mode %q (want prompted, monologue or dialogue)", s)
}

// ParseBand accepts "", "any", "low", "medium" and "high".
func ParseBand(s string) (Band, error) {
	switch b := Band(strings.ToLower(s)); b {
	case BandAny, BandLow, BandMedium, BandHigh:
		return b, nil
	case "any":
		return BandAny, nil
	}
	return "", fmt.Errorf("unknown noise band %q (want low, medium or high)", s)
}

// ModeLimits are the bounds for one recording mode.
type ModeLimits struct {
	Channels     []int   `mapstructure:"channels" json:"channels"`
	MinDurationS float64 `mapstructure:"min_duration_s" json:"min_duration_s"`
	MaxDurationS float64 `mapstructure:"max_duration_s" json:"max_duration_s"`
	// CheckSilence turns on A013 (leading and trailing silence).
	CheckSilence bool `mapstructure:"check_silence" json:"check_silence"`
}

// BandLimits are the bounds for one noise band: the noise floor must lie in
// [MinNoiseDBFS, MaxNoiseDBFS) and the SNR be at least MinSNRDB.
type BandLimits struct {
	MinNoiseDBFS float64 `mapstructure:"min_noise_dbfs" json:"min_noise_dbfs"`
	MaxNoiseDBFS float64 `mapstructure:"max_noise_dbfs" json:"max_noise_dbfs"`
	MinSNRDB     float64 `mapstructure:"min_snr_db" json:"min_snr_db"`
}

// Config holds every threshold of spec/audio-checks.md; a project's config
// overrides any of them.
type Config struct {
	// Encodings allowed, by Format.Name: "pcm16", "pcm24", "float32", ...
	Encodings   []string `mapstructure:"encodings" json:"encodings"`
	SampleRates []int    `mapstructure:"sample_rates" json:"sample_rates"`

	Prompted  ModeLimits `mapstructure:"prompted" json:"prompted"`
	Monologue ModeLimits `mapstructure:"monologue" json:"monologue"`
	Dialogue  ModeLimits `mapstructure:"dialogue" json:"dialogue"`

	Low    BandLimits `mapstructure:"low" json:"low"`
	Medium BandLimits `mapstructure:"medium" json:"medium"`
	High   BandLimits `mapstructure:"high" json:"high"`
	// MaxNoiseDBFS is the ceiling above which a clip fails in any band.
	MaxNoiseDBFS float64 `mapstructure:"max_noise_dbfs" json:"max_noise_dbfs"`

	MaxClippedRatio    float64 `mapstructure:"max_clipped_ratio" json:"max_clipped_ratio"`
	MaxClippedRun      int     `mapstructure:"max_clipped_run" json:"max_clipped_run"`
	MaxDCOffset        float64 `mapstructure:"max_dc_offset" json:"max_dc_offset"`
	MinActiveS         float64 `mapstructure:"min_active_s" json:"min_active_s"`
	MinSpeechLevelDBFS float64 `mapstructure:"min_speech_level_dbfs" json:"min_speech_level_dbfs"`
	ActiveAboveNoiseDB float64 `mapstructure:"active_above_noise_db" json:"active_above_noise_db"`
	ActiveMinDBFS      float64 `mapstructure:"active_min_dbfs" json:"active_min_dbfs"`
	MinSilenceS        float64 `mapstructure:"min_silence_s" json:"min_silence_s"`
	MaxSilenceS        float64 `mapstructure:"max_silence_s" json:"max_silence_s"`
	MinDropoutS        float64 `mapstructure:"min_dropout_s" json:"min_dropout_s"`

	// Disabled lists rule ids that are not reported ("A015").
	Disabled []string `mapstructure:"disabled" json:"disabled,omitempty"`
}

// DefaultConfig returns the defaults of spec/audio-checks.md.
func DefaultConfig() Config {
	return Config{
		Encodings:          []string{"pcm16"},
		SampleRates:        []int{16000},
		Prompted:           ModeLimits{Channels: []int{1}, MinDurationS: 1, MaxDurationS: 30, CheckSilence: true},
		Monologue:          ModeLimits{Channels: []int{1}, MinDurationS: 10, MaxDurationS: 4 * 3600},
		Dialogue:           ModeLimits{Channels: []int{1, 2}, MinDurationS: 10, MaxDurationS: 4 * 3600},
		Low:                BandLimits{MinNoiseDBFS: -200, MaxNoiseDBFS: -55, MinSNRDB: 25},
		Medium:             BandLimits{MinNoiseDBFS: -55, MaxNoiseDBFS: -40, MinSNRDB: 15},
		High:               BandLimits{MinNoiseDBFS: -40, MaxNoiseDBFS: -25, MinSNRDB: 5},
		MaxNoiseDBFS:       -25,
		MaxClippedRatio:    0.001,
		MaxClippedRun:      2,
		MaxDCOffset:        0.01,
		MinActiveS:         0.3,
		MinSpeechLevelDBFS: -40,
		ActiveAboveNoiseDB: 10,
		ActiveMinDBFS:      -55,
		MinSilenceS:        0.1,
		MaxSilenceS:        3,
		MinDropoutS:        0.05,
	}
}

// Validate reports the first threshold that cannot work.
func (c *Config) Validate() error {
	var errs []error
	for _, e := range c.Encodings {
		if !slices.Contains(knownEncodings, e) {
			errs = append(errs, fmt.Errorf("encodings: unknown %q (want one of %s)", e, strings.Join(knownEncodings, ", ")))
		}
	}
	if len(c.Encodings) == 0 {
		errs = append(errs, errors.New("encodings: empty"))
	}
	if len(c.SampleRates) == 0 {
		errs = append(errs, errors.New("sample_rates: empty"))
	}
	for name, m := range map[string]ModeLimits{"prompted": c.Prompted, "monologue": c.Monologue, "dialogue": c.Dialogue} {
		if m.MinDurationS < 0 || m.MaxDurationS < m.MinDurationS {
			errs = append(errs, fmt.Errorf("%s: duration bounds %g..%g s", name, m.MinDurationS, m.MaxDurationS))
		}
		if len(m.Channels) == 0 {
			errs = append(errs, fmt.Errorf("%s: channels: empty", name))
		}
	}
	if c.MinDropoutS < 0.01 {
		// Zero runs are rebuilt from 10 ms hops (hops.go); shorter runs
		// inside one hop are not tracked.
		errs = append(errs, fmt.Errorf("min_dropout_s: %g is below 0.01", c.MinDropoutS))
	}
	if c.MaxClippedRatio < 0 || c.MaxDCOffset < 0 || c.MinActiveS < 0 {
		errs = append(errs, errors.New("negative threshold"))
	}
	return errors.Join(errs...)
}

var knownEncodings = []string{"pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64"}

func (c *Config) mode(m Mode) ModeLimits {
	switch m {
	case ModePrompted:
		return c.Prompted
	case ModeMonologue:
		return c.Monologue
	case ModeDialogue:
		return c.Dialogue
	default: // ModeAny, or a mode no task names: the union below
	}
	// No task: accept what any mode would.
	all := ModeLimits{MinDurationS: c.Prompted.MinDurationS, MaxDurationS: c.Prompted.MaxDurationS}
	for _, l := range []ModeLimits{c.Prompted, c.Monologue, c.Dialogue} {
		all.MinDurationS = min(all.MinDurationS, l.MinDurationS)
		all.MaxDurationS = max(all.MaxDurationS, l.MaxDurationS)
		for _, ch := range l.Channels {
			if !slices.Contains(all.Channels, ch) {
				all.Channels = append(all.Channels, ch)
			}
		}
	}
	slices.Sort(all.Channels)
	return all
}

func (c *Config) band(b Band) BandLimits {
	switch b {
	case BandLow:
		return c.Low
	case BandMedium:
		return c.Medium
	case BandHigh:
		return c.High
	default:
		// BandAny has no limits of its own: the rules then check only the
		// ceiling, MaxNoiseDBFS. A band no task names gets none either.
		return BandLimits{}
	}
}

// bandOf names the band a noise floor falls in.
func (c *Config) bandOf(db float64) string {
	switch {
	case db > c.MaxNoiseDBFS:
		return "too_noisy"
	case db < c.Low.MaxNoiseDBFS:
		return string(BandLow)
	case db < c.Medium.MaxNoiseDBFS:
		return string(BandMedium)
	}
	return string(BandHigh)
}

// inBand reports whether a noise floor lies in band b. Upper bounds are
// exclusive, except the ceiling shared with MaxNoiseDBFS ("high: -40 to -25").
func (c *Config) inBand(b Band, db float64) bool {
	lim := c.band(b)
	if db < lim.MinNoiseDBFS || db > lim.MaxNoiseDBFS {
		return false
	}
	return db < lim.MaxNoiseDBFS || lim.MaxNoiseDBFS >= c.MaxNoiseDBFS
}

func (c *Config) disabled(rule string) bool { return slices.Contains(c.Disabled, rule) }
