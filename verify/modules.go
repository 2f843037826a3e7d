package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
)

// imageModules knows the modules an image carries for one kernel, next to
// that kernel's module index: whether a module modprobe in the image would
// load is there, and which alternative of a need the image can load whole.
// It is built once per check (newImageModules) and only read after.
type imageModules struct {
	ix      *kmod.Index
	version string
	// mine are the image's modules for this kernel, by name; other names
	// the kernel version of the first copy for another kernel.
	mine  map[string]initrd.Module
	other map[string]string
	// hidden are the image's modules for this kernel that modprobe does
	// not find at /lib/modules/VERSION/... in the rootfs the kernel
	// unpacks (Module.Unreachable), by name, for messages.
	hidden map[string]initrd.Module
	// listed are the names the image's lib/modules/VERSION/modules.dep
	// lists; haveDep says whether the image has that file at all, and
	// noDep, when not, why not at boot.
	listed  map[string]bool
	haveDep bool
	noDep   string
	// libkmod: modules are loaded through libkmod, so listed and haveDep
	// come from the image's modules.dep.bin (the text modules.dep is not
	// read); depErr says why it cannot be read, depPath where each
	// module's file is by it.
	libkmod bool
	depErr  error
	depPath map[string]string
	// load is what the kernel's loader accepts (issue 12 item 1,
	// check_modload.go).
	load loadRule
}

// newImageModules indexes img's modules for kernel v, whose index is ix.
func newImageModules(img *initrd.Image, ix *kmod.Index, v string, load loadRule) *imageModules {
	load.cache = map[string]moduleState{}
	m := &imageModules{ix: ix, version: v, mine: map[string]initrd.Module{}, other: map[string]string{}, hidden: map[string]initrd.Module{}, load: load}
	for _, mod := range img.Modules {
		m.know(mod)
		switch {
		case mod.KernelVersion == v && mod.Unreachable != "":
			m.hidden[mod.Name] = mod
		case mod.KernelVersion == v:
			m.mine[mod.Name] = mod
		default:
			if _, ok := m.other[mod.Name]; !ok {
				m.other[mod.Name] = mod.KernelVersion
			}
		}
	}
	dep := "lib/modules/" + v + "/modules.dep"
	if m.libkmod = usesLibkmod(img, v); m.libkmod {
		m.depPath, m.haveDep, m.depErr = depBinNames(img, v)
		m.listed = map[string]bool{}
		for name := range m.depPath {
			m.listed[name] = true
		}
		if !m.haveDep {
			m.noDep = img.WhyNot(dep + ".bin")
		}
		return m
	}
	m.listed, m.haveDep = parseDepNames(img, dep)
	if !m.haveDep {
		m.noDep = img.WhyNot(dep)
	}
	return m
}

