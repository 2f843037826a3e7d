package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Request is what Check checks: one kernel version on one filesystem root.
type Request struct {
	// Root is the filesystem root: /boot, /lib/modules, /etc and /var are
	// read under it. "" means "/".
	Root string
	// Sys and Proc are the host's /sys and /proc. They describe the hardware
	// of the running machine, so they are nil under --root: then device
	// requirements come only from Modules, and without any the device part
	// of the verdict is cannot-tell.
	Sys, Proc fs.FS
	// Version is the kernel release, as in /boot/vmlinuz-VERSION.
	Version string
	// Kernel is the kernel image's path on the host; "" means
	// Root/boot/vmlinuz-VERSION.
	Kernel string
	// Initrds are the images to check, taken together in order, as a boot
	// loader concatenates them; paths on the host. nil means
	// Root/boot/initrd.img-VERSION (following symlinks).
	Initrds []string
	// Modules are extra required modules (--module, MODULES=): '-' and '_'
	// are the same; their dependencies are required too.
	Modules []string
	// Space reports free space on /boot for the diagnosis; nil means statfs(2).
	Space diagnose.SpaceFunc

	// Set by audit, for one boot entry (verify/audit.go):
	// NoInitrd: the entry loads no initrd at all, whatever /boot holds (a
	// grub.cfg entry without an initrd line); the no-initrd rules apply.
	NoInitrd bool
	// InitrdSection is a byte range of a file holding the initrd (a UKI's
	// .initrd section); when set it replaces Initrds.
	InitrdSection *bootentry.Section
	// Cmdline is the command line the entry passes and CmdlineSource the
	// entry ("/boot/grub/grub.cfg:143"); empty CmdlineSource: look it up.
	Cmdline, CmdlineSource string
}

// The stable codes of Problem.Code. Dashboards and tests match on them.
const (
	CodeKernelMissing     = "kernel-missing"
	CodeInitrdMissing     = "initrd-missing"
	CodeInitrdEmpty       = "initrd-empty"
	CodeInitrdUnreadable  = "initrd-unreadable"
	CodeInitrdTruncated   = "initrd-truncated"
	CodeInitrdCorrupt     = "initrd-corrupt"
	CodeInitrdUnsupported = "initrd-unsupported"
	CodeInitrdTooLarge    = "initrd-too-large"
	CodeInitMissing       = "init-missing"
	CodeModuleMissing     = "module-missing"
	CodeModuleWrong       = "module-wrong-version"
	CodeModuleNotInDep    = "module-not-in-modules-dep"
	CodeModuleIndex       = "module-index"
	CodeUserspaceMissing  = "userspace-missing"
	CodeCrypttabMissing   = "crypttab-missing"
	CodeDevicesUnknown    = "devices-unknown"
	CodeRootNeedsInitrd   = "root-needs-initrd"
	CodeNotChecked        = "not-checked"
)

// checker carries one Check.
type checker struct {
	ctx     context.Context
	req     Request
	root    string
	rep     KernelReport
	diag    *diagnose.Findings
	initrds []string // resolved image paths that exist
}

// Check decides whether kernel req.Version will mount its root filesystem at
// the next boot. It never panics on bad input and never returns Bootable for
// something it did not check: every gap is a CannotTell problem.
func Check(ctx context.Context, req Request) KernelReport {
	c := &checker{ctx: ctx, req: req, root: req.Root}
	if c.root == "" {
		c.root = "/"
	}
	c.rep.Version = req.Version
	if req.Version == "" || strings.ContainsAny(req.Version, "/\x00") || req.Version == "." || req.Version == ".." {
		c.rep.Add(Problem{Code: CodeNotChecked, Verdict: CannotTell,
			Message: fmt.Sprintf("%q is not a kernel version (it names /boot/vmlinuz-VERSION)", req.Version),
			Hint:    "list the installed kernels with: ls /boot/vmlinuz-*"})
		return c.rep
	}
	c.kernelImage()
	present := c.initrdFiles()
	need := c.requirements()
	if !present {
		c.noInitrd(need)
		return c.finish()
	}
	if len(c.initrds) == 0 {
		return c.finish() // every image named is missing or empty: reported
	}
	if img := c.readImages(need); img != nil {
		c.inImage(img, need)
	}
	return c.finish()
}

