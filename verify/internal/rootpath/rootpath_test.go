package rootpath

import (
	"os"
	"path/filepath"
	"testing"
)

// issue 17 item 5: a path from a file of the checked system never leads out
// of its root, whether by ".." or by an absolute symbolic link.
func TestNeverEscapes(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "boot"), 0o755)
	os.WriteFile(filepath.Join(root, "boot", "vmlinuz-real"), []byte("k"), 0o644)
	os.Symlink("/boot/vmlinuz-real", filepath.Join(root, "boot", "vmlinuz-abs"))   // absolute, inside
	os.Symlink("/etc/shadow", filepath.Join(root, "boot", "shadow"))               // absolute, would be the host's
	os.Symlink("../../../../../etc/passwd", filepath.Join(root, "boot", "passwd")) // climbs
	os.Symlink("loop", filepath.Join(root, "boot", "loop"))
	cases := []struct{ in, want string }{
		{"../../etc/shadow", "etc/shadow"},
		{"/boot/../../../etc/shadow", "etc/shadow"},
		{"/boot/vmlinuz-abs", "boot/vmlinuz-real"},
		{"/boot/shadow", "etc/shadow"},
		{"/boot/passwd", "etc/passwd"},
		{"/boot/missing/x", "boot/missing/x"},
		{"/boot/shadow/../vmlinuz-real", "etc/vmlinuz-real"},
	}
	for _, tc := range cases {
		got, err := Resolve(root, tc.in)
		if err != nil || got != filepath.Join(root, tc.want) {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tc.in, got, err, filepath.Join(root, tc.want))
		}
		if j := Join(root, tc.in); !filepath.IsAbs(j) || len(j) < len(root) || j[:len(root)] != root {
			t.Errorf("Join(%q) = %q: outside %s", tc.in, j, root)
		}
	}
	if _, err := Resolve(root, "/boot/loop"); err == nil {
		t.Error("a link loop resolved")
	}
}
