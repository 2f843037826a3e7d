package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// RequirementsRequest is what Requirements resolves: what the root
// filesystem of one machine needs from one kernel.
type RequirementsRequest struct {
	// Root is the filesystem root whose lib/modules/VERSION is read; ""
	// means "/".
	Root string
	// Sys and Proc are the host's /sys and /proc, nil when not read (under
	// --root, in a chroot or a container): then only Modules say what root
	// needs. A Sys that is a rootdev.TableReader (rootdev.HostSys) also
	// gives the live device-mapper tables, for dm-crypt's cipher modules.
	Sys, Proc fs.FS
	// Version is the kernel release.
	Version string
	// Modules are extra required modules (--module, MODULES=).
	Modules []string
	// Listing is set by `boot-guard requirements`, which shows the needs
	// themselves instead of checking an image against them: a kernel
	// without modules.builtin.modinfo gets a note (a device only a built-in
	// driver claims reads as claimed by nothing), and the warning that the
	// devices are unknown says why /sys and /proc were not read (Under).
	Listing bool
	// Under: Root is a --root DIR. Read only with Listing.
	Under bool
}

// RootNeeds is what the root filesystem needs from one kernel.
type RootNeeds struct {
	// Index is the kernel's module index; nil when it could not be read
	// (a module-index problem says why).
	Index *kmod.Index
	// Needs are the module requirements (ResolveNeeds).
	Needs []Need
	// Userspace are the stack layers' programs the initrd must carry
	// (from /sys and /proc).
	Userspace []rootdev.Userspace
	// Problems are what could not be established (cannot-tell), the
	// modules the kernel lacks (unbootable) and notes, in the order found.
	Problems []Problem
	// Known is false when the requirements could not all be established:
	// the device part of a verdict is cannot-tell.
	Known bool
}

// Requirements establishes what the root filesystem needs from kernel
// req.Version: the kernel's module index, the root device's needs from
// /sys and /proc when given (rootdev.Discover), and req.Modules, resolved by
// ResolveNeeds. Whatever cannot be established is a cannot-tell problem; so
// is having neither /sys and /proc nor a module named. When /sys and /proc
// show no device under the root at all (rootdev.Result.Undescribed: a
// chroot without them mounted, a container), named modules decide the
// device part, as without /sys and /proc: a note says so.
func Requirements(req RequirementsRequest) RootNeeds {
	var r RootNeeds
	root := req.Root
	if root == "" {
		root = "/"
	}
	ix, err := kmod.Load(os.DirFS(root), req.Version)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Code: CodeModuleIndex, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read its module index, so the modules root needs are unknown: %v", req.Version, err),
			Hint:    moduleIndexHint(root, req.Version, err)})
		return r
	}
	r.Index, r.Known = ix, true
	var res *rootdev.Result
	if req.Sys != nil || req.Proc != nil {
		res, err = rootdev.Discover(req.Sys, req.Proc)
		if err != nil {
			res, r.Known = nil, false
			r.Problems = append(r.Problems, Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: cannot tell what the root device needs: %v", req.Version, err)})
		} else {
			r.Userspace = res.Userspace
			for _, n := range res.Notes { // issue 12 item 4: a dm table not read
				r.Problems = append(r.Problems, Problem{Code: CodeDevicesUnknown, Verdict: Bootable,
					Message: fmt.Sprintf("kernel %s: %s", req.Version, n),
					Hint:    "run boot-guard as root: the tables are read through /dev/mapper/control"})
			}
		}
	}
	if res != nil && res.Undescribed && named(req.Modules) {
		// Nothing here shows the root's device (a chroot without /proc or
		// /sys, a container): the named modules stand for it, as when no
		// /sys and /proc were given. What little was read is dropped: a
		// chroot's mount table is the host's.
		r.Problems = append(r.Problems, Problem{Code: CodeDevicesUnknown, Verdict: Bootable,
			Message: fmt.Sprintf("kernel %s: the modules named with --module or MODULES= stand for what its root device needs, as nothing here shows that device: %s", req.Version, strings.Join(res.Unknown, "; "))})
		res, r.Userspace = nil, nil
	}
	if res != nil { // issue 12 item 3: the crypto modules of each dm-crypt cipher
		r.Problems = append(r.Problems, cipherNeeds(req.Sys, res, ix, req.Version)...)
	}
	var running *runningKernel
	if res != nil {
		running = newRunningKernel(os.DirFS(root), req.Proc)
	}
	needs, problems := resolveNeeds(res, ix, req.Modules, running)
	r.Needs = needs
	for _, p := range problems {
		if p.Verdict == CannotTell {
			r.Known = false
		}
		r.Problems = append(r.Problems, p)
	}
	if res == nil && !named(req.Modules) && r.Known {
		r.Known = false
		r.Problems = append(r.Problems, Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: the drivers its root needs are unknown: %s, and no module was named", req.Version, noDevicesWhy(req)),
			Hint:    "name them with --module NAME (repeatable) or MODULES=\"nvme ext4\" in /etc/default/boot-guard"})
	}
	if req.Listing && slices.Contains(ix.Missing(), "modules.builtin.modinfo") {
		r.Problems = append(r.Problems, Problem{Code: CodeModuleIndex, Verdict: Bootable,
			Message: fmt.Sprintf("kernel %s has no %s/modules.builtin.modinfo (kernels before 5.2): a device only a built-in driver claims reads as claimed by nothing", req.Version, ix.Dir())})
	}
	return r
}

