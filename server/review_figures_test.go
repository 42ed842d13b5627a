package server_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/units/zhtest"
)

// TestReviewPageFigures (issue 10 §2): the review page shows a clip's
// measurements under level, noise, clipping and silence, each named in
// zh-TW then English (lang="en"), its value in the unit of its rule; the
// receipt's findings with their figure and threshold in both languages
// (a receipt stored before findings carried texts included); a monologue's
// topic without its internal "topic:" prefix. No JSON key reaches the page.
// The speaker's own list of recordings shows the same texts.
func TestReviewPageFigures(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	ctx := t.Context()
	ps, err := e.db.Prompts(ctx, e.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	var topic *corpus.Prompt
	for _, p := range ps {
		if recorder.IsTopic(p.Text) {
			topic = p
			break
		}
	}
	if topic == nil {
		t.Fatal("the demo project has no topic")
	}
	sp := e.users["ah-bin"]
	task := &corpus.Task{ProjectID: e.project.ID, SpeakerID: sp.ID, PromptID: topic.ID, Mode: "monologue", NoiseBand: "low"}
	if err := e.db.CreateTask(ctx, task); err != nil {
		t.Fatal(err)
	}
	up, err := e.db.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(clip(3, -65)); err != nil {
		t.Fatal(err)
	}
	// A012 as a receipt stored before findings carried their figures as
	// text (no unit, no texts); A007 as one made now.
	receipt := `{"status":"pending_review","findings":[` +
		`{"rule":"A012","severity":"warning","message":"noise floor","message_zh":"背景噪音","measured":-38.24,"threshold":"< -55"},` +
		`{"rule":"A007","severity":"warning","message":"clipped","message_zh":"爆音","measured":0.0121,"threshold":"<= 0.001","unit":"ratio",` +
		`"measured_text":"1.21%","measured_text_zh":"1.21%","threshold_text":"at most 0.1%","threshold_text_zh":"不超過 0.1%"},` +
		`{"rule":"T005","severity":"warning","message":"a transcript note","message_zh":"逐字稿提醒","measured":null}],` +
		`"measurements":{"noise_floor_dbfs":-38.24,"speech_level_dbfs":-20.05,"snr_db":18.2,"active_s":3.1,"leading_silence_s":1,` +
		`"trailing_silence_s":0.95,"clipped_ratio":0.0121,"clipped_samples":194,"clipped_runs":3,"clipped_runs_3":2,"longest_clipped_run":4,` +
		`"dc_offset":-0.0001,"peak_dbfs":-0.01,"rms_dbfs":-24.3,"dropouts":0,"dropout_s":0,"noise_band":"too_noisy","non_speech_s":2,` +
		`"frames_analyzed":500,"estimator":"p10"}}`
	c := &corpus.Clip{ProjectID: e.project.ID, SpeakerID: sp.ID, TaskID: task.ID, ClientClipID: uuid(31), DurationS: 5,
		SampleRate: 16000, Channels: 1, Bits: 16, Mode: "monologue", NoiseBand: "low", Transcript: "講阮兜附近的菜市仔。",
		Receipt: []byte(receipt)}
	if err := e.db.CommitClip(ctx, c, up); err != nil {
		t.Fatal(err)
	}

	rv := e.signIn("reviewer")
	page := rv.do("GET", "/review", nil)
	body := string(page.body)
	if page.status != 200 || !strings.Contains(body, `data-clip-id="`+c.ID+`"`) {
		t.Fatalf("review page: %d\n%s", page.status, body)
	}
	table := section(t, body, `<table class="measurements"`, "</table>")
	// Groups in order, each heading in both languages.
	groups := regexp.MustCompile(`data-group="([a-z]+)"`).FindAllStringSubmatch(table, -1)
	var order []string
	for _, g := range groups {
		order = append(order, g[1])
	}
	if strings.Join(order, " ") != "level noise clipping silence" {
		t.Errorf("measurement groups %q, want level noise clipping silence", order)
	}
	for _, want := range []string{
		`音量 <span class="en" lang="en">level</span>`,
		`噪音 <span class="en" lang="en">noise</span>`,
		`爆音 <span class="en" lang="en">clipping</span>`,
		`語音與靜音 <span class="en" lang="en">speech and silence</span>`,
		// Labels zh-TW first, English beside; values in their units.
		`背景噪音 <span class="en" lang="en">noise floor</span></th><td>-38.2 dBFS</td>`,
		`語音音量 <span class="en" lang="en">speech level</span></th><td>-20.1 dBFS</td>`,
		`訊噪比 <span class="en" lang="en">SNR</span></th><td>18.2 dB</td>`,
		`噪音等級 <span class="en" lang="en">noise band</span></th><td>過吵 <span class="en" lang="en">too noisy</span></td>`,
		`爆音 <span class="en" lang="en">clipped</span></th><td>1.21%</td>`,
		`最長連續爆音 <span class="en" lang="en">longest clipped run</span></th><td>4 個取樣 <span class="en" lang="en">4 samples</span></td>`,
		`連續 3 個以上爆音取樣 <span class="en" lang="en">clipped runs of 3 samples or more</span></th><td>2 段 <span class="en" lang="en">2 runs</span></td>`,
		`直流偏移 <span class="en" lang="en">DC offset</span></th><td>-0.010%</td>`,
		`峰值 <span class="en" lang="en">peak</span></th><td>0.0 dBFS</td>`,
		`語音長度 <span class="en" lang="en">speech</span></th><td>3.10 秒 <span class="en" lang="en">3.10 s</span></td>`,
		`開頭靜音 <span class="en" lang="en">leading silence</span></th><td>1.00 秒 <span class="en" lang="en">1.00 s</span></td>`,
		`斷音 <span class="en" lang="en">dropouts</span></th><td>0 處斷音 <span class="en" lang="en">0 dropouts</span></td>`,
	} {
		if !strings.Contains(table, want) {
			t.Errorf("measurements lack %s\n%s", want, table)
		}
	}
	// No JSON key anywhere on the page, and every Chinese cell is Chinese.
	for _, key := range []string{"clipped_runs_3", "noise_floor_dbfs", "dc_offset", "longest_clipped_run", "snr_db", "frames_analyzed", "estimator", "p10"} {
		if strings.Contains(body, key) {
			t.Errorf("the page shows the raw key %q", key)
		}
	}
	zhOnly := regexp.MustCompile(`<span class="en" lang="en">[^<]*</span>|<[^>]*>`).ReplaceAllString(table, " ")
	if en := zhtest.English(html.UnescapeString(zhOnly)); en != nil {
		t.Errorf("the Chinese of the measurements has English %q:\n%s", en, zhOnly)
	}

	// Findings: the figure and threshold in the rule's unit, zh-TW then
	// English; the stored receipt's raw "< -55" is written as text.
	findings := section(t, body, `<ul class="findings"`, "</ul>")
	for _, want := range []string{
		"量測值 -38.2 dBFS · 標準 低於 -55 dBFS", `<span class="en" lang="en">measured -38.2 dBFS · threshold below -55 dBFS</span>`,
		"量測值 1.21% · 標準 不超過 0.1%", `<span class="en" lang="en">measured 1.21% · threshold at most 0.1%</span>`,
		`<code>T005</code> 逐字稿提醒 <span class="en" lang="en">a transcript note</span></li>`, // no figure line for a finding without one
	} {
		if !strings.Contains(findings, want) {
			t.Errorf("findings lack %s\n%s", want, findings)
		}
	}
	if strings.Contains(findings, "&lt; -55") || strings.Contains(findings, "&lt;= 0.001") || strings.Contains(findings, "threshold &lt;") {
		t.Errorf("findings show raw thresholds:\n%s", findings)
	}

	// The topic, without its prefix, under its own heading; the mode and
	// format in both languages.
	human := strings.TrimSpace(strings.TrimPrefix(topic.Text, recorder.TopicPrefix))
	if strings.Contains(body, "topic:") || !strings.Contains(body, `data-testid="review-prompt">`+human+"</p>") ||
		!strings.Contains(body, `題目 <span class="en" lang="en">Topic</span>`) {
		t.Errorf("the topic is not shown as %q under 題目:\n%s", human, section(t, body, `<h3>`, "</section>"))
	}
	for _, want := range []string{`自由講 <span class="en" lang="en">talk freely</span>`,
		`16 位元 PCM 16000 Hz 1 個聲道 5.00 秒 <span class="en" lang="en">16-bit PCM 16000 Hz 1 channel 5.00 s</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	// The JSON view gives the prompt as people read it, too (to the page's
	// tab, which holds the clip).
	tab := regexp.MustCompile(`data-tab="([0-9a-f]+)"`).FindStringSubmatch(body)
	if tab == nil {
		t.Fatal("the page has no tab id")
	}
	if p := rv.do("GET", "/api/v1/review/next?tab="+tab[1], nil).json()["prompt"]; p != human {
		t.Errorf("prompt in JSON %q, want %q", p, human)
	}

	home := string(e.signIn("ah-bin").do("GET", "/", nil).body)
	for _, want := range []string{
		`背景噪音 -38.2 dBFS <span class="en" lang="en">noise floor -38.2 dBFS</span> · 噪音等級 過吵 <span class="en" lang="en">noise band too noisy</span>` +
			` · 語音音量 -20.1 dBFS <span class="en" lang="en">speech level -20.1 dBFS</span> · 訊噪比 18.2 dB <span class="en" lang="en">SNR 18.2 dB</span>`,
		"量測值 -38.2 dBFS · 標準 低於 -55 dBFS", `<span class="en" lang="en">measured 1.21% · threshold at most 0.1%</span>`,
	} {
		if !strings.Contains(home, want) {
			t.Errorf("the speaker's home page lacks %s\n%s", want, section(t, home, `id="clip-`+c.ID, "</article>"))
		}
	}
	if strings.Contains(home, "threshold &lt;") || strings.Contains(home, "(too_noisy)") {
		t.Errorf("the speaker's home page shows raw figures:\n%s", section(t, home, `id="clip-`+c.ID, "</article>"))
	}
}

// section returns body from the first start to the end after it.
func section(t *testing.T, body, start, end string) string {
	t.Helper()
	i := strings.Index(body, start)
	if i < 0 {
		t.Fatalf("no %s on the page", start)
	}
	j := strings.Index(body[i:], end)
	if j < 0 {
		t.Fatalf("%s has no %s", start, end)
	}
	return body[i : i+j]
}
