package validate_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/units/zhtest"
	"github.com/dialect-corpus/dialect/validate"
	"github.com/dialect-corpus/dialect/validate/wavtest"
)

// TestFindingTexts renders every rule A001–A015 in both languages: each
// finding's unit, its figure and threshold as text, and the wording of its
// messages, which must carry the same texts. Figures that depend on the
// estimator are matched by pattern, the rest exactly.
func TestFindingTexts(t *testing.T) {
	mono := wavtest.PCM16
	stereo := wavtest.Spec{SampleRate: 16000, Channels: 2, Bits: 16}
	float32 := wavtest.Spec{SampleRate: 16000, Channels: 1, Bits: 32, Float: true}
	withFloat := validate.DefaultConfig()
	withFloat.Encodings = []string{"pcm16", "float32"}
	dBFS, dB := `^-?\d+(\.\d)? dBFS$`, `^-?\d+(\.\d)? dB$`
	tests := []struct {
		name     string
		data     func() []byte
		opts     validate.Options
		rule     string
		unit     string
		measured [2]string // EN, ZH; a value starting with ^ is a pattern
		limit    [2]string
		words    [2]string // what the messages must also say
	}{
		{"A001 unreadable", func() []byte { return wavtest.Encode(mono, clip(1, -65))[:10] }, validate.Options{},
			"A001", "", [2]string{}, [2]string{}, [2]string{"not a readable WAV file: file ends after 10 bytes", "檔案在 WAV 標頭內就結束了"}},
		{"A001 NaN samples", func() []byte {
			x := clip(1, -65)
			x[100], x[200] = math.NaN(), math.Inf(1)
			return wavtest.Encode(float32, x)
		}, validate.Options{Config: &withFloat},
			"A001", "samples", [2]string{"2 samples", "2 個取樣"}, [2]string{"none", "不可有"}, [2]string{"NaN or infinite", "數值無效"}},
		{"A002 encoding", func() []byte { return wavtest.Encode(float32, clip(1, -65)) }, validate.Options{},
			"A002", "", [2]string{}, [2]string{"16-bit PCM", "16 位元 PCM"}, [2]string{"encoding 32-bit float is not allowed", "編碼為 32 位元浮點"}},
		{"A003 sample rate", func() []byte {
			mix, _ := wavtest.Clip(rand.New(rand.NewPCG(2, 2)), 44100, 1, 3, 1, -18, wavtest.White, -65)
			return wavtest.Encode(wavtest.Spec{SampleRate: 44100, Channels: 1, Bits: 16}, mix)
		}, validate.Options{},
			"A003", "Hz", [2]string{"44100 Hz", "44100 Hz"}, [2]string{"16000 Hz", "16000 Hz"}, [2]string{"sample rate", "取樣率"}},
		{"A004 channels", func() []byte { return wavtest.Encode(stereo, wavtest.Interleave(clip(1, -65), clip(2, -65))) },
			validate.Options{Mode: validate.ModePrompted},
			"A004", "channels", [2]string{"2 channels", "2 個聲道"}, [2]string{"1 channel", "1 個聲道"}, [2]string{"not allowed for prompted recordings", "提示句朗讀錄音不允許"}},
		{"A005 duration", func() []byte {
			mix, _ := wavtest.Clip(rand.New(rand.NewPCG(3, 3)), 16000, 0.2, 0.5, 0.2, -18, wavtest.White, -65)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Mode: validate.ModePrompted},
			"A005", "s", [2]string{"0.90 s", "0.90 秒"}, [2]string{"1 s to 30 s", "1 秒 至 30 秒"}, [2]string{"duration", "錄音長度"}},
		{"A005 hours", func() []byte { return wavtest.Encode(mono, clip(1, -65)) }, validate.Options{Mode: validate.ModeMonologue},
			"A005", "s", [2]string{"5.00 s", "5.00 秒"}, [2]string{"10 s to 4 h", "10 秒 至 4 小時"}, [2]string{"monologues", "自由獨白"}},
		{"A006 truncated", func() []byte { return wavtest.Encode(mono, clip(1, -65))[:44+16000*2*3+1] }, validate.Options{},
			"A006", "s", [2]string{"3.00 s", "3.00 秒"}, [2]string{}, [2]string{"3.00 s of audio measured", "實際只有 3.00 秒的音訊"}},
		{"A007 clipped ratio", func() []byte {
			x := clip(1, -65)
			for i := range x {
				x[i] *= 40
			}
			return wavtest.Encode(mono, x)
		}, validate.Options{},
			"A007", "ratio", [2]string{`^\d+(\.\d+)?%$`, `^\d+(\.\d+)?%$`}, [2]string{"at most 0.1%", "不超過 0.1%"}, [2]string{"of samples are clipped", "的取樣爆音"}},
		{"A007 clipped run", func() []byte {
			x := clip(1, -65)
			x[30000], x[30001], x[30002] = 1, 1, 1
			return wavtest.Encode(mono, x)
		}, validate.Options{},
			"A007", "samples", [2]string{"3 samples", "3 個取樣"}, [2]string{"at most 2 samples", "不超過 2 個取樣"}, [2]string{"1 run of 3 or more clipped samples", "有 1 段連續 3 個以上"}},
		{"A008 DC offset", func() []byte {
			x := clip(1, -65)
			for i := range x {
				x[i] += 0.02
			}
			return wavtest.Encode(mono, x)
		}, validate.Options{},
			"A008", "ratio", [2]string{"2.00%", "2.00%"}, [2]string{"at most 1%", "不超過 1%"}, [2]string{"of full scale, -34.0 dBFS", "直流偏移為滿刻度的 2.00%，即 -34.0 dBFS"}},
		{"A009 no speech", func() []byte { return wavtest.Encode(mono, make([]float64, 16000*3)) }, validate.Options{},
			"A009", "s", [2]string{"0.00 s", "0.00 秒"}, [2]string{"at least 0.3 s", "至少 0.3 秒"}, [2]string{"of speech found", "的語音"}},
		{"A010 too quiet", func() []byte {
			mix, _ := wavtest.Clip(rand.New(rand.NewPCG(6, 6)), 16000, 1, 3, 1, -46, wavtest.White, -80)
			return wavtest.Encode(mono, mix)
		}, validate.Options{},
			"A010", "dBFS", [2]string{dBFS, dBFS}, [2]string{"at least -40 dBFS", "至少 -40 dBFS"}, [2]string{"speech level", "語音音量"}},
		{"A011 SNR", func() []byte {
			mix, _ := wavtest.Clip(rand.New(rand.NewPCG(7, 7)), 16000, 1, 3, 1, -40, wavtest.White, -58)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Band: validate.BandLow},
			"A011", "dB", [2]string{dB, dB}, [2]string{"at least 25 dB", "至少 25 dB"}, [2]string{"SNR", "訊噪比"}},
		{"A012 low band", func() []byte { return wavtest.Encode(mono, clip(1, -38)) }, validate.Options{Band: validate.BandLow},
			"A012", "dBFS", [2]string{dBFS, dBFS}, [2]string{"below -55 dBFS", "低於 -55 dBFS"}, [2]string{"outside band low", "不在低噪音範圍"}},
		{"A012 medium band", func() []byte { return wavtest.Encode(mono, clip(1, -65)) }, validate.Options{Band: validate.BandMedium},
			"A012", "dBFS", [2]string{dBFS, dBFS}, [2]string{"-55 dBFS to -40 dBFS", "-55 dBFS 至 -40 dBFS"}, [2]string{"needs more background noise", "需要更多背景噪音"}},
		{"A012 any band", func() []byte {
			mix, _ := wavtest.Clip(rand.New(rand.NewPCG(8, 8)), 16000, 1, 3, 1, -16, wavtest.White, -23)
			return wavtest.Encode(mono, mix)
		}, validate.Options{},
			"A012", "dBFS", [2]string{dBFS, dBFS}, [2]string{"at most -25 dBFS", "不超過 -25 dBFS"}, [2]string{"too noisy for any band", "任何噪音等級都不接受"}},
		{"A013 silence", func() []byte {
			mix, _ := wavtest.Clip(rand.New(rand.NewPCG(9, 9)), 16000, 1, 3, 5, -18, wavtest.White, -65)
			return wavtest.Encode(mono, mix)
		}, validate.Options{Mode: validate.ModePrompted},
			"A013", "s", [2]string{`^\d\.\d\d s$`, `^\d\.\d\d 秒$`}, [2]string{"0.1 s to 3 s", "0.1 秒 至 3 秒"}, [2]string{"trailing silence", "結尾靜音"}},
		{"A014 dropouts", func() []byte {
			x := clip(1, -65)
			for _, at := range []int{30000, 40000} {
				for i := at; i < at+1600; i++ { // 100 ms of digital zero mid-speech
					x[i] = 0
				}
			}
			return wavtest.Encode(mono, x)
		}, validate.Options{},
			"A014", "dropouts", [2]string{"2 dropouts", "2 處斷音"}, [2]string{"none", "不可有"}, [2]string{"digital silence of 0.05 s or more", "0.05 秒以上的完全無聲"}},
		{"A015 fake stereo", func() []byte { a := clip(1, -65); return wavtest.Encode(stereo, wavtest.Interleave(a, a)) },
			validate.Options{Mode: validate.ModeDialogue},
			"A015", "", [2]string{}, [2]string{}, [2]string{"channels 1 and 2 are sample-identical", "第 1 與第 2 聲道完全相同"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := check(t, tt.data(), tt.opts)
			f, ok := rep.Finding(tt.rule)
			if !ok {
				t.Fatalf("no %s: %s", tt.rule, rules(rep))
			}
			seen[tt.rule] = true
			if f.Unit != tt.unit {
				t.Errorf("unit %q, want %q", f.Unit, tt.unit)
			}
			texts := [2][2]string{{f.MeasuredText, f.MeasuredTextZH}, {f.ThresholdText, f.ThresholdTextZH}}
			for i, want := range [2][2]string{tt.measured, tt.limit} {
				for lang := range 2 {
					got := texts[i][lang]
					if w := want[lang]; strings.HasPrefix(w, "^") && !regexp.MustCompile(w).MatchString(got) || !strings.HasPrefix(w, "^") && got != w {
						t.Errorf("%s text [%d] %q, want %q", []string{"measured", "threshold"}[i], lang, got, w)
					}
				}
			}
			msgs := [2]string{f.Message, f.MessageZH}
			for lang, msg := range msgs {
				for _, part := range []string{texts[0][lang], texts[1][lang], tt.words[lang]} {
					if !strings.Contains(msg, part) {
						t.Errorf("message %q lacks %q", msg, part)
					}
				}
			}
			if en := zhtest.English(f.MessageZH); en != nil {
				t.Errorf("message_zh %q has English %q", f.MessageZH, en)
			}
			// Raw fields stay as they were; the texts are added to the JSON.
			b, _ := json.Marshal(f)
			var kv map[string]any
			_ = json.Unmarshal(b, &kv)
			if tt.measured[0] != "" && (kv["measured_text"] != f.MeasuredText || kv["measured_text_zh"] != f.MeasuredTextZH) {
				t.Errorf("JSON %s lacks measured_text(_zh)", b)
			}
			if _, isNum := kv["measured"].(float64); tt.measured[0] != "" && !isNum {
				t.Errorf("JSON measured is not a number: %s", b)
			}
			// A receipt stored before the texts were kept gets the same
			// texts back from its raw fields, even without the unit.
			unit := f.Unit
			if tt.rule == "A007" && f.Severity == validate.SeverityError || tt.rule == "A014" || tt.rule == "A004" {
				unit = ""
			}
			m, th := validate.FigureTexts(f.Rule, unit, f.Measured, f.Threshold)
			if m.EN != f.MeasuredText || m.ZH != f.MeasuredTextZH || th.EN != f.ThresholdText || th.ZH != f.ThresholdTextZH {
				t.Errorf("FigureTexts=%q %q, want the finding's %q %q", m, th, texts[0], texts[1])
			}
		})
	}
	for i := 1; i <= 15; i++ {
		if id := "A" + pad3(i); !seen[id] {
			t.Errorf("%s is not rendered", id)
		}
	}
}