// finish returns the report, cancelled checks made cannot-tell.
func (c *checker) finish() KernelReport {
	if err := c.ctx.Err(); err != nil {
		c.rep.Add(Problem{Code: CodeNotChecked, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: the check was interrupted: %v", c.req.Version, err)})
	}
	return c.rep
}

// hostPath maps an absolute machine path to the host path under Root.
func (c *checker) hostPath(p string) string {
	return filepath.Join(c.root, filepath.FromSlash(p))
}

// diagnosis runs the diagnosis once, when a problem needs a cause.
func (c *checker) diagnosis() *diagnose.Findings {
	if c.diag == nil {
		f := diagnose.Inspect(diagnose.Options{Root: c.root, Proc: c.req.Proc, Space: c.req.Space}, c.req.Version)
		c.diag = &f
	}
	return c.diag
}

// kernelImage checks that the kernel image exists and is not empty.
func (c *checker) kernelImage() {
	p := c.req.Kernel
	shown := p
	if p == "" {
		p = c.hostPath("/boot/vmlinuz-" + c.req.Version)
		shown = "/boot/vmlinuz-" + c.req.Version
	}
	st, err := os.Stat(p)
	switch {
	case err == nil && st.Mode().IsRegular() && st.Size() > 0:
		return
	case err == nil:
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: the kernel image %s is empty or not a regular file", c.req.Version, shown),
			Hint:    fmt.Sprintf("reinstall the kernel package: apt-get install --reinstall linux-image-%s", c.req.Version)})
	case errors.Is(err, fs.ErrNotExist):
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: the kernel image %s does not exist", c.req.Version, shown),
			Hint:    fmt.Sprintf("reinstall the kernel package: apt-get install --reinstall linux-image-%s", c.req.Version),
			Causes:  c.diagnosis().ImageCauses()})
	default:
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read the kernel image: %v", c.req.Version, err)})
	}
}

// initrdFiles resolves the images to check, records them in the report and
// checks each exists and is not empty. It returns false when there is no
// initrd at all: the default /boot/initrd.img-VERSION does not exist (then
// the no-initrd rules apply). An image the caller named that is missing, or
// a present but empty one, is a problem and returns true.
func (c *checker) initrdFiles() bool {
	if c.req.NoInitrd {
		return false
	}
	if s := c.req.InitrdSection; s != nil {
		c.rep.Initrds = append(c.rep.Initrds, fmt.Sprintf("%s (.initrd section, %d bytes at offset %d)", s.Path, s.Size, s.Offset))
		if s.Size == 0 {
			c.initrdProblem(CodeInitrdEmpty, s.Path+" .initrd section", "is empty (0 bytes)")
			return true
		}
		c.initrds = append(c.initrds, s.Path)
		return true
	}
	paths := c.req.Initrds
	defaulted := len(paths) == 0
	if defaulted {
		paths = []string{c.hostPath("/boot/initrd.img-" + c.req.Version)}
	}
	for _, p := range paths {
		shown := p
		if defaulted {
			shown = "/boot/initrd.img-" + c.req.Version
		}
		st, err := os.Stat(p) // follows symlinks, as boot loaders and kernel-install do
		if errors.Is(err, fs.ErrNotExist) && defaulted {
			return false
		}
		c.rep.Initrds = append(c.rep.Initrds, shown)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.initrdProblem(CodeInitrdMissing, shown, "does not exist")
		case err != nil:
			c.rep.Add(Problem{Code: CodeInitrdUnreadable, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: cannot read initrd %s: %v", c.req.Version, shown, err),
				Hint:    "run boot-guard as root"})
		case !st.Mode().IsRegular():
			c.initrdProblem(CodeInitrdEmpty, shown, "is not a regular file")
		case st.Size() == 0:
			c.initrdProblem(CodeInitrdEmpty, shown, "is empty (0 bytes)")
		default:
			c.initrds = append(c.initrds, p)
		}
	}
	return true
}

// initrdProblem records a missing, empty or broken image with its causes and fix.
func (c *checker) initrdProblem(code, shown, what string) {
	c.rep.Add(Problem{Code: code, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: initrd %s %s", c.req.Version, shown, what),
		Hint:    c.fixHint(),
		Causes:  c.diagnosis().ImageCauses(),
	})
}

// fixHint is the command that rebuilds this kernel's initrd, with dkms status
// first when a DKMS build failed.
func (c *checker) fixHint() string {
	d := c.diagnosis()
	h := "rebuild it: " + d.FixCommand()
	if len(d.DKMS) > 0 {
		h = "fix the DKMS build first (dkms status; dkms autoinstall -k " + c.req.Version + "), then " + h
	}
	return h
}

// need is one thing the root filesystem needs from the kernel, resolved to
// modules of this kernel.
type need struct {
	// alts are the modules that would each satisfy it (a modalias several
	// drivers claim), the preferred first: the driver bound now.
	alts   []string
	reason string
}

