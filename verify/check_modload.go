package verify

import (
	"fmt"
	"os"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
)

// Issue 12 item 1: whether the target kernel's loader accepts a module the
// initrd carries, by kernel/module/main.c and version.c:
//   - check_modinfo: the module's vermagic must equal the kernel's
//     (same_magic); with a __versions section its first word, the release,
//     is skipped. No vermagic at all loads only with CONFIG_MODULE_FORCE_LOAD.
//   - check_modstruct_version and resolve_symbol: with CONFIG_MODVERSIONS
//     each symbol the module imports (and module_layout) is looked up in its
//     __versions; an entry whose CRC is not the exporter's makes the kernel
//     refuse it ("disagrees about version of symbol S"). A symbol with no
//     entry only warns in mainline ("no symbol version for S"), but Debian's
//     kernel fails closed there (its patch "module: Disable matching missing
//     version CRC"; a real boot: "nvme: Unknown symbol pci_save_state (err
//     -22)"). An entry for a symbol the module does not import is never
//     read, and a module with no __versions loads only with
//     CONFIG_MODULE_FORCE_LOAD.
//
// The kernel's side is kmod.Reference: its vermagic and CRCs as its in-tree
// modules (and Module.symvers) record them.

// loadRule is what loadable compares a module with: the target kernel's
// reference, and whether its config lets the loader force a module in.
type loadRule struct {
	ref *kmod.Reference
	// forceLoad: CONFIG_MODULE_FORCE_LOAD=y, modversions:
	// CONFIG_MODVERSIONS=y; configKnown: the config was read.
	forceLoad, modversions, configKnown bool
	// banner is the kernel image's version string: a Debian kernel refuses
	// an imported symbol with no __versions entry.
	banner string
	cache  map[string]moduleState
}

// loadable says whether kernel m.version's loader accepts mod: a
// wrong-version state when it refuses it, else an in-initrd one, whose
// unverified lists the imported symbols whose CRC nothing of the kernel
// records.
func (m *imageModules) loadable(mod initrd.Module) moduleState {
	if st, ok := m.load.cache[mod.Path]; ok {
		return st
	}
	st := m.vermagicState(mod)
	if st.status == StatusInInitrd {
		st = m.crcState(mod)
	}
	m.load.cache[mod.Path] = st
	return st
}

// vermagicState applies check_modinfo's vermagic rule to mod.
func (m *imageModules) vermagicState(mod initrd.Module) moduleState {
	v := m.version
	word, _, _ := strings.Cut(strings.TrimSpace(mod.Vermagic), " ")
	if mod.Vermagic == "" {
		if m.load.configKnown && m.load.forceLoad {
			return moduleState{status: StatusInInitrd} // forced in, tainting the kernel
		}
		return moduleState{status: StatusWrongVersion, why: fmt.Sprintf("carries %s, which has no vermagic: kernel %s refuses it (it loads one only with CONFIG_MODULE_FORCE_LOAD)", mod.Path, v)}
	}
	var ref, from string
	var ok bool
	if m.load.ref != nil {
		ref, from, ok = m.load.ref.Vermagic(mod.Name)
	}
	if !ok {
		// Nothing of the kernel says its vermagic: at least the release.
		if word != v {
			return moduleState{status: StatusWrongVersion, why: fmt.Sprintf("carries %s built for kernel %q (its vermagic is %q), not for %s", mod.Path, word, mod.Vermagic, v)}
		}
		return moduleState{status: StatusInInitrd}
	}
	if !sameMagic(mod.Vermagic, ref, mod.HasVersions) {
		if word != v && sameMagic(mod.Vermagic, ref, true) {
			return moduleState{status: StatusWrongVersion, why: fmt.Sprintf("carries %s built for kernel %q (its vermagic is %q), not for %s, and without __versions the kernel compares the release too", mod.Path, word, mod.Vermagic, v)}
		}
		return moduleState{status: StatusWrongVersion, why: fmt.Sprintf("carries %s, whose vermagic %q is not kernel %s's %q (as its module %s records it): the kernel refuses it (\"version magic ... should be ...\")", mod.Path, mod.Vermagic, v, ref, "/"+from)}
	}
	return moduleState{status: StatusInInitrd}
}

// sameMagic is the kernel's same_magic: with CRCs the first word (the
// release) is skipped.
func sameMagic(a, b string, hasCRCs bool) bool {
	if hasCRCs {
		a = a[strings.IndexByte(a+" ", ' '):]
		b = b[strings.IndexByte(b+" ", ' '):]
	}
	return a == b
}

