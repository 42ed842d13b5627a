package server

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/dialect-corpus/dialect/corpus"
	"github.com/dialect-corpus/dialect/recorder"
	"github.com/dialect-corpus/dialect/transcribe"
	"github.com/dialect-corpus/dialect/units/zhtest"
	"github.com/dialect-corpus/dialect/validate"
)

// Issue 10 §2: the Chinese message of every error a speaker or reviewer can
// be answered with is Chinese — no English fragment beside the allowed
// units and format names (zhtest.English). The English message carries the
// technical detail (header names, field names, the system's own text).
//
// Out of scope, each for a reason:
//   - admin.go, release.go, stats.go: routes of administrators and vendors;
//   - missing_host, https_required: answers to an HTTP client that is not a
//     browser on this site's address (no Host header; plain HTTP to an HTTPS
//     server), before any route, naming the header or the address to use.
var (
	zhOutOfScopeFiles = []string{"admin.go", "release.go", "stats.go"}
	zhOutOfScopeCodes = []string{"missing_host", "https_required"}
)

// zhSources are where the messages are written: the server's errors, the
// recorder's RequestErrors (answered as bad_request) and the corpus's
// InvalidErrors (answered as invalid). Each names the functions that take a
// Chinese message, by the index of that argument (formats names those
// that take a format), and limitBody's label, which the server's too_large
// message quotes.
var zhSources = []struct {
	dir     string
	calls   map[string]int
	formats []string
}{
	{".", map[string]int{"errf": 3, "limitBody": 1}, nil},
	{"../recorder", map[string]int{"badRequest": 1}, nil},
	{"../corpus", map[string]int{"invalidf": 1}, []string{"invalidf"}},
}

// zhCheckedElsewhere are the messages the source walk cannot read: the
// expression, in the function that writes it, and where it is checked.
var zhCheckedElsewhere = map[string]string{
	"toAPIError: na.Finding.MessageZH":              "validate's own messages: TestStructuralZH, and a not-WAV upload below",
	"toAPIError: re.MessageZH":                      "the recorder's badRequest calls, walked here",
	"toAPIError: ie.MessageZH":                      "the corpus's invalidf calls and InvalidError literals, walked here",
	`limitBody: label`:                              "the labels of limitBody's calls, walked here",
	`putProfile: strings.Join(dialectRegions, "、")`: "the regions, below",
	"passwordError: zh":                             "every refusal of CheckPasswordPolicy, below",
	"tooLong: whatZH":                               "recorder's TestBadRequest_Chinese",
	"tooLong: n.ZH":                                 "recorder's TestBadRequest_Chinese",
	// A receipt's findings (not errors): validate's and transcript's own
	// messages, checked by their tests (TestFindingTexts, TestStructuralZH,
	// TestMessagesZHChinese).
	"audioFinding: f.MessageZH":      "validate's tests",
	"transcriptFinding: f.MessageZh": "transcript's tests",
}

// placeholder stands for a value filled in at run time.
const placeholder = "\x00"

var (
	quotedZH = regexp.MustCompile(`「[^」]*」`)
	verb     = regexp.MustCompile(`%[-+# 0]*[0-9]*(\.[0-9]+)?[a-zA-Z%]`)
)

// zhText reads a Chinese message from its expression: literals as they
// are, a number formatted into it as 0, any other value as placeholder.
// ok is false when part of it is not a literal nor fmt.Sprintf of one.
func zhText(e ast.Expr) (text string, ok bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		}
	case *ast.ParenExpr:
		return zhText(x.X)
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			a, okA := zhText(x.X)
			b, okB := zhText(x.Y)
			if !okA {
				a = placeholder
			}
			if !okB {
				b = placeholder
			}
			return a + b, okA || okB
		}
	case *ast.CallExpr:
		if sel, isSel := x.Fun.(*ast.SelectorExpr); isSel && sel.Sel.Name == "Sprintf" && len(x.Args) > 0 {
			if f, fok := zhText(x.Args[0]); fok {
				return formatted(f), true
			}
		}
	}
	return "", false
}

// formatted is format f with its numbers written 0 and its other values
// as placeholder.
func formatted(f string) string {
	return verb.ReplaceAllStringFunc(f, func(v string) string {
		switch v[len(v)-1] {
		case 'd', 'f', 'g', 'e':
			return "0"
		case '%':
			return "%"
		}
		return placeholder
	})
}

