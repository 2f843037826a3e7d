package bootentry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/rootpath"
)

type blsResult struct {
	found   bool
	index   int // into Menu.Entries
	from    string
	oneShot bool
}

// scanBLS appends type #1 entries and UKIs, sorted as systemd-boot sorts
// them, and works out systemd-boot's default.
func scanBLS(m *Menu, opts Options) blsResult {
	entries, keys, loaderConf := findBLS(m, opts.Root)
	if len(entries) == 0 {
		return blsResult{index: -1}
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	order := sortBLS(ids, func(i int) (string, string, string) { return keys[i][0], keys[i][1], keys[i][2] })
	first := len(m.Entries)
	for _, i := range order {
		m.Entries = append(m.Entries, entries[i])
	}
	return blsDefault(m, opts.EFIVars, first, loaderConf)
}

// blsKinds are the two kinds of entry systemd-boot lists, in the order they
// are read in each directory: type #1 entries, then type #2 UKIs.
var blsKinds = []struct {
	glob string
	read func(path string) (Entry, [3]string, error)
}{
	{"loader/entries/*.conf", blsEntry},
	{"EFI/Linux/*.efi", ukiEntry},
}

// findBLS reads the type #1 entries and UKIs in every ESP directory under
// root (each real directory once), with their sort keys, and finds the first
// loader/loader.conf; unreadable entries are noted in m.Unknown.
func findBLS(m *Menu, root string) (entries []Entry, keys [][3]string, loaderConf string) {
	seen := map[string]bool{}
	for _, d := range espDirs {
		base := filepath.Join(root, d)
		real, err := filepath.EvalSymlinks(base)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if conf := filepath.Join(base, filepath.FromSlash(loaderConfFile)); loaderConf == "" {
			if _, err := os.Stat(conf); err == nil {
				loaderConf = conf
			}
		}
		for _, kind := range blsKinds {
			for _, f := range espFiles(base, kind.glob) {
				e, k, err := kind.read(f)
				if err != nil {
					m.Unknown = append(m.Unknown, err.Error())
					continue
				}
				entries, keys = append(entries, e), append(keys, k)
			}
		}
	}
	return entries, keys, loaderConf
}

// blsDefault is systemd-boot's default among the sorted entries from
// m.Entries[first]: LoaderEntryOneShot, then LoaderEntryDefault, then
// loader.conf's default, then the first entry.
func blsDefault(m *Menu, vars fs.FS, first int, loaderConf string) blsResult {
	res := blsResult{found: true, index: -1}
	sorted := m.Entries[first:]
	pick := func(pattern, from string, oneShot bool) bool {
		for i, e := range sorted {
			if matchDefault(pattern, e.ID) {
				res.index, res.from, res.oneShot = first+i, from, oneShot
				return true
			}
		}
		m.Notes = append(m.Notes, fmt.Sprintf("%s matches no entry", from))
		return false
	}
	oneShot, err1 := efiString(vars, "LoaderEntryOneShot")
	def, err2 := efiString(vars, "LoaderEntryDefault")
	if err := errors.Join(err1, err2); err != nil {
		// issue 17 item 3: the default systemd-boot will pick is unknown.
		m.Unknown = append(m.Unknown, err.Error())
		res.from = "unknown: " + err.Error()
		return res
	}
	if oneShot != "" && pick(oneShot, fmt.Sprintf("EFI variable LoaderEntryOneShot=%q (the next boot only)", oneShot), true) {
		return res
	}
	if def != "" && pick(def, fmt.Sprintf("EFI variable LoaderEntryDefault=%q (bootctl set-default)", def), false) {
		return res
	}
	if loaderConf != "" {
		if data, err := readCapped(loaderConf, 64<<10); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				f := strings.Fields(line)
				if len(f) >= 2 && f[0] == "default" && !strings.HasPrefix(f[1], "@") {
					if pick(f[1], fmt.Sprintf("%s: default %s", loaderConf, f[1]), false) {
						return res
					}
				}
			}
		}
	}
	res.index, res.from = first, "systemd-boot's first entry in sort order (no default set)"
	return res
}

func blsEntry(path string) (Entry, [3]string, error) {
	data, err := readCapped(path, maxBLSBytes)
	if err != nil {
		return Entry{}, [3]string{}, fmt.Errorf("read boot entry: %w", err)
	}
	b, err := ParseBLSEntry(strings.NewReader(string(data)), path)
	if err != nil {
		return Entry{}, [3]string{}, err
	}
	base := blsBase(path)
	e := Entry{Loader: LoaderBLS, Kind: KindLinux, Title: b.Title, ID: b.ID, Selector: b.ID,
		Cmdline: b.Options, Source: path, KernelRaw: b.Linux, Version: b.Version}
	if e.Title == "" {
		e.Title = strings.TrimSuffix(b.ID, ".conf")
	}
	// issue 17 item 5: paths stay in the ESP, whatever ".." or links say.
	in := func(p string) string {
		if r, err := rootpath.Resolve(base, p); err == nil {
			return r
		}
		return rootpath.Join(base, p) // a link loop: reported as unreadable when opened
	}
	switch {
	case b.Linux != "":
		e.Kernel = in(b.Linux)
		if e.Version == "" {
			e.Version = VersionFromKernelPath(b.Linux)
		}
		for _, x := range b.Initrds {
			e.InitrdsRaw = append(e.InitrdsRaw, x)
			e.Initrds = append(e.Initrds, in(x))
		}
	case b.EFI != "":
		// A type #1 entry that starts an EFI program: a UKI if it has a
		// .linux section.
		e.Kernel = in(b.EFI) // the image holds the kernel
		u, err := ReadUKI(e.Kernel)
		if err != nil {
			e.Kind = KindOther
			e.Unresolved = err.Error()
			break
		}
		e.Embedded = u.Initrd
		if e.Version == "" {
			e.Version = u.Version()
		}
		if e.Cmdline == "" {
			e.Cmdline = u.Cmdline
		}
	default:
		e.Kind = KindOther
	}
	return e, [3]string{b.SortKey, b.MachineID, e.Version}, nil
}

func ukiEntry(path string) (Entry, [3]string, error) {
	u, err := ReadUKI(path)
	if err != nil {
		return Entry{}, [3]string{}, err
	}
	id := filepath.Base(path)
	e := Entry{Loader: LoaderUKI, Kind: KindLinux, Title: u.Title(id), ID: id, Selector: id,
		Version: u.Version(), Cmdline: u.Cmdline, Source: path, Embedded: u.Initrd}
	if e.Version == "" {
		e.Unresolved = "the image has no .uname section: its kernel version, and so its modules, are unknown"
	}
	return e, [3]string{u.OSRelease["IMAGE_ID"], "", e.Version}, nil
}