// needs is what the root filesystem requires of this kernel.
type needs struct {
	// known is false when the requirements could not be established: the
	// device part of the verdict is cannot-tell.
	known bool
	list  []need
	ix    *kmod.Index
	// userspace are the stack layers' programs the initrd must carry.
	userspace []rootdev.Userspace
}

// requirements establishes what the root filesystem needs from the kernel:
// from /sys and /proc when given (never under --root), and from
// req.Modules, resolved by ResolveNeeds. Whatever cannot be established is a
// cannot-tell problem.
func (c *checker) requirements() needs {
	var n needs
	ix, err := kmod.Load(os.DirFS(c.root), c.req.Version)
	if err != nil {
		hint := "reinstall the kernel package: apt-get install --reinstall linux-image-" + c.req.Version
		if errors.Is(err, kmod.ErrNoIndex) || errors.Is(err, kmod.ErrMalformed) {
			hint = "rebuild the module index: depmod " + c.req.Version
		}
		c.rep.Add(Problem{Code: CodeModuleIndex, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read its module index, so the modules root needs are unknown: %v", c.req.Version, err),
			Hint:    hint})
		return n
	}
	n.ix = ix
	n.known = true
	var res *rootdev.Result
	if c.req.Sys != nil || c.req.Proc != nil {
		res, err = rootdev.Discover(c.req.Sys, c.req.Proc)
		if err != nil {
			res = nil
			n.known = false
			c.rep.Add(Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: cannot tell what the root device needs: %v", c.req.Version, err)})
		} else {
			n.userspace = res.Userspace
		}
	}
	list, problems := ResolveNeeds(res, ix, c.req.Modules)
	for _, p := range problems {
		if p.Verdict == CannotTell {
			n.known = false
		}
		if p.Verdict == Unbootable && p.Code == CodeModuleUnknown {
			// A module the kernel lacks: most often a DKMS build that
			// failed for this kernel.
			for _, f := range c.diagnosis().DKMS {
				p.Causes = append(p.Causes, f.String(c.req.Version))
			}
		}
		c.rep.Add(p)
	}
	for _, nd := range list {
		n.list = append(n.list, need{alts: append([]string{nd.Module}, nd.Alternatives...), reason: nd.Reason})
	}
	if res == nil && len(c.req.Modules) == 0 && n.known {
		n.known = false
		c.rep.Add(Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: the drivers its root needs are unknown: no /sys and /proc describe the machine it will boot on (boot-guard runs under --root, in a chroot or in a container), and no module was named", c.req.Version),
			Hint:    "name them with --module NAME (repeatable) or MODULES=\"nvme ext4\" in /etc/default/boot-guard"})
	}
	return n
}

// modinfo returns the initrd.Options.Modinfo of the check: the modules
// inImage may look up in the image, known before reading it. They are every
// alternative of every need with its modules.dep closure, and the modules of
// their softdeps with theirs (softdeps checks those of the alternative it
// chooses, and closureStatus their closures). Reading only these .modinfo
// instead of the thousands of an image with MODULES=most is most of the
// speed of verify. Without a module index inImage looks up nothing.
func (n needs) modinfo() func(string) bool {
	want := map[string]bool{}
	if n.ix != nil {
		add := func(names ...string) {
			for _, name := range names {
				want[kmod.Normalize(name)] = true
				deps, _ := n.ix.Deps(name) // an unknown name: nothing to add
				for _, d := range deps {
					want[kmod.Normalize(d)] = true
				}
			}
		}
		for _, nd := range n.list {
			for _, alt := range nd.alts {
				add(alt)
				for _, sd := range n.ix.Softdeps(alt) {
					add(sd.Modules...)
				}
			}
		}
	}
	return func(name string) bool { return want[kmod.Normalize(name)] }
}

// satisfiedBuiltin reports whether some alternative of nd is built in.
func (n needs) builtin(nd need) (string, bool) {
	for _, m := range nd.alts {
		if mod, ok := n.ix.Module(m); ok && mod.Builtin {
			return mod.Name, true
		}
	}
	return "", false
}

