package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
)

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
