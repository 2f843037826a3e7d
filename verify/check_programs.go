package verify

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
)

// The initrd's own programs (issue 11 item 4): what runs /init and what loads
// the modules. Each rule here was learned from a real boot of the Debian 12
// kernel with an initramfs-tools (or dracut) image missing that one file
// (scripts/e2e/scenarios.tsv, "issue 11 item 4"): udevd loads the device
// drivers through libkmod, which finds a module only in modules.dep.bin and a
// modalias only in modules.alias.bin (it never reads the text modules.dep);
// without one of them, or without udevd or a library udevd needs, root never
// appears. Without /sbin/modprobe the disk appears but its filesystem's
// module is never loaded (the kernel's request_module runs it), so mounting
// root fails. Without /init's #! interpreter the kernel cannot execute /init
// ("Failed to execute /init (error -2)"). modules.symbols.bin and
// modules.builtin.bin are not needed to mount root: images without them boot.

// programPaths are the programs whose contents readImages keeps (for their
// #! line or ELF headers); "usr/" variants are kept too (initrd.Options.Keep).
var programPaths = []string{
	"init", "bin/sh", "bin/busybox", "lib/systemd/systemd",
	"bin/kmod", "sbin/modprobe", "bin/udevadm", "lib/systemd/systemd-udevd", "sbin/udevd",
}

// keepProgram reports whether readImages keeps p for checkPrograms.
func keepProgram(p, version string) bool {
	if p == depBinPath(version) || p == aliasBinPath(version) {
		return true
	}
	for _, k := range programPaths {
		if p == k {
			return true
		}
	}
	return false
}

func depBinPath(v string) string   { return "lib/modules/" + v + "/modules.dep.bin" }
func aliasBinPath(v string) string { return "lib/modules/" + v + "/modules.alias.bin" }

// imageGenerator tells which generator built img, from the files only it
// puts there; unknown for anything else (a hand-made or test image).
func imageGenerator(img *initrd.Image) diagnose.Generator {
	if _, ok := img.Has("scripts/functions"); ok {
		if _, ok := img.Has("conf/initramfs.conf"); ok {
			return diagnose.GeneratorInitramfsTools
		}
	}
	if _, ok := img.Has("usr/lib/dracut"); ok {
		if _, ok := img.Has("etc/initrd-release"); ok {
			return diagnose.GeneratorDracut
		}
	}
	return diagnose.GeneratorUnknown
}

// usesLibkmod reports whether modules in img are loaded through libkmod,
// which reads only the binary indexes: an initramfs-tools or dracut image
// (udevd's kmod builtin, kmod's modprobe), or any image carrying
// modules.dep.bin. Another image (busybox's modprobe) reads modules.dep.
func usesLibkmod(img *initrd.Image, v string) bool {
	if imageGenerator(img) != diagnose.GeneratorUnknown {
		return true
	}
	_, ok := img.Has(depBinPath(v))
	return ok
}

// errNotRead: a file the check needs is in the image, but its content was
// not kept (larger than initrd.DefaultMaxFileSize): it is not checked, and
// the check says so (cannot-tell).
var errNotRead = errors.New("not read")

// imageFile returns the content of the file at p in img: ok false when the
// image has no such file, errNotRead when it has one whose content was not
// kept.
func imageFile(img *initrd.Image, p string) (b []byte, ok bool, err error) {
	if b, ok := img.File(p); ok {
		return b, true, nil
	}
	e, ok := resolve(img, p)
	if !ok {
		return nil, false, nil
	}
	why := img.NotKept[e.Path]
	if why == "" {
		why = "its content was not kept"
	}
	return nil, true, fmt.Errorf("%w: %s", errNotRead, why)
}

// depBinNames reads the image's modules.dep.bin: the file of every module
// it lists, by name; ok false when the image has none, err when it is
// corrupt or errNotRead.
func depBinNames(img *initrd.Image, v string) (paths map[string]string, ok bool, err error) {
	b, ok, err := imageFile(img, depBinPath(v))
	if !ok || err != nil {
		return nil, ok, err
	}
	x, err := kmod.ParseBinIndex(b)
	if err == nil {
		paths, err = kmod.DepBinPaths(x)
	}
	return paths, true, err
}

// loaderProgram is a program of the image's module loader, which root
// cannot be mounted without.
type loaderProgram struct {
	paths []string // where the generator puts it; any one will do
	role  string   // what it does, for messages
	// missing says what happens without it; loadable: it matters only when
	// root needs a module the initrd must load (not built in).
	missing  string
	loadable bool
}

