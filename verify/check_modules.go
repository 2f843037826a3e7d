package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
)

// inImage checks the image's /init, each requirement with its dependency
// closure and softdeps, and the stack layers' userspace.
func (c *checker) inImage(img *initrd.Image, n needs) {
	whole := img.Whole()
	bl := c.bootLine() // issue 11 item 5: the command line
	if !c.checkRdinit(img, bl, n) {
		c.checkInit(img)
	}
	c.checkInitArg(bl)
	c.checkRootArg(bl)
	if n.ix == nil {
		c.checkPrograms(img, nil)
		return
	}
	shown := strings.Join(c.rep.Initrds, " + ")
	mc := &moduleCheck{c: c, n: n, mods: newImageModules(img, n.ix, c.req.Version, c.loadRule(n.ix)), whole: whole,
		seen: map[string]bool{}, reported: map[string]bool{}, noted: map[string]bool{}}
	for _, nd := range n.list {
		mc.need(nd, shown)
	}
	mc.loadBlocks(img, bl)
	c.checkUserspace(img, n.userspace, bl, shown)
	c.checkPrograms(img, mc.mods)
}

// moduleCheck is inImage's pass over the needs: the image's modules, and
// what was required and reported so far, so that each module is required
// once and each problem said once.
type moduleCheck struct {
	c    *checker
	n    needs
	mods *imageModules
	// whole: the image read whole. When not, it is reported broken, and a
	// module not found may lie after the break: not reported missing.
	whole bool
	// seen are the modules required (c.rep.Requirements), reported those
	// a problem names, noted the softdeps reported: "MODULE NAME", and
	// "modules A B" for a set of essential softdep modules.
	seen, reported, noted map[string]bool
}

