package assets

import (
	"bytes"
	"compress/gzip"
	"io"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// TestBundleRewritesEveryReference: in the bundle of the files we ship,
// every reference from a script or style sheet to another of our files
// (import, dynamic import, addModule, fetch, url()) is its current hashed
// URL, and no other /assets/ path is left in them: a reference the rule
// cannot see (a template literal, a computed path) would load a file that
// may be cached for a year under a name that never changes.
func TestBundleRewritesEveryReference(t *testing.T) {
	b, err := Build(Static)
	if err != nil {
		t.Fatal(err)
	}
	anyPath := regexp.MustCompile(`/assets/[A-Za-z0-9_./-]+`)
	rewrote := 0
	for _, f := range b.Files() {
		if !rewrites(f.Name) {
			continue
		}
		for _, m := range refRE.FindAllSubmatch(f.Body, -1) {
			ref, _, _ := refParts(m[0])
			target := resolve(f.Name, ref)
			if b.File(target) != nil && target != f.Name {
				t.Errorf("%s still names %s by its plain name (%q)", f.Name, target, ref)
				continue
			}
			if got, current := b.Lookup(target); got != nil && current {
				rewrote++
			}
		}
		for _, p := range anyPath.FindAll(f.Body, -1) {
			if _, current := b.Lookup(strings.TrimPrefix(string(p), "/assets/")); !current {
				t.Errorf("%s has %s, which is not a current hashed URL", f.Name, p)
			}
		}
	}
	// record.js's five imports, transcribe.js's two, audio.js's three.
	if rewrote < 10 {
		t.Errorf("%d references rewritten, want at least 10", rewrote)
	}
	rec := string(b.File("recorder/record.js").Body)
	for _, dep := range []string{"recorder/audio.js", "recorder/store.js", "recorder/tus.js"} {
		want := "'./" + strings.TrimPrefix(b.File(dep).Hashed, "recorder/") + "'"
		if !strings.Contains(rec, want) {
			t.Errorf("record.js does not import %s", want)
		}
	}
	if want := "'../" + b.File("dom.js").Hashed + "'"; !strings.Contains(rec, want) {
		t.Errorf("record.js does not import %s", want)
	}
	audio := string(b.File("recorder/audio.js").Body)
	for _, dep := range []string{"recorder/worklet.js", "vendor/go/wasm_exec.js", "recorder/roomcheck.wasm"} {
		if !strings.Contains(audio, "'"+b.File(dep).URL()+"'") {
			t.Errorf("audio.js does not name %s", b.File(dep).URL())
		}
	}
}

// TestBundleHashes: a file's hash follows its content and the hashes of the
// files it names, so changing a leaf changes every URL above it; a cycle is
// refused; what names no file is left alone; gzip copies decompress to the
// body; Lookup finds hashed, plain and stale names.
func TestBundleHashes(t *testing.T) {
	fsys := fstest.MapFS{
		"a.js":       {Data: []byte("import { b } from './sub/b.js';\nimport('/assets/c.js');\nconst x = `./sub/b.js`; fetch('./missing.js');\n")},
		"sub/b.js":   {Data: []byte("export const b = '../c.js';\n")},
		"c.js":       {Data: []byte("export {};\n")},
		"s.css":      {Data: []byte("body { background: url(./img.png) } .x { background: url( '/assets/img.png' ) }\n")},
		"img.png":    {Data: []byte("\x89PNG....")},
		"big.js":     {Data: bytes.Repeat([]byte("console.log('hello, world');\n"), 200)},
		"notes.html": {Data: []byte("'./c.js'")},
	}
	b1, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	a := string(b1.File("a.js").Body)
	c := b1.File("c.js").Hashed
	for _, want := range []string{"from './sub/" + strings.TrimPrefix(b1.File("sub/b.js").Hashed, "sub/") + "'", "import('/assets/" + c + "')", "`./sub/b.js`", "'./missing.js'"} {
		if !strings.Contains(a, want) {
			t.Errorf("a.js lacks %s:\n%s", want, a)
		}
	}
	if got := string(b1.File("sub/b.js").Body); !strings.Contains(got, "'../"+c+"'") {
		t.Errorf("sub/b.js: %s", got)
	}
	css := string(b1.File("s.css").Body)
	img := b1.File("img.png").Hashed
	if !strings.Contains(css, "url(./"+img+")") || !strings.Contains(css, "'/assets/"+img+"'") {
		t.Errorf("s.css: %s", css)
	}
	if got := string(b1.File("notes.html").Body); got != "'./c.js'" {
		t.Errorf("an HTML file was rewritten: %s", got)
	}

	fsys["c.js"] = &fstest.MapFile{Data: []byte("export const c = 1;\n")}
	b2, err := Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"c.js", "sub/b.js", "a.js"} {
		if b1.File(n).Hash == b2.File(n).Hash {
			t.Errorf("%s kept its hash after c.js changed", n)
		}
	}
	if b1.File("s.css").Hash != b2.File("s.css").Hash {
		t.Errorf("s.css changed hash though nothing it names changed")
	}

	big := b2.File("big.js")
	if big.Gzip() == nil || len(big.Gzip()) >= len(big.Body)/4 {
		t.Fatalf("big.js gzip %d of %d bytes", len(big.Gzip()), len(big.Body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(big.Gzip()))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, big.Body) {
		t.Fatalf("gzip round trip: %v", err)
	}
	if b2.File("c.js").Gzip() != nil {
		t.Errorf("a 20-byte file got a gzip copy")
	}
	if big.Type != "text/javascript; charset=utf-8" || b2.File("s.css").Type != "text/css; charset=utf-8" || b2.File("img.png").Type != "image/png" {
		t.Errorf("types %q %q %q", big.Type, b2.File("s.css").Type, b2.File("img.png").Type)
	}

	for p, want := range map[string]struct {
		name    string
		current bool
	}{
		big.Hashed:                       {"big.js", true},
		"big.js":                         {"big.js", false},
		"big.0123456789ab.js":            {"big.js", false},
		b2.File("sub/b.js").Hashed:       {"sub/b.js", true},
		"sub/b.0123456789ab.js":          {"sub/b.js", false},
		"nope.js":                        {"", false},
		"sub/":                           {"", false},
		"big.0123456789ab.js.map":        {"", false},
		b1.File("sub/b.js").Hashed:       {"sub/b.js", false}, // before c.js changed
		"sub/b.0123456789abc.js":         {"", false},
		"../big.js":                      {"", false},
		"sub/../big." + big.Hash + ".js": {"", false},
	} {
		f, current := b2.Lookup(p)
		name := ""
		if f != nil {
			name = f.Name
		}
		if name != want.name || current != want.current {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", p, name, current, want.name, want.current)
		}
	}

	fsys["c.js"] = &fstest.MapFile{Data: []byte("import './a.js';\n")}
	if _, err := Build(fsys); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("a cycle a.js → c.js → a.js: %v", err)
	}
}
