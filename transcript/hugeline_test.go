package transcript

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLintLineOverInt32 lints a line of more than math.MaxInt32 bytes, the
// most the engine's int32 offsets and columns hold: 2049 allowed tags of
// 1 MiB (one item each, so the line costs its 2 GiB and little more), then
// a mark past the 2 GiB point. Such a line is reported as F001 and not
// linted, instead of wrapping its offsets (a slice panic, or above 4 GiB a
// fix written at the wrong place); the short line after it is linted as
// usual. It needs about 2.2 GiB of memory for 1.5 s; the machines it runs
// on (CI included) have many times that, so it runs in every make test.
func TestLintLineOverInt32(t *testing.T) {
	// The 2 GiB it allocates would stay in this process's heap and spoil
	// the memory tests beside it (TestStreamFlatMemory): run it in a child.
	if os.Getenv("DIALECT_HUGELINE_CHILD") == "" {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLintLineOverInt32$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DIALECT_HUGELINE_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	const short = "好、"
	tag := "<" + strings.Repeat("x", 1<<20-2) + ">"
	var b strings.Builder
	b.Grow(2049*len(tag) + 32)
	for range 2049 {
		b.WriteString(tag)
	}
	b.WriteString("你好、\n")
	long := b.Len()
	b.WriteString(short)
	text := b.String()
	if long-1 <= math.MaxInt32 {
		t.Fatalf("line of %d bytes is not over math.MaxInt32", long-1)
	}
	cfg := DefaultConfig()
	cfg.AllowedTags = []string{tag}
	want := Lint(short, cfg)
	fs := Lint(text, cfg)
	if len(want) != 1 || len(fs) != 2 ||
		fs[0].Rule != RuleUnreadable || fs[0].Line != 1 || fs[0].Column != 1 || fs[0].ByteOffset != 0 ||
		fs[1].Rule != want[0].Rule || fs[1].Line != 2 || fs[1].Column != want[0].Column || fs[1].ByteOffset != int64(long)+want[0].ByteOffset {
		t.Fatalf("findings %v, want F001 at 1:1 and then %v on line 2", fs, want)
	}
}
