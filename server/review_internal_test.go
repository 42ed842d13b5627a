package server

import (
	"encoding/json"
	"testing"

	"github.com/dialect-corpus/dialect/validate"
)

// TestStoredFigures: the review page shows the figures a receipt has; one
// stored before a figure was measured does not show it as zero.
func TestStoredFigures(t *testing.T) {
	receipt := json.RawMessage(`{"measurements":{"noise_floor_dbfs":-65,"snr_db":47,"dropouts":0}}`)
	var r struct {
		Measurements *validate.Measurements `json:"measurements"`
	}
	if err := json.Unmarshal(receipt, &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range storedFigures(receipt, r.Measurements) {
		for _, f := range g.Figures {
			got = append(got, g.Key+":"+f.Key+"="+f.Value.EN)
		}
	}
	want := []string{"noise:noise_floor_dbfs=-65.0 dBFS", "noise:snr_db=47.0 dB", "silence:dropouts=0 dropouts"}
	if len(got) != len(want) {
		t.Fatalf("figures %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("figure %d = %q, want %q", i, got[i], want[i])
		}
	}
	if g := storedFigures(json.RawMessage(`{"findings":[]}`), nil); g != nil {
		t.Errorf("no measurements: %v", g)
	}
}