// know tells the kernel's reference what the image read of mod, a
// compressed module read whole: the kernel's own copy, when it has the same
// bytes, is then not decoded again (kmod.Reference.Know).
func (m *imageModules) know(mod initrd.Module) {
	if m.load.ref == nil || mod.KernelVersion != m.version || mod.Err != nil || mod.Sum == ([sha256.Size]byte{}) {
		return
	}
	rel, ok := strings.CutPrefix(strings.TrimPrefix(mod.Path, "usr/"), "lib/modules/"+m.version+"/")
	if !ok {
		return
	}
	m.load.ref.Know(rel, kmod.Decoded{Sum: mod.Sum, Size: mod.Size, Vermagic: mod.Vermagic, Versions: mod.Versions, Exports: mod.Exports})
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

// moduleState is what the image holds of one loadable module.
type moduleState struct {
	status Status
	// why says what is wrong, after "initrd X ": "lacks module nvme (...)";
	// "" for in-initrd.
	why string
	// absent: the image carries no copy of the module, for any kernel.
	absent bool
	// note explains what several modules share, told once per problem:
	// why the image's modules.dep is not where modprobe looks.
	note string
	// code overrides the problem code the status gives (issue 12 item 1:
	// module-symbol-version for a CRC the kernel refuses).
	code Code
	// unverified are the imported symbols of an in-initrd module whose CRC
	// nothing of the kernel records (loadable); unversioned says which it
	// imports with no __versions entry, on a kernel whose rule for that is
	// unknown (unversionedState).
	unverified  []string
	unversioned string
}

// status says whether loadable module name (at kpath under the kernel's
// lib/modules) is in the image for this kernel: present under
// lib/modules/VERSION, accepted by the kernel's loader (its vermagic and
// symbol CRCs: loadable), listed in the image's own modules.dep.
func (m *imageModules) status(name, kpath string) moduleState {
	v := m.version
	mod, ok := m.mine[name]
	if !ok {
		if h, ok := m.hidden[name]; ok {
			return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s, but modprobe will not find it at boot: %s", h.Path, h.Unreachable)}
		}
		if ov, ok := m.other[name]; ok {
			return moduleState{status: StatusWrongVersion, why: fmt.Sprintf("carries %s only for kernel %s (under lib/modules/%s), not for %s", name, ov, ov, v)}
		}
		return moduleState{status: StatusMissing, absent: true, why: fmt.Sprintf("lacks module %s (lib/modules/%s/%s)", name, v, kpath)}
	}
	if mod.Err != nil {
		return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s, but it cannot be read: %v", mod.Path, mod.Err)}
	}
	if mod.ModinfoSkipped {
		// needs.modinfo chooses every module looked up here; reaching this
		// is a boot-guard bug, and it must not pass as whole or read as
		// another kernel's module.
		return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s, but boot-guard did not read its .modinfo (a boot-guard bug: please report it)", mod.Path)}
	}
	load := m.loadable(mod)
	if load.status != StatusInInitrd {
		return load
	}
	st := m.indexStatus(mod)
	if st.status == StatusInInitrd {
		st.unverified, st.unversioned = load.unverified, load.unversioned
	}
	return st
}

// indexStatus says whether modprobe in the image finds mod, which it carries
// for this kernel: through libkmod's modules.dep.bin, or the text modules.dep.
func (m *imageModules) indexStatus(mod initrd.Module) moduleState {
	v := m.version
	if m.libkmod {
		return m.libkmodStatus(mod)
	}
	if !m.haveDep {
		st := moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s but no lib/modules/%s/modules.dep, so modprobe in the initrd cannot load it", mod.Path, v)}
		if m.noDep != "" && m.noDep != "does not exist at boot" {
			st.note = "/lib/modules/" + v + "/modules.dep " + m.noDep
		}
		return st
	}
	if !m.listed[mod.Name] {
		return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s but its lib/modules/%s/modules.dep does not list it, so modprobe in the initrd cannot load it", mod.Path, v)}
	}
	return moduleState{status: StatusInInitrd}
}

// closureStatus is the worst status over module and its modules.dep
// dependencies, the built-in ones aside (softdeps are judged apart:
// moduleCheck.softdeps).
func (m *imageModules) closureStatus(module string) Status {
	closure, err := m.ix.Deps(module)
	if err != nil {
		return StatusMissing
	}
	for _, name := range closure {
		mod, _ := m.ix.Module(name)
		if mod.Builtin {
			continue
		}
		if st := m.status(name, mod.Path).status; st != StatusInInitrd {
			return st
		}
	}
	return StatusInInitrd
}

// firstWhole returns the first of names whose closure is all in the image;
// "" when none is.
func (m *imageModules) firstWhole(names []string) string {
	for _, name := range names {
		if m.closureStatus(name) == StatusInInitrd {
			return name
		}
	}
	return ""
}

// choose returns the alternative of a need to check: the first whose
// closure is all in the image, else the preferred one (the first).
func (m *imageModules) choose(alts []string) string {
	if alt := m.firstWhole(alts); alt != "" {
		return alt
	}
	return alts[0]
}

// libkmodStatus says whether libkmod in the image (udevd, modprobe) can load
// mod, whose file is there: its modules.dep.bin must list it, at that file.
// libkmod never reads the text modules.dep (a real boot without
// modules.dep.bin gives up waiting for root).
func (m *imageModules) libkmodStatus(mod initrd.Module) moduleState {
	v := m.version
	bin := "lib/modules/" + v + "/modules.dep.bin"
	switch {
	case !m.haveDep:
		st := moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s but no %s, the index libkmod (udevd, modprobe) finds modules in (it never reads the text modules.dep), so nothing in the initrd can load it", mod.Path, bin)}
		if m.noDep != "" && m.noDep != "does not exist at boot" {
			st.note = "/" + bin + " " + m.noDep
		}
		return st
	case errors.Is(m.depErr, errNotRead):
		return moduleState{status: StatusInInitrd} // not checked: checkPrograms says so
	case m.depErr != nil:
		return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s but its %s cannot be read (%v), so libkmod in the initrd cannot load it", mod.Path, bin, m.depErr)}
	case !m.listed[mod.Name]:
		return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s but its %s does not list it, so libkmod in the initrd cannot load it", mod.Path, bin)}
	}
	if p := m.depPath[mod.Name]; !strings.HasSuffix(mod.Path, "/"+strings.TrimPrefix(p, "/")) {
		return moduleState{status: StatusMissing, why: fmt.Sprintf("carries %s but its %s lists %s at %s, a file it does not carry, so libkmod in the initrd cannot load it", mod.Path, bin, mod.Name, p)}
	}
	return moduleState{status: StatusInInitrd}
}
