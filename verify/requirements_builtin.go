package verify

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Issue 12 item 2: a device driven now by a driver built into the RUNNING
// kernel is satisfied for the target kernel only if the target has that
// driver too: built in (its modules.builtin, or a modules.builtin.modinfo
// alias that claims the device, which Alias already answers), or a module
// that claims it or is called so. The running kernel's own modules.builtin
// says whether the driver is a tristate one (a module name that a kernel
// can build in or leave out); a bool-only driver (pcieportdrv) is in no
// modules.builtin and is taken as built into the target too, as before.

// runningKernel is the running kernel's module index, loaded at most once
// and only when a built-in driver needs it.
type runningKernel struct {
	version string
	load    func() (*kmod.Index, error)
	ix      *kmod.Index
	err     error
	done    bool
}

// newRunningKernel reads the running release from proc (sys/kernel/osrelease)
// and loads its index from root when asked; nil without proc.
func newRunningKernel(root fs.FS, proc fs.FS) *runningKernel {
	if proc == nil {
		return nil
	}
	b, err := fs.ReadFile(proc, "sys/kernel/osrelease")
	if err != nil {
		return nil
	}
	v := strings.TrimSpace(string(b))
	return &runningKernel{version: v, load: func() (*kmod.Index, error) { return kmod.Load(root, v) }}
}

// index returns the running kernel's index, or why it cannot be read.
func (rk *runningKernel) index() (*kmod.Index, error) {
	if !rk.done {
		rk.ix, rk.err = rk.load()
		rk.done = true
	}
	return rk.ix, rk.err
}

// builtinDriver resolves a device no module of the target claims, which
// the running kernel drives with its built-in driver d.BuiltinDriver.
func (r *resolver) builtinDriver(d rootdev.Need, nearest bool) {
	v := r.ix.Version()
	name := kmod.Normalize(d.BuiltinDriver)
	if m, ok := r.ix.Module(name); ok {
		if !m.Builtin {
			d.Reason += fmt.Sprintf(" (driven now by the running kernel's built-in %s; a module of %s)", name, v)
		}
		r.add(d, []string{name}, name)
		return
	}
	running := "" // the running kernel whose module list was read
	if r.running != nil {
		if rix, err := r.running.index(); err == nil {
			running = r.running.version
			if m, ok := rix.Module(name); ok && m.Builtin {
				r.builtinMissing(d, name, running)
				return
			}
		}
	}
	if nearest {
		// A bool-only driver, or a running kernel whose module list
		// cannot be read: taken as built into the target too.
		r.problem(Problem{Code: CodeDeviceUnclaimed, Verdict: Bootable,
			Message: fmt.Sprintf("kernel %s: no module claims %s; the running kernel drives it with its built-in driver %s, %s, taken as built into %s too (%s)", v, d.Value, d.BuiltinDriver, notTristate(running), v, d.Reason)})
	}
}

// notTristate says why a built-in driver is taken as in every kernel.
func notTristate(running string) string {
	if running == "" {
		return "and the running kernel's modules.builtin was not read"
	}
	return "which the running kernel's (" + running + ") modules.builtin does not list (a driver no kernel builds as a module)"
}

// builtinMissing reports that the target lacks the running kernel's
// built-in driver name for device d: unbootable, or cannot-tell when the
// target's built-in aliases are unknown.
func (r *resolver) builtinMissing(d rootdev.Need, name, running string) {
	v := r.ix.Version()
	p := Problem{Code: CodeBuiltinDriverMissing, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s has no driver for %s: the running kernel (%s) drives it with %s, built in (its modules.builtin lists it), and %s neither builds %s in nor has a module that claims the device (%s)", v, d.Value, running, name, v, name, d.Reason),
		Hint:    fmt.Sprintf("build %s with the driver %s (=y, or =m with the module in the initrd), or keep booting %s; its configuration: grep -i %s /boot/config-%s", v, name, running, name, v)}
	if r.missingModinfo() {
		p.Verdict = CannotTell
		p.Message += "; " + r.ix.Dir() + "/modules.builtin.modinfo is missing, so its built-in drivers' aliases are unknown"
	}
	r.problem(p)
}