// udevd and modprobe, where initramfs-tools and dracut put them (systemd's
// udevd, or the older standalone one).
var (
	udevd = loaderProgram{paths: []string{"lib/systemd/systemd-udevd", "sbin/udevd"},
		role:    "udevd (it loads the root device's drivers)",
		missing: "nothing loads the drivers of the devices the kernel finds, so the root device never appears"}
	modprobe = loaderProgram{paths: []string{"sbin/modprobe"},
		role:     "modprobe (it loads the root filesystem's module)",
		missing:  "the kernel runs it to load the root filesystem's module when mount asks for it (request_module), and the initramfs scripts run it, so root cannot be mounted",
		loadable: true}
)

// loaders are the module loader's programs of each generator's images.
var loaders = map[diagnose.Generator][]loaderProgram{
	diagnose.GeneratorInitramfsTools: {udevd, modprobe},
	diagnose.GeneratorDracut:         {udevd, modprobe},
}

// checkPrograms checks, in an image initramfs-tools or dracut built (not in
// a hand-made one), /init's interpreter, the module loader's programs
// (loaders) with the dynamic loader and libraries each needs, and, when
// root needs a module the initrd loads, libkmod's modules.alias.bin
// (modules.dep.bin is checked with each module: imageModules).
func (c *checker) checkPrograms(img *initrd.Image, mods *imageModules) {
	if !img.Whole() {
		return // already reported broken; a file may lie after the break
	}
	gen := imageGenerator(img)
	if gen == diagnose.GeneratorUnknown {
		return // a hand-made image: its programs are its maker's (not checked)
	}
	c.checkInterpreter(img)
	loadable := c.needsLoadable()
	for _, lp := range loaders[gen] {
		if lp.loadable && !loadable {
			continue
		}
		found := ""
		for _, p := range lp.paths {
			if _, ok := resolve(img, p); ok {
				found = p
				break
			}
		}
		if found == "" {
			c.programProblem(CodeUserspaceMissing, fmt.Sprintf("has no %s (/%s): %s", strings.Fields(lp.role)[0], strings.Join(lp.paths, " or /"), lp.missing))
			continue
		}
		c.checkELFDeps(img, found, lp.role, CodeUserspaceMissing)
	}
	if mods == nil || !mods.libkmod || !loadable {
		return
	}
	if mods.depErr != nil && errors.Is(mods.depErr, errNotRead) {
		c.notRead(depBinPath(c.req.Version), mods.depErr)
	}
	b, ok, err := imageFile(img, aliasBinPath(c.req.Version))
	if err != nil {
		c.notRead(aliasBinPath(c.req.Version), err)
		return
	}
	if !ok {
		c.programProblem(CodeModuleNotInDep, fmt.Sprintf("has no lib/modules/%s/modules.alias.bin: libkmod (udevd, modprobe) finds no module for a device's modalias without it, so the root device's driver is never loaded", c.req.Version))
		return
	}
	if _, err := kmod.ParseBinIndex(b); err != nil {
		c.programProblem(CodeModuleNotInDep, fmt.Sprintf("has a lib/modules/%s/modules.alias.bin libkmod cannot read (%v), so the root device's driver is never loaded", c.req.Version, err))
	}
}

// needsLoadable reports whether root needs a module that is not built in,
// which the initrd must load.
func (c *checker) needsLoadable() bool {
	for _, r := range c.rep.Requirements {
		if r.Status != StatusBuiltin {
			return true
		}
	}
	return false
}

// notRead says that file p of the image could not be checked (cannot-tell).
func (c *checker) notRead(p string, err error) {
	c.rep.Add(Problem{Code: CodeModuleIndex, Verdict: CannotTell,
		Message: fmt.Sprintf("kernel %s: initrd %s: its %s was not checked (%v)", c.req.Version, strings.Join(c.rep.Initrds, " + "), p, err)})
}

// programProblem reports what the image lacks (after "initrd X ") as
// unbootable, with the command that rebuilds it.
func (c *checker) programProblem(code Code, what string) {
	c.rep.Add(Problem{Code: code, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: initrd %s %s", c.req.Version, strings.Join(c.rep.Initrds, " + "), what),
		Hint:    c.fixHint(), Fix: c.fixHint(),
		Causes: c.diagnosis().ImageCauses()})
}

