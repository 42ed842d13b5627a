// Package assets holds the browser side of dialect, embedded in the
// binary: page templates, style sheets and scripts, and vendored front-end
// libraries (each with its licence and version beside it).
package assets

import (
	"embed"
	"io/fs"
)

//go:embed templates static
var files embed.FS

// FS is every asset: templates/*.html (html/template pages) and static/
// (served under /assets/).
var FS fs.FS = files

// Static is the part served to browsers as files.
var Static, _ = fs.Sub(files, "static")
