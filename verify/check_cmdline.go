package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/boot-guard/boot-guard/verify/bootentry"
)

// noInitrd applies the rules for a kernel with no initrd at all: it boots
// only if every requirement is built in, no stack layer needs userspace, and
// the root= the boot loader passes is one the kernel resolves itself.
func (c *checker) noInitrd(n needs) {
	shown := defaultInitrd(c.req.Version)
	for _, nd := range n.list {
		if m, ok := n.builtin(nd); ok {
			c.rep.Requirements = append(c.rep.Requirements, Requirement{Module: m, Status: StatusBuiltin, Reason: nd.reason})
			continue
		}
		c.rep.Requirements = append(c.rep.Requirements, Requirement{Module: nd.alts[0], Status: StatusMissing, Reason: nd.reason})
	}
	why, root, source, cmdline := c.noInitrdWhy(n)
	c.checkKernelInit(cmdline, source)
	if _, hasRoot := cmdlineValue(cmdline, "root"); hasRoot {
		// After the verdict's own problem: the one a person reads first.
		defer c.checkRootArg(bootLine{line: cmdline, source: source})
	}
	if len(why) > 0 {
		d := c.diagnosis()
		p := Problem{Code: CodeInitrdMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: %s, and the kernel cannot mount root without one: %s", c.req.Version, c.noInitrdWhat(shown), strings.Join(why, "; ")),
			Hint:    c.fixHint(), Fix: c.fixHint(),
			Causes: d.ImageCauses()}
		if c.initrdOff != "" { // issue 11 item 3: a kernel built without initrd support
			p.Code, p.Hint, p.Fix, p.Causes = CodeKernelInitrdDisabled, "build the kernel with CONFIG_BLK_DEV_INITRD=y (every distribution kernel has it)", "", nil
		}
		c.rep.Add(p)
		return
	}
	c.rep.Add(Problem{Code: CodeNoInitrd, Verdict: Bootable,
		Message: fmt.Sprintf("kernel %s has no initrd, and needs none: every driver root needs is built in and root=%s (from %s) is resolved by the kernel itself", c.req.Version, root, source)})
}

// noInitrdWhy says why root cannot be mounted without an initrd (nothing:
// it can), with the root=, the command line and where it came from. It adds
// no problem: the codec rule (check_kconfig.go) asks it too.
func (c *checker) noInitrdWhy(n needs) (why []string, root, source, cmdline string) {
	if !n.known {
		why = append(why, "the modules root needs could not all be established")
	}
	for _, nd := range n.list {
		if _, ok := n.builtin(nd); !ok {
			why = append(why, fmt.Sprintf("%s is a module, not built in (%s)", nd.alts[0], nd.reason))
		}
	}
	for _, u := range n.userspace {
		why = append(why, fmt.Sprintf("%s needs %s in an initramfs", u.Detail, u.Program))
	}
	cmdline, source = c.cmdline()
	root, hasRoot := cmdlineValue(cmdline, "root")
	switch {
	case source == "":
		why = append(why, "the kernel command line it will get is unknown (no boot entry for it; /etc/kernel/cmdline missing or unreadable)")
	case !hasRoot:
		why = append(why, "the command line from "+source+" has no root=")
	case !kernelResolvesRoot(root):
		why = append(why, fmt.Sprintf("root=%s (from %s) needs an initramfs to find the device: the kernel itself resolves only /dev/NAME, PARTUUID=, PARTLABEL= and MAJ:MIN", root, source))
	}
	return why, root, source, cmdline
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
	line, err := c.kernelCmdline()
	if err == nil {
		return line, kernelCmdlineFile
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", "" // unknown, not /proc/cmdline's: bootLine says why
	}
	if c.req.Proc != nil {
		if b, err := fs.ReadFile(c.req.Proc, "cmdline"); err == nil {
			return strings.TrimSpace(string(b)), "/proc/cmdline"
		}
	}
	return "", ""
}

// kernelCmdline reads /etc/kernel/cmdline (kernel-install's command line).
// An error other than fs.ErrNotExist (a disk's EIO, a directory there)
// leaves the line unknown: falling back to /proc/cmdline would check a line
// the next boot may not have.
func (c *checker) kernelCmdline() (string, error) {
	b, err := os.ReadFile(c.hostPath(kernelCmdlineFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
