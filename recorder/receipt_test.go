package recorder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/units/zhtest"
)

// TestReceipt_FigureTexts: a receipt's audio findings carry their figure and
// threshold as text in the unit of the rule, in both languages, beside the
// raw numbers, and every Chinese message is Chinese.
func TestReceipt_FigureTexts(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	if task.NoiseBand != "low" {
		t.Fatalf("band %s, want low", task.NoiseBand)
	}
	r, _, err := e.ingest(sp, task, wav(3, 2, -35), "你食飽未、我食飽矣：", newUUID())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	var raw struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var a012 map[string]any
	for i, f := range r.Findings {
		if en := zhtest.English(f.MessageZH); en != nil {
			t.Errorf("%s: message_zh %q has English %q", f.Rule, f.MessageZH, en)
		}
		if f.Rule == "A012" {
			a012 = raw.Findings[i]
		}
	}
	if a012 == nil {
		t.Fatalf("no A012 in %s", b)
	}
	if _, ok := a012["measured"].(float64); !ok || a012["threshold"] != "< -55" || a012["unit"] != "dBFS" {
		t.Errorf("A012 raw fields %v: want measured a number, threshold \"< -55\", unit dBFS", a012)
	}
	dbfs := regexp.MustCompile(`^-3\d(\.\d)? dBFS$`)
	for key, want := range map[string]string{"measured_text": "", "measured_text_zh": "", "threshold_text": "below -55 dBFS", "threshold_text_zh": "低於 -55 dBFS"} {
		got, _ := a012[key].(string)
		if want == "" && !dbfs.MatchString(got) || want != "" && got != want {
			t.Errorf("A012 %s=%q, want %q", key, got, want)
		}
		msg := a012["message"].(string)
		if strings.HasSuffix(key, "_zh") {
			msg = a012["message_zh"].(string)
		}
		if !strings.Contains(msg, got) {
			t.Errorf("A012 message %q lacks its %s %q", msg, key, got)
		}
	}
}

// TestReceipt_StoredBefore: a receipt stored before findings carried texts
// (no unit, no texts; A007's ratio, A014's count) reads with the texts made
// from its raw numbers; one that has them keeps its own.
func TestReceipt_StoredBefore(t *testing.T) {
	old := `{"clip_id":"c","status":"rejected","findings":[
		{"rule":"A007","severity":"error","message":"1.210% of samples are clipped","message_zh":"有 1.210% 的取樣爆音","measured":0.0121,"threshold":"<= 0.001"},
		{"rule":"A014","severity":"warning","message":"5 dropout(s)","message_zh":"有 5 處斷音","measured":5,"threshold":"0"},
		{"rule":"A009","severity":"error","message":"only 0.12 s","message_zh":"只偵測到 0.12 秒","measured":0.12,"threshold":">= 0.3","unit":"s"},
		{"rule":"A012","severity":"error","message":"m","message_zh":"m","measured":-38.2,"threshold":"< -55","unit":"dBFS","measured_text":"kept","threshold_text":"as stored"},
		{"rule":"T001","severity":"error","message":"m","message_zh":"m","measured":null,"line":1,"column":2,"text":"、","fix":"，"}]}`
	var r recorder.Receipt
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	want := [][4]string{
		{"1.21%", "1.21%", "at most 0.1%", "不超過 0.1%"},
		{"5 dropouts", "5 處斷音", "none", "不可有"},
		{"0.12 s", "0.12 秒", "at least 0.3 s", "至少 0.3 秒"},
		{"kept", "", "as stored", ""},
		{"", "", "", ""},
	}
	for i, f := range r.Findings {
		if got := [4]string{f.MeasuredText, f.MeasuredTextZH, f.ThresholdText, f.ThresholdTextZH}; got != want[i] {
			t.Errorf("%s: texts %q, want %q", f.Rule, got, want[i])
		}
	}
}

