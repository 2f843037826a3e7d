package verify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/verify/diagnose"
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
	img := c.readImages()
	if img != nil {
		c.inImage(img, need)
	}
	return c.finish()
}

// finish makes sure a report with no problems and no verdict-bearing check is
// never bootable by accident, and returns it.
func (c *checker) finish() KernelReport {
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
// initrd at all (the no-initrd rules apply); a present but broken image is a
// problem and true.
func (c *checker) initrdFiles() bool {
	paths := c.req.Initrds
	defaulted := len(paths) == 0
	if defaulted {
		paths = []string{c.hostPath("/boot/initrd.img-" + c.req.Version)}
	}
	any := false
	for i, p := range paths {
		shown := p
		if defaulted {
			shown = "/boot/initrd.img-" + c.req.Version
		}
		c.rep.Initrds = append(c.rep.Initrds, shown)
		st, err := os.Stat(p) // follows symlinks, as boot loaders and kernel-install do
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if !defaulted {
				// An image the caller named is gone: that is a broken set, not "no initrd".
				any = true
			}
			c.initrdProblem(CodeInitrdMissing, Unbootable, shown, "does not exist", defaulted)
		case err != nil:
			any = true
			c.rep.Add(Problem{Code: CodeInitrdUnreadable, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: cannot read initrd %s: %v", c.req.Version, shown, err),
				Hint:    "run boot-guard as root"})
		case !st.Mode().IsRegular():
			any = true
			c.initrdProblem(CodeInitrdEmpty, Unbootable, shown, "is not a regular file", defaulted)
		case st.Size() == 0:
			any = true
			c.initrdProblem(CodeInitrdEmpty, Unbootable, shown, "is empty (0 bytes)", defaulted)
		default:
			any = true
			c.initrds = append(c.initrds, p)
		}
		_ = i
	}
	return any
}

// initrdProblem records a missing or empty image with its causes and fix.
func (c *checker) initrdProblem(code string, v Verdict, shown, what string, defaulted bool) {
	d := c.diagnosis()
	c.rep.Add(Problem{Code: code, Verdict: v,
		Message: fmt.Sprintf("kernel %s: initrd %s %s", c.req.Version, shown, what),
		Hint:    c.fixHint(),
		Causes:  d.ImageCauses(),
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

// needs is what the root filesystem requires of this kernel.
type needs struct {
	// known is false when the requirements could not be established: the
	// device part of the verdict is cannot-tell.
	known bool
	reqs  []Requirement
}

// requirements establishes what the root filesystem needs from the kernel.
func (c *checker) requirements() needs {
	c.rep.Add(Problem{Code: CodeNotChecked, Verdict: CannotTell,
		Message: fmt.Sprintf("kernel %s: the modules the root device needs were not checked (requirement resolution is not integrated yet)", c.req.Version)})
	return needs{}
}

// noInitrd applies the rules for a kernel with no initrd at all.
func (c *checker) noInitrd(n needs) {}

// readImages reads the initrd images; nil when they could not be read.
func (c *checker) readImages() any {
	c.rep.Add(Problem{Code: CodeNotChecked, Verdict: CannotTell,
		Message: fmt.Sprintf("kernel %s: the contents of %s were not checked (initrd reader not integrated yet)", c.req.Version, strings.Join(c.rep.Initrds, " + "))})
	return nil
}

// inImage checks the image's /init and each requirement against its contents.
func (c *checker) inImage(img any, n needs) {}

var _ = path.Join
