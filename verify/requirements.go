package verify

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// essentialSoftdeps are the softdeps without which the root filesystem does
// not mount although every module loads, keyed "MODULE NAME" (normalised).
// A softdep is how a module asks modprobe for something it looks up itself
// at run time, through the crypto API (crypto_alloc_shash): modprobe skips a
// softdep it cannot load and the module loads fine, but the lookup fails
// later. These are the lookups with no fallback on the way to mounting root
// (Linux 6.1; kernels whose modules no longer softdep on crc32c, 6.15 and
// later, ask for nothing here):
var essentialSoftdeps = map[string]string{
	// fs/ext4/super.c, ext4_fill_super: crypto_alloc_shash("crc32c") for
	// metadata_csum, else "Cannot load crc32c driver." and the mount fails
	// (VFS: Cannot open root device ... error -80).
	"ext4 crypto_crc32c": "ext4 asks the kernel for crc32c when it mounts a filesystem with metadata_csum (mke2fs's default since e2fsprogs 1.43): without one the mount fails with \"Cannot load crc32c driver\"",
	// fs/jbd2/journal.c, load_superblock: the same for a journal with
	// checksums v2/v3, which metadata_csum turns on.
	"jbd2 crypto_crc32c": "jbd2 asks the kernel for crc32c when it loads a journal with checksums (metadata_csum turns them on): without one \"JBD2: Cannot load crc32c driver\" and the mount fails",
	// fs/btrfs/disk-io.c, btrfs_init_csum_hash: the filesystem's checksum
	// algorithm, crc32c unless mkfs.btrfs --csum chose another (whose
	// softdeps stay notes).
	"btrfs crypto_crc32c": "btrfs asks the kernel for its checksum algorithm when it mounts, crc32c unless mkfs.btrfs --csum chose another: without one the mount fails",
	// lib/libcrc32c.c, libcrc32c_mod_init: crypto_alloc_shash("crc32c")
	// or the module fails to load, and xfs and btrfs with it.
	"libcrc32c crc32c": "libcrc32c asks the kernel for crc32c when it loads and fails to load without one, and xfs and btrfs need libcrc32c",
}

// EssentialSoftdep says why root cannot mount without softdep name of
// module of ("" when it can: modprobe skips a softdep it cannot load).
func EssentialSoftdep(of, name string) string {
	return essentialSoftdeps[kmod.Normalize(of)+" "+kmod.Normalize(name)]
}

// ExtraReason is the reason of a requirement named with --module or MODULES=.
const ExtraReason = "named with --module or MODULES= in /etc/default/boot-guard"

// Need is one module requirement of the root filesystem on one kernel: what
// must be built in or carried by the initrd, and why.
type Need struct {
	// Module satisfies the need: a built-in one when any alternative is
	// built in, else the driver bound to the device now, else the first
	// match by name.
	Module string
	// Builtin: Module is compiled into the kernel; the initrd needs nothing.
	Builtin bool
	// Closure are the loadable modules the initrd must carry for Module, in
	// load order (modules.dep's dependencies first, Module last). Empty
	// when Builtin.
	Closure []string
	// BuiltinDeps are Module's dependencies that are built into the
	// kernel: satisfied, nothing to carry. Empty when Builtin.
	BuiltinDeps []string
	// Softdeps are the modules.softdep "pre:" names of Module and its
	// dependencies (kmod.Index.Softdeps): any one module of each will do,
	// and only the Essential ones are required. Empty when Builtin.
	Softdeps []Softdep
	// Alternatives are the other modules that would satisfy the need just as
	// well (several drivers claim the modalias): any one suffices. Sorted.
	Alternatives []string
	// Reason is the chain a person reads: "driver for PCI 0000:02:00.0, disk
	// nvme0n1, partition nvme0n1p2, mounted at /". Needs that resolve to the
	// same modules are merged and their reasons joined with "; ".
	Reason string
	// Kind and Value are what was asked for: a modalias, a module name or a
	// filesystem type.
	Kind  rootdev.NeedKind
	Value string
	// Guess says why the need is inferred, not known (rootdev.Need.Guess,
	// issue 12 item 4): without its module the verdict is cannot-tell.
	Guess string
}