// TestBadRequest_Chinese: every malformed request the recorder refuses is
// an ErrBadRequest with its message in both languages, the Chinese one
// wholly Chinese (the server answers 400 with both).
func TestBadRequest_Chinese(t *testing.T) {
	e := newEnv(t, recorder.Options{}, nil)
	ctx := context.Background()
	sp := e.speaker("a-hua", true)
	task := e.nextTask(sp)
	sub := func(mut func(*recorder.Submission)) recorder.Submission {
		s := recorder.Submission{ClientClipID: newUUID(), TaskID: task.ID, NoiseBand: task.NoiseBand, Audio: bytes.NewReader(clipFor(task, 1))}
		mut(&s)
		return s
	}
	ingest := func(mut func(*recorder.Submission)) func() error {
		return func() error { _, _, err := e.svc.Ingest(ctx, sp, sub(mut)); return err }
	}
	resumable := func(mut func(*recorder.ResumableRequest)) func() error {
		return func() error {
			req := recorder.ResumableRequest{ClientClipID: newUUID(), TaskID: task.ID, NoiseBand: task.NoiseBand, Length: 1000, SHA256: strings.Repeat("0", 64)}
			mut(&req)
			_, _, err := e.svc.CreateResumable(ctx, sp, req)
			return err
		}
	}
	lint := func(text string) func() error {
		return func() error { _, _, err := e.svc.Lint(ctx, e.p.ID, text); return err }
	}
	for name, call := range map[string]func() error{
		"no client id":         ingest(func(s *recorder.Submission) { s.ClientClipID = "" }),
		"client id not a UUID": ingest(func(s *recorder.Submission) { s.ClientClipID = "take-1" }),
		"no task id":           ingest(func(s *recorder.Submission) { s.TaskID = "" }),
		"no band":              ingest(func(s *recorder.Submission) { s.NoiseBand = "" }),
		"band mismatch":        ingest(func(s *recorder.Submission) { s.NoiseBand = "high" }),
		"no audio":             ingest(func(s *recorder.Submission) { s.Audio = nil }),
		"transcript too long":  ingest(func(s *recorder.Submission) { s.Transcript = strings.Repeat("好", 1<<19) }),
		"transcript not UTF-8": ingest(func(s *recorder.Submission) { s.Transcript = "\xc3\x28" }),
		"resumable sha256":     resumable(func(r *recorder.ResumableRequest) { r.SHA256 = "abc" }),
		"resumable length":     resumable(func(r *recorder.ResumableRequest) { r.Length = 0 }),
		"resumable band":       resumable(func(r *recorder.ResumableRequest) { r.NoiseBand = "medium" }),
		"lint text too long":   lint(strings.Repeat("a", 1<<20+1)),
		"lint text not UTF-8":  lint("\xff"),
	} {
		err := call()
		var re *recorder.RequestError
		if !errors.Is(err, recorder.ErrBadRequest) || !errors.As(err, &re) {
			t.Errorf("%s: %v, want a *RequestError that is ErrBadRequest", name, err)
			continue
		}
		if re.Message == "" || re.MessageZH == "" || err.Error() != "bad request: "+re.Message {
			t.Errorf("%s: Error %q, message %q / %q", name, err, re.Message, re.MessageZH)
		}
		if en := zhtest.English(re.MessageZH); en != nil {
			t.Errorf("%s: message_zh %q has English %q", name, re.MessageZH, en)
		}
	}
	// Bytes that are not audio: the speaker is told why in Chinese.
	_, _, err := e.svc.Ingest(ctx, sp, sub(func(s *recorder.Submission) { s.Audio = strings.NewReader("ID3 not even audio") }))
	var na *recorder.NotAudioError
	if !errors.As(err, &na) || na.Finding.MessageZH == "" || zhtest.English(na.Finding.MessageZH) != nil {
		t.Errorf("not audio: %v, want a NotAudioError with a Chinese message", err)
	}
}
