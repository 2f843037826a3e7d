package verify

import (
	"errors"
	"fmt"
	"os"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

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
// their softdeps with theirs (moduleCheck.softdep checks those of the
// alternative imageModules.choose picks, and imageModules.closureStatus
// their closures). Reading only these .modinfo
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

// builtin names the first alternative of nd that is built in, if any.
func (n needs) builtin(nd need) (string, bool) {
	for _, m := range nd.alts {
		if mod, ok := n.ix.Module(m); ok && mod.Builtin {
			return mod.Name, true
		}
	}
	return "", false
}