// noInitrd applies the rules for a kernel with no initrd at all: it boots
// only if every requirement is built in, no stack layer needs userspace, and
// the root= the boot loader passes is one the kernel resolves itself.
func (c *checker) noInitrd(n needs) {
	shown := "/boot/initrd.img-" + c.req.Version
	var why []string
	if !n.known {
		why = append(why, "the modules root needs could not all be established")
	}
	for _, nd := range n.list {
		if m, ok := n.builtin(nd); ok {
			c.rep.Requirements = append(c.rep.Requirements, Requirement{Module: m, Status: StatusBuiltin, Reason: nd.reason})
			continue
		}
		c.rep.Requirements = append(c.rep.Requirements, Requirement{Module: nd.alts[0], Status: StatusMissing, Reason: nd.reason})
		why = append(why, fmt.Sprintf("%s is a module, not built in (%s)", nd.alts[0], nd.reason))
	}
	for _, u := range n.userspace {
		why = append(why, fmt.Sprintf("%s needs %s in an initramfs", u.Detail, u.Program))
	}
	cmdline, source := c.cmdline()
	root, hasRoot := cmdlineValue(cmdline, "root")
	switch {
	case source == "":
		why = append(why, "the kernel command line it will get is unknown (no boot entry for it, no /etc/kernel/cmdline)")
	case !hasRoot:
		why = append(why, "the command line from "+source+" has no root=")
	case !kernelResolvesRoot(root):
		why = append(why, fmt.Sprintf("root=%s (from %s) needs an initramfs to find the device: the kernel itself resolves only /dev/NAME, PARTUUID=, PARTLABEL= and MAJ:MIN", root, source))
	}
	if len(why) > 0 {
		d := c.diagnosis()
		c.rep.Add(Problem{Code: CodeInitrdMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: %s, and the kernel cannot mount root without one: %s", c.req.Version, c.noInitrdWhat(shown), strings.Join(why, "; ")),
			Hint:    c.fixHint(),
			Causes:  d.ImageCauses()})
		return
	}
	c.rep.Add(Problem{Code: "no-initrd", Verdict: Bootable,
		Message: fmt.Sprintf("kernel %s has no initrd, and needs none: every driver root needs is built in and root=%s (from %s) is resolved by the kernel itself", c.req.Version, root, source)})
}

// cmdlineValue returns the last key= of a kernel command line, up to "--".
func cmdlineValue(cmdline, key string) (string, bool) {
	return bootentry.CmdlineValue(cmdline, key)
}

