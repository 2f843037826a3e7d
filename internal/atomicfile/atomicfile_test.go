package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// leftovers lists the temporary files WriteFile left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmp []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			tmp = append(tmp, e.Name())
		}
	}
	return tmp
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.prom")
	if err := os.WriteFile(path, []byte("old content, longer than the new one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "new\n" {
		t.Errorf("content %q, %v", b, err)
	}
	if tmp := leftovers(t, dir); tmp != nil {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// A rename that fails (a directory holds the target's name) leaves the
// target as it was and no temporary file behind.
func TestWriteFileRenameFails(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "inside"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(target, []byte("new"), 0o644)
	if err == nil || !strings.Contains(err.Error(), target) {
		t.Fatalf("error %v, want one naming %s", err, target)
	}
	if b, err := os.ReadFile(filepath.Join(target, "inside")); err != nil || string(b) != "kept" {
		t.Errorf("the old content changed: %q, %v", b, err)
	}
	if tmp := leftovers(t, dir); tmp != nil {
		t.Errorf("temporary files left: %v", tmp)
	}
}

// A directory that cannot be written: the old file remains whole.
func TestWriteFileReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into a read-only directory anyway")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if err := WriteFile(path, []byte("new"), 0o644); err == nil {
		t.Fatal("no error writing into a read-only directory")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("content %q, %v; want the old file", b, err)
	}
	if tmp := leftovers(t, dir); tmp != nil {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestWriteFileErrors(t *testing.T) {
	if err := WriteFile("", nil, 0o644); err == nil {
		t.Error("no error for an empty name")
	}
	missing := filepath.Join(t.TempDir(), "no/such/dir/f")
	if err := WriteFile(missing, nil, 0o644); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v, want one naming %s", err, missing)
	}
}

// The temporary file never matches the target's pattern (*.prom for the
// textfile collector): it starts with a dot and ends in .tmp-N.
func TestTemporaryName(t *testing.T) {
	root, err := os.OpenRoot(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	f, base, err := create(root, "dir", "m.prom", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasPrefix(base, ".m.prom.tmp-") || strings.HasSuffix(base, ".prom") {
		t.Errorf("temporary name %q", base)
	}
}
