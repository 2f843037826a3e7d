package verify_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
)

func TestInstalledKernels(t *testing.T) {
	root := t.TempDir()
	boot := filepath.Join(root, "boot")
	for _, d := range []string{"vmlinuz-6.1.0-7-amd64", "vmlinuz-dir-only"} {
		if err := os.MkdirAll(filepath.Join(boot, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{
		"vmlinuz-6.1.0-13-amd64", "vmlinuz-6.1.0-9-amd64", "vmlinuz-5.10.0-28-amd64",
		"vmlinuz-6.1.0-13-amd64.old", "vmlinuz-6.1.0-13-amd64.bak", "vmlinuz-6.1.0-13-amd64.dpkg-tmp",
		"vmlinuz-6.1.0-13-amd64.dpkg-new", "vmlinuz-6.1.0-13-amd64.dpkg-bak", "vmlinuz-6.1.0-13-amd64~",
		"vmlinuz-", "vmlinuz", "vmlinuz.old", "initrd.img-6.1.0-10-amd64", "config-6.1.0-10-amd64",
		"vmlinuz-6.5.0~rc1",
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(boot, f), []byte("kernel"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"vmlinuz-6.1.0-10-amd64": "vmlinuz-6.1.0-9-amd64", // a symlink to an image: a kernel
		"vmlinuz-6.1.0-11-amd64": "gone",                  // dangling: installed, image missing
		"vmlinuz-6.1.0-12-amd64": "vmlinuz-6.1.0-7-amd64", // a symlink to a directory: none
	} {
		if err := os.Symlink(target, filepath.Join(boot, name)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := verify.InstalledKernels(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"5.10.0-28-amd64", "6.1.0-9-amd64", "6.1.0-10-amd64", "6.1.0-11-amd64", "6.1.0-13-amd64", "6.5.0~rc1"}
	if !slices.Equal(got, want) {
		t.Errorf("InstalledKernels = %q, want %q", got, want)
	}
	if n := verify.NewestKernel(got); n != "6.5.0~rc1" {
		t.Errorf("NewestKernel = %q", n)
	}
	if n := verify.NewestKernel(nil); n != "" {
		t.Errorf("NewestKernel(nil) = %q", n)
	}
}

func TestInstalledKernelsNone(t *testing.T) {
	// No /boot at all: nothing installed, not an error.
	got, err := verify.InstalledKernels(t.TempDir())
	if err != nil || got != nil {
		t.Fatalf("InstalledKernels = %q, %v; want nil, nil", got, err)
	}
	// A /boot that is a file: an error.
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "boot"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.InstalledKernels(root); err == nil {
		t.Fatal("no error for a /boot that is not a directory")
	}
}

// TestInstalledKernelsDebian is verify --all's case (moved from
// cmd/boot-guard): Debian's ABI names in dpkg's order, a .dpkg-bak left out.
func TestInstalledKernelsDebian(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "boot"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"6.1.0-10-amd64", "6.1.0-9-amd64", "5.10.0-28-amd64", "6.1.0-9-amd64.dpkg-bak"} {
		if err := os.WriteFile(filepath.Join(root, "boot", "vmlinuz-"+f), []byte("k"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := verify.InstalledKernels(root)
	if err != nil || strings.Join(got, " ") != "5.10.0-28-amd64 6.1.0-9-amd64 6.1.0-10-amd64" {
		t.Errorf("%q %v", got, err)
	}
}

// TestInstalledKernelsOrder is the order of kernel releases, as dpkg would
// sort Debian's and Ubuntu's (these were `requirements`' own comparator's
// cases; a string sort puts 6.1.0-9 after 6.1.0-13).
func TestInstalledKernelsOrder(t *testing.T) {
	cases := []struct{ older, newer string }{
		{"6.1.0-9-amd64", "6.1.0-13-amd64"},
		{"6.5.0", "6.10.0"},
		{"6.9.12", "6.10.0-rc1"},
		{"6.5.0~rc1", "6.5.0"}, // '~' before the end
		{"6.5.0", "6.5.0a"},    // the end before a letter
		{"6.5.0a", "6.5.0+b1"}, // letters before other bytes
		{"5.15.0-91-generic", "5.15.0-101-generic"},
		{"6.8.0-1004-aws", "6.8.0-1004-azure"},
	}
	for _, tc := range cases {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "boot"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{tc.newer, tc.older} {
			if err := os.WriteFile(filepath.Join(root, "boot", "vmlinuz-"+v), []byte("k"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := verify.InstalledKernels(root)
		if err != nil || !slices.Equal(got, []string{tc.older, tc.newer}) {
			t.Errorf("InstalledKernels = %q, %v; want %s before %s", got, err, tc.older, tc.newer)
		}
	}
}