// need checks one need: any one alternative with its whole closure in the
// image will do; else the preferred one's closure and softdeps are
// reported, in one problem.
func (mc *moduleCheck) need(nd need, shown string) {
	c, ix := mc.c, mc.n.ix
	if m, ok := mc.n.builtin(nd); ok {
		mc.require(Requirement{Module: m, Status: StatusBuiltin, Reason: nd.reason})
		return
	}
	chosen := mc.mods.choose(nd.alts)
	closure, err := ix.Deps(chosen)
	if err != nil {
		c.rep.Add(Problem{Code: CodeModuleIndex, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: the dependencies of %s are unknown: %v", c.req.Version, chosen, err)})
		return
	}
	bad := mc.closure(chosen, closure, nd.reason)
	bad = append(bad, mc.softdeps(chosen, nd.reason)...)
	if len(bad) > 0 {
		c.moduleProblem(chosen, bad, nd.reason, shown, nd.guess)
	}
}

// closure requires each module of chosen's closure and returns those the
// image does not carry right. One problem per need says what of it is
// wrong, so a person reads one error per device, not one per dependency.
func (mc *moduleCheck) closure(chosen string, closure []string, reason string) []badModule {
	var bad []badModule
	for _, name := range closure {
		why := reason
		if name != chosen {
			why = "needed by " + chosen + " (" + reason + ")"
		}
		mod, _ := mc.n.ix.Module(name)
		if mod.Builtin {
			mc.require(Requirement{Module: name, Status: StatusBuiltin, Reason: why})
			continue
		}
		st := mc.mods.status(name, mod.Path)
		if !mc.whole && st.status != StatusInInitrd {
			// The image is already reported broken or unreadable;
			// a module after the break is not known to be missing.
			continue
		}
		mc.require(Requirement{Module: name, Status: st.status, Reason: why})
		if mc.reported[name] {
			continue
		}
		if st.status == StatusInInitrd {
			if len(st.unverified) > 0 || st.unversioned != "" {
				mc.reported[name] = true
				mc.c.unverifiedProblem(name, st, why)
			}
			continue
		}
		mc.reported[name] = true
		bad = append(bad, badModule{name: name, status: st.status, msg: st.why, absent: st.absent, note: st.note, code: st.code})
	}
	return bad
}

// softdeps checks the softdeps of chosen and its dependencies: any one
// module of each in the image (or built in) satisfies it. An essential one
// (EssentialSoftdep) with none is returned as bad, and required as
// `requirements` lists it; any other with none is a note, as modprobe goes
// on without it.
func (mc *moduleCheck) softdeps(chosen, reason string) []badModule {
	var missing []missingSoft
	for _, sd := range mc.n.ix.Softdeps(chosen) {
		missing = mc.softdep(sd, reason, missing)
	}
	var bad []badModule
	for _, m := range missing {
		bad = append(bad, badModule{name: m.first, status: m.status, soft: true,
			short: strings.Join(m.modules, " or "),
			msg:   fmt.Sprintf("has no module for %s (any one of %s), a softdep of %s: %s", m.name, strings.Join(m.modules, ", "), strings.Join(m.of, " and "), m.why)})
	}
	return bad
}

// softdep checks one softdep of a need (reason): requires what satisfies
// an essential one, notes a missing other one, and adds a missing
// essential one to missing.
func (mc *moduleCheck) softdep(sd kmod.Softdep, reason string, missing []missingSoft) []missingSoft {
	c, ix := mc.c, mc.n.ix
	essential := EssentialSoftdep(sd.Of, sd.Name)
	if len(sd.Modules) == 0 {
		return missing // nothing to look for: ResolveNeeds reports an essential one
	}
	why := fmt.Sprintf("softdep %s of %s, any one of %s (%s)", sd.Name, sd.Of, strings.Join(sd.Modules, ", "), reason)
	first, _ := ix.Module(sd.Modules[0])
	if first.Builtin {
		if essential != "" {
			mc.require(Requirement{Module: first.Name, Status: StatusBuiltin, Reason: why})
		}
		return missing
	}
	if found := mc.mods.firstWhole(sd.Modules); found != "" {
		if essential != "" {
			deps, _ := ix.Deps(found)
			for _, d := range deps {
				st := StatusInInitrd
				if dm, _ := ix.Module(d); dm.Builtin {
					st = StatusBuiltin
				}
				mc.require(Requirement{Module: d, Status: st, Reason: why})
			}
		}
		return missing
	}
	if !mc.whole {
		return missing // the image is reported broken; the module may lie after the break
	}
	key := sd.Of + " " + kmod.Normalize(sd.Name)
	if essential == "" {
		if !mc.noted[key] && !mc.n.satisfiedBy(sd.Modules) { // issue 12 item 5: a need says it
			mc.noted[key] = true
			c.rep.Add(Problem{Code: CodeSoftdepMissing, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: initrd %s has none of %s (softdep %s of %s); modprobe loads %s without it (%s)", c.req.Version, strings.Join(c.rep.Initrds, " + "), strings.Join(sd.Modules, ", "), sd.Name, sd.Of, sd.Of, reason)})
		}
		return missing
	}
	st := mc.mods.status(first.Name, first.Path).status
	mc.require(Requirement{Module: first.Name, Status: st, Reason: why})
	// One sentence per set of modules: jbd2 and ext4 both ask for
	// crc32c, and the last asked (the need's own module, Softdeps
	// lists dependencies first) says best why.
	set := "modules " + strings.Join(sd.Modules, " ")
	i := slices.IndexFunc(missing, func(m missingSoft) bool { return m.set == set })
	if mc.noted[key] || (mc.noted[set] && i < 0) {
		return missing
	}
	mc.noted[key], mc.noted[set] = true, true
	if i < 0 {
		missing = append(missing, missingSoft{set: set, name: sd.Name, modules: sd.Modules, first: first.Name, status: st})
		i = len(missing) - 1
	}
	missing[i].of = append(missing[i].of, sd.Of)
	missing[i].why = essential
	return missing
}

// missingSoft is an essential softdep none of whose modules is in the image.
type missingSoft struct {
	set, name, first, why string
	modules, of           []string
	status                Status
}

// require adds r to the report's requirements once per module.
func (mc *moduleCheck) require(r Requirement) {
	if mc.seen[r.Module] {
		return
	}
	mc.seen[r.Module] = true
	mc.c.rep.Requirements = append(mc.c.rep.Requirements, r)
}

// badModule is a module of a need's closure the image does not carry right.
type badModule struct {
	name   string
	status Status
	msg    string
	soft   bool // an essential softdep none of whose modules is there
	// absent: the image carries no copy of it (moduleState.absent); it is
	// named among what a need lacks, not as a sentence of its own.
	absent bool
	// short names a soft one among the module's other missing
	// dependencies: "crc32c_generic or crc32c_intel".
	short string
	note  string // moduleState.note
	code  Code   // moduleState.code
}

// moduleProblem records what the image lacks (or carries for another
// kernel) of the closure of module, needed for reason: one sentence per need,
// "lacks module ext4 and 2 modules it needs (jbd2, mbcache)".
// A guess (need.guess) makes it cannot-tell, saying why.
func (c *checker) moduleProblem(module string, bad []badModule, reason, shown, guess string) {
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
		case b.absent:
			if b.name == module {
				self = true
			} else {
				deps = append(deps, b.name)
			}
		case b.status == StatusWrongVersion:
			code = CodeModuleWrong
			if b.code != "" {
				code = b.code
			}
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
	p := Problem{Code: code, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: initrd %s %s; %s", c.req.Version, shown, strings.Join(what, "; it "), neededFor(reason)) + notes(bad),
		Fix:     c.fixHint(),
		Hint:    c.fixHint() + "; if " + add + " is still missing: " + d.AddModuleHint(add) + " and rebuild",
		Causes:  d.ModuleCauses(add)}
	if guess != "" { // issue 12 item 4
		p.Verdict = CannotTell
		p.Message += "; but that need is a guess: " + guess
	}
	c.rep.Add(p)
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

// notes are the distinct moduleState notes of bad, each told once, as
// sentences after the message (issue 11 item 1: why modules.dep is not where modprobe looks).
func notes(bad []badModule) string {
	var out []string
	for _, b := range bad {
		if b.note != "" && !slices.Contains(out, b.note) {
			out = append(out, b.note)
		}
	}
	if len(out) == 0 {
		return ""
	}
	return ". " + strings.Join(out, ". ")
}