// TestChineseErrorMessages walks every message written in the sources, and
// every error the server maps to a status, for English in the Chinese.
func TestChineseErrorMessages(t *testing.T) {
	fset := token.NewFileSet()
	seen, used := 0, map[string]bool{}
	for _, src := range zhSources {
		files, err := filepath.Glob(filepath.Join(src.dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			name := filepath.Base(path)
			if strings.HasSuffix(name, "_test.go") || (src.dir == "." && slices.Contains(zhOutOfScopeFiles, name)) {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parser.ParseFile(fset, path, b, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fn := "package"
				if fd, isFunc := d.(*ast.FuncDecl); isFunc {
					fn = fd.Name.Name
				}
				if slices.Contains([]string{"errf", "badRequest", "invalidf"}, fn) {
					continue // the constructor that takes the message, not a message
				}
				ast.Inspect(d, func(n ast.Node) bool {
					var zh ast.Expr
					code, format := "", false
					switch x := n.(type) {
					case *ast.CallExpr:
						id, isID := x.Fun.(*ast.Ident)
						if !isID {
							return true
						}
						i, ok := src.calls[id.Name]
						if !ok || i >= len(x.Args) {
							return true
						}
						zh = x.Args[i]
						format = slices.Contains(src.formats, id.Name)
						if id.Name == "errf" {
							code, _ = zhText(x.Args[1])
						}
					case *ast.KeyValueExpr:
						if k, isID := x.Key.(*ast.Ident); isID && k.Name == "MessageZH" {
							zh = x.Value
						}
					}
					if zh == nil || slices.Contains(zhOutOfScopeCodes, code) {
						return true
					}
					seen++
					at := fset.Position(zh.Pos()).String()
					text, ok := zhText(zh)
					if ok && format {
						text = formatted(text)
					}
					// A value quoted 「like this」 is the speaker's own text
					// or a name to type as it is.
					if rest := quotedZH.ReplaceAllString(text, "「」"); !ok || strings.Contains(rest, placeholder) {
						expr := string(b[fset.Position(zh.Pos()).Offset:fset.Position(zh.End()).Offset])
						for _, part := range dynamicParts(zh, b, fset) {
							key := fn + ": " + part
							used[key] = true
							if _, known := zhCheckedElsewhere[key]; !known {
								t.Errorf("%s: the Chinese message %s is filled in at run time (%q): make it a literal, or check it and add it to zhCheckedElsewhere", at, expr, key)
							}
						}
						text = strings.ReplaceAll(text, placeholder, "")
					}
					if en := zhtest.English(text); en != nil {
						t.Errorf("%s: %q has English %q", at, text, en)
					}
					return true
				})
			}
		}
	}
	if seen < 100 {
		t.Errorf("read only %d messages: is the walk still finding them?", seen)
	}
	for key := range zhCheckedElsewhere {
		if !used[key] {
			t.Errorf("zhCheckedElsewhere[%q]: no such message any more; remove it", key)
		}
	}

	// The values filled in at run time.
	if en := zhtest.English(strings.Join(dialectRegions, "、")); en != nil {
		t.Errorf("regions: %q", en)
	}
	for _, pw := range []string{"short", strings.Repeat("長", 300), "ah-bin-2026", "password123"} {
		err := CheckPasswordPolicy("ah-bin-2026", pw)
		if err == nil {
			t.Fatalf("%q passes the policy", pw)
		}
		if zh := passwordError(err).MessageZH; zh == "" || zhtest.English(zh) != nil {
			t.Errorf("%v: message_zh %q", err, zh)
		}
	}

	// Every error the domain packages name, as the server maps it.
	for _, err := range zhDomainErrors(t) {
		ae := toAPIError(err)
		if ae.MessageZH == "" || ae.Message == "" || zhtest.English(ae.MessageZH) != nil {
			t.Errorf("%v → %d %s: message_zh %q (English %q)", err, ae.Status, ae.Code, ae.MessageZH, zhtest.English(ae.MessageZH))
		}
	}
}

// dynamicParts lists the parts of a message expression that are not
// literals, as written in the source.
func dynamicParts(e ast.Expr, src []byte, fset *token.FileSet) []string {
	text := func(n ast.Node) string {
		return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
	}
	switch x := e.(type) {
	case *ast.BasicLit:
		return nil
	case *ast.ParenExpr:
		return dynamicParts(x.X, src, fset)
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			return append(dynamicParts(x.X, src, fset), dynamicParts(x.Y, src, fset)...)
		}
	case *ast.CallExpr:
		if s, ok := zhText(x); ok {
			if !strings.Contains(quotedZH.ReplaceAllString(s, "「」"), placeholder) {
				return nil
			}
		}
	}
	return []string{text(e)}
}

// zhDomainErrors is one error of every kind the server maps to a status:
// each sentinel of corpus, recorder and transcribe (the list is checked
// against their sources, so a new one cannot be missed), their typed
// errors, and the standard library's.
func zhDomainErrors(t *testing.T) []error {
	t.Helper()
	named := map[string]error{
		"corpus.ErrNotFound": corpus.ErrNotFound, "corpus.ErrConflict": corpus.ErrConflict, "corpus.ErrBusy": corpus.ErrBusy,
		"corpus.ErrNoSpace": corpus.ErrNoSpace, "corpus.ErrInvalid": fmt.Errorf("%w: slug %q", corpus.ErrInvalid, "Bad Slug"),
		"corpus.ErrCorrupt": corpus.ErrCorrupt, "corpus.ErrEmptyRelease": corpus.ErrEmptyRelease,
		"corpus.ErrUploadExpired": corpus.ErrUploadExpired, "corpus.ErrUploadFinished": corpus.ErrUploadFinished,
		"corpus.ErrOffsetMismatch": corpus.ErrOffsetMismatch, "corpus.ErrChunkTooLarge": corpus.ErrChunkTooLarge,
		"corpus.ErrChecksumMismatch": corpus.ErrChecksumMismatch, "corpus.ErrNotReviewable": corpus.ErrNotReviewable,
		"corpus.ErrAlreadyReviewed": corpus.ErrAlreadyReviewed, "corpus.ErrClaimed": corpus.ErrClaimed,
		"corpus.ErrForbiddenClip": corpus.ErrForbiddenClip, "corpus.ErrNotAppealable": corpus.ErrNotAppealable,
		"corpus.ErrStaleDraft": corpus.ErrStaleDraft, "corpus.ErrNotTranscribable": corpus.ErrNotTranscribable,
		"recorder.ErrConsentRequired": recorder.ErrConsentRequired, "recorder.ErrNoPrompts": recorder.ErrNoPrompts,
		"recorder.ErrBadRequest": recorder.ErrBadRequest, "recorder.ErrUploadIncomplete": recorder.ErrUploadIncomplete,
		"transcribe.ErrUnsupported": transcribe.ErrUnsupported, "transcribe.ErrEmpty": transcribe.ErrEmpty,
		"transcribe.ErrTooLong": transcribe.ErrTooLong,
		// Backup, restore and upgrade errors stop a command, not a request;
		// should one reach a handler it is still answered in both languages.
		"corpus.ErrBackupInvalid": corpus.ErrBackupInvalid, "corpus.ErrTargetNotEmpty": corpus.ErrTargetNotEmpty,
		"corpus.ErrSchemaTooNew": corpus.ErrSchemaTooNew,
	}
	declared := regexp.MustCompile(`(?m)^\s*(?:var\s+)?(Err[A-Z]\w*)\s*=\s*(?:errors\.New|fmt\.Errorf)`)
	for _, pkg := range []string{"corpus", "recorder", "transcribe"} {
		files, err := filepath.Glob(filepath.Join("..", pkg, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range declared.FindAllStringSubmatch(string(b), -1) {
				if _, ok := named[pkg+"."+m[1]]; !ok {
					t.Errorf("%s.%s (%s) is not in zhDomainErrors: add it", pkg, m[1], path)
				}
			}
		}
	}
	keys := make([]string, 0, len(named))
	for k := range named {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]error, 0, len(keys)+8)
	for _, k := range keys {
		out = append(out, fmt.Errorf("wrapped: %w", named[k]))
	}
	// A file that is not WAV at all, as the recorder reports it.
	text := "not a wav file at all, just text"
	rep, err := validate.WAV(strings.NewReader(text), int64(len(text)), validate.Options{})
	if err != nil || len(rep.Findings) == 0 {
		t.Fatalf("validate.WAV of text: %v %+v", err, rep)
	}
	fe := rep.Findings[0]
	return append(out,
		&recorder.NotAudioError{Finding: fe},
		&recorder.RequestError{Message: "task_id is required", MessageZH: "缺少任務代號"},
		&corpus.InvalidError{Message: "reason \"other\" needs a note", MessageZH: "選「其他」時必須填寫備註"},
		&transcribe.LintError{},
		&http.MaxBytesError{Limit: 1 << 20},
		errors.New("something unexpected"),
	)
}
