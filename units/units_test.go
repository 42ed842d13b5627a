package units

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		u      Unit
		v      float64
		en, zh string
	}{
		{Ratio, 0.0121, "1.21%", "1.21%"},     // the receipt that read "measured 0.01"
		{Ratio, 0.001, "0.100%", "0.100%"},    // three significant digits, zeros kept
		{Ratio, 0.000012, "0.001%", "0.001%"}, // three decimals at most
		{Ratio, -0.0000012, "0.000%", "0.000%"},
		{Ratio, 0.199863, "20.0%", "20.0%"},
		{Ratio, 0.1234, "12.3%", "12.3%"},
		{Ratio, 1, "100%", "100%"},
		{Ratio, 0, "0%", "0%"},
		{Second, 0.3, "0.30 s", "0.30 秒"},
		{Second, 5, "5.00 s", "5.00 秒"},
		{Second, 12.345, "12.35 s", "12.35 秒"}, // hundredths (12.345 is 12.3449… in binary)
		{Second, 59.994, "59.99 s", "59.99 秒"},
		{Second, 90.4, "1 min 30 s", "1 分鐘 30 秒"},
		{Second, 3600, "1 h", "1 小時"},
		{Second, 4 * 3600, "4 h", "4 小時"},
		{Second, 3605, "1 h 5 s", "1 小時 5 秒"},
		{Decibel, 40.25, "40.2 dB", "40.2 dB"},
		{Decibel, 15, "15.0 dB", "15.0 dB"},
		{DecibelFS, -38.24, "-38.2 dBFS", "-38.2 dBFS"},
		{DecibelFS, -0.01, "0.0 dBFS", "0.0 dBFS"}, // never "-0.0"
		{DecibelFS, -120, "-120.0 dBFS", "-120.0 dBFS"},
		{Hertz, 16000, "16000 Hz", "16000 Hz"},
		{Sample, 1, "1 sample", "1 個取樣"},
		{Sample, 3, "3 samples", "3 個取樣"},
		{Channel, 2, "2 channels", "2 個聲道"},
		{Dropout, 5, "5 dropouts", "5 處斷音"}, // the count that read "5.00 s"
		{Dropout, 1, "1 dropout", "1 處斷音"},
		{Character, 12, "12 characters", "12 個字元"},
		{File, 1, "1 file", "1 個檔案"},
		{File, 0, "0 files", "0 個檔案"},
		{Warning, 1, "1 warning", "1 個警告"},
		{Error, 2, "2 errors", "2 個錯誤"},
		{"furlongs", 2.5, "2.5 furlongs", "2.5 furlongs"}, // unknown: as it is
	} {
		got := Format(tc.u, tc.v)
		if got.EN != tc.en || got.ZH != tc.zh {
			t.Errorf("Format(%q, %v)=%q/%q, want %q/%q", tc.u, tc.v, got.EN, got.ZH, tc.en, tc.zh)
		}
		if got.In(true) != tc.zh || got.In(false) != tc.en {
			t.Errorf("In: %q/%q", got.In(false), got.In(true))
		}
	}
	if got := Seconds(math.NaN()).EN; got != "NaN s" {
		t.Errorf("Seconds(NaN)=%q", got)
	}
}

// TestValue: a configured value (a threshold) is written without trailing
// zeros, in the same units.
func TestValue(t *testing.T) {
	for _, tc := range []struct {
		u      Unit
		v      float64
		en, zh string
	}{
		{Ratio, 0.001, "0.1%", "0.1%"},
		{Ratio, 0.01, "1%", "1%"},
		{Second, 0.3, "0.3 s", "0.3 秒"},
		{Second, 30, "30 s", "30 秒"},
		{Second, 14400, "4 h", "4 小時"},
		{DecibelFS, -55, "-55 dBFS", "-55 dBFS"},
		{DecibelFS, -0.04, "0 dBFS", "0 dBFS"},
		{Decibel, 25, "25 dB", "25 dB"},
		{Hertz, 16000, "16000 Hz", "16000 Hz"},
		{Sample, 2, "2 samples", "2 個取樣"},
	} {
		if got := Value(tc.u, tc.v); got.EN != tc.en || got.ZH != tc.zh {
			t.Errorf("Value(%q, %v)=%q/%q, want %q/%q", tc.u, tc.v, got.EN, got.ZH, tc.en, tc.zh)
		}
	}
}

