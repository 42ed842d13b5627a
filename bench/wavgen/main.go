// Command wavgen writes the benchmark inputs of bench/check-vs-sox.sh: short
// clips, a 3-hour 16 kHz mono file and a 1-hour 48 kHz stereo 24-bit file.
// They are generated, never committed.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dialect-corpus/dialect/validate/wavtest"
)

func main() {
	out := flag.String("out", "bench/out", "output folder")
	clips := flag.Int("clips", 1000, "number of 5-second clips (0: none)")
	hours3 := flag.Bool("3h", true, "write a 3-hour 16 kHz mono 16-bit file")
	hour48 := flag.Bool("1h48k", true, "write a 1-hour 48 kHz stereo 24-bit file")
	flag.Parse()
	if err := run(*out, *clips, *hours3, *hour48); err != nil {
		fmt.Fprintln(os.Stderr, "wavgen:", err)
		os.Exit(1)
	}
}

func run(out string, clips int, hours3, hour48 bool) error {
	if clips > 0 {
		dir := filepath.Join(out, "clips")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if _, _, err := wavtest.WriteClips(dir, clips, 5); err != nil {
			return err
		}
	}
	if hours3 {
		if _, err := wavtest.WriteLong(filepath.Join(out, "3h-16k-mono.wav"), wavtest.PCM16, 3*3600); err != nil {
			return err
		}
	}
	if hour48 {
		s := wavtest.Spec{SampleRate: 48000, Channels: 2, Bits: 24}
		if _, err := wavtest.WriteLong(filepath.Join(out, "1h-48k-stereo24.wav"), s, 3600); err != nil {
			return err
		}
	}
	return nil
}
