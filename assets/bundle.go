package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// A Bundle is the static files as they are served: each one under a
// content-hashed name (recorder/record.js → recorder/record.3f9a1c2b4d5e.js)
// that browsers may cache for a year, the references between them rewritten
// to those names, and a gzip copy made once when it saves bytes.
//
// It is built in memory from the embedded files when the server starts
// (Built), not by a build step: nothing generated is committed, so nothing
// can go stale. Hashing takes milliseconds; the gzip copies (0.4 s, most of
// it the room check's wasm) are made in the background once the bundle is
// built, or by the first request that wants one, whichever comes first.
//
// References are rewritten rather than mapped with an import map: an import
// map would have to be an inline script (which the Content-Security-Policy
// refuses unless each page carries its hash), and it covers only import
// specifiers, not audioWorklet.addModule, fetch of the room check's wasm or
// url() in a style sheet. Rewriting covers them all with one rule: in a
// .js, .mjs or .css file, a quoted string (or an unquoted CSS url()) that
// begins with ./, ../ or /assets/ and names one of these files becomes that
// file's hashed URL, in the same relative or absolute form. A file's hash is
// taken after its own references are rewritten, so a change to audio.js
// changes the URL of record.js, which imports it, and of every page that
// loads record.js. References must not form a cycle (Build fails, naming
// it); a string the rule cannot resolve (a template literal, a computed
// path) is left alone, and TestBundleRewritesEveryReference catches one that
// names a file.
type Bundle struct {
	files map[string]*File // by name: "recorder/record.js"
	byURL map[string]*File // by hashed name: "recorder/record.3f9a1c2b4d5e.js"
}

// A File is one served file.
type File struct {
	Name   string // the embedded name, "recorder/record.js"
	Hashed string // the name with its hash, "recorder/record.3f9a1c2b4d5e.js"
	Hash   string // the first 12 hex digits of the SHA-256 of Body
	Type   string // Content-Type
	Body   []byte // the content, references rewritten

	gzOnce sync.Once
	gz     []byte
}

// Gzip is Body gzip-compressed at the best level, made once, or nil when
// that does not pay.
func (f *File) Gzip() []byte {
	f.gzOnce.Do(func() { f.gz = gzipped(f.Body) })
	return f.gz
}

// URL is where the file is served: /assets/ and its hashed name.
func (f *File) URL() string { return "/assets/" + f.Hashed }

// hashLen is how many hex digits of the SHA-256 a hashed name carries: 48
// bits, far more than a site's files at any one time can collide in.
const hashLen = 12

var (
	// quoted strings and CSS url() arguments that may name another file.
	refRE = regexp.MustCompile(`'((?:\.\.?/|/assets/)[^'\s]+)'|"((?:\.\.?/|/assets/)[^"\s]+)"|url\(\s*((?:\.\.?/|/assets/)[^'")\s]+)\s*\)`)
	// a hashed name: stem, hash, extension.
	hashedRE = regexp.MustCompile(`^(.+)\.([0-9a-f]{12})((?:\.[^./]+)?)$`)
)

// types are the Content-Types of the files we ship, fixed here rather than
// read from the machine's MIME database, which varies.
var types = map[string]string{
	".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".wasm": "application/wasm", ".svg": "image/svg+xml",
	".ico": "image/x-icon", ".png": "image/png", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
	".html": "text/html; charset=utf-8", "": "text/plain; charset=utf-8", // LICENSE, VERSION
}

// rewrites says which files get their references rewritten.
func rewrites(name string) bool {
	switch path.Ext(name) {
	case ".js", ".mjs", ".css":
		return true
	}
	return false
}

// Built is the bundle of Static, built once per process; its gzip copies
// are then made in the background.
var Built = sync.OnceValues(func() (*Bundle, error) {
	b, err := Build(Static)
	if err == nil {
		go func() {
			for _, f := range b.Files() {
				f.Gzip()
			}
		}()
	}
	return b, err
})

