package verify

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/bootentry"
)

// leftoverSuffixes end the names of copies of a kernel image that are not
// an installed kernel: kernel-package's and people's backups (.old, .bak,
// .orig, .save, an editor's "~") and dpkg's and ucf's files mid-operation or
// kept aside (.dpkg-tmp, .dpkg-new, .dpkg-old, .dpkg-dist, .dpkg-bak,
// .ucf-old, ...: every ".dpkg-" and ".ucf-" suffix).
var leftoverSuffixes = []string{".old", ".bak", ".orig", ".save", "~"}

// InstalledKernels lists the kernels installed under root ("" means "/"),
// oldest first as bootentry.CompareVersions orders kernel releases
// (6.1.0-9 before 6.1.0-10): the contract's "an installed kernel is one with
// a /boot/vmlinuz-VERSION" (a /lib/modules/VERSION alone is not).
//
// Every name vmlinuz-VERSION in ROOT/boot counts, with these exceptions:
//   - a leftover copy (leftoverSuffixes: vmlinuz-6.1.0-13-amd64.old,
//     .dpkg-tmp, .dpkg-new, .bak, ...) is no kernel of its own;
//   - a directory (after following symlinks) is no kernel image;
//   - VERSION "", "." or ".." names no kernel.
//
// A symlink vmlinuz-VERSION counts as boot loaders follow it, even a
// dangling one: that kernel is installed and its image is missing, which
// Check reports (kernel-missing). Names without the "vmlinuz-" prefix
// (Debian's /boot/vmlinuz and /boot/vmlinuz.old symlinks) are not kernels of
// their own. A root without /boot has no kernel installed: nil, nil.
func InstalledKernels(root string) ([]string, error) {
	if root == "" {
		root = "/"
	}
	dir := filepath.Join(root, "boot")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		v, ok := strings.CutPrefix(e.Name(), "vmlinuz-")
		if !ok || !isKernelVersion(v) {
			continue
		}
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && st.IsDir() {
			continue
		}
		out = append(out, v)
	}
	slices.SortFunc(out, bootentry.CompareVersions)
	return out, nil
}

// isKernelVersion reports whether v, the rest of a vmlinuz-v name, is a
// kernel release rather than a leftover copy's suffix or a path element.
func isKernelVersion(v string) bool {
	if v == "" || v == "." || v == ".." {
		return false
	}
	if strings.Contains(v, ".dpkg-") || strings.Contains(v, ".ucf-") {
		return false
	}
	for _, s := range leftoverSuffixes {
		if strings.HasSuffix(v, s) {
			return false
		}
	}
	return true
}

// NewestKernel returns the newest of the installed kernels (the last of
// InstalledKernels), "" when there is none.
func NewestKernel(installed []string) string {
	if len(installed) == 0 {
		return ""
	}
	return installed[len(installed)-1]
}
