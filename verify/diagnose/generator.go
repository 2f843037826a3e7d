package diagnose

import (
	"os"
	"path"
	"path/filepath"
)

// Which generator a fix names. The one that made the image being checked
// comes first: its own files inside the image say so (ImageGenerator), and
// a rebuild with another generator would change more than the fix needs.
// Without an image (missing, or read only up to a break before the marks),
// the one the kernel's hooks will run when the package is configured
// (hookGenerator); without any hook, the one whose program is installed.
//
// Installed alone proves little: dracut-core (the programs, and on trixie
// and later the kernel-install plugin 50-dracut.install) installs next to
// initramfs-tools, whose postinst.d hook is what builds
// /boot/initrd.img-VERSION on a Debian kernel install; dracut's hook is in
// the dracut package, which conflicts with initramfs-tools.

// imageMarks are the files each generator puts into every image it builds,
// as paths in the image:
//   - initramfs-tools' mkinitramfs copies its configuration to
//     conf/initramfs.conf, writes conf/arch.conf and copies
//     scripts/functions, which /init sources.
//   - dracut writes usr/lib/dracut/build-parameter.txt (its arguments,
//     which lsinitrd and dracut --rebuild read) and modules.txt (the dracut
//     modules included), and its 99base module installs dracut-lib.sh;
//     older layouts have them under lib/.
var imageMarks = []struct {
	gen   Generator
	paths []string
}{
	{GeneratorInitramfsTools, []string{"conf/initramfs.conf", "conf/arch.conf", "scripts/functions"}},
	{GeneratorDracut, []string{
		"usr/lib/dracut/build-parameter.txt", "usr/lib/dracut/modules.txt", "usr/lib/dracut-lib.sh",
		"lib/dracut/build-parameter.txt", "lib/dracut/modules.txt", "lib/dracut-lib.sh"}},
}

// IsImageMark reports whether p (an image path, as initrd names entries)
// is one of the files ImageGenerator looks at, so that a caller walking an
// image keeps only those.
func IsImageMark(p string) bool {
	for _, m := range imageMarks {
		for _, q := range m.paths {
			if p == q {
				return true
			}
		}
	}
	return false
}

// ImageGenerator says which generator made an image from the files it
// carries (has reports whether the image holds a path): the one generator
// whose marks are there; GeneratorUnknown when none are (an image cut before
// them, a hand-made one) or when both generators' are.
func ImageGenerator(has func(path string) bool) Generator {
	found := GeneratorUnknown
	for _, m := range imageMarks {
		for _, p := range m.paths {
			if !has(p) {
				continue
			}
			if found != GeneratorUnknown && found != m.gen {
				return GeneratorUnknown
			}
			found = m.gen
			break
		}
	}
	return found
}

// A hook is a file the kernel's maintainer scripts or kernel-install run:
// name in dirs, where a file in an earlier directory overrides the same
// name in a later one (and, as a symlink to /dev/null, masks it), as
// linux-run-hooks does for /etc/kernel/postinst.d over
// /usr/share/kernel/postinst.d (trixie and later) and kernel-install does
// for /etc/kernel/install.d over /usr/lib/kernel/install.d.
type hook struct {
	gen  Generator
	dirs []string
	name string
}

var (
	postinstDirs = []string{"etc/kernel/postinst.d", "usr/share/kernel/postinst.d"}
	installDirs  = []string{"etc/kernel/install.d", "usr/lib/kernel/install.d"}
)

// kernelHooks are the generators' hooks the kernel package's postinst runs
// (through run-parts or linux-run-hooks), which write
// /boot/initrd.img-VERSION.
var kernelHooks = []hook{
	{GeneratorInitramfsTools, postinstDirs, "initramfs-tools"},
	{GeneratorDracut, postinstDirs, "dracut"},
}

// installPlugins are the generators' kernel-install plugins: they build the
// image when kernel-install runs (systemd-boot's hook, a UKI layout) and
// no postinst.d hook builds one.
var installPlugins = []hook{
	{GeneratorDracut, installDirs, "50-dracut.install"},
}

// programs are the generators' programs: installed, but maybe not what
// builds the image.
var programs = []struct {
	gen   Generator
	files []string
}{
	{GeneratorInitramfsTools, []string{"usr/sbin/update-initramfs"}},
	{GeneratorDracut, []string{"usr/bin/dracut", "usr/sbin/dracut"}},
}

// generator decides the generator of the system under root when the image
// does not say: the kernel's postinst.d hooks, else kernel-install's
// plugins, else the programs installed; at each step the one generator
// found, GeneratorUnknown when both are.
func generator(root string) Generator {
	for _, hooks := range [][]hook{kernelHooks, installPlugins} {
		var gens []Generator
		for _, h := range hooks {
			if h.active(root) {
				gens = append(gens, h.gen)
			}
		}
		if g, decided := one(gens); decided {
			return g
		}
	}
	var gens []Generator
	for _, p := range programs {
		for _, f := range p.files {
			if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(f))); err == nil && st.Mode().IsRegular() {
				gens = append(gens, p.gen)
				break
			}
		}
	}
	g, _ := one(gens)
	return g
}

// one is the generator gens name, decided when they name any.
func one(gens []Generator) (Generator, bool) {
	switch {
	case len(gens) == 0:
		return GeneratorUnknown, false
	case len(gens) > 1:
		return GeneratorUnknown, true
	}
	return gens[0], true
}

// active reports whether the hook will run: the first of its files that
// exists (as a name, even a dangling symlink) is a regular file.
func (h hook) active(root string) bool {
	for _, p := range h.files() {
		full := filepath.Join(root, filepath.FromSlash(p))
		if _, err := os.Lstat(full); err != nil {
			continue
		}
		st, err := os.Stat(full) // a symlink to /dev/null masks it
		return err == nil && st.Mode().IsRegular()
	}
	return false
}

// files are the hook's paths under the root, the overriding one first.
func (h hook) files() []string {
	var out []string
	for _, d := range h.dirs {
		out = append(out, path.Join(d, h.name))
	}
	return out
}

// generatorInputs are the files generator reads, under the root.
func generatorInputs() []string {
	var in []string
	for _, hooks := range [][]hook{kernelHooks, installPlugins} {
		for _, h := range hooks {
			in = append(in, h.files()...)
		}
	}
	for _, p := range programs {
		in = append(in, p.files...)
	}
	return in
}
