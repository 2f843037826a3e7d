package bootentry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// issue 17 item 5: the kernel and initrd paths a grub.cfg or a BLS entry of
// the checked system names stay under its root (or its ESP), whether they
// climb with ".." or go through a link with an absolute target.
func TestEntryPathsNeverEscapeRoot(t *testing.T) {
	files := map[string]string{
		"boot/grub/grub.cfg": "menuentry 'climb' {\n linux /boot/../../../../etc/shadow root=UUID=1\n initrd /../../../../etc/passwd\n}\n" +
			"menuentry 'link' {\n linux /boot/vmlinuz-link root=UUID=1\n initrd /boot/initrd-link\n}\n",
		"boot/vmlinuz-6.1.0-9-amd64":                                 "kernel",
		"boot/efi/loader/entries/escape.conf":                        "title escape\nlinux ../../../../../etc/shadow\ninitrd /../../etc/passwd\n",
		"boot/efi/loader/entries/zz-link.conf":                       "title link\nlinux /vmlinuz-link\n",
		"boot/efi/0123456789abcdef0123456789abcdef/6.1.0-9-amd64/ok": "",
	}
	root := writeTree(t, files)
	for link, target := range map[string]string{
		"boot/vmlinuz-link":     "/boot/vmlinuz-6.1.0-9-amd64", // absolute: the image's, not the host's
		"boot/initrd-link":      "/etc/shadow",                 // absolute, to what would be the host's
		"boot/efi/vmlinuz-link": "/etc/shadow",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) < 2 {
		t.Fatalf("entries %+v unknown %q", m.Entries, m.Unknown)
	}
	for _, e := range m.Entries {
		for _, p := range append([]string{e.Kernel}, e.Initrds...) {
			if p != "" && !strings.HasPrefix(p, root+string(filepath.Separator)) {
				t.Errorf("entry %q: path %q is outside the root %s", e.Title, p, root)
			}
		}
		if e.Loader == LoaderBLS && e.Kernel != "" && !strings.HasPrefix(e.Kernel, filepath.Join(root, "boot/efi")+"/") {
			t.Errorf("BLS entry %q: kernel %q is outside the ESP", e.Title, e.Kernel)
		}
	}
	for _, e := range m.Entries {
		if e.Title == "link" && e.Loader == LoaderGRUB && e.Kernel != filepath.Join(root, "boot/vmlinuz-6.1.0-9-amd64") {
			t.Errorf("an absolute link in the image resolved to %q, want the image's own kernel", e.Kernel)
		}
	}
}
