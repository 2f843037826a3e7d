// Package diagnose finds, on the machine being checked, the likely cause of a
// bad initrd and the command that fixes it: a DKMS build that failed for the
// kernel (its make.log under /var/lib/dkms), the kernel package left
// half-configured in dpkg's status file, too little free space on /boot, /boot
// listed in fstab but not mounted, initramfs-tools' MODULES= policy, a backup
// image left by update-initramfs, and which initrd generator made the image
// or will make the next one (initramfs-tools or dracut: generator.go).
//
// It owns only these observations. It never decides a verdict (package verify
// does), never prints, never runs a program, never writes anything, and reads
// only under the root it is handed (plus an optional /proc fs.FS for the mount
// table and an injectable statfs). Every finding is best effort: a file that
// cannot be read is simply no finding, because a diagnosis must never hide the
// verdict it explains. Inputs lists the files the observations read (from
// the same table the readers use), for a cache keyed by them.
//
// File formats followed: dpkg's status file (deb-control(5) paragraphs, the
// Status field of dpkg-query(1)), fstab(5), /proc/self/mountinfo
// (proc(5)), initramfs.conf(5), and DKMS's tree under /var/lib/dkms
// (MODULE/MODULE_VERSION/build/make.log for the last build, whose first line
// reads "DKMS make.log for MODULE-VERSION for kernel KVER (ARCH)", and
// MODULE/MODULE_VERSION/KVER/ARCH/module/ for a successful one).
package diagnose

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/mounts"
)

// Generator is an initrd generator.
type Generator string

// The generators boot-guard knows how to name a fix for.
const (
	GeneratorUnknown        Generator = ""
	GeneratorInitramfsTools Generator = "initramfs-tools"
	GeneratorDracut         Generator = "dracut"
)

// SpaceFunc reports the free and total bytes of the filesystem holding dir.
type SpaceFunc func(dir string) (free, total uint64, err error)

// Options says where to look.
type Options struct {
	// Root is the filesystem root: /boot, /etc, /var are read under it.
	Root string
	// Proc is the host's /proc, for the mount table; nil under --root (a
	// chroot's mounts are not the host's), and then the /boot mount check is
	// skipped.
	Proc fs.FS
	// Space reports free space; nil means the real statfs(2).
	Space SpaceFunc
	// Image is the generator that made the image being checked
	// (ImageGenerator of its files); GeneratorUnknown when no image was
	// read or it does not say. When known it is Findings.Generator: the fix
	// rebuilds the image with what built it.
	Image Generator
	// BootLow is the free space on /boot below which it is reported as a
	// likely cause; 0 means the larger of 64 MiB and the largest initrd.img-*
	// already in /boot.
	BootLow uint64
}

// Findings is everything found for one kernel version. The zero value means
// nothing was found.
type Findings struct {
	Version string
	// Generator is the initrd generator a fix names: the one that made the
	// image (Options.Image), else the one the kernel's hooks run, else the
	// one installed (generator.go).
	Generator Generator
	// DKMS lists module builds that failed for Version.
	DKMS []DKMSFailure
	// Packages lists the kernel's packages dpkg has not finished configuring.
	Packages []PackageState
	// BootFree and BootTotal are the bytes free and in total on /boot's
	// filesystem; BootLow is set when BootFree is below the threshold.
	BootFree, BootTotal uint64
	BootSpaceKnown      bool
	BootLow             bool
	// BootUnmounted is set when fstab lists /boot but it is not mounted, so
	// the initrd was written to (or is missing from) the root filesystem's
	// /boot directory, which the boot loader never reads.
	BootUnmounted bool
	// Modules is initramfs-tools' MODULES= policy ("most", "dep", "list",
	// "netboot") and ModulesSource the file and line that set it ("" when
	// the default most applies).
	Modules       string
	ModulesSource string
	// Backup is the path (under Root) of initrd.img-VERSION.dpkg-bak, if any.
	Backup string
}

// PackageState is a dpkg package and its state ("half-configured", ...).
type PackageState struct {
	Package, State string
}

// Inspect gathers the findings for kernel version.
func Inspect(opts Options, version string) Findings {
	root := opts.Root
	if root == "" {
		root = "/"
	}
	f := Findings{Version: version}
	f.Generator = opts.Image
	if f.Generator == GeneratorUnknown {
		f.Generator = generator(root)
	}
	f.DKMS = dkmsFailures(root, version)
	f.Packages = kernelPackages(root, version)
	f.Modules, f.ModulesSource = modulesPolicy(root)
	bak := backupImage(version)
	if st, err := os.Stat(filepath.Join(root, filepath.FromSlash(bak))); err == nil && st.Mode().IsRegular() && st.Size() > 0 {
		f.Backup = "/" + bak
	}
	space := opts.Space
	if space == nil {
		space = statfsSpace
	}
	if free, total, err := space(filepath.Join(root, "boot")); err == nil {
		f.BootFree, f.BootTotal, f.BootSpaceKnown = free, total, true
		low := opts.BootLow
		if low == 0 {
			low = max(64<<20, largestInitrd(root))
		}
		f.BootLow = free < low
	}
	if opts.Proc != nil && inFstab(root, "/boot") {
		if mounted, err := isMounted(opts.Proc, "/boot"); err == nil && !mounted {
			f.BootUnmounted = true
		}
	}
	return f
}