// named reports whether modules names any module (blank names are none,
// as ResolveNeeds skips them).
func named(modules []string) bool {
	for _, m := range modules {
		if strings.TrimSpace(m) != "" {
			return true
		}
	}
	return false
}

// moduleIndexHint is the fix for a module index kmod.Load could not read
// (err): depmod for a missing or malformed index; for a kernel without
// modules at all, the package to install, naming the installed kernels
// when it is not one of them (a mistyped version); else a reinstall.
func moduleIndexHint(root, version string, err error) string {
	reinstall := "reinstall the kernel package: apt-get install --reinstall linux-image-" + version
	switch {
	case errors.Is(err, kmod.ErrNoIndex) || errors.Is(err, kmod.ErrMalformed):
		return "rebuild the module index: depmod " + version
	case errors.Is(err, kmod.ErrNoModules):
		installed, _ := InstalledKernels(root)
		if slices.Contains(installed, version) {
			return reinstall
		}
		h := "install that kernel's package, or check the version"
		if len(installed) > 0 {
			h += "; installed kernels: " + strings.Join(installed, " ")
		}
		return h
	}
	return reinstall
}

// noDevicesWhy says why no /sys and /proc were read: for Check, every
// reason it may be; for a listing, the one that holds.
func noDevicesWhy(req RequirementsRequest) string {
	switch {
	case !req.Listing:
		return "no /sys and /proc describe the machine it will boot on (boot-guard runs under --root, in a chroot or in a container)"
	case req.Under:
		return "under --root, /sys and /proc describe the machine boot-guard runs on, not the one this system boots on"
	}
	return "there is no /sys and /proc to read here (a chroot or a container)"
}

// RequirementsOf flattens needs into the modules Check looks for, each once,
// with the status `boot-guard requirements` reports (builtin, or loadable:
// to be carried by the initrd): each need's module, its modules.dep
// dependencies, and for each essential softdep its first module with what
// that needs. Softdeps that are not essential are no requirement: modprobe
// goes on without them. A need with alternatives lists the preferred one,
// the one Check looks at first.
func RequirementsOf(needs []Need) []Requirement {
	reqs := []Requirement{}
	seen := map[string]bool{}
	add := func(module string, st Status, reason string) {
		if !seen[module] {
			seen[module] = true
			reqs = append(reqs, Requirement{Module: module, Status: st, Reason: reason})
		}
	}
	for _, n := range needs {
		reason := n.Reason
		if len(n.Alternatives) > 0 {
			reason += fmt.Sprintf(" (any one of %s, %s suffices)", n.Module, strings.Join(n.Alternatives, ", "))
		}
		if n.Builtin {
			add(n.Module, StatusBuiltin, reason)
			continue
		}
		add(n.Module, StatusLoadable, reason)
		for _, m := range n.BuiltinDeps {
			add(m, StatusBuiltin, "dependency of "+n.Module+": "+n.Reason)
		}
		for _, m := range n.Closure {
			add(m, StatusLoadable, "dependency of "+n.Module+": "+n.Reason)
		}
		for _, sd := range n.Softdeps {
			if sd.Essential == "" || len(sd.Modules) == 0 {
				continue
			}
			why := fmt.Sprintf("softdep %s of %s, any one of %s: %s", sd.Name, sd.Of, strings.Join(sd.Modules, ", "), n.Reason)
			if sd.Builtin {
				add(sd.Modules[0], StatusBuiltin, why)
				continue
			}
			for _, m := range sd.Loadable {
				add(m, StatusLoadable, why)
			}
		}
	}
	return reqs
}
