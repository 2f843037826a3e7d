package verify

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/kconfig"
	"github.com/boot-guard/boot-guard/verify/secureboot"
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
	// Dev is the host's /dev, where a root= from a boot entry or
	// /etc/kernel/cmdline is looked up to compare it with the running root;
	// "" compares it with ROOT/etc/fstab's / line instead.
	Dev string
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

	// issue 14 item 1: UKI is a unified kernel image to check as the boot
	// loader will start it, in place of Kernel, Initrds and Cmdline: its
	// .linux section is the kernel, its .initrd section the initrd, its
	// .cmdline the command line (verify/uki.go).
	UKI string
	// KernelSection is the byte range of Kernel holding the kernel (a
	// UKI's .linux section); nil: the whole file.
	KernelSection *bootentry.Section
}

// checker carries one Check.
type checker struct {
	ctx     context.Context
	req     Request
	root    string
	rep     KernelReport
	diag    *diagnose.Findings
	initrds []string // resolved image paths that exist
	// imageGen made the image read (diagnose.ImageGenerator); diagGen is
	// the one diag was gathered with.
	imageGen, diagGen diagnose.Generator
	// issue 11 item 3: the kernel's config (nil: kcfgErr says why), and
	// initrdOff, set when it ignores every initrd (check_kconfig.go).
	kcfg      *kconfig.Config
	kcfgErr   error
	initrdOff string
	// issue 13: the machine's Secure Boot state, read once
	// (check_secureboot.go).
	sbState *secureboot.State
	// banner is the kernel image's version string (kimage.Header.Banner):
	// whose kernel it is, for the loader rules that differ (issue 12 item 1).
	banner string
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
	if req.UKI != "" && !c.useUKI() { // issue 14 item 1
		return c.finish()
	}
	step(ctx, "reading the kernel image and config of %s under %s", req.Version, c.root)
	c.kernelConfig()
	c.secureBootReport() // issue 13
	c.kernelImage()
	step(ctx, "looking for the initrd of %s", req.Version)
	present := c.initrdFiles()
	step(ctx, "working out what the root device needs (/sys, /proc, /lib/modules/%s)", req.Version)
	need := c.requirements()
	if present && c.initrdIgnored() {
		present = false // no CONFIG_BLK_DEV_INITRD: it boots as with none
	}
	if !present {
		c.noInitrd(need)
		return c.finish()
	}
	if len(c.initrds) == 0 {
		return c.finish() // every image named is missing or empty: reported
	}
	step(ctx, "reading the initrd %s", strings.Join(c.initrds, " + "))
	if img := c.readImages(need); img != nil {
		c.inImage(img, need)
		c.moduleSignatures(img, need) // issue 13
		c.kernelConfigRules(img, need)
		c.initrdSize(img)
	}
	return c.finish()
}

// finish returns the report, cancelled checks made cannot-tell.
func (c *checker) finish() KernelReport {
	if c.ctx.Err() != nil {
		c.rep.Add(Problem{Code: CodeNotChecked, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: the check was interrupted: %v", c.req.Version, interrupted(c.ctx))})
	}
	return c.rep
}

// hostPath maps an absolute machine path to the host path under Root.
func (c *checker) hostPath(p string) string {
	return filepath.Join(c.root, filepath.FromSlash(p))
}

// diagnosis runs the diagnosis when a problem needs a cause: once, and
// again if the image read since says which generator made it, so that the
// fix names that generator.
func (c *checker) diagnosis() *diagnose.Findings {
	if c.diag == nil || c.diagGen != c.imageGen {
		f := diagnose.Inspect(diagnose.Options{Root: c.root, Proc: c.req.Proc, Space: c.req.Space, Image: c.imageGen}, c.req.Version)
		c.diag, c.diagGen = &f, c.imageGen
	}
	return c.diag
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
