package main

import (
	"fmt"
	"io"
)

// printer writes a command's output line by line and keeps the first error,
// so that a listing is checked once, at its end: output redirected to a
// full disk or a closed pipe must end in exit 2, not pass for done.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}
