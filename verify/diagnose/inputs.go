package diagnose

import (
	"os"
	"path/filepath"
)

// The files Inspect reads, as paths under the root. The readers open these
// and Inputs lists them, so the two cannot differ.
const (
	dpkgStatus     = "var/lib/dpkg/status"
	initramfsConf  = "etc/initramfs-tools/initramfs.conf"
	initramfsConfD = "etc/initramfs-tools/conf.d"
	fstab          = "etc/fstab"
	dkmsTree       = "var/lib/dkms"
)

// backupImage is the image update-initramfs keeps of version's previous
// initrd, under the root.
func backupImage(version string) string {
	return "boot/initrd.img-" + version + ".dpkg-bak"
}

// Inputs lists the host paths under root whose content Inspect(version)
// reads, missing ones included (a file appearing changes a finding too), and
// the directories whose listings it reads: the generators' hooks and programs, dpkg's
// status, initramfs-tools' configuration, the backup image, fstab and the
// DKMS tree's builds (dkmsInputs). Not listed: /proc's mount table, /boot's
// free space and the size of its largest initrd, which are no file's
// content.
func Inputs(root, version string) []string {
	if root == "" {
		root = "/"
	}
	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	var in []string
	for _, f := range generatorInputs() {
		in = append(in, at(f))
	}
	in = append(in, at(dpkgStatus), at(initramfsConfD))
	for _, f := range initramfsConfFiles(root) {
		in = append(in, at(f))
	}
	in = append(in, at(backupImage(version)), at(fstab))
	return append(in, dkmsInputs(root, version)...)
}

// dkmsInputs are the parts of the DKMS tree dkmsFailures reads for version:
// the directories it lists and, for each build, its make.log, its VERSION
// directory and each ARCH/module directory in that (with the ARCH one).
func dkmsInputs(root, version string) []string {
	builds, in := dkmsBuilds(root)
	for _, b := range builds {
		in = append(in, b.dir, b.logPath(), b.builtDir(version))
		for _, d := range b.builtModuleDirs(version) {
			in = append(in, filepath.Dir(d), d)
		}
	}
	return in
}

// listDir names dir's entries (sorted, as os.ReadDir returns them); nil when
// dir cannot be read.
func listDir(dir string) []os.DirEntry {
	ents, _ := os.ReadDir(dir)
	return ents
}