// Softdep is one softdep of a need: what modprobe loads first when it can.
type Softdep struct {
	// Of is the module whose softdep it is; Name as modules.softdep writes
	// it ("crypto-crc32c").
	Of, Name string
	// Modules are what Name resolves to, built-in ones first, then by
	// name: any one satisfies it. Empty: the kernel has nothing by that
	// name.
	Modules []string
	// Builtin: Modules[0] is built in; the initrd needs nothing for it.
	Builtin bool
	// Loadable are the loadable modules Modules[0] needs with it, in load
	// order, Modules[0] last (empty when Builtin): what `requirements`
	// lists for an essential softdep.
	Loadable []string
	// Essential says why root cannot mount without it (EssentialSoftdep);
	// "" for a softdep whose absence costs nothing at boot.
	Essential string
}

// ResolveNeeds turns what the root device needs (res, from rootdev.Discover;
// nil when /sys and /proc were not looked at) and extra module names into
// the modules of kernel ix. It follows kmod's rules: a modalias is matched
// against the kernel's modules.alias and its built-in drivers' aliases, and
// any one matching module satisfies it; a filesystem is asked for as the
// kernel does, through the alias "fs-TYPE", then by its own name.
//
// Problems: res.Unknown entries are cannot-tell; a name or filesystem the
// kernel does not have is unbootable, and so is a modalias nothing claims on
// a device a loadable module drives now that the kernel lacks (a failed DKMS
// build). A device no module claims and no loadable module drives now is no
// requirement (PCI bridges have modaliases nothing claims; pcieport is built
// in): a note when it is the device nearest the disk. ResolveNeeds never says "bootable" about anything: it only lists
// what the initrd must hold; the caller checks that.
func ResolveNeeds(res *rootdev.Result, ix *kmod.Index, extra []string) ([]Need, []Problem) {
	return resolveNeeds(res, ix, extra, nil)
}

// resolveNeeds is ResolveNeeds knowing the running kernel (nil: unknown),
// whose built-in drivers the target must have too (issue 12 item 2).
func resolveNeeds(res *rootdev.Result, ix *kmod.Index, extra []string, running *runningKernel) ([]Need, []Problem) {
	r := &resolver{ix: ix, seen: map[string]int{}, chainSeen: map[string]bool{}, softSeen: map[string]bool{}, running: running}
	if res != nil {
		for _, u := range res.Unknown {
			r.problem(Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: %s", ix.Version(), u),
				Hint:    "name what root needs with --module NAME or MODULES=\"...\" in /etc/default/boot-guard"})
		}
		for _, d := range res.Needs {
			r.need(d)
		}
	}
	for _, name := range extra {
		if strings.TrimSpace(name) == "" {
			continue
		}
		r.need(rootdev.Need{Kind: rootdev.NeedModule, Value: name, Reason: ExtraReason})
	}
	return r.needs, r.problems
}

type resolver struct {
	ix       *kmod.Index
	running  *runningKernel // issue 12 item 2; nil: unknown
	needs    []Need
	problems []Problem
	seen     map[string]int // module + alternatives -> index in needs
	// chainSeen records the reason chains ("disk nvme0n1, ..., mounted at
	// /") that already have a device: rootdev lists each path bottom up,
	// so the first device of a chain is the disk's own controller.
	chainSeen map[string]bool
	// softSeen are the essential softdeps (normalised names) already
	// reported as missing from the kernel.
	softSeen map[string]bool
}

func (r *resolver) problem(p Problem) { r.problems = append(r.problems, p) }

// need resolves one thing root needs, by its kind.
func (r *resolver) need(d rootdev.Need) {
	switch d.Kind {
	case rootdev.NeedModalias:
		r.needModalias(d)
	case rootdev.NeedFilesystem:
		r.needFilesystem(d)
	case rootdev.NeedCrypto:
		r.needCrypto(d) // issue 12 item 5: requirements_fsfeature.go
	default:
		r.needModule(d)
	}
}

