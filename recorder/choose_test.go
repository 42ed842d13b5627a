package recorder

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/validate"
)

func TestChooseBand(t *testing.T) {
	for _, tc := range []struct {
		quota, counts map[string]int
		want          string
	}{
		{map[string]int{"low": 50, "medium": 30, "high": 20}, nil, "low"},
		{map[string]int{"low": 50, "medium": 30, "high": 20}, map[string]int{"low": 1}, "medium"},
		{map[string]int{"low": 50, "medium": 30, "high": 20}, map[string]int{"low": 1, "medium": 1}, "high"},
		// Deficits tie (0.5 each): low first.
		{map[string]int{"low": 50, "medium": 30, "high": 20}, map[string]int{"low": 2, "medium": 1, "high": 1}, "low"},
		// Over quota in one band: the others catch up.
		{map[string]int{"low": 1, "medium": 1, "high": 1}, map[string]int{"low": 10, "medium": 3, "high": 2}, "high"},
		// No quota at all: equal shares, ties to low.
		{nil, nil, "low"},
		{map[string]int{}, map[string]int{"low": 1}, "medium"},
		// A band without quota is never assigned; unknown bands are ignored.
		{map[string]int{"low": 0, "medium": 5, "high": 5, "extreme": 100}, nil, "medium"},
		{map[string]int{"high": 1}, map[string]int{"high": 1000}, "high"},
	} {
		if got := chooseBand(tc.quota, tc.counts); got != tc.want {
			t.Errorf("chooseBand(%v, %v) = %s, want %s", tc.quota, tc.counts, got, tc.want)
		}
	}
}

// TestChooseBand_Converges assigns 100 bands one by one, counting each as
// recorded, and checks the counts against the shares of the quota.
func TestChooseBand_Converges(t *testing.T) {
	for _, quota := range []map[string]int{
		{"low": 500, "medium": 300, "high": 200},
		{"low": 1, "medium": 1, "high": 1},
		{"low": 70, "medium": 0, "high": 30},
	} {
		counts := map[string]int{}
		total := quota["low"] + quota["medium"] + quota["high"]
		for n := 1; n <= 100; n++ {
			counts[chooseBand(quota, counts)]++
			for _, b := range bandOrder {
				want := float64(quota[b]) * float64(n) / float64(total)
				if d := float64(counts[b]) - want; d > 1 || d < -1 {
					t.Fatalf("quota %v after %d clips: %s=%d, want %.1f±1", quota, n, b, counts[b], want)
				}
			}
		}
	}
}

func TestChoosePrompt(t *testing.T) {
	ps := []*corpus.Prompt{
		{ID: 1, Text: "你食飽未？"},
		{ID: 2, Text: "今仔日天氣真好。"},
		{ID: 3, Text: TopicPrefix + " 講恁兜附近的菜市仔。"},
		{ID: 4, Text: "多謝你的幫忙。"},
	}
	prompted := []string{"prompted", "monologue"}
	for _, tc := range []struct {
		name     string
		modes    []string
		use      map[int64]int
		recorded map[taskKey]bool
		assigned map[int64]int
		mode     string
		id       int64
	}{
		{"fresh project: lowest id", prompted, nil, nil, nil, "prompted", 1},
		{"least used", prompted, map[int64]int{1: 3, 2: 1, 4: 1}, nil, nil, "prompted", 2},
		{"not yet recorded by the speaker beats least used", prompted, map[int64]int{1: 3, 2: 1, 4: 1},
			map[taskKey]bool{{"prompted", 2}: true, {"prompted", 4}: true}, nil, "prompted", 1},
		{"handed out least breaks ties", prompted, nil, nil, map[int64]int{1: 2, 2: 1}, "prompted", 4},
		{"all sentences recorded: a topic", prompted, nil,
			map[taskKey]bool{{"prompted", 1}: true, {"prompted", 2}: true, {"prompted", 4}: true}, nil, "monologue", 3},
		{"everything recorded: least used sentence", prompted, map[int64]int{1: 5, 2: 4, 4: 6},
			map[taskKey]bool{{"prompted", 1}: true, {"prompted", 2}: true, {"prompted", 4}: true, {"monologue", 3}: true}, nil, "prompted", 2},
		{"monologue only: topics only", []string{"monologue"}, nil, nil, nil, "monologue", 3},
		{"dialogue after monologue", []string{"dialogue", "monologue"}, nil, map[taskKey]bool{{"monologue", 3}: true}, nil, "dialogue", 3},
		{"no modes: prompted", nil, nil, nil, nil, "prompted", 1},
	} {
		mode, p := choosePrompt(tc.modes, ps, tc.use, tc.recorded, tc.assigned)
		if p == nil || mode != tc.mode || p.ID != tc.id {
			t.Errorf("%s: got %s %v, want %s %d", tc.name, mode, p, tc.mode, tc.id)
		}
	}
	if _, p := choosePrompt([]string{"monologue"}, ps[:2], nil, nil, nil); p != nil {
		t.Errorf("monologue without topics: got %v, want nil", p)
	}
	if _, p := choosePrompt([]string{"prompted"}, nil, nil, nil, nil); p != nil {
		t.Errorf("no prompts: got %v, want nil", p)
	}
}

