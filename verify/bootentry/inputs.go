package bootentry

import "path/filepath"

// The files Scan reads, as paths under the root. The readers open these and
// Inputs lists them, so the two cannot differ.
const (
	fstabFile     = "etc/fstab"
	grubCfgFile   = "boot/grub/grub.cfg"
	grubenvFile   = "boot/grub/grubenv"
	grubDefaults  = "etc/default/grub"
	grubDefaultsD = "etc/default/grub.d/*.cfg"
	// loaderConfFile is systemd-boot's, in an espDirs directory.
	loaderConfFile = "loader/loader.conf"
)

// espDirs are where BLS entries and UKIs are looked for, relative to the
// root: the XBOOTLDR partition or /boot directory, and the ESP's two usual
// mount points.
var espDirs = []string{"boot", "efi", "boot/efi"}

// Inputs lists the host paths under root whose content Scan reads, missing
// ones included (a file appearing changes the menu too), and the
// directories whose listings it reads: fstab, grub.cfg, grubenv,
// /etc/default/grub and grub.d, and in each ESP directory loader.conf, the
// BLS entries and the UKIs. Not listed: the EFI variables, which are no
// file's content under root, and the kernels and initrds the entries name.
func Inputs(root string) []string {
	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	in := []string{at(fstabFile), at(grubCfgFile), at(grubenvFile), at(filepath.Dir(grubDefaultsD))}
	in = append(in, grubDefaultFiles(root)...)
	for _, d := range espDirs {
		base := at(d)
		in = append(in, filepath.Join(base, filepath.FromSlash(loaderConfFile)))
		for _, kind := range blsKinds {
			in = append(in, filepath.Dir(filepath.Join(base, filepath.FromSlash(kind.glob))))
			in = append(in, espFiles(base, kind.glob)...)
		}
	}
	return in
}

// grubDefaultFiles are the host paths readGrubDefault reads, in order:
// /etc/default/grub, then /etc/default/grub.d/*.cfg as grub-mkconfig
// sources them.
func grubDefaultFiles(root string) []string {
	more, _ := filepath.Glob(filepath.Join(root, filepath.FromSlash(grubDefaultsD)))
	return append([]string{filepath.Join(root, filepath.FromSlash(grubDefaults))}, more...)
}

// espFiles are the files matching glob (a blsKinds one) in the ESP
// directory base.
func espFiles(base, glob string) []string {
	files, _ := filepath.Glob(filepath.Join(base, filepath.FromSlash(glob)))
	return files
}
