package validate

import (
	"fmt"

	"github.com/dialect-corpus/dialect/units"
)

// ruleNames are the short names of the rules of spec/audio-checks.md.
var ruleNames = map[string]string{
	"A001": "unreadable",
	"A002": "unsupported-encoding",
	"A003": "sample-rate",
	"A004": "channels",
	"A005": "duration",
	"A006": "truncated",
	"A007": "clipping",
	"A008": "dc-offset",
	"A009": "no-speech",
	"A010": "too-quiet",
	"A011": "low-snr",
	"A012": "noise-band",
	"A013": "silence",
	"A014": "dropouts",
	"A015": "fake-stereo",
}

// structuralZH says in Traditional Chinese what each structural code means.
// The English message adds the detail (offsets, sizes, chunk ids), which is
// for whoever repairs the file; a speaker is told what happened and what to do.
var structuralZH = map[string]string{
	"empty":                 "檔案是空的",
	"truncated_header":      "檔案在 WAV 標頭內就結束了，可能上傳不完整",
	"not_wav":               "這不是 WAV 檔，請上傳 WAV 格式的錄音",
	"unsupported_container": "不支援此容器格式（大端序或超大檔案的格式），請另存為一般 WAV 檔",
	"too_many_chunks":       "檔案中的區塊數量過多，結構異常",
	"stray_bytes":           "檔案結構損毀：區塊之間有多餘的位元組",
	"bad_chunk":             "檔案結構損毀：區塊標頭或長度錯誤",
	"duplicate_fmt":         "檔案含有重複的格式區塊",
	"duplicate_data":        "檔案含有重複的音訊資料區塊",
	"fmt_after_data":        "格式區塊出現在音訊資料之後",
	"data_before_fmt":       "音訊資料區塊出現在格式區塊之前",
	"bad_fmt":               "格式區塊內容有誤",
	"partial_frame":         "音訊資料長度不是完整的取樣框數",
	"no_fmt":                "缺少格式區塊",
	"no_data":               "缺少音訊資料區塊",
	"trailing_data":         "檔案結尾之後還有多餘的資料",
	"unsupported_codec":     "不支援此音訊編碼，請錄製或匯出為 PCM",
	"unsupported_bits":      "不支援此取樣位元深度，請使用 16 位元 PCM",
	"unsupported_channels":  "聲道數過多（最多 32 個）",
	"truncated":             "檔案不完整，可能在上傳或存檔時被截斷",
	"nonfinite":             "音訊含有無效的數值（不是數字或無限大）",
}

func structuralFinding(e *FormatError) Finding {
	zh := structuralZH[e.Code]
	if zh == "" {
		zh = "無法讀取此 WAV 檔"
	}
	sev := SeverityError
	en := "not a readable WAV file: " + e.Detail
	switch e.Rule {
	case "A002":
		en = "unsupported encoding: " + e.Detail
	case "A006":
		en = "truncated: " + e.Detail
	}
	return Finding{Rule: e.Rule, Name: ruleNames[e.Rule], Severity: sev, Code: e.Code,
		Message: en, MessageZH: zh}
}

// truncatedFinding is A006 for a file whose data chunk runs past its end
// (why says how), with the duration of the audio that is there.
func truncatedFinding(why string, durationS float64) Finding {
	f := structuralFinding(formatErr("A006", "truncated", why))
	fig, _ := f.figure(units.Second, round(durationS, 3), units.Limit{})
	f.Message += fmt.Sprintf("; %s of audio measured", fig.EN)
	f.MessageZH += fmt.Sprintf("（實際只有 %s的音訊）", fig.ZH)
	return f
}

// bandZH names a noise band in Traditional Chinese.
func bandZH(b string) string {
	switch b {
	case "low":
		return "低噪音"
	case "medium":
		return "中噪音"
	case "high":
		return "高噪音"
	case "too_noisy":
		return "過吵"
	}
	return b
}

func modeZH(m Mode) string {
	switch m {
	case ModePrompted:
		return "提示句朗讀"
	case ModeMonologue:
		return "自由獨白"
	case ModeDialogue:
		return "雙人對話"
	default: // ModeAny, and a mode no task names (Config.mode holds it to any mode's bounds)
		return "任何模式"
	}
}
