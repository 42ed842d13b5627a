package recorder

import (
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/transcript"
)

func TestDemoPrompts_Lint(t *testing.T) {
	prompts := DemoPrompts()
	strict := transcript.DefaultConfig()
	strict.FinalMark = true
	strict.Script = "traditional"
	var sentences, topics int
	seen := map[string]bool{}
	for _, p := range prompts {
		if seen[p.Text] {
			t.Errorf("duplicate prompt %q", p.Text)
		}
		seen[p.Text] = true
		text := p.Text
		if IsTopic(p.Text) {
			topics++
			text = PromptText(p.Text)
		} else {
			sentences++
		}
		if p.Romanized == "" || p.Note == "" {
			t.Errorf("%q: Romanized=%q Note=%q, want both", p.Text, p.Romanized, p.Note)
		}
		if !strings.HasSuffix(text, "，") && !strings.HasSuffix(text, "。") && !strings.HasSuffix(text, "？") && !strings.HasSuffix(text, "！") {
			t.Errorf("%q does not end with one of ，。？！", text)
		}
		for _, s := range []string{text, p.Romanized} {
			for _, cfg := range []transcript.Config{transcript.DefaultConfig(), strict} {
				for _, f := range transcript.Lint(s, cfg) {
					// The Ministry of Education's Hokkien characters write
					// ê with 个, which the script rule takes for the
					// simplified form of 個.
					if f.Rule == "T015" && f.Text == "个" {
						continue
					}
					t.Errorf("Lint(%q) = %+v, want no findings", s, f)
				}
			}
		}
	}
	if sentences < 40 {
		t.Errorf("sentences=%d, want at least 40", sentences)
	}
	if topics < 3 || topics > 5 {
		t.Errorf("topics=%d, want 3 to 5", topics)
	}
}

func TestDemoProject(t *testing.T) {
	p := DemoProject()
	if p.Slug != "demo" || p.Dialect != "nan-TW" || p.ConsentVersion != 1 || p.Currency != "TWD" || p.RateCentsPerMinute <= 0 {
		t.Fatalf("DemoProject() = %+v", p)
	}
	if got := strings.Join(p.Modes, ","); got != "prompted,monologue" {
		t.Errorf("Modes=%s, want prompted,monologue", got)
	}
	total := p.BandQuota["low"] + p.BandQuota["medium"] + p.BandQuota["high"]
	if p.BandQuota["low"]*10 != total*5 || p.BandQuota["medium"]*10 != total*3 || p.BandQuota["high"]*10 != total*2 {
		t.Errorf("BandQuota=%v, want 50/30/20 %%", p.BandQuota)
	}
	if !strings.Contains(p.ConsentText, "同意") || !strings.Contains(p.ConsentText, "consent") {
		t.Errorf("ConsentText lacks zh-TW or English")
	}
}