func pad3(i int) string {
	return string([]byte{'0' + byte(i/100), '0' + byte(i/10%10), '0' + byte(i%10)})
}

// TestStructuralZH: every structural finding's Chinese message is Chinese,
// without the English detail (offsets, chunk ids) the English one carries.
func TestStructuralZH(t *testing.T) {
	good := wavtest.Encode(wavtest.PCM16, clip(1, -65))
	for _, data := range [][]byte{nil, good[:10], []byte("FORM\x00\x00\x00\x04AIFF"), append([]byte("RIFX"), good[4:]...),
		append([]byte("RF64"), good[4:]...), append(append([]byte{}, good...), "trailing"...), good[:len(good)/2]} {
		rep := check(t, data, validate.Options{})
		for _, f := range rep.Findings {
			if en := zhtest.English(f.MessageZH); en != nil {
				t.Errorf("%s %s: message_zh %q has English %q", f.Rule, f.Code, f.MessageZH, en)
			}
		}
	}
}

func TestMeasurementFigures(t *testing.T) {
	m := validate.Measurements{NoiseFloorDBFS: -61.24, NoiseBand: "too_noisy", SNRDB: 40.2, ActiveS: 3.1, ClippedRatio: 0.0121, DCOffset: -0.0001, Dropouts: 1,
		LongestClipRun: 4, ClippedRuns3: 2}
	got := map[string][2]string{}
	for _, f := range m.Figures() {
		got[f.Key] = [2]string{f.Name.EN + " " + f.Value.EN, f.Name.ZH + " " + f.Value.ZH}
		if en := zhtest.English(f.Name.ZH + f.Value.ZH); en != nil && f.Key != "snr_db" {
			t.Errorf("%s: %q has English %q", f.Key, f.Name.ZH+f.Value.ZH, en)
		}
	}
	for key, want := range map[string][2]string{
		"noise_floor_dbfs":    {"noise floor -61.2 dBFS", "背景噪音 -61.2 dBFS"},
		"noise_band":          {"noise band too noisy", "噪音等級 過吵"},
		"snr_db":              {"SNR 40.2 dB", "訊噪比 40.2 dB"},
		"active_s":            {"speech 3.10 s", "語音長度 3.10 秒"},
		"clipped_ratio":       {"clipped 1.21%", "爆音 1.21%"},
		"dc_offset":           {"DC offset -0.010%", "直流偏移 -0.010%"},
		"dropouts":            {"dropouts 1 dropout", "斷音 1 處斷音"},
		"longest_clipped_run": {"longest clipped run 4 samples", "最長連續爆音 4 個取樣"},
		"clipped_runs_3":      {"clipped runs of 3 samples or more 2 runs", "連續 3 個以上爆音取樣 2 段"},
	} {
		if got[key] != want {
			t.Errorf("%s: %q, want %q", key, got[key], want)
		}
	}
}

