package bootentry

import (
	"path/filepath"
	"slices"
	"testing"
)

func TestInputsListTheMenusFiles(t *testing.T) {
	files := blsFiles()
	files["boot/grub/grub.cfg"] = "menuentry x {\n}\n"
	files["etc/default/grub.d/50-cloud.cfg"] = "GRUB_DEFAULT=1\n"
	files["efi/EFI/Linux/debian-6.1.0-18-amd64.efi"] = "MZ"
	root := writeTree(t, files)
	in := Inputs(root)
	for name := range files {
		if !slices.Contains(in, filepath.Join(root, name)) {
			t.Errorf("Inputs lacks %s", name)
		}
	}
	for _, name := range []string{"etc/fstab", "boot/grub/grubenv", "etc/default/grub", "etc/default/grub.d",
		"boot/loader/loader.conf", "efi/loader/entries", "boot/efi/EFI/Linux"} {
		if !slices.Contains(in, filepath.Join(root, name)) {
			t.Errorf("Inputs lacks %s (missing or a directory, it is still read)", name)
		}
	}
}
