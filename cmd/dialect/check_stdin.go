package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Reading a WAV from standard input (`dialect check -`, like `dialect
// lint -`). The validator reads at offsets (io.ReaderAt: the header walk,
// then parallel blocks), which a pipe cannot do, so standard input is first
// copied to a temporary file (in $TMPDIR, mode 0600, removed when the check
// ends) — on disk, not in memory, since a 4-hour recording is hundreds of
// megabytes. The copy stops at maxStdinWAV: more than any RIFF/WAVE file can
// hold.

// stdinName is how standard input is named in reports, as dialect lint names it.
const stdinName = "<stdin>"

// maxStdinWAV is the most standard input may carry: a RIFF chunk's size is
// 32 bits, so a WAV file is at most 4 GiB - 1 + 8 bytes. A variable for the test.
var maxStdinWAV int64 = 4<<30 + 7

// spoolStdin replaces a "-" among args with a temporary file holding
// standard input and returns that file's path (tmp, "" when there is no
// "-") and a cleanup that removes it. "-" may appear once.
func spoolStdin(args []string, in io.Reader) (out []string, tmp string, cleanup func(), err error) {
	cleanup = func() {}
	n := 0
	for _, a := range args {
		if a == "-" {
			n++
		}
	}
	switch {
	case n == 0:
		return args, "", cleanup, nil
	case n > 1:
		return nil, "", cleanup, usageError{message: `"-" (standard input) may be given once`, hint: "dialect check - < take.wav"}
	}
	f, err := os.CreateTemp("", "dialect-check-*.wav")
	if err != nil {
		return nil, "", cleanup, fmt.Errorf("read standard input: %w", err)
	}
	cleanup = func() { _ = os.Remove(f.Name()) } // a scratch copy: nothing to keep
	copied, err := io.Copy(f, io.LimitReader(in, maxStdinWAV+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		cleanup()
		return nil, "", func() {}, fmt.Errorf("read standard input: %w", err)
	case copied > maxStdinWAV:
		cleanup()
		return nil, "", func() {}, errors.New("standard input: more than " + sizeLabel(maxStdinWAV) + ", larger than a WAV file can be; check the file by its name")
	}
	out = make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if a == "-" {
			out[i] = f.Name()
		}
	}
	return out, f.Name(), cleanup, nil
}

// sizeLabel writes n bytes for a message.
func sizeLabel(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.0f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d bytes", n)
}