func TestCanonicalUUID(t *testing.T) {
	for in, want := range map[string]string{
		"3f2504e0-4f89-41d3-9a0c-0305e82c3301":  "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
		"3F2504E0-4F89-41D3-9A0C-0305E82C3301":  "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
		"":                                      "",
		"3f2504e04f8941d39a0c0305e82c3301":      "",
		"3f2504e0-4f89-41d3-9a0c-0305e82c330g":  "",
		"{3f2504e0-4f89-41d3-9a0c-0305e82c33}":  "",
		"3f2504e0-4f89-41d3-9a0c_0305e82c3301":  "",
		"3f2504e0-4f89-41d3-9a0c-0305e82c3301 ": "",
	} {
		got, ok := canonicalUUID(in)
		if got != want || ok != (want != "") {
			t.Errorf("canonicalUUID(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
}

func TestMergeConfig(t *testing.T) {
	opts := Options{}.withDefaults()
	pc, err := mergeConfig(opts, json.RawMessage(`{"sample_rates":[48000,16000],"low":{"max_noise_dbfs":-60},"encodings":["pcm24","pcm16"]}`),
		json.RawMessage(`{"allowed_tags":["[noise]"],"width":"full"}`))
	if err != nil {
		t.Fatal(err)
	}
	def := validate.DefaultConfig()
	if pc.check.Low.MaxNoiseDBFS != -60 || pc.check.Low.MinSNRDB != def.Low.MinSNRDB || pc.check.Medium != def.Medium {
		t.Errorf("Low=%+v Medium=%+v: want only low.max_noise_dbfs overridden", pc.check.Low, pc.check.Medium)
	}
	if f := taskFormat(&pc.check, "prompted"); f != (Format{SampleRate: 48000, Channels: 1, Bits: 24}) {
		t.Errorf("taskFormat=%+v, want 48000/1/24", f)
	}
	if opts.Check.SampleRates[0] != 16000 {
		t.Errorf("defaults were modified: %v", opts.Check.SampleRates)
	}
	if fs := pc.linter.Lint("[noise]你好。"); len(fs) != 0 {
		t.Errorf("allowed tag: %+v", fs)
	}
	if fs := pc.linter.Lint("hó。"); len(fs) != 0 {
		t.Errorf("width full: %+v", fs)
	}
	for _, tc := range []struct{ check, lint string }{
		{`{"sample_rate":[16000]}`, ``},
		{`{"encodings":["mp3"]}`, ``},
		{`{"prompted":{"min_duration_s":5,"max_duration_s":1}}`, ``},
		{`[1]`, ``},
		{``, `{"widht":"full"}`},
		{``, `{"width":"wide"}`},
		{``, `{"disable":["T999"]}`},
	} {
		if _, err := mergeConfig(opts, json.RawMessage(tc.check), json.RawMessage(tc.lint)); err == nil {
			t.Errorf("mergeConfig(%s, %s): no error", tc.check, tc.lint)
		}
	}
	for _, raw := range []string{``, `null`, ` {} `} {
		if _, err := mergeConfig(opts, json.RawMessage(raw), json.RawMessage(raw)); err != nil {
			t.Errorf("mergeConfig(%q): %v", raw, err)
		}
	}
}

func TestTaskFormat_Defaults(t *testing.T) {
	c := validate.DefaultConfig()
	for _, mode := range []string{"prompted", "monologue", "dialogue"} {
		if f := taskFormat(&c, mode); f != (Format{16000, 1, 16}) {
			t.Errorf("%s: %+v, want 16000/1/16", mode, f)
		}
	}
	if l := modeLimits(&c, "monologue"); l.MinDurationS != 10 || l.MaxDurationS != 4*3600 {
		t.Errorf("monologue limits %+v", l)
	}
}

func TestStructural(t *testing.T) {
	for _, tc := range []struct {
		f    validate.Finding
		want bool
	}{
		{validate.Finding{Rule: "A001", Code: "not_wav"}, true},
		{validate.Finding{Rule: "A006", Code: "truncated"}, true},
		{validate.Finding{Rule: "A002", Code: "unsupported_codec"}, true},
		{validate.Finding{Rule: "A002", Code: "encoding_not_allowed"}, false},
		{validate.Finding{Rule: "A012"}, false},
	} {
		rep := &validate.Report{Findings: []validate.Finding{{Rule: "A003"}, tc.f}}
		if _, got := structural(rep); got != tc.want {
			t.Errorf("structural(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestKeyedMutex(t *testing.T) {
	var k keyedMutex
	ctx := context.Background()
	var mu sync.Mutex
	inside := map[string]int{}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := []string{"a", "b"}[i%2]
			unlock, err := k.lock(ctx, key)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside[key]++
			if inside[key] > 1 {
				t.Errorf("two holders of %s", key)
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			inside[key]--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
	unlock, _ := k.lock(ctx, "a")
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := k.lock(cctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("lock while held: %v, want DeadlineExceeded", err)
	}
	unlock()
	if n := k.size(); n != 0 {
		t.Errorf("%d keys left, want 0", n)
	}
}
