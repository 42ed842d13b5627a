// Package zhtest finds English left in Traditional Chinese messages, for
// the tests of every package that writes them.
package zhtest

import (
	"regexp"
	"slices"
)

// Allowed are the words of Latin letters a Chinese message may hold: units
// and format names a Taiwanese reader reads as they are. Keep it short:
// anything else is an English fragment to translate.
var Allowed = []string{"dB", "dBFS", "Hz", "KiB", "MiB", "WAV", "PCM", "UTF"}

var (
	// Quoted text is the speaker's own (a transcript, a fix, a romanized
	// example such as 「tsit-ê」): it may be in any script.
	quoted = regexp.MustCompile(`「[^」]*」`)
	// Rule ids (A012, T001, F002), code points (U+3001) and bytes (0xC3)
	// are names, not words.
	names = regexp.MustCompile(`\b[A-Z][0-9]{3}\b|U\+[0-9A-F]{4,6}|0x[0-9A-F]{2}`)
	word  = regexp.MustCompile(`[A-Za-z]+`)
)

// English returns the words of Latin letters in zh that are not allowed:
// none for a message written wholly in Chinese.
func English(zh string) []string {
	s := names.ReplaceAllString(quoted.ReplaceAllString(zh, "「」"), " ")
	var out []string
	for _, w := range word.FindAllString(s, -1) {
		if !slices.Contains(Allowed, w) {
			out = append(out, w)
		}
	}
	return out
}
