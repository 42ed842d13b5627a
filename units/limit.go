package units

import (
	"strconv"
	"strings"
)

// Op is how a threshold bounds a figure.
type Op string

// The ways a threshold bounds a figure. Each is also how the raw threshold
// string of a finding's JSON is written (Limit.String).
const (
	OpAtMost  Op = "<="  // "<= 0.001"
	OpAtLeast Op = ">="  // ">= 0.3"
	OpBelow   Op = "<"   // "< -55"
	OpAbove   Op = ">"   // "> -25"
	OpBetween Op = ".."  // "1..30", both ends included
	OpFrom    Op = "..<" // "-55..<-40", the upper end excluded
	OpOneOf   Op = "|"   // "16000|44100"; a single value is written alone ("0")
)

// Limit is a rule's threshold: an Op and its values.
type Limit struct {
	Op     Op
	Values []float64
}

// AtMost is the threshold "v or less".
func AtMost(v float64) Limit { return Limit{OpAtMost, []float64{v}} }

// AtLeast is the threshold "v or more".
func AtLeast(v float64) Limit { return Limit{OpAtLeast, []float64{v}} }

// Below is the threshold "less than v".
func Below(v float64) Limit { return Limit{OpBelow, []float64{v}} }

// Above is the threshold "more than v".
func Above(v float64) Limit { return Limit{OpAbove, []float64{v}} }

// Between is the threshold "lo to hi", both included.
func Between(lo, hi float64) Limit { return Limit{OpBetween, []float64{lo, hi}} }

// From is the threshold "lo up to, not including, hi".
func From(lo, hi float64) Limit { return Limit{OpFrom, []float64{lo, hi}} }

// OneOf is the threshold "one of vs"; with one value, "exactly v".
func OneOf(vs ...float64) Limit { return Limit{OpOneOf, vs} }

// Ints is OneOf for integers (sample rates, channel counts).
func Ints(vs []int) Limit {
	fs := make([]float64, len(vs))
	for i, v := range vs {
		fs[i] = float64(v)
	}
	return OneOf(fs...)
}

// String is the raw threshold of a finding's JSON: "<= 0.001", ">= 0.3",
// "1..30", "-55..<-40", "16000|44100", "0". Numbers are written as %g
// writes them, as they always were.
func (l Limit) String() string {
	vs := make([]string, len(l.Values))
	for i, v := range l.Values {
		vs[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch {
	case len(vs) == 0:
		return ""
	case l.Op == OpOneOf:
		return strings.Join(vs, "|")
	case (l.Op == OpBetween || l.Op == OpFrom) && len(vs) == 2:
		return vs[0] + string(l.Op) + vs[1]
	}
	return string(l.Op) + " " + vs[0]
}

// Text writes the threshold for a person, its values in unit u: "at most
// 0.1%" / "不超過 0.1%", "1 s to 30 s" / "1 秒 至 30 秒", "none" / "不可有".
func (l Limit) Text(u Unit) Text {
	if len(l.Values) == 0 {
		return Text{}
	}
	v := Value(u, l.Values[0])
	switch l.Op {
	case OpAtMost:
		if l.Values[0] == 0 && u.IsCount() {
			return none
		}
		return Text{"at most " + v.EN, "不超過 " + v.ZH}
	case OpAtLeast:
		return Text{"at least " + v.EN, "至少 " + v.ZH}
	case OpBelow:
		return Text{"below " + v.EN, "低於 " + v.ZH}
	case OpAbove:
		return Text{"above " + v.EN, "高於 " + v.ZH}
	case OpBetween, OpFrom:
		if len(l.Values) == 2 {
			w := Value(u, l.Values[1])
			return Text{v.EN + " to " + w.EN, v.ZH + " 至 " + w.ZH}
		}
	case OpOneOf:
		if len(l.Values) == 1 {
			if l.Values[0] == 0 && u.IsCount() {
				return none
			}
			return v
		}
		return oneOf(u, l.Values)
	}
	return Text{l.String(), l.String()}
}

// none is the threshold of a count that must be zero.
var none = Text{"none", "不可有"}

// oneOf writes a list of allowed values: "16000 Hz or 48000 Hz", and for
// counts the noun once, "1 or 2 channels" / "1 或 2 個聲道".
func oneOf(u Unit, vs []float64) Text {
	en, zh := make([]string, len(vs)), make([]string, len(vs))
	for i, v := range vs {
		if u.IsCount() {
			en[i], zh[i] = number(u, v), number(u, v)
			continue
		}
		t := Value(u, v)
		en[i], zh[i] = t.EN, t.ZH
	}
	last := len(vs) - 1
	e := strings.Join(en[:last], ", ") + " or " + en[last]
	z := strings.Join(zh[:last], "、") + " 或 " + zh[last]
	if u.IsCount() {
		n := nouns[u]
		e += " " + n.many
		z += " " + n.zh
	}
	return Text{e, z}
}

// ParseLimit reads a raw threshold as String writes it.
func ParseLimit(s string) (Limit, bool) {
	s = strings.TrimSpace(s)
	for _, op := range []Op{OpAtMost, OpAtLeast, OpBelow, OpAbove} {
		if rest, ok := strings.CutPrefix(s, string(op)); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return Limit{}, false
			}
			return Limit{op, []float64{v}}, true
		}
	}
	for _, op := range []Op{OpFrom, OpBetween} {
		if lo, hi, ok := strings.Cut(s, string(op)); ok {
			a, err1 := strconv.ParseFloat(lo, 64)
			b, err2 := strconv.ParseFloat(hi, 64)
			if err1 != nil || err2 != nil {
				return Limit{}, false
			}
			return Limit{op, []float64{a, b}}, true
		}
	}
	parts := strings.Split(s, "|")
	vs := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return Limit{}, false
		}
		vs[i] = v
	}
	return Limit{OpOneOf, vs}, true
}

// Threshold writes a raw threshold (a finding's "threshold" field) for a
// person, its values in unit u. A string that is not a threshold
// ParseLimit reads comes back as it is.
func Threshold(u Unit, raw string) Text {
	if raw == "" {
		return Text{}
	}
	l, ok := ParseLimit(raw)
	if !ok {
		return Text{raw, raw}
	}
	return l.Text(u)
}