func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		lim    Limit
		u      Unit
		raw    string // as findings have always written it (%g)
		en, zh string
	}{
		{AtMost(0.001), Ratio, "<= 0.001", "at most 0.1%", "不超過 0.1%"},
		{AtLeast(0.3), Second, ">= 0.3", "at least 0.3 s", "至少 0.3 秒"},
		{AtLeast(-40), DecibelFS, ">= -40", "at least -40 dBFS", "至少 -40 dBFS"},
		{AtLeast(25), Decibel, ">= 25", "at least 25 dB", "至少 25 dB"},
		{Below(-55), DecibelFS, "< -55", "below -55 dBFS", "低於 -55 dBFS"},
		{Above(-25), DecibelFS, "> -25", "above -25 dBFS", "高於 -25 dBFS"},
		{Between(1, 30), Second, "1..30", "1 s to 30 s", "1 秒 至 30 秒"},
		{Between(10, 14400), Second, "10..14400", "10 s to 4 h", "10 秒 至 4 小時"},
		{From(-55, -40), DecibelFS, "-55..<-40", "-55 dBFS to -40 dBFS", "-55 dBFS 至 -40 dBFS"},
		{Ints([]int{16000}), Hertz, "16000", "16000 Hz", "16000 Hz"},
		{Ints([]int{16000, 44100, 48000}), Hertz, "16000|44100|48000", "16000 Hz, 44100 Hz or 48000 Hz", "16000 Hz、44100 Hz 或 48000 Hz"},
		{Ints([]int{1}), Channel, "1", "1 channel", "1 個聲道"},
		{Ints([]int{1, 2}), Channel, "1|2", "1 or 2 channels", "1 或 2 個聲道"},
		{OneOf(0), Dropout, "0", "none", "不可有"},
		{AtMost(0), Sample, "<= 0", "none", "不可有"},
		{AtMost(2), Sample, "<= 2", "at most 2 samples", "不超過 2 個取樣"},
		{AtMost(1e-5), Ratio, "<= 1e-05", "at most 0.001%", "不超過 0.001%"},
	} {
		if got := tc.lim.String(); got != tc.raw {
			t.Errorf("%v: String()=%q, want %q", tc.lim, got, tc.raw)
		}
		got := tc.lim.Text(tc.u)
		if got.EN != tc.en || got.ZH != tc.zh {
			t.Errorf("%q in %s: Text=%q/%q, want %q/%q", tc.raw, tc.u, got.EN, got.ZH, tc.en, tc.zh)
		}
		// A stored receipt has only the raw string: it must read the same.
		if back := Threshold(tc.u, tc.raw); back != got {
			t.Errorf("Threshold(%s, %q)=%q, want %q", tc.u, tc.raw, back, got)
		}
	}
	if (Limit{}).String() != "" || (Limit{}).Text(Second) != (Text{}) {
		t.Error("an empty limit is not empty")
	}
}

func TestThresholdNotALimit(t *testing.T) {
	for _, raw := range []string{"pcm16", "pcm16|float32", "<= x", "1..", "a..<b"} {
		if got := Threshold(Second, raw); got.EN != raw || got.ZH != raw {
			t.Errorf("Threshold(%q)=%q, want it as it is", raw, got)
		}
	}
	if got := Threshold(Second, ""); got != (Text{}) {
		t.Errorf("Threshold(\"\")=%q, want empty", got)
	}
}
