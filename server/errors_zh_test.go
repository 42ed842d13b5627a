package server_test

import (
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/server"
	"github.com/dialect-corpus/dialect/units/zhtest"
)

// TestBilingualRefusals (issue 10 §2): a request the recorder or the
// corpus refuses is answered with their own message in each language —
// not the English one inside the Chinese — and a profile with an unknown
// region lists the regions in both.
func TestBilingualRefusals(t *testing.T) {
	e := newEnv(t, server.Options{LoginPerIPPerMinute: 1000})
	sp := e.speaker("ah-bin")
	rv := e.signIn("reviewer")
	msg := func(r response) (string, string) {
		m, _ := r.json()["error"].(map[string]any)
		en, _ := m["message"].(string)
		zh, _ := m["message_zh"].(string)
		return en, zh
	}
	id, _ := sp.record(1, "", nil)
	for _, tc := range []struct {
		name   string
		r      response
		code   string
		en, zh string
	}{
		{"upload without a task", sp.upload(uuid(2), "", "low", "", clip(2, -65)), "bad_request",
			"task_id is required", "缺少錄音任務，請重新整理頁面後再送出"},
		{"reject as other without a note", rv.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "reject", "reason": "other"}), "invalid",
			`invalid: reason "other" needs a note`, "選「其他（見備註）」時必須填寫備註"},
		{"a decision that is neither", rv.do("POST", "/api/v1/review/"+id, map[string]any{"decision": "maybe"}), "invalid",
			"invalid: decision must be accept or reject", "審核結果只能是通過或不通過"},
	} {
		en, zh := msg(tc.r)
		if tc.r.status != 400 || tc.r.errCode() != tc.code || en != tc.en || zh != tc.zh {
			t.Errorf("%s: %d %s %q / %q, want 400 %s %q / %q", tc.name, tc.r.status, tc.r.errCode(), en, zh, tc.code, tc.en, tc.zh)
		}
		if w := zhtest.English(zh); w != nil {
			t.Errorf("%s: message_zh %q has English %q", tc.name, zh, w)
		}
	}
	r := sp.do("PUT", "/api/v1/me/profile", map[string]string{"dialect_region": "Tainan", "age_band": "30_39", "gender": "female"})
	en, zh := msg(r)
	if r.status != 400 || r.errCode() != "bad_region" || !strings.Contains(en, "臺南市, 高雄市") || !strings.Contains(zh, "臺南市、高雄市") ||
		!strings.HasSuffix(zh, "海外") || zhtest.English(zh) != nil {
		t.Errorf("bad region: %d %s %q / %q, want the regions in both", r.status, r.errCode(), en, zh)
	}
}
