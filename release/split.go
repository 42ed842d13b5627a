package release

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
)

// The splits of a LayoutSplits archive, in the order they are listed.
const (
	Train = "train"
	Dev   = "dev"
	Test  = "test"
)

// Splits lists the split names in order.
func Splits() []string { return []string{Train, Dev, Test} }

// SplitConfig says how speakers are divided into train, dev and test: the
// percentages of the hash space each split gets (they add up to 100) and the
// seed of the hash. It is a project setting, frozen with each release.
type SplitConfig struct {
	Seed  int64 `json:"seed"`
	Train int   `json:"train"`
	Dev   int   `json:"dev"`
	Test  int   `json:"test"`
}

// DefaultSplit is 80/10/10 with seed 0.
func DefaultSplit() SplitConfig { return SplitConfig{Seed: 0, Train: 80, Dev: 10, Test: 10} }

// OrDefault returns c, or DefaultSplit with c's seed when c sets no
// percentages at all.
func (c SplitConfig) OrDefault() SplitConfig {
	if c.Train == 0 && c.Dev == 0 && c.Test == 0 {
		return SplitConfig{Seed: c.Seed, Train: 80, Dev: 10, Test: 10}
	}
	return c
}

// Validate reports percentages that are negative or do not add up to 100.
func (c SplitConfig) Validate() error {
	if c.Train < 0 || c.Dev < 0 || c.Test < 0 || c.Train+c.Dev+c.Test != 100 {
		return fmt.Errorf("split %d/%d/%d: want train, dev and test percentages of 0 or more that add up to 100",
			c.Train, c.Dev, c.Test)
	}
	return nil
}

// SplitOf is the split of a speaker: the first 8 bytes of
// SHA-256("<seed>:<speaker id>"), read as a big-endian unsigned integer,
// modulo 100, fall in [0, train) for train, [train, train+dev) for dev and
// the rest for test. It depends on nothing but the seed, the percentages
// and the speaker's own pseudonymous id, so a speaker is in the same split
// in every release of the project, and speakers added later never move
// anyone. In Python: int.from_bytes(hashlib.sha256(f"{seed}:{speaker}"
// .encode()).digest()[:8], "big") % 100.
func SplitOf(c SplitConfig, speaker string) string {
	c = c.OrDefault()
	h := sha256.Sum256([]byte(strconv.FormatInt(c.Seed, 10) + ":" + speaker))
	switch b := int(binary.BigEndian.Uint64(h[:8]) % 100); {
	case b < c.Train:
		return Train
	case b < c.Train+c.Dev:
		return Dev
	}
	return Test
}