// crcState applies the CRC rule to mod (its vermagic accepted).
func (m *imageModules) crcState(mod initrd.Module) moduleState {
	v := m.version
	ref := m.load.ref
	if ref == nil {
		return moduleState{status: StatusInInitrd}
	}
	magic, _, ok := ref.Vermagic(mod.Name)
	if ok && !strings.Contains(" "+magic+" ", " modversions ") {
		return moduleState{status: StatusInInitrd} // no CONFIG_MODVERSIONS: nothing compared
	}
	if !mod.HasVersions {
		if m.load.configKnown && m.load.modversions && !m.load.forceLoad {
			return moduleState{status: StatusWrongVersion, code: CodeModuleSymbolVersion, why: fmt.Sprintf("carries %s, which has no __versions section: kernel %s, built with CONFIG_MODVERSIONS and without CONFIG_MODULE_FORCE_LOAD, refuses the symbols it imports", mod.Path, v)}
		}
		return moduleState{status: StatusInInitrd}
	}
	entries := make(map[string]uint64, len(mod.Versions))
	for _, e := range mod.Versions {
		if _, seen := entries[e.Name]; !seen {
			entries[e.Name] = e.CRC // check_version reads the first entry
		}
	}
	prefer := append([]string{mod.Name}, mod.Depends...)
	exporters := m.exporters(mod)
	var bad, unknown, unversioned []string
	first := "" // the first symbol that disagrees
	for _, sym := range append([]string{"module_layout"}, mod.Imports...) {
		have, ok := entries[sym]
		want, from, known := exporterCRC(exporters, sym)
		if !known {
			want, from, known = ref.CRC(sym, prefer...)
			from = "as /" + from + " records it"
		}
		switch {
		case !ok && known && sym != "module_layout":
			unversioned = append(unversioned, sym) // the kernel has a CRC for it
		case !ok:
		case !known:
			unknown = append(unknown, sym)
		case have != want&0xffffffff:
			if len(bad) == 0 {
				first = sym
				bad = append(bad, fmt.Sprintf("its __versions gives symbol %s CRC 0x%08x, kernel %s's is 0x%08x (%s)", sym, have, v, want, from))
			} else {
				bad = append(bad, sym)
			}
		}
	}
	if len(bad) > 0 {
		why := fmt.Sprintf("carries %s, built against another build of kernel %s: %s", mod.Path, v, bad[0])
		if len(bad) > 1 {
			why += fmt.Sprintf("; %d more symbols disagree (%s)", len(bad)-1, shortList(bad[1:], 5))
		}
		why += fmt.Sprintf(", so the kernel refuses it (\"%s: disagrees about version of symbol %s\")", mod.Name, first)
		return moduleState{status: StatusWrongVersion, code: CodeModuleSymbolVersion, why: why}
	}
	if len(unversioned) > 0 {
		return m.unversionedState(mod, unversioned, unknown)
	}
	return moduleState{status: StatusInInitrd, unverified: unknown}
}

// unversionedState judges mod, whose __versions has no entry for symbols
// syms it imports and the kernel has CRCs for: Debian's kernel refuses it;
// mainline's warns and loads it; another kernel's rule is unknown.
func (m *imageModules) unversionedState(mod initrd.Module, syms, unknown []string) moduleState {
	v := m.version
	what := fmt.Sprintf("carries %s, whose __versions has no entry for %s, which it imports", mod.Path, shortList(syms, 5))
	if strings.Contains(m.load.banner, " Debian ") || strings.Contains(m.load.banner, "@lists.debian.org") {
		return moduleState{status: StatusWrongVersion, code: CodeModuleSymbolVersion,
			why: what + fmt.Sprintf(": Debian's kernel %s refuses it (\"%s: no symbol version for %s\", then \"Unknown symbol %s (err -22)\")", v, mod.Name, syms[0], syms[0])}
	}
	return moduleState{status: StatusInInitrd, unverified: unknown, unversioned: what}
}

// exporters are the modules of the image mod depends on (its modules.dep
// closure), which export symbols it imports: the kernel compares its
// __versions with the CRCs of those it loaded, the image's own copies.
func (m *imageModules) exporters(mod initrd.Module) []initrd.Module {
	deps, _ := m.ix.Deps(mod.Name)
	var out []initrd.Module
	for _, d := range deps {
		if dm, ok := m.mine[d]; ok && d != mod.Name && len(dm.Exports) > 0 {
			out = append(out, dm)
		}
	}
	return out
}

// exporterCRC is the CRC one of exporters exports sym with, and the module
// that does.
func exporterCRC(exporters []initrd.Module, sym string) (uint64, string, bool) {
	for _, e := range exporters {
		if c, ok := e.Exports[sym]; ok {
			return c, "exported so by the initrd's " + e.Path, true
		}
	}
	return 0, "", false
}

// shortList joins at most n of names, saying how many more there are.
func shortList(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// unverifiedProblem says what of module's symbols could not be checked:
// CRCs nothing of the kernel records, or symbols without a __versions entry
// on a kernel whose rule for those is unknown. Cannot-tell: a module built
// against another build would be refused.
func (c *checker) unverifiedProblem(module string, st moduleState, reason string) {
	v := c.req.Version
	shown := strings.Join(c.rep.Initrds, " + ")
	if st.unversioned != "" {
		c.rep.Add(Problem{Code: CodeModuleSymbolVersion, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: initrd %s %s: mainline's loader only warns (\"no symbol version\") and loads it, Debian's refuses it, and whose rule kernel %s follows is unknown; %s", v, shown, st.unversioned, v, neededFor(reason)),
			Hint:    "rebuild the module against kernel " + v + "'s headers (with the Module.symvers of the modules it uses: KBUILD_EXTRA_SYMBOLS)"})
	}
	if len(st.unverified) > 0 {
		c.rep.Add(Problem{Code: CodeModuleSymbolVersion, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: initrd %s carries module %s, whose __versions CRCs for %s nothing of kernel %s records (no Module.symvers, and none of its in-tree modules imports them), so whether the kernel accepts it is unknown; %s",
				v, shown, module, shortList(st.unverified, 5), v, neededFor(reason)),
			Hint: fmt.Sprintf("install the kernel's headers (they carry its Module.symvers): apt install linux-headers-%s", v)})
	}
}

// loadRule is the check's loadRule: kernel ix's reference, read under the
// root, and its config's CONFIG_MODULE_FORCE_LOAD.
func (c *checker) loadRule(ix *kmod.Index) loadRule {
	r := loadRule{ref: ix.Reference(os.DirFS(c.root)), banner: c.banner}
	if c.kcfg != nil {
		r.configKnown, r.forceLoad, r.modversions = true, c.kcfg.Enabled("MODULE_FORCE_LOAD"), c.kcfg.Enabled("MODVERSIONS")
	}
	return r
}