// checkInterpreter checks the program the kernel runs for /init: its #!
// interpreter, and for an ELF binary its loader and libraries. Without them
// execve fails and the kernel, finding no other init in the initramfs,
// panics.
func (c *checker) checkInterpreter(img *initrd.Image) {
	b, ok := img.File("init")
	if !ok {
		return // no /init (checkInit), or not kept (a symlink to a program not listed)
	}
	if !bytes.HasPrefix(b, []byte("#!")) {
		c.checkELFDeps(img, "init", "/init", CodeInitMissing)
		return
	}
	line, _, _ := bytes.Cut(b[2:], []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) == 0 {
		c.programProblem(CodeInitMissing, "has a /init whose #! line names no interpreter: the kernel cannot run it")
		return
	}
	interp := f[0]
	if _, ok := resolve(img, interp); !ok {
		c.programProblem(CodeInitMissing, fmt.Sprintf("has no %s, the interpreter /init's #! line names: the kernel cannot run /init", interp))
		return
	}
	c.checkELFDeps(img, interp, "/init's interpreter "+interp, CodeInitMissing)
}

// libDirs are where the dynamic loader finds libraries: Debian's
// multiarch directories and the default ones (/etc/ld.so.cache aside).
var libDirs = []string{
	"lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu", "lib/i386-linux-gnu", "lib/arm-linux-gnueabihf",
	"lib/powerpc64le-linux-gnu", "lib/s390x-linux-gnu", "lib/riscv64-linux-gnu",
	"lib64", "lib", "usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/lib64", "usr/lib",
}

// checkELFDeps checks that the dynamic loader (PT_INTERP) and the libraries
// (DT_NEEDED) of the ELF program at p are in the image. A program not kept,
// or not an ELF file, is not checked.
func (c *checker) checkELFDeps(img *initrd.Image, p, role string, code Code) {
	b, ok := img.File(p)
	if !ok {
		return
	}
	interp, needed, runpath, err := elfDeps(b)
	if err != nil {
		return // not an ELF program (a script): the kernel or a shell runs it
	}
	if interp != "" {
		if _, ok := resolve(img, interp); !ok {
			c.programProblem(code, fmt.Sprintf("has no %s, the dynamic loader /%s needs: %s cannot run", interp, p, role))
			return
		}
	}
	dirs := append(runpath, libDirs...)
	for _, lib := range needed {
		if !libPresent(img, lib, dirs) {
			c.programProblem(code, fmt.Sprintf("has no %s, a library /%s needs: %s cannot run", lib, p, role))
			return
		}
	}
}

// libPresent reports whether library lib is in one of dirs of img.
func libPresent(img *initrd.Image, lib string, dirs []string) bool {
	if strings.Contains(lib, "/") {
		_, ok := resolve(img, lib)
		return ok
	}
	for _, d := range dirs {
		if _, ok := resolve(img, path.Join(d, lib)); ok {
			return true
		}
	}
	return false
}

// elfDeps returns an ELF program's PT_INTERP, DT_NEEDED and DT_RUNPATH (or
// DT_RPATH) directories, made relative to the image root. debug/elf reads
// hostile input with errors, but a panic in it must not end the check.
func elfDeps(b []byte) (interp string, needed, runpath []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("reading ELF: %v", r)
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return "", nil, nil, err
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP && p.Filesz < 4096 {
			buf := make([]byte, p.Filesz)
			if _, err := p.ReadAt(buf, 0); err == nil {
				interp = strings.TrimRight(string(buf), "\x00")
			}
		}
	}
	if f.Section(".dynamic") == nil && interp == "" {
		return "", nil, nil, nil // static
	}
	needed, _ = f.ImportedLibraries()
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		rp, _ := f.DynString(tag)
		for _, s := range rp {
			for _, d := range strings.Split(s, ":") {
				if strings.HasPrefix(d, "/") {
					runpath = append(runpath, strings.TrimPrefix(d, "/"))
				}
			}
		}
	}
	return interp, needed, runpath, nil
}

// resolve returns the entry at p in img, following symlinks everywhere,
// as the kernel's path walk does for execve (at most 40 hops).
func resolve(img *initrd.Image, p string) (initrd.Entry, bool) {
	e, ok := img.Has(p)
	for hops := 0; ok && e.IsSymlink(); hops++ {
		if hops == 40 {
			return initrd.Entry{}, false
		}
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(e.Path), target)
		}
		e, ok = img.Has(target)
	}
	return e, ok && !e.IsDir()
}