// TestFigureGroups: the review page's table shows every figure once, under
// level, noise, clipping and silence, in that order.
func TestFigureGroups(t *testing.T) {
	m := validate.Measurements{NoiseFloorDBFS: -61.24, SpeechLevelDBFS: -20, PeakDBFS: -0.1, ClippedRuns3: 1}
	var keys, seen []string
	for _, g := range m.FigureGroups() {
		keys = append(keys, g.Key+"="+g.Name.EN+"/"+g.Name.ZH)
		if en := zhtest.English(g.Name.ZH); en != nil {
			t.Errorf("group %s: %q has English %q", g.Key, g.Name.ZH, en)
		}
		for _, f := range g.Figures {
			if f.Group != g.Key {
				t.Errorf("%s is in group %s, says %s", f.Key, g.Key, f.Group)
			}
			seen = append(seen, f.Key)
		}
	}
	if want := []string{"level=level/音量", "noise=noise/噪音", "clipping=clipping/爆音", "silence=speech and silence/語音與靜音"}; strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("groups %q, want %q", keys, want)
	}
	if all := m.Figures(); len(seen) != len(all) {
		t.Errorf("grouped %d figures (%q), want all %d", len(seen), seen, len(all))
	}
	for _, want := range []string{"speech_level_dbfs", "peak_dbfs", "noise_floor_dbfs", "clipped_ratio", "clipped_runs_3", "leading_silence_s", "dropouts"} {
		if !slices.Contains(seen, want) {
			t.Errorf("%s is not in a group", want)
		}
	}
}
