package server

import "testing"

// TestCSVCell: cells a spreadsheet would run as a formula are neutralised;
// plain numbers, negative ones included, stay numbers.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://evil\")": "'=HYPERLINK(\"http://evil\")",
		"+1+2":                        "'+1+2",
		"-1+2":                        "'-1+2",
		"@SUM(A1)":                    "'@SUM(A1)",
		"\tx":                         "'\tx",
		"\r=1":                        "'\r=1",
		"-25":                         "-25",
		"25":                          "25",
		"5.000":                       "5.000",
		"TWD":                         "TWD",
		"":                            "",
	} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
	if got := balanceText(-5); got != "-0.05" {
		t.Errorf("balanceText(-5) = %s", got)
	}
}
