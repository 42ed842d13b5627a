package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dialect-corpus/dialect/units/zhtest"
)

// TestLintUnreadableZH (issue 10 §2): a file that cannot be read is F001
// with the system's text in the English message only; the Chinese one says
// why in Chinese.
func TestLintUnreadableZH(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop.txt")
	if err := os.Symlink("loop.txt", loop); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.txt")
	_, out, _ := runLintCmd(t, "", "lint", "--format", "json", loop, missing)
	want := map[string]string{loop: "符號連結形成迴圈", missing: "找不到這個檔案"}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f struct {
			Path      string `json:"path"`
			Rule      string `json:"rule"`
			Message   string `json:"message"`
			MessageZH string `json:"message_zh"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if f.Rule != "F001" {
			continue
		}
		if en := zhtest.English(f.MessageZH); en != nil || !strings.Contains(f.MessageZH, want[f.Path]) {
			t.Errorf("%s: message_zh %q (English %q), want it to say %q", f.Path, f.MessageZH, en, want[f.Path])
		}
		if !strings.HasPrefix(f.Message, "cannot read file: ") || !strings.Contains(f.Message, f.Path) {
			t.Errorf("%s: message %q, want the system's text with the path", f.Path, f.Message)
		}
		delete(want, f.Path)
	}
	if len(want) > 0 {
		t.Errorf("no F001 for %v:\n%s", want, out)
	}
	for _, err := range []error{
		&fs.PathError{Op: "open", Path: "a.txt", Err: fs.ErrPermission},
		&fs.PathError{Op: "read", Path: "tree", Err: syscall.EISDIR},
		&fs.PathError{Op: "read", Path: "a.txt", Err: syscall.EIO},
	} {
		if zh := fileErrorZH(err); zh == "" || zhtest.English(zh) != nil {
			t.Errorf("%v: %q", err, zh)
		}
	}
}