// FixCommand is the command that rebuilds the initrd of f.Version with the
// generator that made the image (Findings.Generator); both when it is
// unknown. It is the one fix
// boot-guard names for a missing, empty or broken image (verify, the hooks,
// ls and inspect alike):
//   - update-initramfs -c (create), not -u (update): it is what the kernel
//     package's own /etc/kernel/postinst.d/initramfs-tools runs, on a first
//     install and on a reinstall alike, so it writes the image whether or
//     not one exists; -u is for updating an existing image, and older
//     initramfs-tools refuse to update one they did not write last
//     ("Cannot update. Override with -t option").
//   - dracut with the output path /boot/initrd.img-VERSION and VERSION:
//     that is the file Debian's boot loaders (and boot-guard) read, where
//     dracut --kver alone writes dracut's default, which depends on its
//     version and setup (initramfs-VERSION.img, a machine-ID directory).
//
// With no Version (an image whose kernel is unknown) it says in words what
// to give instead.
func (f Findings) FixCommand() string {
	if f.Version == "" {
		const kernel = "the version of the kernel it is for"
		switch f.Generator {
		case GeneratorDracut:
			return "dracut --force, the image path and " + kernel
		case GeneratorInitramfsTools:
			return "update-initramfs -c -k and " + kernel
		}
		return "update-initramfs -c -k and " + kernel + " (initramfs-tools), or dracut --force, the image path and that version (dracut)"
	}
	initramfsTools := "update-initramfs -c -k " + f.Version
	dracut := fmt.Sprintf("dracut --force /boot/initrd.img-%s %s", f.Version, f.Version)
	switch f.Generator {
	case GeneratorDracut:
		return dracut
	case GeneratorInitramfsTools:
		return initramfsTools
	}
	return initramfsTools + " (initramfs-tools) or " + dracut + " (dracut)"
}

// GeneratorOf says which initrd generator made an image (image, from
// ImageGenerator), else which one the system under root runs for a kernel
// (the same rule as Inspect).
func GeneratorOf(root string, image Generator) Generator {
	if image != GeneratorUnknown {
		return image
	}
	if root == "" {
		root = "/"
	}
	return generator(root)
}

// AddModuleHint says how to make the generator in use include module in
// every image it builds.
func (f Findings) AddModuleHint(module string) string {
	switch f.Generator {
	case GeneratorDracut:
		return fmt.Sprintf(`add add_drivers+=" %s " to /etc/dracut.conf.d/boot-guard.conf`, module)
	case GeneratorInitramfsTools:
		return fmt.Sprintf("add the line %s to /etc/initramfs-tools/modules", module)
	}
	return fmt.Sprintf("add %s to the initrd generator's module list", module)
}

// ImageCauses are the likely causes of an initrd that is missing, empty or
// cut short, most likely first.
func (f Findings) ImageCauses() []string {
	var c []string
	for _, d := range f.DKMS {
		c = append(c, d.String(f.Version))
	}
	for _, p := range f.Packages {
		c = append(c, fmt.Sprintf("package %s is %s in dpkg's status: its postinst did not finish (a hook before the initrd generator failed?); run: dpkg --configure -a", p.Package, p.State))
	}
	if f.BootUnmounted {
		c = append(c, "/boot is listed in /etc/fstab but not mounted: images written now land on the root filesystem, where the boot loader does not look; run: mount /boot")
	}
	if f.BootSpaceKnown && f.BootLow {
		c = append(c, fmt.Sprintf("/boot has only %s free of %s: the image may have been cut short; remove old kernels (apt autoremove --purge) and rebuild it", mib(f.BootFree), mib(f.BootTotal)))
	}
	if f.Backup != "" {
		c = append(c, fmt.Sprintf("a backup image %s exists: check it with 'boot-guard verify --initrd %s %s' and copy it back (cp -a) only as a stopgap", f.Backup, f.Backup, f.Version))
	}
	return c
}

// ModuleCauses are the likely causes of an initrd that lacks a module.
func (f Findings) ModuleCauses(module string) []string {
	var c []string
	switch f.Modules {
	case "list":
		c = append(c, fmt.Sprintf("initramfs-tools has MODULES=list (%s): only the modules named in /etc/initramfs-tools/modules go into the image; %s", f.ModulesSource, f.AddModuleHint(module)))
	case "dep":
		c = append(c, fmt.Sprintf("initramfs-tools has MODULES=dep (%s): the image carries only what the machine that built it was using; set MODULES=most or %s", f.ModulesSource, f.AddModuleHint(module)))
	case "netboot":
		c = append(c, fmt.Sprintf("initramfs-tools has MODULES=netboot (%s): the image carries network drivers, not storage ones; set MODULES=most or %s", f.ModulesSource, f.AddModuleHint(module)))
	}
	for _, d := range f.DKMS {
		c = append(c, d.String(f.Version))
	}
	return c
}

