package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/internal/rootpath"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// bootLine is what of the kernel command line decides the boot.
type bootLine struct {
	line, source string
	// moduleBlacklist: module_blacklist= (the kernel refuses these at any
	// load); modprobeBlacklist: modprobe.blacklist= (libkmod's blacklist,
	// for loads by alias). Both exact names: neither the kernel nor kmod
	// turns '-' into '_' there.
	moduleBlacklist, modprobeBlacklist map[string]bool
}

// bootLine reads the command line once (c.cmdline says where from).
func (c *checker) bootLine() bootLine {
	bl := bootLine{moduleBlacklist: map[string]bool{}, modprobeBlacklist: map[string]bool{}}
	bl.line, bl.source = c.cmdline()
	if bl.source == "" {
		if _, err := c.kernelCmdline(); err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.rep.Add(Problem{Code: CodeCmdlineUnreadable, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: the command line it will boot with is unknown: %v; module_blacklist=, modprobe.blacklist=, rdinit= and init= were not checked", c.req.Version, err),
				Hint:    "make " + kernelCmdlineFile + " readable (an I/O error: see dmesg and the disk's health), then run boot-guard again"})
		}
	}
	if bl.source == "/proc/cmdline" {
		if _, ok := cmdlineValue(bl.line, "BOOT_IMAGE"); !ok {
			// Seen on a CI machine (a firecracker VM started with
			// rdinit=/process_api): the running boot did not come from
			// /boot, and its words would fail a good kernel install.
			c.rep.Add(Problem{Code: CodeCmdlineNotTheBootLoaders, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: the command line it will boot with is unknown: /proc/cmdline has no BOOT_IMAGE=, so the running kernel was not started by a boot loader that reads /boot (a hypervisor's direct boot, kexec), and its line says nothing of the next boot's; module_blacklist=, modprobe.blacklist=, rdinit= and init= were not checked", c.req.Version),
				Hint:    "put the command line the boot loader passes in /etc/kernel/cmdline to have it checked"})
			bl.line = ""
			return bl
		}
	}
	if v, ok := cmdlineValue(bl.line, "module_blacklist"); ok { // the kernel keeps the last one
		for _, m := range strings.Split(v, ",") {
			bl.moduleBlacklist[m] = true
		}
	}
	for _, v := range bootentry.CmdlineValues(bl.line, "modprobe.blacklist") { // kmod reads each
		for _, m := range strings.Split(v, ",") {
			bl.modprobeBlacklist[m] = true
		}
	}
	return bl
}

// decidingArgs are the command-line keys whose values change Check's
// verdict when an initrd is used (root= is compared by audit itself).
var decidingArgs = []string{"module_blacklist", "modprobe.blacklist", "rdinit", "init"}

// cmdlineKey is what of cmdline decides a Check: audit's memo key, so
// that a recovery entry with another module_blacklist= is checked apart.
func cmdlineKey(cmdline string) string {
	var b strings.Builder
	for _, k := range decidingArgs {
		fmt.Fprintf(&b, "%s=%q ", k, bootentry.CmdlineValues(cmdline, k))
	}
	b.WriteString(luksKey(cmdline))        // issue 12 item 3
	b.WriteString(" " + stackKey(cmdline)) // issue 12 item 4
	return b.String()
}

// checkRdinit checks rdinit=: the program the kernel runs from the initrd
// instead of /init. When it is not there the kernel says "Failed to execute"
// and mounts root itself, as without an initrd. It returns false when there
// is no rdinit= (then /init is checked).
func (c *checker) checkRdinit(img *initrd.Image, bl bootLine, n needs) bool {
	prog, ok := cmdlineValue(bl.line, "rdinit")
	if !ok {
		return false
	}
	if e, found := imageExecutable(img, prog); found && e.IsRegular() && e.Mode&0o111 != 0 {
		return true
	}
	if !img.Whole() {
		return true // reported broken; the program may lie after the break
	}
	root, _ := cmdlineValue(bl.line, "root")
	alone := n.known && len(n.userspace) == 0 && kernelResolvesRoot(root)
	for _, nd := range n.list {
		if _, builtin := n.builtin(nd); !builtin {
			alone = false
		}
	}
	msg := fmt.Sprintf("kernel %s: rdinit=%s (from %s) names no executable file in initrd %s: the kernel skips the initramfs and mounts root=%s itself", c.req.Version, prog, bl.source, strings.Join(c.rep.Initrds, " + "), root)
	if alone {
		c.rep.Add(Problem{Code: CodeInitProgramMissing, Verdict: Bootable, Message: msg + ", which it can: every driver root needs is built in"})
		return true
	}
	c.rep.Add(Problem{Code: CodeInitProgramMissing, Verdict: Unbootable,
		Message: msg + ", which it cannot without the initramfs (\"VFS: Unable to mount root fs\")",
		Hint:    "remove rdinit= from the kernel command line (" + bl.source + ") or name a program the initrd has"})
	return true
}

// imageExecutable finds the entry p names in img, following symlinks as
// the kernel's path lookup does.
func imageExecutable(img *initrd.Image, p string) (initrd.Entry, bool) {
	e, ok := img.Has(p)
	for hops := 0; ok && e.IsSymlink() && hops < maxLinkHops; hops++ {
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(e.Path), target)
		}
		e, ok = img.Has(target)
	}
	return e, ok && !e.IsSymlink()
}

