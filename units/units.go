// Package units writes the figures and thresholds of the checks — a
// percentage, a count, seconds, decibels — in English and Traditional
// Chinese. It is the one place that decides how a figure reads: validate and
// transcript build their messages with it, the command line prints with it,
// and receipts and the review page carry its text beside the raw numbers.
//
// It imports only the standard library, so every package may use it.
package units

import (
	"math"
	"strconv"
	"strings"
)

// Text is one phrase in English and in Traditional Chinese (zh-TW).
type Text struct {
	EN string
	ZH string
}

// In returns the phrase in Chinese when zh is set, else in English.
func (t Text) In(zh bool) string {
	if zh {
		return t.ZH
	}
	return t.EN
}

// Unit is what a raw figure is measured in. Its value is the "unit" field of
// a finding's JSON. A count's unit names the thing counted, in the plural.
type Unit string

// Units of measure.
const (
	// Ratio is a fraction of 1 (of the samples, of full scale): 0.001 is
	// written 0.1%.
	Ratio     Unit = "ratio"
	Second    Unit = "s"
	Decibel   Unit = "dB"
	DecibelFS Unit = "dBFS"
	Hertz     Unit = "Hz"
)

// Units that count things.
const (
	Sample    Unit = "samples"
	Channel   Unit = "channels"
	Dropout   Unit = "dropouts"
	Run       Unit = "runs"
	Character Unit = "characters"
	Byte      Unit = "bytes"
	File      Unit = "files"
	Error     Unit = "errors"
	Warning   Unit = "warnings"
)

// noun is how a count reads: English singular and plural, and the Chinese
// measure word with its noun.
type noun struct{ one, many, zh string }

var nouns = map[Unit]noun{
	Sample:    {"sample", "samples", "個取樣"},
	Channel:   {"channel", "channels", "個聲道"},
	Dropout:   {"dropout", "dropouts", "處斷音"},
	Run:       {"run", "runs", "段"},
	Character: {"character", "characters", "個字元"},
	Byte:      {"byte", "bytes", "位元組"},
	File:      {"file", "files", "個檔案"},
	Error:     {"error", "errors", "個錯誤"},
	Warning:   {"warning", "warnings", "個警告"},
}

// IsCount reports whether u counts things (samples, channels, files, ...).
func (u Unit) IsCount() bool {
	_, ok := nouns[u]
	return ok
}

// Format writes v, a measured figure in unit u, to the precision of its
// unit, trailing zeros kept (-38.0 dBFS, 5.00 s, 20.0%): a figure shows how
// precisely it was measured. A unit it does not know writes the number and
// the unit as they are.
func Format(u Unit, v float64) Text { return format(u, v, false) }

// Value writes v, a configured value in unit u (a threshold), without
// trailing zeros: -55 dBFS, 0.3 s, 0.1%.
func Value(u Unit, v float64) Text { return format(u, v, true) }

func format(u Unit, v float64, trim bool) Text {
	switch u {
	case Ratio:
		return percent(v, trim)
	case Second:
		return seconds(v, trim)
	case Decibel:
		s := fixed(v, 1, trim) + " dB"
		return Text{s, s}
	case DecibelFS:
		s := fixed(v, 1, trim) + " dBFS"
		return Text{s, s}
	case Hertz:
		return Hz(v)
	default:
		if u.IsCount() {
			return Count(int64(math.Round(v)), u)
		}
	}
	s := fixed(v, 2, true)
	if u != "" {
		s += " " + string(u)
	}
	return Text{s, s}
}

// Percent writes a measured fraction of 1 as a percentage to three
// significant digits and at most three decimals: 0.0121 is 1.21%, 0.2 is
// 20.0%, 0.0000012 is 0.000%.
func Percent(ratio float64) Text { return percent(ratio, false) }

func percent(ratio float64, trim bool) Text {
	p := ratio * 100
	d := 0
	if a := math.Abs(p); a > 0 && a < 100 {
		d = min(2-int(math.Floor(math.Log10(a))), 3)
	}
	s := fixed(p, d, trim) + "%"
	return Text{s, s}
}

// Seconds writes a measured duration: to the hundredth below a minute
// (0.30 s, 12.35 s), to the second above (1 min 30 s, 4 h).
func Seconds(s float64) Text { return seconds(s, false) }

func seconds(s float64, trim bool) Text {
	if math.Abs(s) < 60 || math.IsNaN(s) || math.IsInf(s, 0) {
		n := fixed(s, 2, trim)
		return Text{n + " s", n + " 秒"}
	}
	t := int64(math.Round(s))
	h, m, sec := t/3600, t%3600/60, t%60
	var en, zh []string
	if h > 0 {
		en, zh = append(en, strconv.FormatInt(h, 10)+" h"), append(zh, strconv.FormatInt(h, 10)+" 小時")
	}
	if m > 0 {
		en, zh = append(en, strconv.FormatInt(m, 10)+" min"), append(zh, strconv.FormatInt(m, 10)+" 分鐘")
	}
	if sec > 0 {
		en, zh = append(en, strconv.FormatInt(sec, 10)+" s"), append(zh, strconv.FormatInt(sec, 10)+" 秒")
	}
	return Text{strings.Join(en, " "), strings.Join(zh, " ")}
}

// DB writes a measured level difference in decibels, to a tenth: 40.2 dB.
func DB(v float64) Text { return format(Decibel, v, false) }

// DBFS writes a measured level relative to full scale, to a tenth:
// -38.2 dBFS.
func DBFS(v float64) Text { return format(DecibelFS, v, false) }

// Hz writes a sample rate: 16000 Hz.
func Hz(v float64) Text { s := fixed(v, 0, true) + " Hz"; return Text{s, s} }

// Count writes n things of unit u: "1 file", "2 files", "2 個檔案".
func Count(n int64, u Unit) Text {
	no, ok := nouns[u]
	if !ok {
		no = noun{string(u), string(u), string(u)}
	}
	num := strconv.FormatInt(n, 10)
	en := no.many
	if n == 1 || n == -1 {
		en = no.one
	}
	return Text{num + " " + en, num + " " + no.zh}
}

// number writes v in unit u without the unit: "2", for lists of counts
// that name the noun once ("1 or 2 channels").
func number(u Unit, v float64) string {
	if u.IsCount() || u == Hertz {
		return fixed(v, 0, true)
	}
	return fixed(v, 2, true)
}

// fixed writes v rounded to d decimals, with trim without trailing zeros
// (-38.20 is -38.2, 5.00 is 5); -0 is 0.
func fixed(v float64, d int, trim bool) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', d, 64)
	if trim && strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}