// needModalias resolves a device's modalias: the modules that claim it,
// else the loadable driver bound to it now; a device nothing claims and no
// loadable module drives is no requirement (a note when nearest the disk).
func (r *resolver) needModalias(d rootdev.Need) {
	v := r.ix.Version()
	nearest := r.firstOfChain(d.Reason)
	mods := r.ix.Alias(d.Value)
	if len(mods) > 0 {
		r.add(d, mods, kmod.Normalize(d.Bound))
		return
	}
	bound := kmod.Normalize(d.Bound)
	if bound == "" && d.BuiltinDriver != "" {
		r.builtinDriver(d, nearest) // issue 12 item 2: requirements_builtin.go
		return
	}
	if bound == "" {
		if nearest {
			r.problem(Problem{Code: CodeDeviceUnclaimed, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: no module claims %s and no driver drives it now (%s): nothing required for it", v, d.Value, d.Reason)})
		}
		return
	}
	if _, ok := r.ix.Module(bound); ok {
		d.Reason += fmt.Sprintf(" (bound now; none of %s's modules claims %s)", v, d.Value)
		r.add(d, []string{bound}, bound)
		return
	}
	// The module that drives the device now is not in kernel v at all:
	// a DKMS build that failed, or a driver v's configuration dropped.
	r.problem(Problem{Code: CodeModuleUnknown, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s has no module %s, which drives %s now, and none of its modules claims %s (%s)", v, bound, d.Value, d.Value, d.Reason),
		Hint:    fmt.Sprintf("if %s comes from DKMS, its build for %s failed: dkms status; dkms autoinstall -k %s", bound, v, v)})
}

// needFilesystem resolves a filesystem type as the kernel asks for it:
// through the alias "fs-TYPE", then by its own name.
func (r *resolver) needFilesystem(d rootdev.Need) {
	v := r.ix.Version()
	mods := r.ix.Alias("fs-" + d.Value)
	if len(mods) == 0 {
		if _, ok := r.ix.Module(d.Value); ok {
			mods = []string{kmod.Normalize(d.Value)}
		}
	}
	if len(mods) > 0 {
		r.add(d, mods, "")
		return
	}
	p := Problem{Code: CodeFilesystemUnsupported, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s cannot mount %s: no module registers fs-%s, none is called %s, and it is not built in (%s)", v, d.Value, d.Value, d.Value, d.Reason),
		Hint:    fmt.Sprintf("check its configuration: grep -i %s /boot/config-%s", d.Value, v)}
	if r.missingModinfo() {
		p.Verdict = CannotTell
		p.Message += "; " + r.ix.Dir() + "/modules.builtin.modinfo is missing, so built-in filesystems are unknown"
	}
	r.problem(p)
}

// needModule resolves a module named (--module, MODULES=, a stack layer, a
// driver without a modalias) by name, else as an alias as modprobe does.
func (r *resolver) needModule(d rootdev.Need) {
	v := r.ix.Version()
	if d.Bound != "" {
		r.firstOfChain(d.Reason) // a driver with no modalias still marks its path
	}
	if m, ok := r.ix.Module(d.Value); ok {
		r.add(d, []string{m.Name}, "")
		return
	}
	if mods := r.ix.Alias(d.Value); len(mods) > 0 {
		// modprobe accepts an alias too: "dm-crypt", "md-raid1", "fs-xfs".
		r.add(d, mods, kmod.Normalize(d.Bound))
		return
	}
	msg := fmt.Sprintf("kernel %s has no module %s: neither its modules.dep nor its built-in list names it", v, d.Value)
	if strings.HasPrefix(d.Reason, "named with ") {
		msg += "; check the name, " + d.Reason
	} else {
		msg += " (" + d.Reason + ")"
	}
	p := Problem{Code: CodeModuleUnknown, Verdict: Unbootable,
		Message: msg,
		Hint:    fmt.Sprintf("list the kernel's modules: find /%s -name '*.ko*'", r.ix.Dir())}
	if near := r.nearNames(d.Value); len(near) > 0 {
		p.Hint = "did you mean " + strings.Join(near, " or ") + "? " + p.Hint
	}
	if d.Guess != "" { // issue 12 item 4: a guess does not decide
		p.Verdict = CannotTell
		p.Message += ": " + d.Guess
	}
	r.problem(p)
}

// firstOfChain reports whether the device of reason is the first one seen
// on its path, i.e. the one nearest the disk, and records the path.
func (r *resolver) firstOfChain(reason string) bool {
	chain := reason
	if rest, ok := strings.CutPrefix(reason, "driver for "); ok {
		if _, after, ok := strings.Cut(rest, ", "); ok {
			chain = after
		}
	}
	first := !r.chainSeen[chain]
	r.chainSeen[chain] = true
	return first
}

// add records a need satisfied by any of mods, preferring a built-in one,
// then the driver bound now.
func (r *resolver) add(d rootdev.Need, mods []string, bound string) {
	mods = slices.Clone(mods)
	sort.Strings(mods)
	pick := -1
	for i, m := range mods {
		if mod, ok := r.ix.Module(m); ok && mod.Builtin {
			pick = i
			break
		}
	}
	if pick < 0 && bound != "" {
		pick = slices.Index(mods, bound)
	}
	if pick < 0 {
		pick = 0
	}
	chosen := mods[pick]
	var alts []string
	for i, m := range mods {
		if i != pick {
			alts = append(alts, m)
		}
	}
	key := chosen + " " + strings.Join(alts, " ")
	if i, ok := r.seen[key]; ok {
		if !strings.Contains(r.needs[i].Reason, d.Reason) {
			r.needs[i].Reason += "; " + d.Reason
		}
		if d.Guess == "" {
			r.needs[i].Guess = "" // known once is known
		}
		return
	}
	n := Need{Module: chosen, Alternatives: alts, Reason: d.Reason, Kind: d.Kind, Value: d.Value, Guess: d.Guess}
	m, _ := r.ix.Module(chosen)
	n.Builtin = m.Builtin
	if !n.Builtin {
		all, err := r.ix.Deps(chosen)
		if err != nil {
			// Cannot happen for a module the index returned; say so rather
			// than drop it.
			r.problem(Problem{Code: CodeModuleIndex, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: dependencies of %s: %v", r.ix.Version(), chosen, err)})
		}
		for _, c := range all {
			if cm, _ := r.ix.Module(c); cm.Builtin {
				n.BuiltinDeps = append(n.BuiltinDeps, c)
			} else {
				n.Closure = append(n.Closure, c)
			}
		}
		for _, sd := range r.ix.Softdeps(chosen) {
			n.Softdeps = append(n.Softdeps, r.softdep(sd))
		}
		r.unresolvedSoftdeps(n)
	}
	r.seen[key] = len(r.needs)
	r.needs = append(r.needs, n)
}

// softdep resolves one softdep: whether its first module is built in, and
// what that one needs loaded with it.
func (r *resolver) softdep(sd kmod.Softdep) Softdep {
	out := Softdep{Of: sd.Of, Name: sd.Name, Modules: sd.Modules, Essential: EssentialSoftdep(sd.Of, sd.Name)}
	if len(sd.Modules) > 0 {
		first, _ := r.ix.Module(sd.Modules[0])
		out.Builtin = first.Builtin
		if !out.Builtin {
			deps, _ := r.ix.Deps(sd.Modules[0])
			for _, d := range deps {
				if dm, _ := r.ix.Module(d); !dm.Builtin {
					out.Loadable = append(out.Loadable, d)
				}
			}
		}
	}
	return out
}

// unresolvedSoftdeps reports the essential softdeps of n the kernel has no
// module for at all: one problem per name (jbd2's and ext4's crypto-crc32c
// are one), the last asker's reason (n's own module, Softdeps lists
// dependencies first), once per ResolveNeeds.
func (r *resolver) unresolvedSoftdeps(n Need) {
	var names []string
	of := map[string][]string{}
	why := map[string]string{}
	for _, sd := range n.Softdeps {
		if sd.Essential == "" || len(sd.Modules) > 0 {
			continue
		}
		name := kmod.Normalize(sd.Name)
		if r.softSeen[name] {
			continue
		}
		if _, ok := of[name]; !ok {
			names = append(names, sd.Name)
		}
		of[name] = append(of[name], sd.Of)
		why[name] = sd.Essential
	}
	v := r.ix.Version()
	for _, nm := range names {
		name := kmod.Normalize(nm)
		r.softSeen[name] = true
		p := Problem{Code: CodeModuleUnknown, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s has no module for %s (a softdep of %s), neither loadable nor built in: %s (%s)", v, nm, strings.Join(of[name], " and "), why[name], n.Reason),
			Hint:    fmt.Sprintf("check its configuration: grep -i %s /boot/config-%s", strings.TrimPrefix(name, "crypto_"), v)}
		if r.missingModinfo() {
			p.Verdict = CannotTell
			p.Message += "; " + r.ix.Dir() + "/modules.builtin.modinfo is missing, so built-in ones are unknown"
		}
		r.problem(p)
	}
}

func (r *resolver) missingModinfo() bool {
	return slices.Contains(r.ix.Missing(), "modules.builtin.modinfo")
}
