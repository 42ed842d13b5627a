package validate

import (
	"math"
	"testing"
)

func TestPowerBin(t *testing.T) {
	for db := -130.0; db <= 12; db += 0.0137 {
		p := math.Pow(10, db/10)
		got, want := powerBin(p), levelBin(powerDB(p))
		if got != want && math.Abs(float64(got-want)) > 1 {
			t.Fatalf("powerBin(%g dB) = %d, want %d", db, got, want)
		}
	}
	if powerBin(0) != 0 || powerBin(math.SmallestNonzeroFloat64) != 0 {
		t.Fatal("zero or subnormal power not in bin 0")
	}
}