// Build makes the bundle of every file in fsys.
func Build(fsys fs.FS) (*Bundle, error) {
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		raw[p] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	b := &Bundle{files: map[string]*File{}, byURL: map[string]*File{}}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	// Depth first: a file is finished after every file it names.
	const (
		todo = iota
		busy
		done
	)
	state := map[string]int{}
	var stack []string
	var finish func(name string) error
	finish = func(name string) error {
		switch state[name] {
		case done:
			return nil
		case busy:
			i := 0
			for stack[i] != name {
				i++
			}
			return fmt.Errorf("assets: references form a cycle: %s → %s", strings.Join(stack[i:], " → "), name)
		}
		state[name] = busy
		stack = append(stack, name)
		body := raw[name]
		if rewrites(name) {
			var ferr error
			body = refRE.ReplaceAllFunc(body, func(m []byte) []byte {
				ref, pre, post := refParts(m)
				target := resolve(name, ref)
				if _, ok := raw[target]; !ok || target == name || ferr != nil {
					return m
				}
				if err := finish(target); err != nil {
					ferr = err
					return m
				}
				return []byte(pre + hashRef(ref, b.files[target].Hash) + post)
			})
			if ferr != nil {
				return ferr
			}
		}
		sum := sha256.Sum256(body)
		f := &File{Name: name, Hash: hex.EncodeToString(sum[:])[:hashLen], Body: body, Type: typeOf(name)}
		f.Hashed = hashName(name, f.Hash)
		b.files[name] = f
		b.byURL[f.Hashed] = f
		stack = stack[:len(stack)-1]
		state[name] = done
		return nil
	}
	for _, n := range names {
		if err := finish(n); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// refParts splits a match of refRE into the reference and what surrounds it.
func refParts(m []byte) (ref, pre, post string) {
	s := string(m)
	switch {
	case strings.HasPrefix(s, "url("):
		inner := strings.TrimSuffix(strings.TrimPrefix(s, "url("), ")")
		ref = strings.TrimSpace(inner)
		return ref, "url(", ")"
	default:
		return s[1 : len(s)-1], s[:1], s[len(s)-1:]
	}
}

// resolve is the embedded name a reference from file from names.
func resolve(from, ref string) string {
	ref, _, _ = strings.Cut(ref, "?")
	ref, _, _ = strings.Cut(ref, "#")
	if rest, ok := strings.CutPrefix(ref, "/assets/"); ok {
		return path.Clean(rest)
	}
	return path.Join(path.Dir(from), ref)
}

// hashRef puts hash into the last element of ref, keeping its form.
func hashRef(ref, hash string) string {
	dir, base := path.Split(ref)
	return dir + hashName(base, hash)
}

// hashName is name with hash before its extension.
func hashName(name, hash string) string {
	dir, base := path.Split(name)
	ext := path.Ext(base)
	return dir + strings.TrimSuffix(base, ext) + "." + hash + ext
}

func typeOf(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := types[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// gzipped is body compressed at the best level, or nil when that saves less
// than a tenth or under 100 bytes (images, or tiny files).
func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil
	}
	if _, err := zw.Write(body); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	if saved := len(body) - buf.Len(); saved < 100 || saved < len(body)/10 {
		return nil
	}
	return buf.Bytes()
}

// File is the file of that embedded name ("recorder/record.js"), or nil.
func (b *Bundle) File(name string) *File { return b.files[name] }

// URL is the hashed URL of the embedded file name; an error names a file
// that does not exist.
func (b *Bundle) URL(name string) (string, error) {
	f := b.files[name]
	if f == nil {
		return "", fmt.Errorf("assets: no file %q", name)
	}
	return f.URL(), nil
}

// Lookup finds the file a request for /assets/p asks for: by its hashed
// name (current reports true: the URL can be cached for good), by its plain
// name, or by a hashed name whose hash is not the current one (a page from
// before a deploy; both answer false: the content may change).
func (b *Bundle) Lookup(p string) (f *File, current bool) {
	if f := b.byURL[p]; f != nil {
		return f, true
	}
	if f := b.files[p]; f != nil {
		return f, false
	}
	dir, base := path.Split(p)
	if m := hashedRE.FindStringSubmatch(base); m != nil {
		if f := b.files[dir+m[1]+m[3]]; f != nil {
			return f, false
		}
	}
	return nil, false
}

// Files lists every file, by name.
func (b *Bundle) Files() []*File {
	out := make([]*File, 0, len(b.files))
	for _, f := range b.files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