// kernelResolvesRoot reports whether the kernel's own name_to_dev_t (no
// initramfs) understands root=v.
func kernelResolvesRoot(v string) bool {
	switch {
	case strings.HasPrefix(v, "/dev/") && !strings.HasPrefix(v, "/dev/disk/") && !strings.HasPrefix(v, "/dev/mapper/"):
		return true
	case strings.HasPrefix(v, "PARTUUID="), strings.HasPrefix(v, "PARTLABEL="):
		return true
	}
	if maj, min, ok := strings.Cut(v, ":"); ok {
		return isDigits(maj) && isDigits(min)
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// cmdline returns the command line the boot loader will pass to this kernel
// and where it came from: its grub.cfg or BLS entry, /etc/kernel/cmdline,
// else (on the running machine) /proc/cmdline.
func (c *checker) cmdline() (cmdline, source string) {
	if c.req.CmdlineSource != "" {
		return c.req.Cmdline, c.req.CmdlineSource
	}
	if m, err := bootentry.Scan(bootentry.Options{Root: c.root}); err == nil {
		for _, e := range m.Entries {
			if e.Version == c.req.Version && e.Kind != bootentry.KindOther {
				return e.Cmdline, e.Source
			}
		}
	}
	if b, err := os.ReadFile(c.hostPath("/etc/kernel/cmdline")); err == nil {
		return strings.TrimSpace(string(b)), "/etc/kernel/cmdline"
	}
	if c.req.Proc != nil {
		if b, err := fs.ReadFile(c.req.Proc, "cmdline"); err == nil {
			return strings.TrimSpace(string(b)), "/proc/cmdline"
		}
	}
	return "", ""
}

// Paths in the image whose contents the check reads.
var crypttabPaths = []string{
	"cryptroot/crypttab",    // initramfs-tools (cryptsetup-initramfs)
	"conf/conf.d/cryptroot", // initramfs-tools, older cryptsetup
	"etc/crypttab",          // dracut
}

// readImages reads the initrd images together; nil when they could not be
// read at all. Integrity problems become problems of the report. Only the
// .modinfo of the modules inImage looks up is read (n.modinfo).
func (c *checker) readImages(n needs) *initrd.Image {
	depFile := "lib/modules/" + c.req.Version + "/modules.dep"
	keep := func(p string) bool {
		if p == depFile {
			return true
		}
		for _, k := range crypttabPaths {
			if p == k {
				return true
			}
		}
		return false
	}
	var img *initrd.Image
	var err error
	if s := c.req.InitrdSection; s != nil {
		// A UKI's .initrd section (the audit's UKI path) is read whole.
		img, err = readSection(c.ctx, s, initrd.Options{Keep: keep})
	} else {
		img, err = initrd.ReadFiles(c.ctx, c.initrds, initrd.Options{Keep: keep, Modinfo: n.modinfo()})
	}
	if err != nil {
		c.rep.Add(Problem{Code: CodeInitrdUnreadable, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read initrd %s: %v", c.req.Version, strings.Join(c.rep.Initrds, " + "), err),
			Hint:    "run boot-guard as root"})
		return nil
	}
	for _, p := range img.Problems {
		code, v := CodeInitrdCorrupt, Unbootable
		switch p.Kind {
		case initrd.Truncated:
			code = CodeInitrdTruncated
		case initrd.Unsupported:
			code, v = CodeInitrdUnsupported, CannotTell
		case initrd.TooLarge:
			code = CodeInitrdTooLarge
		}
		pr := Problem{Code: code, Verdict: v,
			Message: fmt.Sprintf("kernel %s: initrd %s is not whole: %s", c.req.Version, strings.Join(c.rep.Initrds, " + "), p.Message)}
		if v == Unbootable {
			pr.Hint = c.fixHint()
			pr.Causes = c.diagnosis().ImageCauses()
		} else {
			pr.Hint = "boot-guard cannot decode this compression; check the image by booting it, or rebuild it with COMPRESS=zstd (initramfs-tools) or --compress=zstd (dracut)"
		}
		c.rep.Add(pr)
	}
	return img
}

// inImage checks the image's /init, each requirement with its dependency
// closure, and the stack layers' userspace.
func (c *checker) inImage(img *initrd.Image, n needs) {
	whole := img.Whole()
	c.checkInit(img)
	if n.ix == nil {
		return
	}
	v := c.req.Version
	shown := strings.Join(c.rep.Initrds, " + ")
	// Modules in the image, by name: for this kernel, and for any other.
	mine := map[string]initrd.Module{}
	other := map[string]string{}
	for _, m := range img.Modules {
		if m.KernelVersion == v {
			mine[m.Name] = m
		} else if _, ok := other[m.Name]; !ok {
			other[m.Name] = m.KernelVersion
		}
	}
	depFile := "lib/modules/" + v + "/modules.dep"
	listed, haveDep := parseDepNames(img, depFile)

	seen := map[string]bool{}
	reported := map[string]bool{}
	noted := map[string]bool{} // softdeps already reported, "MODULE NAME"
	for _, nd := range n.list {
		if m, ok := n.builtin(nd); ok {
			c.require(seen, Requirement{Module: m, Status: StatusBuiltin, Reason: nd.reason})
			continue
		}
		// Any one alternative with its whole closure in the image will do.
		chosen := nd.alts[0]
		for _, alt := range nd.alts {
			if c.closureStatus(n.ix, alt, mine, other, listed, haveDep) == StatusInInitrd {
				chosen = alt
				break
			}
		}
		closure, err := n.ix.Deps(chosen)
		if err != nil {
			c.rep.Add(Problem{Code: CodeModuleIndex, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: the dependencies of %s are unknown: %v", v, chosen, err)})
			continue
		}
		// One problem per need: the module and what of its closure is
		// wrong, so a person reads one error per device, not one per
		// dependency.
		var bad []badModule
		for _, name := range closure {
			reason := nd.reason
			if name != chosen {
				reason = "needed by " + chosen + " (" + nd.reason + ")"
			}
			mod, _ := n.ix.Module(name)
			if mod.Builtin {
				c.require(seen, Requirement{Module: name, Status: StatusBuiltin, Reason: reason})
				continue
			}
			st, msg := moduleStatus(name, mod.Path, v, mine, other, listed, haveDep)
			if !whole && st != StatusInInitrd {
				// The image is already reported broken or unreadable;
				// a module after the break is not known to be missing.
				continue
			}
			c.require(seen, Requirement{Module: name, Status: st, Reason: reason})
			if st == StatusInInitrd || reported[name] {
				continue
			}
			reported[name] = true
			bad = append(bad, badModule{name: name, status: st, msg: msg})
		}
		bad = append(bad, c.softdeps(n.ix, chosen, nd.reason, whole, seen, noted, mine, other, listed, haveDep)...)
		if len(bad) > 0 {
			c.moduleProblem(chosen, bad, nd.reason, shown)
		}
	}
	c.checkUserspace(img, n.userspace, shown)
}

// softdeps checks the softdeps of chosen and its dependencies: any one
// module of each in the image (or built in) satisfies it. An essential one
// (EssentialSoftdep) with none is returned as bad, and required as
// `requirements` lists it; any other with none is a note, as modprobe goes
// on without it.
func (c *checker) softdeps(ix *kmod.Index, chosen, reason string, whole bool, seen, noted map[string]bool, mine map[string]initrd.Module, other map[string]string, listed map[string]bool, haveDep bool) []badModule {
	var bad []badModule
	var missing []missingSoft
	for _, sd := range ix.Softdeps(chosen) {
		essential := EssentialSoftdep(sd.Of, sd.Name)
		if len(sd.Modules) == 0 {
			continue // nothing to look for: ResolveNeeds reports an essential one
		}
		why := fmt.Sprintf("softdep %s of %s, any one of %s (%s)", sd.Name, sd.Of, strings.Join(sd.Modules, ", "), reason)
		if first, _ := ix.Module(sd.Modules[0]); first.Builtin {
			if essential != "" {
				c.require(seen, Requirement{Module: first.Name, Status: StatusBuiltin, Reason: why})
			}
			continue
		}
		found := ""
		for _, m := range sd.Modules {
			if c.closureStatus(ix, m, mine, other, listed, haveDep) == StatusInInitrd {
				found = m
				break
			}
		}
		if found != "" {
			if essential == "" {
				continue
			}
			deps, _ := ix.Deps(found)
			for _, d := range deps {
				st := StatusInInitrd
				if dm, _ := ix.Module(d); dm.Builtin {
					st = StatusBuiltin
				}
				c.require(seen, Requirement{Module: d, Status: st, Reason: why})
			}
			continue
		}
		if !whole {
			continue // the image is reported broken; the module may lie after the break
		}
		key := sd.Of + " " + kmod.Normalize(sd.Name)
		if essential == "" {
			if !noted[key] {
				noted[key] = true
				c.rep.Add(Problem{Code: CodeSoftdepMissing, Verdict: Bootable,
					Message: fmt.Sprintf("kernel %s: initrd %s has none of %s (softdep %s of %s); modprobe loads %s without it (%s)", c.req.Version, strings.Join(c.rep.Initrds, " + "), strings.Join(sd.Modules, ", "), sd.Name, sd.Of, sd.Of, reason)})
			}
			continue
		}
		first, _ := ix.Module(sd.Modules[0])
		st, _ := moduleStatus(first.Name, first.Path, c.req.Version, mine, other, listed, haveDep)
		c.require(seen, Requirement{Module: first.Name, Status: st, Reason: why})
		// One sentence per set of modules: jbd2 and ext4 both ask for
		// crc32c, and the last asked (the need's own module, Softdeps
		// lists dependencies first) says best why.
		set := "modules " + strings.Join(sd.Modules, " ")
		if noted[key] || (noted[set] && !slices.ContainsFunc(missing, func(m missingSoft) bool { return m.set == set })) {
			continue
		}
		noted[key], noted[set] = true, true
		i := slices.IndexFunc(missing, func(m missingSoft) bool { return m.set == set })
		if i < 0 {
			missing = append(missing, missingSoft{set: set, name: sd.Name, modules: sd.Modules, first: first.Name, status: st})
			i = len(missing) - 1
		}
		missing[i].of = append(missing[i].of, sd.Of)
		missing[i].why = essential
	}
	for _, m := range missing {
		bad = append(bad, badModule{name: m.first, status: m.status, soft: true,
			short: strings.Join(m.modules, " or "),
			msg:   fmt.Sprintf("has no module for %s (any one of %s), a softdep of %s: %s", m.name, strings.Join(m.modules, ", "), strings.Join(m.of, " and "), m.why)})
	}
	return bad
}

// missingSoft is an essential softdep none of whose modules is in the image.
type missingSoft struct {
	set, name, first, why string
	modules, of           []string
	status                Status
}

// require adds r to the report's requirements once per module.
func (c *checker) require(seen map[string]bool, r Requirement) {
	if seen[r.Module] {
		return
	}
	seen[r.Module] = true
	c.rep.Requirements = append(c.rep.Requirements, r)
}

// closureStatus is the worst status over module and its modules.dep
// dependencies (softdeps are judged apart: softdepStatus).
func (c *checker) closureStatus(ix *kmod.Index, module string, mine map[string]initrd.Module, other map[string]string, listed map[string]bool, haveDep bool) Status {
	closure, err := ix.Deps(module)
	if err != nil {
		return StatusMissing
	}
	for _, name := range closure {
		mod, _ := ix.Module(name)
		if mod.Builtin {
			continue
		}
		if st, _ := moduleStatus(name, mod.Path, c.req.Version, mine, other, listed, haveDep); st != StatusInInitrd {
			return st
		}
	}
	return StatusInInitrd
}

// moduleStatus says whether loadable module name is in the image for kernel
// v: present under lib/modules/v, its vermagic's first word v, listed in the
// image's own modules.dep. msg says what is wrong.
func moduleStatus(name, kpath, v string, mine map[string]initrd.Module, other map[string]string, listed map[string]bool, haveDep bool) (Status, string) {
	m, ok := mine[name]
	if !ok {
		if ov, ok := other[name]; ok {
			return StatusWrongVersion, fmt.Sprintf("carries %s only for kernel %s (under lib/modules/%s), not for %s", name, ov, ov, v)
		}
		return StatusMissing, fmt.Sprintf("lacks module %s (lib/modules/%s/%s)", name, v, kpath)
	}
	if m.Err != nil {
		return StatusMissing, fmt.Sprintf("carries %s, but it cannot be read: %v", m.Path, m.Err)
	}
	if m.ModinfoSkipped {
		// needs.modinfo chooses every module looked up here; reaching this
		// is a boot-guard bug, and it must not pass as whole or read as
		// another kernel's module.
		return StatusMissing, fmt.Sprintf("carries %s, but boot-guard did not read its .modinfo (a boot-guard bug: please report it)", m.Path)
	}
	if word, _, _ := strings.Cut(strings.TrimSpace(m.Vermagic), " "); word != v {
		return StatusWrongVersion, fmt.Sprintf("carries %s built for kernel %q (its vermagic is %q), not for %s", m.Path, word, m.Vermagic, v)
	}
	if !haveDep {
		return StatusMissing, fmt.Sprintf("carries %s but no lib/modules/%s/modules.dep, so modprobe in the initrd cannot load it", m.Path, v)
	}
	if !listed[name] {
		return StatusMissing, fmt.Sprintf("carries %s but its lib/modules/%s/modules.dep does not list it, so modprobe in the initrd cannot load it", m.Path, v)
	}
	return StatusInInitrd, ""
}

// badModule is a module of a need's closure the image does not carry right.
type badModule struct {
	name   string
	status Status
	msg    string
	soft   bool // an essential softdep none of whose modules is there
	// short names a soft one among the module's other missing
	// dependencies: "crc32c_generic or crc32c_intel".
	short string
}

// moduleProblem records what the image lacks (or carries for another
// kernel) of the closure of module, needed for reason: one sentence per need,
// "lacks module ext4 and 2 modules it needs (jbd2, mbcache)".
func (c *checker) moduleProblem(module string, bad []badModule, reason, shown string) {
	d := c.diagnosis()
	code := CodeModuleMissing
	var self bool
	var deps, other, soft []string
	var softShort []string
	for _, b := range bad {
		switch {
		case b.soft:
			soft = append(soft, b.msg)
			softShort = append(softShort, b.short)
		case b.status == StatusMissing && strings.HasPrefix(b.msg, "lacks module "):
			if b.name == module {
				self = true
			} else {
				deps = append(deps, b.name)
			}
		case b.status == StatusWrongVersion:
			code = CodeModuleWrong
			other = append(other, b.msg)
		default:
			if code == CodeModuleMissing && !self && len(deps) == 0 {
				code = CodeModuleNotInDep
			}
			other = append(other, b.msg)
		}
	}
	if self {
		// ext4 itself is missing: its crc32c is one more thing it needs,
		// not a sentence of its own.
		deps = append(deps, softShort...)
		soft = nil
	}
	var what []string
	switch {
	case self && len(deps) > 0:
		what = append(what, fmt.Sprintf("lacks module %s and %d it needs (%s)", module, len(deps), strings.Join(deps, ", ")))
	case self:
		what = append(what, "lacks module "+module)
	case len(deps) > 0:
		what = append(what, fmt.Sprintf("cannot load %s: it lacks %s, which %s needs", module, strings.Join(deps, ", "), module))
	}
	what = append(what, other...)
	if code == CodeModuleNotInDep && len(soft) > 0 {
		code = CodeModuleMissing
	}
	what = append(what, soft...)
	add := module
	if len(what) == len(soft) {
		// Only a softdep is missing: name its module, not the one that
		// loads fine without it.
		for _, b := range bad {
			if b.soft {
				add = b.name
				break
			}
		}
	}
	c.rep.Add(Problem{Code: code, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: initrd %s %s; %s", c.req.Version, shown, strings.Join(what, "; it "), neededFor(reason)),
		Hint:    c.fixHint() + "; if " + add + " is still missing: " + d.AddModuleHint(add) + " and rebuild",
		Causes:  d.ModuleCauses(add)})
}

// neededFor says why a module is required, after what is wrong with it:
// "needed for filesystem ext4, mounted at /", "needed as the driver for PCI
// 0000:02:00.0, ...". A reason that already says who needs it ("needed by
// LUKS dm-0 ...", "named with --module ...") stands as it is.
func neededFor(reason string) string {
	switch {
	case strings.HasPrefix(reason, "needed by "):
		return reason
	case strings.HasPrefix(reason, "named with "):
		return "required because it is " + reason
	case strings.HasPrefix(reason, "driver for "):
		return "needed as the " + reason
	}
	return "needed for " + reason
}

// parseDepNames returns the module names the image's modules.dep lists.
func parseDepNames(img *initrd.Image, depFile string) (map[string]bool, bool) {
	b, ok := img.File(depFile)
	if !ok {
		return nil, false
	}
	names := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		mod, _, found := strings.Cut(line, ":")
		if found && strings.TrimSpace(mod) != "" {
			names[kmod.Normalize(strings.TrimSpace(mod))] = true
		}
	}
	return names, true
}

// checkInit checks that the image has an executable /init, the program the
// kernel runs (rdinit= defaults to /init); without it the kernel falls back
// to mounting root itself, which an initramfs-built system never expects.
func (c *checker) checkInit(img *initrd.Image) {
	e, ok := img.Has("init")
	for hops := 0; ok && e.IsSymlink() && hops < 40; hops++ {
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(e.Path), target)
		}
		e, ok = img.Has(target)
	}
	shown := strings.Join(c.rep.Initrds, " + ")
	switch {
	case !ok:
		if !img.Whole() {
			return // already reported broken; /init may lie after the break
		}
		c.rep.Add(Problem{Code: CodeInitMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has no /init: the kernel would not run the initramfs", c.req.Version, shown),
			Hint:    c.fixHint(),
			Causes:  c.diagnosis().ImageCauses()})
	case !e.IsRegular() || e.Mode&0o111 == 0:
		c.rep.Add(Problem{Code: CodeInitMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has /init (%s, mode %o) but it is not an executable file", c.req.Version, shown, e.Path, e.Mode),
			Hint:    c.fixHint()})
	}
}

// userspacePaths are where initramfs-tools and dracut put the programs.
var userspaceDirs = []string{"sbin", "usr/sbin", "bin", "usr/bin"}

// checkUserspace checks the stack layers' programs and, for LUKS, the
// crypttab entry the initramfs unlocks root from.
func (c *checker) checkUserspace(img *initrd.Image, us []rootdev.Userspace, shown string) {
	for _, u := range us {
		found := false
		for _, d := range userspaceDirs {
			if e, ok := img.Has(d + "/" + u.Program); ok && !e.IsDir() {
				found = true
				break
			}
		}
		if !found {
			pkg := initramfsPackage(u.Program, c.diagnosis().Generator)
			c.rep.Add(Problem{Code: CodeUserspaceMissing, Verdict: Unbootable,
				Message: fmt.Sprintf("kernel %s: initrd %s has no %s, needed for %s", c.req.Version, shown, u.Program, u.Detail),
				Hint:    fmt.Sprintf("install its initramfs integration (apt-get install %s), then %s", pkg, c.fixHint()),
				Causes: append([]string{fmt.Sprintf("no initramfs hook put %s in the image: package %s is not installed, or the image was built before it was", u.Program, pkg)},
					c.diagnosis().ImageCauses()...)})
			continue
		}
		if u.Program != "cryptsetup" || u.CryptName == "" {
			continue
		}
		if !crypttabHas(img, u.CryptName) {
			c.rep.Add(Problem{Code: CodeCrypttabMissing, Verdict: Unbootable,
				Message: fmt.Sprintf("kernel %s: initrd %s carries no crypttab entry for %s (looked in %s), needed for %s", c.req.Version, shown, u.CryptName, strings.Join(crypttabPaths, ", "), u.Detail),
				Hint:    fmt.Sprintf("add %s to /etc/crypttab, then %s", u.CryptName, c.fixHint()),
				Causes:  []string{fmt.Sprintf("/etc/crypttab has no line for %s, or the image was built before it had one: the initramfs cannot unlock root without it", u.CryptName)}})
		}
	}
}

// initramfsPackage names the Debian package that puts program in the initrd.
func initramfsPackage(program string, g diagnose.Generator) string {
	if g == diagnose.GeneratorDracut {
		return map[string]string{"cryptsetup": "cryptsetup", "lvm": "lvm2", "mdadm": "mdadm"}[program]
	}
	return map[string]string{"cryptsetup": "cryptsetup-initramfs", "lvm": "lvm2", "mdadm": "mdadm"}[program]
}

// crypttabHas reports whether a crypttab in the image names mapping name.
func crypttabHas(img *initrd.Image, name string) bool {
	for _, p := range crypttabPaths {
		b, ok := img.File(p)
		if !ok {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && !strings.HasPrefix(f[0], "#") && (f[0] == name || strings.TrimPrefix(f[0], "target=") == name) {
				return true
			}
		}
	}
	return false
}