// maxLinkHops bounds symlink resolution (the kernel's MAXSYMLINKS).
const maxLinkHops = 40

// initFallbacks are what initramfs-tools' /init tries when init= is not in
// the root, in order (the kernel's own list when it runs init itself).
var initFallbacks = []string{"/sbin/init", "/etc/init", "/bin/init", "/bin/sh"}

// checkInitArg checks init=, the program the initramfs runs on the mounted
// root. initramfs-tools says "Target filesystem doesn't have requested
// INIT" and falls back to initFallbacks; with none of them it panics.
func (c *checker) checkInitArg(bl bootLine) {
	prog, ok := cmdlineValue(bl.line, "init")
	if !ok || rootExecutable(c.root, prog) {
		return
	}
	for _, f := range initFallbacks {
		if rootExecutable(c.root, f) {
			c.rep.Add(Problem{Code: CodeInitProgramMissing, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: init=%s (from %s) is not an executable file in the root filesystem; the initramfs runs %s instead", c.req.Version, prog, bl.source, f),
				Hint:    "remove init= from the kernel command line (" + bl.source + ") or install the program"})
			return
		}
	}
	c.rep.Add(Problem{Code: CodeInitProgramMissing, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: init=%s (from %s) is not an executable file in the root filesystem, nor is any of %s: the initramfs panics (\"No init found\")", c.req.Version, prog, bl.source, strings.Join(initFallbacks, ", ")),
		Hint:    "remove init= from the kernel command line (" + bl.source + ") or install the program"})
}

// checkKernelInit checks init= without an initramfs: the kernel runs it
// itself and panics ("Requested init INIT failed") when it cannot; it falls
// back to initFallbacks only when no init= is given.
func (c *checker) checkKernelInit(line, source string) {
	prog, ok := cmdlineValue(line, "init")
	if !ok || rootExecutable(c.root, prog) {
		return
	}
	c.rep.Add(Problem{Code: CodeInitProgramMissing, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: init=%s (from %s) is not an executable file in the root filesystem, and without an initramfs the kernel runs it itself: it panics (\"Requested init %s failed\")", c.req.Version, prog, source, prog),
		Hint:    "remove init= from the kernel command line (" + source + ") or install the program"})
}

// rootExecutable reports whether p (an absolute path on the machine) is an
// executable regular file under root, following symlinks within root
// (rootpath: ".." and absolute targets never lead out of it).
func rootExecutable(root, p string) bool {
	host, err := rootpath.Resolve(root, p)
	if err != nil {
		return false
	}
	fi, err := os.Lstat(host)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// checkRootArg compares root= with this machine's root when the line comes
// from a boot entry or /etc/kernel/cmdline (from /proc/cmdline it is the
// running root by definition; audit compares its entries itself).
func (c *checker) checkRootArg(bl bootLine) {
	if bl.source == "" || bl.source == "/proc/cmdline" || c.req.CmdlineSource != "" {
		return
	}
	var rootDev *bootentry.RootDevice
	var err error
	if c.req.Dev != "" && c.req.Proc != nil {
		rootDev, err = bootentry.HostRoot(c.req.Proc, c.req.Sys, c.req.Dev)
	} else {
		var l bootentry.Layout
		if l, err = bootentry.ReadLayout(c.root); err == nil {
			rootDev, err = bootentry.FstabRoot(l)
		}
	}
	spec, _ := cmdlineValue(bl.line, "root")
	name := fmt.Sprintf("kernel %s: the command line from %s", c.req.Version, bl.source)
	if _, p := rootArgProblem(name, spec, rootDev, err); p != nil {
		c.rep.Add(*p)
	}
}

// rootArgProblem compares root=spec with the machine's root: the one rule
// for audit's boot entries and verify's command line. name says whose
// root= it is.
func rootArgProblem(name, spec string, rootDev *bootentry.RootDevice, rootErr error) (bootentry.RootMatch, *Problem) {
	if rootDev == nil {
		return bootentry.RootUnknown, &Problem{Code: CodeRootUnchecked, Verdict: CannotTell,
			Message: fmt.Sprintf("%s: root=%s not compared with this machine's root: %v", name, spec, rootErr)}
	}
	m, why := rootDev.Match(spec)
	switch m {
	case bootentry.RootMismatch:
		return m, &Problem{Code: CodeRootMismatch, Verdict: Unbootable, Message: name + ": " + why,
			Hint: "regenerate the boot menu (update-grub) or fix root= in the entry"}
	case bootentry.RootUnknown, bootentry.RootAbsent:
		return m, &Problem{Code: CodeRootUnchecked, Verdict: CannotTell, Message: name + ": " + why}
	}
	return m, nil
}

// loadedByAlias reports whether udev or the kernel loads a need's module by
// an alias, the only loads kmod's blacklist stops: a device driver by its
// modalias (udev), a filesystem by fs-TYPE (the kernel's request_module at
// mount), a crypto algorithm by crypto-NAME (the same, issue 12 item 5). A
// module named outright (modprobe NAME) ignores the blacklist.
func loadedByAlias(k rootdev.NeedKind) bool {
	return k == rootdev.NeedModalias || k == rootdev.NeedFilesystem || k == rootdev.NeedCrypto
}
