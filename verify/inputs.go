package verify

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs lists the files and directories on the host whose content Check(req)
// reads, as host paths under req.Root (missing ones included: a file
// appearing changes a verdict too). It is the list the check reads and must
// change with it: a cache of verdicts keyed by these files' identities (the
// APT hook's) is only as right as this list. Every reader Check calls is
// here:
//
//   - the kernel image and the initrds (kernelImage, initrdFiles); paths
//     inside an image (its modules.dep, crypttabPaths) change with the image;
//   - the module index kmod.Load reads, in lib/modules/VERSION or
//     usr/lib/modules/VERSION;
//   - when the request names no command line: what bootentry.Scan reads for
//     it (grub.cfg, grubenv, /etc/default/grub, BLS entries, UKIs) and
//     /etc/kernel/cmdline;
//   - what diagnose.Inspect reads for a problem's causes and fix: the
//     generator's hooks, the DKMS tree (each build's make.log and built
//     modules for VERSION), dpkg's status, initramfs-tools' MODULES=, the
//     .dpkg-bak image, /etc/fstab.
//
// Not listed, because they are no file's content under Root: /sys and
// /proc (the running machine; a cache of them must die with the boot), and
// /boot's free space with the size of its largest initrd (diagnose's
// low-space cause). Inputs reads directories (the DKMS tree, globs) to name
// the files in them, and ignores what it cannot read.
func Inputs(req Request) []string {
	root := req.Root
	if root == "" {
		root = "/"
	}
	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	var in []string
	if req.Kernel != "" {
		in = append(in, req.Kernel)
	} else {
		in = append(in, at("boot/vmlinuz-"+req.Version))
	}
	switch {
	case req.NoInitrd:
	case req.InitrdSection != nil:
		in = append(in, req.InitrdSection.Path)
	case len(req.Initrds) > 0:
		in = append(in, req.Initrds...)
	default:
		in = append(in, at("boot/initrd.img-"+req.Version))
	}
	for _, dir := range []string{"lib/modules/", "usr/lib/modules/"} {
		dir = at(dir + req.Version)
		in = append(in, dir)
		for _, f := range []string{"modules.dep", "modules.builtin", "modules.builtin.modinfo", "modules.alias", "modules.softdep"} {
			in = append(in, filepath.Join(dir, f))
		}
	}
	if req.CmdlineSource == "" {
		in = append(in, bootLoaderInputs(at)...)
		in = append(in, at("etc/kernel/cmdline"))
	}
	in = append(in, diagnosisInputs(at, req.Version)...)
	seen := map[string]bool{}
	return slices.DeleteFunc(in, func(p string) bool {
		dup := seen[p]
		seen[p] = true
		return dup
	})
}

// bootLoaderInputs are the files bootentry.Scan reads to find a kernel's
// command line.
func bootLoaderInputs(at func(string) string) []string {
	in := []string{at("boot/grub/grub.cfg"), at("boot/grub/grubenv"), at("etc/default/grub"), at("etc/fstab")}
	in = append(in, glob(at("etc/default/grub.d/*.cfg"))...)
	for _, esp := range []string{"boot", "efi", "boot/efi"} {
		in = append(in, at(esp+"/loader/loader.conf"), at(esp+"/loader/entries"), at(esp+"/EFI/Linux"))
		in = append(in, glob(at(esp+"/loader/entries/*.conf"))...)
		in = append(in, glob(at(esp+"/EFI/Linux/*.efi"))...)
	}
	return in
}

// diagnosisInputs are the files diagnose.Inspect reads for kernel version.
func diagnosisInputs(at func(string) string, version string) []string {
	in := []string{
		// generator: the hooks and programs that tell dracut from initramfs-tools
		at("etc/kernel/postinst.d/dracut"), at("usr/lib/kernel/install.d/50-dracut.install"),
		at("etc/kernel/postinst.d/initramfs-tools"), at("usr/sbin/update-initramfs"),
		at("usr/bin/dracut"), at("usr/sbin/dracut"),
		at("var/lib/dpkg/status"),
		at("etc/initramfs-tools/initramfs.conf"), at("etc/initramfs-tools/conf.d"),
		at("boot/initrd.img-" + version + ".dpkg-bak"),
		at("etc/fstab"),
	}
	in = append(in, entries(at("etc/initramfs-tools/conf.d"))...)
	return append(in, dkmsInputs(at("var/lib/dkms"), version)...)
}

// dkmsInputs are the DKMS tree's parts diagnose reads for version: each
// MODULE/MODULE_VERSION's build/make.log and its VERSION/ARCH/module
// directory of built modules, with the directories that list them.
func dkmsInputs(base, version string) []string {
	in := []string{base}
	for _, m := range entries(base) {
		in = append(in, m)
		for _, v := range entries(m) {
			if name := filepath.Base(v); strings.HasPrefix(name, "kernel-") || name == "original_module" {
				continue
			}
			built := filepath.Join(v, version)
			in = append(in, v, filepath.Join(v, "build", "make.log"), built)
			for _, arch := range entries(built) {
				in = append(in, arch, filepath.Join(arch, "module"))
			}
		}
	}
	return in
}

// entries lists dir's entries as paths, sorted; nil when it cannot be read.
func entries(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// glob is filepath.Glob without its error (a malformed pattern, which these
// constant ones are not).
func glob(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}
