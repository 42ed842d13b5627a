package validate

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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
		add(Finding{Rule: "A002", Severity: SeverityError, Code: "encoding_not_allowed",
			Message:   fmt.Sprintf("encoding %s is not allowed (allowed: %s)", name, strings.Join(cfg.Encodings, ", ")),
			MessageZH: fmt.Sprintf("編碼 %s 不在允許清單內（允許：%s），請以 16 位元 PCM 錄製", name, strings.Join(cfg.Encodings, "、")),
			Threshold: strings.Join(cfg.Encodings, "|")})
	}
	if !slices.Contains(cfg.SampleRates, f.SampleRate) {
		add(Finding{Rule: "A003", Severity: SeverityError, Measured: num(float64(f.SampleRate)), Unit: "Hz",
			Threshold: joinInts(cfg.SampleRates, "|"),
			Message:   fmt.Sprintf("sample rate %d Hz is not allowed (allowed: %s Hz)", f.SampleRate, joinInts(cfg.SampleRates, ", ")),
			MessageZH: fmt.Sprintf("取樣率 %d Hz 不符合要求（允許：%s Hz）", f.SampleRate, joinInts(cfg.SampleRates, "、"))})
	}
	if !slices.Contains(lim.Channels, f.Channels) {
		add(Finding{Rule: "A004", Severity: SeverityError, Measured: num(float64(f.Channels)),
			Threshold: joinInts(lim.Channels, "|"),
			Message:   fmt.Sprintf("%d channels are not allowed for %s recordings (allowed: %s)", f.Channels, modeEN(opts.Mode), joinInts(lim.Channels, ", ")),
			MessageZH: fmt.Sprintf("%s錄音不允許 %d 個聲道（允許：%s）", modeZH(opts.Mode), f.Channels, joinInts(lim.Channels, "、"))})
	}
	if d := f.DurationS; d < lim.MinDurationS || d > lim.MaxDurationS {
		add(Finding{Rule: "A005", Severity: SeverityError, Measured: num(round(d, 3)), Unit: "s",
			Threshold: fmt.Sprintf("%g..%g", lim.MinDurationS, lim.MaxDurationS),
			Message:   fmt.Sprintf("duration %.2f s is outside %s bounds (%s to %s)", d, modeEN(opts.Mode), fmtDur(lim.MinDurationS), fmtDur(lim.MaxDurationS)),
			MessageZH: fmt.Sprintf("錄音長度 %.2f 秒，超出%s的範圍（%s 至 %s）", d, modeZH(opts.Mode), fmtDurZH(lim.MinDurationS), fmtDurZH(lim.MaxDurationS))})
	}
	if m.NonFiniteSamples > 0 {
		add(Finding{Rule: "A001", Severity: SeverityError, Code: "nonfinite", Measured: num(float64(m.NonFiniteSamples)), Unit: "samples",
			Threshold: "0",
			Message:   fmt.Sprintf("%d samples are NaN or infinite", m.NonFiniteSamples),
			MessageZH: fmt.Sprintf("有 %d 個取樣值無效（NaN 或無限大）", m.NonFiniteSamples)})
	}
	if ratio, ch := worst(func(c Measurements) float64 { return c.ClippedRatio }, true); ratio > cfg.MaxClippedRatio {
		add(Finding{Rule: "A007", Severity: SeverityError, Measured: num(round(ratio, 6)), Threshold: fmt.Sprintf("<= %g", cfg.MaxClippedRatio), Channel: ch,
			Message:   fmt.Sprintf("%.3f%% of samples are clipped (limit %g%%): record further from the microphone or lower the input gain", ratio*100, cfg.MaxClippedRatio*100),
			MessageZH: fmt.Sprintf("有 %.3f%% 的取樣爆音（上限 %g%%）：請離麥克風遠一點或調低輸入音量", ratio*100, cfg.MaxClippedRatio*100)})
	} else if runs, ch := worst(func(c Measurements) float64 { return float64(c.LongestClipRun) }, true); runs > float64(cfg.MaxClippedRun) {
		n := m.ClippedRuns3
		if ch > 0 {
			n = m.Channels[ch-1].ClippedRuns3
		}
		add(Finding{Rule: "A007", Severity: SeverityWarning, Measured: num(runs), Unit: "samples", Threshold: fmt.Sprintf("<= %d", cfg.MaxClippedRun), Channel: ch,
			Message:   fmt.Sprintf("%d clipped run(s) of %d or more samples in a row (longest %d)", n, cfg.MaxClippedRun+1, int64(runs)),
			MessageZH: fmt.Sprintf("有 %d 段連續 %d 個以上的爆音取樣（最長 %d 個）", n, cfg.MaxClippedRun+1, int64(runs))})
	}
	if dc, ch := worst(func(c Measurements) float64 { return math.Abs(c.DCOffset) }, true); dc > cfg.MaxDCOffset {
		add(Finding{Rule: "A008", Severity: SeverityWarning, Measured: num(round(dc, 5)), Threshold: fmt.Sprintf("<= %g", cfg.MaxDCOffset), Channel: ch,
			Message:   fmt.Sprintf("DC offset %.4f (%.1f dBFS) is above %g: the microphone or sound card adds a constant bias", dc, ampDB(dc), cfg.MaxDCOffset),
			MessageZH: fmt.Sprintf("直流偏移 %.4f（%.1f dBFS）超過 %g：麥克風或音效卡有固定偏壓", dc, ampDB(dc), cfg.MaxDCOffset)})
	}
	active, ach := worst(func(c Measurements) float64 { return c.ActiveS }, false)
	if active < cfg.MinActiveS {
		add(Finding{Rule: "A009", Severity: SeverityError, Measured: num(round(active, 2)), Unit: "s", Threshold: fmt.Sprintf(">= %g", cfg.MinActiveS), Channel: ach,
			Message:   fmt.Sprintf("only %.2f s of speech found (at least %g s needed): the recording seems empty", active, cfg.MinActiveS),
			MessageZH: fmt.Sprintf("只偵測到 %.2f 秒的語音（至少需要 %g 秒）：錄音似乎是空的", active, cfg.MinActiveS)})
	}
	if sp, ch := worst(func(c Measurements) float64 { return c.SpeechLevelDBFS }, false); active >= cfg.MinActiveS && sp < cfg.MinSpeechLevelDBFS {
		add(Finding{Rule: "A010", Severity: SeverityWarning, Measured: num(round(sp, 1)), Unit: "dBFS", Threshold: fmt.Sprintf(">= %g", cfg.MinSpeechLevelDBFS), Channel: ch,
			Message:   fmt.Sprintf("speech level %.1f dBFS is below %g dBFS: speak closer to the microphone", sp, cfg.MinSpeechLevelDBFS),
			MessageZH: fmt.Sprintf("語音音量 %.1f dBFS 低於 %g dBFS：請靠近麥克風說話", sp, cfg.MinSpeechLevelDBFS)})
	}
	noise, nch := worst(func(c Measurements) float64 { return c.NoiseFloorDBFS }, true)
	band := opts.Band
	if band == BandAny && m.NoiseBand != "too_noisy" {
		band = Band(m.NoiseBand) // no declared band: hold the clip to the band it is in
	}
	if band != BandAny {
		minSNR := cfg.band(band).MinSNRDB
		if snr, ch := worst(func(c Measurements) float64 { return c.SNRDB }, false); active >= cfg.MinActiveS && snr < minSNR {
			add(Finding{Rule: "A011", Severity: SeverityError, Measured: num(round(snr, 1)), Unit: "dB", Threshold: fmt.Sprintf(">= %g", minSNR), Channel: ch,
				Message:   fmt.Sprintf("SNR %.1f dB is below %g dB for band %s: speak louder or closer to the microphone", snr, minSNR, band),
				MessageZH: fmt.Sprintf("訊噪比 %.1f dB 低於%s環境要求的 %g dB：請大聲一點或靠近麥克風", snr, bandZH(string(band)), minSNR)})
		}
	}
	if noise > cfg.MaxNoiseDBFS {
		add(Finding{Rule: "A012", Severity: SeverityError, Measured: num(round(noise, 1)), Unit: "dBFS", Threshold: fmt.Sprintf("<= %g", cfg.MaxNoiseDBFS), Channel: nch,
			Message:   fmt.Sprintf("noise floor %.1f dBFS is above %g dBFS, too noisy for any band: move somewhere quieter", noise, cfg.MaxNoiseDBFS),
			MessageZH: fmt.Sprintf("背景噪音 %.1f dBFS 高於 %g dBFS，任何噪音等級都不接受：請換到較安靜的地方", noise, cfg.MaxNoiseDBFS)})
	} else if opts.Band != BandAny && !cfg.inBand(opts.Band, noise) {
		th := bandThreshold(cfg, opts.Band)
		hint, hintZH := "the room is too noisy for this task", "環境太吵，不符合此任務"
		if noise < cfg.band(opts.Band).MinNoiseDBFS {
			hint, hintZH = "this task needs more background noise", "此任務需要更多背景噪音"
		}
		add(Finding{Rule: "A012", Severity: SeverityError, Measured: num(round(noise, 1)), Unit: "dBFS", Threshold: th, Channel: nch,
			Message:   fmt.Sprintf("noise floor %.1f dBFS is outside band %s (%s dBFS): %s", noise, opts.Band, th, hint),
			MessageZH: fmt.Sprintf("背景噪音 %.1f dBFS 不在%s範圍（%s dBFS）：%s", noise, bandZH(string(opts.Band)), th, hintZH)})
	}
	if lim.CheckSilence && active >= cfg.MinActiveS {
		lead, lch := worst(func(c Measurements) float64 { return c.LeadingSilenceS }, true)
		leadMin, _ := worst(func(c Measurements) float64 { return c.LeadingSilenceS }, false)
		trail, tch := worst(func(c Measurements) float64 { return c.TrailingSilenceS }, true)
		trailMin, _ := worst(func(c Measurements) float64 { return c.TrailingSilenceS }, false)
		th := fmt.Sprintf("%g..%g", cfg.MinSilenceS, cfg.MaxSilenceS)
		silence := func(which, whichZH string, v float64, ch int) {
			add(Finding{Rule: "A013", Severity: SeverityWarning, Measured: num(round(v, 2)), Unit: "s", Threshold: th, Channel: ch,
				Message:   fmt.Sprintf("%s silence %.2f s is outside %g–%g s", which, v, cfg.MinSilenceS, cfg.MaxSilenceS),
				MessageZH: fmt.Sprintf("%s靜音 %.2f 秒，不在 %g 至 %g 秒之間", whichZH, v, cfg.MinSilenceS, cfg.MaxSilenceS)})
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
		add(Finding{Rule: "A014", Severity: SeverityWarning, Measured: num(n), Threshold: "0", Channel: ch,
			Message:   fmt.Sprintf("%d dropout(s): runs of digital silence of %g s or more inside the speech (lost audio)", int64(n), cfg.MinDropoutS),
			MessageZH: fmt.Sprintf("有 %d 處斷音：語音中間出現 %g 秒以上的完全無聲（音訊遺失）", int64(n), cfg.MinDropoutS)})
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

func bandThreshold(cfg *Config, b Band) string {
	lim := cfg.band(b)
	switch {
	case lim.MinNoiseDBFS <= -120:
		return fmt.Sprintf("< %g", lim.MaxNoiseDBFS)
	case lim.MaxNoiseDBFS >= cfg.MaxNoiseDBFS:
		return fmt.Sprintf("%g..%g", lim.MinNoiseDBFS, lim.MaxNoiseDBFS)
	}
	return fmt.Sprintf("%g..<%g", lim.MinNoiseDBFS, lim.MaxNoiseDBFS)
}

func modeEN(m Mode) string {
	if m == ModeAny {
		return "any"
	}
	return string(m)
}

func fmtDur(s float64) string {
	if s >= 3600 && math.Mod(s, 3600) == 0 {
		return fmt.Sprintf("%g h", s/3600)
	}
	return fmt.Sprintf("%g s", s)
}

func fmtDurZH(s float64) string {
	if s >= 3600 && math.Mod(s, 3600) == 0 {
		return fmt.Sprintf("%g 小時", s/3600)
	}
	return fmt.Sprintf("%g 秒", s)
}

func joinInts(xs []int, sep string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, sep)
}

func num(v float64) *float64 { return &v }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