func mib(n uint64) string {
	return fmt.Sprintf("%d MiB", n>>20)
}

// kernelPackages lists packages named linux-*-VERSION (linux-image-,
// linux-image-unsigned-, linux-modules- on Ubuntu) that dpkg's status shows
// neither installed nor removed.
func kernelPackages(root, version string) []PackageState {
	var out []PackageState
	scanStatus(root, func(pkg, status, _ string) {
		if !strings.HasPrefix(pkg, "linux-") || !strings.HasSuffix(pkg, "-"+version) {
			return
		}
		fields := strings.Fields(status)
		if len(fields) != 3 {
			return
		}
		switch state := fields[2]; state {
		case "installed", "not-installed", "config-files":
		default:
			out = append(out, PackageState{pkg, state})
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Package < out[j].Package })
	return out
}

// DpkgStatus is dpkg's status database, relative to the root. Written
// without its leading slash: lintian flags a binary that holds the string
// "/var/lib/dpkg/" (uses-dpkg-database-directly); boot-guard reads the file
// as dpkg-query would, to stay a static binary that shells out to nothing.
const DpkgStatus = dpkgStatus

// PackageArchitectures returns the Architecture dpkg's status under root
// records for each of names that it lists.
func PackageArchitectures(root string, names ...string) map[string]string {
	out := map[string]string{}
	scanStatus(root, func(pkg, _, arch string) {
		if arch != "" && slices.Contains(names, pkg) {
			out[pkg] = arch
		}
	})
	return out
}

// scanStatus calls fn with the Package, Status and Architecture of every
// stanza of dpkg's status under root; nothing when it cannot be read.
func scanStatus(root string, fn func(pkg, status, arch string)) {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(dpkgStatus)))
	if err != nil {
		return
	}
	defer f.Close()
	var pkg, status, arch string
	flush := func() {
		if pkg != "" {
			fn(pkg, status, arch)
		}
		pkg, status, arch = "", "", ""
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Bytes() // a string made only of the values kept
		if len(line) == 0 {
			flush()
			continue
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(k) {
		case "Package":
			pkg = string(bytes.TrimSpace(v))
		case "Status":
			status = string(bytes.TrimSpace(v))
		case "Architecture":
			arch = string(bytes.TrimSpace(v))
		}
	}
	flush()
}

// modulesPolicy returns initramfs-tools' MODULES= value and the file:line that
// set it. initramfs.conf is read first, then conf.d/* in name order, the last
// assignment winning, as mkinitramfs sources them.
func modulesPolicy(root string) (value, source string) {
	for _, f := range initramfsConfFiles(root) {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			continue
		}
		name := "/" + f
		for n, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			rest, ok := strings.CutPrefix(line, "MODULES=")
			if !ok {
				continue
			}
			if i := strings.IndexByte(rest, '#'); i >= 0 {
				rest = rest[:i]
			}
			value = strings.Trim(strings.TrimSpace(rest), `"'`)
			source = fmt.Sprintf("%s line %d", name, n+1)
		}
	}
	if value == "" {
		return "", ""
	}
	return value, source
}

// initramfsConfFiles are the files modulesPolicy reads, under root, in
// order: initramfs.conf, then conf.d's files and symlinks by name.
func initramfsConfFiles(root string) []string {
	files := []string{initramfsConf}
	for _, e := range listDir(filepath.Join(root, filepath.FromSlash(initramfsConfD))) {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			files = append(files, path.Join(initramfsConfD, e.Name()))
		}
	}
	return files
}

// largestInitrd is the size of the largest initrd.img-* in /boot: a new one
// needs about as much room.
func largestInitrd(root string) uint64 {
	ents, err := os.ReadDir(filepath.Join(root, "boot"))
	if err != nil {
		return 0
	}
	var n uint64
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "initrd.img-") {
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && uint64(info.Size()) > n {
			n = uint64(info.Size())
		}
	}
	return n
}

// inFstab reports whether root's /etc/fstab has an entry mounting at
// target. An fstab that cannot be read or parsed is no entry.
func inFstab(root, target string) bool {
	name := filepath.Join(root, filepath.FromSlash(fstab))
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	entries, err := mounts.ParseFstab(f, name)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if path.Clean(e.Target) == target {
			return true
		}
	}
	return false
}

// isMounted reports whether target is a mount point in proc's
// self/mountinfo; an empty or malformed mountinfo is an error.
func isMounted(proc fs.FS, target string) (bool, error) {
	f, err := proc.Open("self/mountinfo")
	if err != nil {
		return false, err
	}
	defer f.Close()
	found, seen := false, false
	err = mounts.ScanMountinfo(f, "mountinfo", func(e mounts.Entry) {
		seen = true
		found = found || e.MountPoint == target
	})
	if err != nil {
		return false, err
	}
	if !seen {
		return false, errors.New("empty mountinfo")
	}
	return found, nil
}
