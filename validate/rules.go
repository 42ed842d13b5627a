package validate

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dialect-corpus/dialect/units"
)

// decide applies rules A002–A015 to a readable file's format and figures.
func decide(rep *Report, a *analysis, cfg *Config, opts Options) {
	f := rep.Format
	m := rep.Measurements
	lim := cfg.mode(opts.Mode)
	add := func(fd Finding) {
		if cfg.disabled(fd.Rule) {
			return
		}
		fd.Name = ruleNames[fd.Rule]
		rep.Findings = append(rep.Findings, fd)
	}
	worst := func(pick func(Measurements) float64, higherIsWorse bool) (float64, int) {
		if len(m.Channels) == 0 {
			return pick(*m), 0
		}
		best, ch := pick(m.Channels[0]), 1
		for i, c := range m.Channels[1:] {
			v := pick(c)
			if (higherIsWorse && v > best) || (!higherIsWorse && v < best) {
				best, ch = v, i+2
			}
		}
		return best, ch
	}

	if name := f.Name(); !slices.Contains(cfg.Encodings, name) {
		fd := Finding{Rule: "A002", Severity: SeverityError, Code: "encoding_not_allowed", Threshold: strings.Join(cfg.Encodings, "|")}
		fd.describe()
		enc := EncodingText(name)
		fd.Message = fmt.Sprintf("encoding %s is not allowed (allowed: %s)", enc.EN, fd.ThresholdText)
		fd.MessageZH = fmt.Sprintf("編碼為 %s，不符合要求（標準：%s）：請改用允許的格式錄製", enc.ZH, fd.ThresholdTextZH)
		add(fd)
	}
	if !slices.Contains(cfg.SampleRates, f.SampleRate) {
		fd := Finding{Rule: "A003", Severity: SeverityError}
		fig, thr := fd.figure(units.Hertz, float64(f.SampleRate), units.Ints(cfg.SampleRates))
		fd.Message = fmt.Sprintf("sample rate %s is not allowed (allowed: %s)", fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("取樣率 %s 不符合要求（標準：%s）", fig.ZH, thr.ZH)
		add(fd)
	}
	if !slices.Contains(lim.Channels, f.Channels) {
		fd := Finding{Rule: "A004", Severity: SeverityError}
		fig, thr := fd.figure(units.Channel, float64(f.Channels), units.Ints(lim.Channels))
		fd.Message = fmt.Sprintf("%s: not allowed for %s (allowed: %s)", fig.EN, modeEN(opts.Mode), thr.EN)
		fd.MessageZH = fmt.Sprintf("%s錄音不允許 %s（標準：%s）", modeZH(opts.Mode), fig.ZH, thr.ZH)
		add(fd)
	}
	if d := f.DurationS; d < lim.MinDurationS || d > lim.MaxDurationS {
		fd := Finding{Rule: "A005", Severity: SeverityError}
		fig, thr := fd.figure(units.Second, round(d, 3), units.Between(lim.MinDurationS, lim.MaxDurationS))
		fd.Message = fmt.Sprintf("duration %s is out of bounds for %s (allowed: %s)", fig.EN, modeEN(opts.Mode), thr.EN)
		fd.MessageZH = fmt.Sprintf("錄音長度 %s，超出%s的範圍（標準：%s）", fig.ZH, modeZH(opts.Mode), thr.ZH)
		add(fd)
	}
	if m.NonFiniteSamples > 0 {
		fd := Finding{Rule: "A001", Severity: SeverityError, Code: "nonfinite"}
		fig, thr := fd.figure(units.Sample, float64(m.NonFiniteSamples), units.OneOf(0))
		fd.Message = fmt.Sprintf("NaN or infinite values in %s (allowed: %s)", fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("有 %s的數值無效，不是數字就是無限大（標準：%s）", fig.ZH, thr.ZH)
		add(fd)
	}
	if ratio, ch := worst(func(c Measurements) float64 { return c.ClippedRatio }, true); ratio > cfg.MaxClippedRatio {
		fd := Finding{Rule: "A007", Severity: SeverityError, Channel: ch}
		fig, thr := fd.figure(units.Ratio, round(ratio, 6), units.AtMost(cfg.MaxClippedRatio))
		fd.Message = fmt.Sprintf("%s of samples are clipped (allowed: %s): record further from the microphone or lower the input gain", fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("有 %s 的取樣爆音（標準：%s）：請離麥克風遠一點或調低輸入音量", fig.ZH, thr.ZH)
		add(fd)
	} else if longest, ch := worst(func(c Measurements) float64 { return float64(c.LongestClipRun) }, true); longest > float64(cfg.MaxClippedRun) {
		n := m.ClippedRuns3
		if ch > 0 {
			n = m.Channels[ch-1].ClippedRuns3
		}
		fd := Finding{Rule: "A007", Severity: SeverityWarning, Channel: ch}
		fig, thr := fd.figure(units.Sample, longest, units.AtMost(float64(cfg.MaxClippedRun)))
		runs := units.Count(n, units.Run)
		fd.Message = fmt.Sprintf("%s of %d or more clipped samples in a row, the longest %s (allowed: %s)", runs.EN, cfg.MaxClippedRun+1, fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("有 %s連續 %d 個以上的爆音取樣，最長 %s（標準：%s）", runs.ZH, cfg.MaxClippedRun+1, fig.ZH, thr.ZH)
		add(fd)
	}
	if dc, ch := worst(func(c Measurements) float64 { return math.Abs(c.DCOffset) }, true); dc > cfg.MaxDCOffset {
		fd := Finding{Rule: "A008", Severity: SeverityWarning, Channel: ch}
		fig, thr := fd.figure(units.Ratio, round(dc, 5), units.AtMost(cfg.MaxDCOffset))
		db := units.DBFS(ampDB(dc))
		fd.Message = fmt.Sprintf("DC offset is %s of full scale, %s (allowed: %s): the microphone or sound card adds a constant bias", fig.EN, db.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("直流偏移為滿刻度的 %s，即 %s（標準：%s）：麥克風或音效卡有固定偏壓", fig.ZH, db.ZH, thr.ZH)
		add(fd)
	}
	active, ach := worst(func(c Measurements) float64 { return c.ActiveS }, false)
	if active < cfg.MinActiveS {
		fd := Finding{Rule: "A009", Severity: SeverityError, Channel: ach}
		fig, thr := fd.figure(units.Second, round(active, 2), units.AtLeast(cfg.MinActiveS))
		fd.Message = fmt.Sprintf("only %s of speech found (allowed: %s): the recording seems empty", fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("只偵測到 %s的語音（標準：%s）：錄音似乎是空的", fig.ZH, thr.ZH)
		add(fd)
	}
	if sp, ch := worst(func(c Measurements) float64 { return c.SpeechLevelDBFS }, false); active >= cfg.MinActiveS && sp < cfg.MinSpeechLevelDBFS {
		fd := Finding{Rule: "A010", Severity: SeverityWarning, Channel: ch}
		fig, thr := fd.figure(units.DecibelFS, round(sp, 1), units.AtLeast(cfg.MinSpeechLevelDBFS))
		fd.Message = fmt.Sprintf("speech level %s is too quiet (allowed: %s): speak closer to the microphone", fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("語音音量 %s 太小（標準：%s）：請靠近麥克風說話", fig.ZH, thr.ZH)
		add(fd)
	}
	noise, nch := worst(func(c Measurements) float64 { return c.NoiseFloorDBFS }, true)
	band := opts.Band
	if band == BandAny && m.NoiseBand != "too_noisy" {
		band = Band(m.NoiseBand) // no declared band: hold the clip to the band it is in
	}
	if band != BandAny {
		minSNR := cfg.band(band).MinSNRDB
		if snr, ch := worst(func(c Measurements) float64 { return c.SNRDB }, false); active >= cfg.MinActiveS && snr < minSNR {
			fd := Finding{Rule: "A011", Severity: SeverityError, Channel: ch}
			fig, thr := fd.figure(units.Decibel, round(snr, 1), units.AtLeast(minSNR))
			fd.Message = fmt.Sprintf("SNR %s is too low for band %s (allowed: %s): speak louder or closer to the microphone", fig.EN, band, thr.EN)
			fd.MessageZH = fmt.Sprintf("訊噪比 %s 低於%s環境的要求（標準：%s）：請大聲一點或靠近麥克風", fig.ZH, bandZH(string(band)), thr.ZH)
			add(fd)
		}
	}
	if noise > cfg.MaxNoiseDBFS {
		fd := Finding{Rule: "A012", Severity: SeverityError, Channel: nch}
		fig, thr := fd.figure(units.DecibelFS, round(noise, 1), units.AtMost(cfg.MaxNoiseDBFS))
		fd.Message = fmt.Sprintf("noise floor %s is too noisy for any band (allowed: %s): move somewhere quieter", fig.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("背景噪音 %s，任何噪音等級都不接受（標準：%s）：請換到較安靜的地方", fig.ZH, thr.ZH)
		add(fd)
	} else if opts.Band != BandAny && !cfg.inBand(opts.Band, noise) {
		hint, hintZH := "the room is too noisy for this task", "環境太吵，不符合此任務"
		if noise < cfg.band(opts.Band).MinNoiseDBFS {
			hint, hintZH = "this task needs more background noise", "此任務需要更多背景噪音"
		}
		fd := Finding{Rule: "A012", Severity: SeverityError, Channel: nch}
		fig, thr := fd.figure(units.DecibelFS, round(noise, 1), bandLimit(cfg, opts.Band))
		fd.Message = fmt.Sprintf("noise floor %s is outside band %s (allowed: %s): %s", fig.EN, opts.Band, thr.EN, hint)
		fd.MessageZH = fmt.Sprintf("背景噪音 %s 不在%s範圍（標準：%s）：%s", fig.ZH, bandZH(string(opts.Band)), thr.ZH, hintZH)
		add(fd)
	}
	if lim.CheckSilence && active >= cfg.MinActiveS {
		lead, lch := worst(func(c Measurements) float64 { return c.LeadingSilenceS }, true)
		leadMin, _ := worst(func(c Measurements) float64 { return c.LeadingSilenceS }, false)
		trail, tch := worst(func(c Measurements) float64 { return c.TrailingSilenceS }, true)
		trailMin, _ := worst(func(c Measurements) float64 { return c.TrailingSilenceS }, false)
		silence := func(which, whichZH string, v float64, ch int) {
			fd := Finding{Rule: "A013", Severity: SeverityWarning, Channel: ch}
			fig, thr := fd.figure(units.Second, round(v, 2), units.Between(cfg.MinSilenceS, cfg.MaxSilenceS))
			fd.Message = fmt.Sprintf("%s silence %s is out of range (allowed: %s)", which, fig.EN, thr.EN)
			fd.MessageZH = fmt.Sprintf("%s靜音 %s，超出範圍（標準：%s）", whichZH, fig.ZH, thr.ZH)
			add(fd)
		}
		switch {
		case lead > cfg.MaxSilenceS:
			silence("leading", "開頭", lead, lch)
		case leadMin < cfg.MinSilenceS:
			silence("leading", "開頭", leadMin, lch)
		}
		switch {
		case trail > cfg.MaxSilenceS:
			silence("trailing", "結尾", trail, tch)
		case trailMin < cfg.MinSilenceS:
			silence("trailing", "結尾", trailMin, tch)
		}
	}
	if n, ch := worst(func(c Measurements) float64 { return float64(c.Dropouts) }, true); n > 0 {
		fd := Finding{Rule: "A014", Severity: SeverityWarning, Channel: ch}
		fig, thr := fd.figure(units.Dropout, n, units.OneOf(0))
		gap := units.Seconds(cfg.MinDropoutS)
		fd.Message = fmt.Sprintf("%s: digital silence of %s or more inside the speech, lost audio (allowed: %s)", fig.EN, gap.EN, thr.EN)
		fd.MessageZH = fmt.Sprintf("有 %s：語音中間出現 %s以上的完全無聲，音訊遺失（標準：%s）", fig.ZH, gap.ZH, thr.ZH)
		add(fd)
	}
	for i := range a.identical {
		for j := i + 1; j < len(a.identical); j++ {
			if a.identical[i][j] && f.Frames > 0 {
				add(Finding{Rule: "A015", Severity: SeverityInfo, Channel: j + 1,
					Message:   fmt.Sprintf("channels %d and %d are sample-identical (mono saved as stereo)", i+1, j+1),
					MessageZH: fmt.Sprintf("第 %d 與第 %d 聲道完全相同（其實是單聲道）", i+1, j+1)})
			}
		}
	}
}

// bandLimit is the noise floor band b allows: below its ceiling for the
// lowest band, up to the ceiling of every band for the highest (spec:
// "high: -40 to -25"), from its floor to below its ceiling otherwise.
func bandLimit(cfg *Config, b Band) units.Limit {
	lim := cfg.band(b)
	switch {
	case lim.MinNoiseDBFS <= -120:
		return units.Below(lim.MaxNoiseDBFS)
	case lim.MaxNoiseDBFS >= cfg.MaxNoiseDBFS:
		return units.Between(lim.MinNoiseDBFS, lim.MaxNoiseDBFS)
	}
	return units.From(lim.MinNoiseDBFS, lim.MaxNoiseDBFS)
}

// modeEN names the recordings of a mode, for "not allowed for ...".
func modeEN(m Mode) string {
	switch m {
	case ModePrompted:
		return "prompted recordings"
	case ModeMonologue:
		return "monologues"
	case ModeDialogue:
		return "dialogues"
	default: // ModeAny, and a mode no task names (Config.mode holds it to any mode's bounds)
		return "any recording"
	}
}

func num(v float64) *float64 { return &v }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
