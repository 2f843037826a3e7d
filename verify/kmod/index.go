package kmod

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNoModules: the root has no lib/modules/VERSION (nor
	// usr/lib/modules/VERSION): that kernel's modules are not installed.
	ErrNoModules = errors.New("no modules directory")
	// ErrNoIndex: the modules directory exists but a file depmod writes
	// (modules.dep, modules.alias) or the kernel package ships
	// (modules.builtin) is missing. The message names the command that
	// rebuilds it.
	ErrNoIndex = errors.New("module index missing")
	// ErrMalformed: a line of an index file is not in depmod's format. The
	// error is a *SyntaxError naming the file and line.
	ErrMalformed = errors.New("malformed module index")
	// ErrUnknownModule: a name is neither in modules.dep nor built in.
	ErrUnknownModule = errors.New("unknown module")
)

// SyntaxError is a malformed line (or, in the NUL-separated
// modules.builtin.modinfo, record) of an index file.
type SyntaxError struct {
	File string // path under the root, e.g. lib/modules/6.1.0-13-amd64/modules.dep
	Line int    // 1-based line, or record when Record is set
	// Record: the file is NUL-separated (modules.builtin.modinfo); Line
	// counts records and Offset is the record's first byte.
	Record bool
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Record {
		return fmt.Sprintf("%s: record %d at byte %d: %s", e.File, e.Line, e.Offset, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Unwrap makes every SyntaxError match ErrMalformed.
func (e *SyntaxError) Unwrap() error { return ErrMalformed }

// Module is one module of a kernel, loadable or built in.
type Module struct {
	// Name is normalised: '-' folded to '_', no directory, no .ko suffix.
	Name string
	// Path is the module's file relative to the modules directory as
	// modules.dep (or, for a built-in module, modules.builtin) names it:
	// "kernel/drivers/nvme/host/nvme.ko.xz". initramfs-tools and dracut copy
	// it to the same path under lib/modules/VERSION in the initrd.
	Path string
	// Builtin: compiled into the kernel image; nothing to load.
	Builtin bool
	// Depends are the modules modules.dep says must be loaded first, as
	// depmod lists them (already transitive), normalised.
	Depends []string
	// SoftPre are modules.softdep's "pre:" names, as written there; they
	// may be aliases ("crypto-crc32c", "platform:idma64") rather than
	// module names.
	SoftPre []string
}

// Index is one kernel's module index. It is immutable after Load and safe for
// concurrent use.
type Index struct {
	version string
	dir     string
	modules map[string]*Module
	aliases *aliasIndex
	// aliasBin answers modules.alias's lookups when Load could read
	// modules.alias.bin (aliasbin.go); aliases then holds only the
	// built-in modules' aliases. aliasBinErr says why it could not.
	aliasBin    *BinIndex
	aliasBinErr error
	missing     []string
	// unlisted are dependencies with no modules.dep line, kept until the
	// built-in modules are known (Load's checkDeps).
	unlisted []unlistedDep
}

// The index files Load reads, in the modules directory.
const (
	fileDep     = "modules.dep"
	fileAlias   = "modules.alias"
	fileSoftdep = "modules.softdep"
	fileBuiltin = "modules.builtin"
	fileModinfo = "modules.builtin.modinfo"
)

// indexFiles are the files Load reads, in the order it reads them. fix is
// what to do when a required file is missing (nil: the file is optional and
// Missing reports it); then runs after the file is read, or found missing.
// bin, when set, reads the file's binary twin binName instead, and reports
// whether it could (issue 16 item 3).
var indexFiles = []struct {
	name    string
	fix     func(version string) string
	parse   func(*Index, *lineReader) error
	then    func(*Index) error
	binName string
	bin     func(*Index, fs.FS) bool
}{
	{fileDep, runDepmod, (*Index).parseDep, nil, "", nil},
	{fileBuiltin, reinstallKernel, (*Index).parseBuiltin, nil, "", nil},
	// The built-in modules are known: a dependency with no modules.dep
	// line must be one of them.
	{fileModinfo, nil, (*Index).parseModinfo, (*Index).checkDeps, "", nil},
	{fileAlias, runDepmod, (*Index).parseAlias, nil, fileAliasBin, (*Index).aliasesFromBin},
	{fileSoftdep, nil, (*Index).parseSoftdep, nil, "", nil},
}

func runDepmod(version string) string { return "run depmod " + version }

func reinstallKernel(version string) string {
	return "it comes with the kernel package: reinstall the package of " + version + ", then " + runDepmod(version)
}

// modulesDirs are where Load looks for kernel version's modules, in order.
func modulesDirs(version string) []string {
	return []string{"lib/modules/" + version, "usr/lib/modules/" + version}
}

// IndexFiles lists the paths under the root (slash-separated, as an fs.FS
// names them) that Load(root, version) reads: each directory it looks for,
// and the index files in it, missing ones included.
func IndexFiles(version string) []string {
	var out []string
	for _, d := range modulesDirs(version) {
		out = append(out, d)
		for _, f := range indexFiles {
			out = append(out, path.Join(d, f.name))
			if f.binName != "" {
				out = append(out, path.Join(d, f.binName))
			}
		}
	}
	return out
}

// Load reads the module index of kernel version under root, a filesystem root
// (the directory that holds lib/ and usr/). It looks in lib/modules/VERSION,
// then usr/lib/modules/VERSION. modules.dep, modules.alias and modules.builtin
// are required; modules.softdep and modules.builtin.modinfo (absent before
// Linux 5.2) are optional and reported by Missing when absent.
func Load(root fs.FS, version string) (*Index, error) {
	if version == "" || strings.ContainsAny(version, "/\x00") || version == "." || version == ".." {
		return nil, fmt.Errorf("kernel version %q: not a version (it names a directory under lib/modules)", version)
	}
	dir, err := modulesDir(root, version)
	if err != nil {
		return nil, err
	}
	ix := &Index{version: version, dir: dir, modules: make(map[string]*Module), aliases: newAliasIndex()}
	for _, f := range indexFiles {
		if f.bin != nil && f.bin(ix, root) {
			continue
		}
		if err := ix.read(root, f.name, f.fix, f.parse); err != nil {
			return nil, err
		}
		if f.then != nil {
			if err := f.then(ix); err != nil {
				return nil, err
			}
		}
	}
	return ix, nil
}

// read parses the index file name with parse. A missing file is an error
// wrapping ErrNoIndex that says fix, or, when fix is nil, recorded in
// ix.missing.
func (ix *Index) read(root fs.FS, name string, fix func(string) string, parse func(*Index, *lineReader) error) error {
	p := path.Join(ix.dir, name)
	f, err := root.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		if fix != nil {
			return fmt.Errorf("%s: %w: %s", p, ErrNoIndex, fix(ix.version))
		}
		ix.missing = append(ix.missing, name)
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	r := newLineReader(f, p)
	if fi, err := f.Stat(); err == nil {
		r.size = min(fi.Size(), maxIndexFile)
	}
	return parse(ix, r)
}

func modulesDir(root fs.FS, version string) (string, error) {
	tried := modulesDirs(version)
	for _, d := range tried {
		fi, err := fs.Stat(root, d)
		if err == nil && fi.IsDir() {
			return d, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("stat %s: %w", d, err)
		}
	}
	return "", fmt.Errorf("%s (nor %s): %w: is kernel %s installed?", tried[0], tried[1], ErrNoModules, version)
}

// Version is the kernel version the index belongs to.
func (ix *Index) Version() string { return ix.version }

// Dir is the modules directory under the root, e.g. "lib/modules/6.1.0-13-amd64".
func (ix *Index) Dir() string { return ix.dir }

// Missing lists the optional index files that were absent
// (modules.softdep, modules.builtin.modinfo): without modules.builtin.modinfo
// built-in drivers' aliases are unknown, so a modalias only a built-in driver
// claims matches nothing.
func (ix *Index) Missing() []string { return append([]string(nil), ix.missing...) }

// Normalize turns a module name or path into kmod's form: the base name up to
// its first '.', with '-' folded to '_' ("kernel/drivers/nvme/host/nvme-core.ko.xz"
// and "nvme-core" both become "nvme_core").
func Normalize(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[:i]
	}
	return strings.ReplaceAll(name, "-", "_")
}

// Module returns the module called name (normalised first).
func (ix *Index) Module(name string) (Module, bool) {
	m, ok := ix.modules[Normalize(name)]
	if !ok {
		return Module{}, false
	}
	c := *m
	c.Depends = append([]string(nil), m.Depends...)
	c.SoftPre = append([]string(nil), m.SoftPre...)
	return c, true
}

// Alias returns every module, loadable or built in, with an alias pattern that
// matches modalias, sorted by name. Any string the kernel asks modprobe for
// works: Alias("fs-ext4") finds the module that registered that filesystem.
// An alias naming a module the kernel does not have (a stale modules.alias)
// is left out: modprobe could not load it either.
func (ix *Index) Alias(modalias string) []string {
	names := ix.aliases.lookup(modalias)
	if ix.aliasBin != nil {
		// Load checked every node: the search cannot meet a corrupt one.
		more, _ := ix.aliasBin.matchAliases(normalizeAlias(modalias), nil)
		if len(more) > 0 {
			names = append(names, more...)
			sort.Strings(names)
			names = slices.Compact(names)
		}
	}
	var out []string
	for _, n := range names {
		if _, ok := ix.modules[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Resolve returns what modprobe NAME would load: the module called name if
// the kernel has one, otherwise every module an alias of that name points to.
func (ix *Index) Resolve(name string) []string {
	if _, ok := ix.modules[Normalize(name)]; ok {
		return []string{Normalize(name)}
	}
	return ix.Alias(name)
}

// Closure returns names and everything modprobe loads before them:
// modules.dep's dependencies and modules.softdep's "pre:" modules,
// transitively, each after what it needs (load order), each once. It is what
// an initrd generator copies (modprobe --show-depends lists softdeps too),
// not what a module needs to load: modprobe ignores a softdep it cannot load
// (libkmod's kmod_module_probe_insert_module: "Ignore errors from
// softdeps"). Deps and Softdeps tell the two apart. A softdep that names
// nothing the kernel has is skipped, as modprobe skips it. Built-in modules
// appear in the result (check Module(n).Builtin): they need no file.
// Unknown names make an error wrapping ErrUnknownModule that lists them all;
// the rest is still returned.
func (ix *Index) Closure(names ...string) ([]string, error) {
	return ix.closure(true, names)
}

// Deps returns names and their hard dependencies, the modules.dep lines
// that modprobe must load first or fail, in load order, each once; no
// softdeps. A dependency that is built in is in the result (check
// Module(n).Builtin) and satisfied: modprobe skips a module the kernel has.
// Unknown names make an error wrapping ErrUnknownModule, as for Closure.
func (ix *Index) Deps(names ...string) ([]string, error) {
	return ix.closure(false, names)
}

func (ix *Index) closure(soft bool, names []string) ([]string, error) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var out, unknown []string
	var visit func(n string)
	visit = func(n string) {
		if state[n] != unseen {
			return // done, or a cycle back to a module being visited
		}
		state[n] = active
		m, ok := ix.modules[n]
		if !ok {
			return
		}
		for _, d := range m.Depends {
			if _, ok := ix.modules[d]; ok {
				visit(d)
			}
		}
		if soft {
			for _, s := range m.SoftPre {
				for _, r := range ix.Resolve(s) {
					if r != n {
						visit(r)
					}
				}
			}
		}
		state[n] = done
		out = append(out, n)
	}
	for _, name := range names {
		n := Normalize(name)
		if _, ok := ix.modules[n]; !ok {
			unknown = append(unknown, name)
			continue
		}
		visit(n)
	}
	if len(unknown) > 0 {
		return out, fmt.Errorf("%s: %w: not in %s/modules.dep nor built in", strings.Join(unknown, ", "), ErrUnknownModule, ix.dir)
	}
	return out, nil
}

// Softdep is one "pre:" name of a modules.softdep line, resolved as modprobe
// resolves it. modprobe loads it before Of when it can and goes on without
// it when it cannot: it is never needed for Of to load.
type Softdep struct {
	// Of is the module whose softdep it is.
	Of string
	// Name is as written in modules.softdep: a module or an alias
	// ("crypto-crc32c").
	Name string
	// Modules are what Name resolves to (Resolve), sorted, built-in ones
	// first: any one of them loaded is what the softdep asks for. Empty
	// when the kernel has nothing by that name.
	Modules []string
}

// Softdeps returns the "pre:" softdeps of every module in Deps(names...),
// in that order, each (Of, Name) once. A softdep on a module of that set
// itself is left out: it is loaded anyway. Softdeps of the softdeps'
// modules are not followed. Unknown names are skipped (Deps reports them).
func (ix *Index) Softdeps(names ...string) []Softdep {
	deps, _ := ix.Deps(names...)
	in := map[string]bool{}
	for _, d := range deps {
		in[d] = true
	}
	seen := map[string]bool{}
	var out []Softdep
	for _, d := range deps {
		m := ix.modules[d]
		for _, s := range m.SoftPre {
			key := d + " " + Normalize(s)
			if seen[key] {
				continue
			}
			seen[key] = true
			mods := ix.Resolve(s)
			if slices.ContainsFunc(mods, func(r string) bool { return in[r] }) {
				continue
			}
			sort.SliceStable(mods, func(i, j int) bool {
				return ix.modules[mods[i]].Builtin && !ix.modules[mods[j]].Builtin
			})
			out = append(out, Softdep{Of: d, Name: s, Modules: mods})
		}
	}
	return out
}

// Names returns every module name, sorted: loadable and built in.
func (ix *Index) Names() []string {
	out := make([]string, 0, len(ix.modules))
	for n := range ix.modules {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
