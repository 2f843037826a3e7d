package verify

import (
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
	// kind is how it was asked for: modalias, module or fs (which says how
	// the initramfs loads it: by alias or by name).
	kind rootdev.NeedKind
	// guess says why the need is inferred (Need.Guess): lacking it is
	// cannot-tell (issue 12 item 4).
	guess string
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

// requirements establishes what the root filesystem needs from the kernel
// (Requirements): from /sys and /proc when given (never under --root), and
// from req.Modules. A module the kernel lacks gets the failed DKMS builds as
// causes.
func (c *checker) requirements() needs {
	r := Requirements(RequirementsRequest{Root: c.root, Sys: c.req.Sys, Proc: c.req.Proc, Version: c.req.Version, Modules: c.req.Modules})
	for _, p := range r.Problems {
		if p.Verdict == Unbootable && p.Code == CodeModuleUnknown {
			// A module the kernel lacks: most often a DKMS build that
			// failed for this kernel.
			for _, f := range c.diagnosis().DKMS {
				p.Causes = append(p.Causes, f.String(c.req.Version))
			}
		}
		c.rep.Add(p)
	}
	n := needs{known: r.Known, ix: r.Index, userspace: r.Userspace}
	for _, nd := range r.Needs {
		n.list = append(n.list, need{alts: append([]string{nd.Module}, nd.Alternatives...), reason: nd.Reason, kind: nd.Kind, guess: nd.Guess})
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
