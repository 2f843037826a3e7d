package verify

import (
	"fmt"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// loadBlocks checks that nothing on the command line or in the initrd's
// modprobe.d stops a needed module from loading: module_blacklist= (the
// kernel refuses the module), a blacklist (modprobe.blacklist= or a
// blacklist line) of a module loaded by alias, and an install line that
// runs instead of loading it (libkmod runs those for the module and every
// module it depends on). A need is met when any one of its alternatives is
// not stopped.
func (mc *moduleCheck) loadBlocks(img *initrd.Image, bl bootLine) {
	c := mc.c
	conf := readModprobeConf(img)
	conf.dracutArgs(img, bl)
	for _, f := range conf.unread {
		c.rep.Add(Problem{Code: CodeModuleBlacklisted, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: the initrd's %s cannot be read: whether it stops a module root needs is unknown", c.req.Version, f)})
	}
	said := map[string]bool{}
	for _, nd := range mc.n.list {
		if _, ok := mc.n.builtin(nd); ok {
			continue
		}
		chosen := mc.mods.choose(nd.alts)
		order := append([]string{chosen}, nd.alts...)
		var first []Problem
		met := false
		for i, alt := range order {
			ps := mc.blocks(alt, nd, bl, conf)
			if len(ps) == 0 {
				met = true
				break
			}
			if i == 0 {
				first = ps
			}
		}
		if met {
			continue
		}
		for _, p := range first {
			if !said[p.Message] {
				said[p.Message] = true
				c.rep.Add(p)
			}
		}
	}
}

// blocks returns what stops module (one alternative of nd) from loading.
func (mc *moduleCheck) blocks(module string, nd need, bl bootLine, conf modprobeConf) []Problem {
	c := mc.c
	deps, err := mc.n.ix.Deps(module)
	if err != nil {
		return nil // reported by the module check
	}
	var out []Problem
	what := fmt.Sprintf("kernel %s: %s (%s)", c.req.Version, module, nd.reason)
	fixLine := "remove it from the kernel command line (" + bl.source + ")"
	fixConf := "remove the line, then rebuild the initrd: " + c.diagnosis().FixCommand()
	for _, d := range deps {
		if m, _ := mc.n.ix.Module(d); m.Builtin {
			continue
		}
		if bl.moduleBlacklist[d] {
			out = append(out, Problem{Code: CodeModuleBlacklisted, Verdict: Unbootable,
				Message: fmt.Sprintf("%s will not load: module_blacklist=%s on the command line (%s) makes the kernel refuse %s", what, d, bl.source, d),
				Hint:    fixLine, Fix: fixLine})
		}
		if l, ok := conf.installFor(d); ok {
			loads, known := installLoads(l.command, d)
			switch {
			case !known:
				out = append(out, Problem{Code: CodeModuleInstallCommand, Verdict: CannotTell,
					Message: fmt.Sprintf("%s: the initrd's %s runs %q instead of loading %s; whether that loads it is unknown", what, l.where, l.command, d),
					Hint:    "check the command, or make it run modprobe --ignore-install " + d})
			case !loads:
				out = append(out, Problem{Code: CodeModuleInstallCommand, Verdict: Unbootable,
					Message: fmt.Sprintf("%s will not load: the initrd's %s runs %q instead of loading %s", what, l.where, strings.TrimSpace(l.command), d),
					Hint:    fixConf, Fix: fixConf})
			}
		}
	}
	return append(out, mc.blacklisted(module, nd, bl, conf)...)
}

// blacklisted returns what a blacklist does to module: it stops a load by
// alias (a device driver by udev, a filesystem as fs-TYPE), never
// `modprobe NAME`. A module named outright (--module, a stack layer) is
// cannot-tell unless the initrd loads it by name (initramfs-tools'
// conf/modules): udev may still be what loads it.
func (mc *moduleCheck) blacklisted(module string, nd need, bl bootLine, conf modprobeConf) []Problem {
	var where, fixes []string
	if w, ok := conf.blacklist[module]; ok && strings.Contains(w, " on the command line ") {
		where = append(where, w) // dracut's rd.driver.blacklist=
		fixes = append(fixes, "remove "+module+" from the kernel command line ("+bl.source+")")
	} else if ok {
		where = append(where, "the initrd's "+w+" blacklists it")
		fixes = append(fixes, "remove the line, then rebuild the initrd: "+mc.c.diagnosis().FixCommand())
	}
	if bl.modprobeBlacklist[module] {
		where = append(where, fmt.Sprintf("modprobe.blacklist=%s on the command line (%s)", module, bl.source))
		fixes = append(fixes, "remove "+module+" from modprobe.blacklist= on the kernel command line ("+bl.source+")")
	}
	if len(where) == 0 || conf.named[module] {
		return nil
	}
	what := fmt.Sprintf("kernel %s: %s (%s)", mc.c.req.Version, module, nd.reason)
	fix := strings.Join(fixes, "; ")
	if !loadedByAlias(nd.kind) {
		return []Problem{{Code: CodeModuleBlacklisted, Verdict: CannotTell,
			Message: fmt.Sprintf("%s: %s; whether it loads depends on how: by name (modprobe %s) the blacklist does not apply, by alias (udev) it does", what, strings.Join(where, ", and "), module),
			Hint:    fix}}
	}
	how := "udev loads it by its modalias"
	if nd.kind == rootdev.NeedFilesystem {
		how = "the kernel loads it by its alias fs-TYPE when root is mounted"
	}
	if nd.kind == rootdev.NeedCrypto { // issue 12 item 5
		how = "the kernel loads it by its alias crypto-NAME when root is mounted"
	}
	return []Problem{{Code: CodeModuleBlacklisted, Verdict: Unbootable,
		Message: fmt.Sprintf("%s will not load: %s, and %s, which the blacklist stops", what, strings.Join(where, ", and "), how),
		Hint:    fix, Fix: fix}}
}
