package bootentry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Options says where Scan reads.
type Options struct {
	// Root is the host directory of the system's root: "/" or a mounted
	// image. /boot, /efi, /boot/efi and /etc are read under it.
	Root string
	// EFIVars is the host's efivarfs (/sys/firmware/efi/efivars), for
	// systemd-boot's LoaderInfo, LoaderEntryDefault and LoaderEntryOneShot.
	// nil under --root: an image's firmware variables are not this machine's.
	EFIVars fs.FS
}

// Menu is every entry the boot loaders on the system offer, and the one that
// boots by default.
type Menu struct {
	// Loader is the boot loader that will run: grub or bls (systemd-boot,
	// which also lists UKIs); empty when no configuration was found.
	Loader Loader `json:"loader"`
	// LoaderWhy says how Loader was decided.
	LoaderWhy string `json:"loader_why"`
	// Entries lists GRUB's entries in menu order, then BLS and UKI entries
	// in systemd-boot's order.
	Entries []Entry `json:"entries"`
	// Default is the index in Entries of the entry that boots when nobody
	// touches the keyboard, or -1 when none could be determined.
	Default int `json:"default"`
	// DefaultFrom says which setting chose it: "grubenv saved_entry=...".
	DefaultFrom string `json:"default_from"`
	// OneShot: the default is for the next boot only (grub-reboot's
	// next_entry, systemd-boot's LoaderEntryOneShot).
	OneShot bool `json:"one_shot"`
	// GrubDefault is GRUB_DEFAULT from /etc/default/grub and
	// /etc/default/grub.d/*.cfg, the last one set ("" when unset:
	// GRUB's own default is 0).
	GrubDefault string `json:"grub_default,omitempty"`
	// GrubConfig is the host path of the grub.cfg read, if any.
	GrubConfig string `json:"grub_config,omitempty"`
	// Notes are facts a person should see (a default that matches nothing).
	Notes []string `json:"notes,omitempty"`
	// Unknown lists what could not be read; when it concerns the loader that
	// boots, the default entry's verdict is cannot-tell.
	Unknown []string `json:"unknown,omitempty"`
	// Layout is what fstab says about /boot.
	Layout Layout `json:"-"`
}

// GrubSaved reports whether GRUB_DEFAULT=saved, so grub-set-default and
// grub-reboot choose the entry.
func (m *Menu) GrubSaved() bool { return m.GrubDefault == "saved" }

// DefaultEntry returns the default entry, or nil.
func (m *Menu) DefaultEntry() *Entry {
	if m.Default < 0 || m.Default >= len(m.Entries) {
		return nil
	}
	return &m.Entries[m.Default]
}

// The systemd-boot vendor GUID of its EFI variables.
const loaderGUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

// espDirs are where BLS entries and UKIs are looked for, relative to the
// root: the XBOOTLDR partition or /boot directory, and the ESP's two usual
// mount points.
var espDirs = []string{"boot", "efi", "boot/efi"}

// Scan reads every boot entry under opts.Root. Problems with one file are
// recorded in Menu.Unknown, not returned: an error means nothing could be
// read at all.
func Scan(opts Options) (*Menu, error) {
	if opts.Root == "" {
		return nil, errors.New("bootentry: no root directory given")
	}
	m := &Menu{Default: -1}
	l, err := ReadLayout(opts.Root)
	if err != nil {
		m.Unknown = append(m.Unknown, err.Error())
	}
	m.Layout = l
	haveGrub := scanGrub(m, l)
	blsDefault := scanBLS(m, opts)

	info := efiString(opts.EFIVars, "LoaderInfo")
	switch {
	case strings.HasPrefix(info, "systemd-boot") && blsDefault.found:
		m.Loader, m.LoaderWhy = LoaderBLS, "the EFI variable LoaderInfo says this boot was by "+info
	case haveGrub:
		m.Loader, m.LoaderWhy = LoaderGRUB, m.GrubConfig+" exists"
	case blsDefault.found:
		m.Loader, m.LoaderWhy = LoaderBLS, "no grub.cfg; Boot Loader Specification entries or UKIs exist"
	default:
		m.LoaderWhy = "no grub.cfg, loader/entries/*.conf or EFI/Linux/*.efi found under /boot, /efi or /boot/efi"
		return m, nil
	}
	if m.Loader == LoaderBLS {
		m.Default, m.DefaultFrom, m.OneShot = blsDefault.index, blsDefault.from, blsDefault.oneShot
	}
	return m, nil
}

// scanGrub reads grub.cfg, grubenv and /etc/default/grub, appends GRUB's
// entries and sets the default if grub.cfg exists.
func scanGrub(m *Menu, l Layout) bool {
	cfgPath := filepath.Join(l.Root, "boot/grub/grub.cfg")
	f, err := os.Open(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	m.GrubConfig = cfgPath
	if err != nil {
		m.Unknown = append(m.Unknown, fmt.Sprintf("read grub.cfg: %v", err))
		return true
	}
	cfg, err := ParseGrubConfig(f, cfgPath)
	f.Close()
	if err != nil {
		m.Unknown = append(m.Unknown, err.Error())
		return true
	}
	// /etc/default/grub, then /etc/default/grub.d/*.cfg in order, as
	// grub-mkconfig sources them (cloud images set GRUB_DEFAULT there).
	defaults := []string{filepath.Join(l.Root, "etc/default/grub")}
	more, _ := filepath.Glob(filepath.Join(l.Root, "etc/default/grub.d/*.cfg"))
	for _, name := range append(defaults, more...) {
		dg, err := os.Open(name)
		if err != nil {
			continue
		}
		vals, err := ParseShellAssignments(dg)
		dg.Close()
		if err != nil {
			m.Unknown = append(m.Unknown, fmt.Sprintf("read %s: %v", name, err))
		}
		if v, ok := vals["GRUB_DEFAULT"]; ok {
			m.GrubDefault = v
		}
	}
	var env map[string]string
	envPath := filepath.Join(l.Root, "boot/grub/grubenv")
	if data, err := readCapped(envPath, 64<<10); err == nil {
		env, err = ParseGrubenv(data, envPath)
		if err != nil {
			m.Unknown = append(m.Unknown, err.Error())
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		m.Unknown = append(m.Unknown, fmt.Sprintf("read grubenv: %v", err))
	}

	var paths [][]int
	flattenGrub(cfg.Items, nil, nil, l, cfgPath, &m.Entries, &paths)

	// The default, as grub.cfg's header computes it at boot.
	def, from := "0", "GRUB's built-in default (no 'set default' in grub.cfg)"
	if len(cfg.Defaults) > 0 {
		def = cfg.Defaults[len(cfg.Defaults)-1]
		from = fmt.Sprintf("grub.cfg set default=%q", def)
	}
	if def == "${saved_entry}" || def == "$saved_entry" {
		def = env["saved_entry"]
		from = fmt.Sprintf("grubenv saved_entry=%q", def)
		if def == "" {
			def = "0"
			from = "grubenv has no saved_entry: GRUB boots the first entry"
		}
	}
	if ne := env["next_entry"]; ne != "" && cfg.UsesNextEntry {
		def, from, m.OneShot = ne, fmt.Sprintf("grubenv next_entry=%q (grub-reboot: the next boot only)", ne), true
	}
	if strings.Contains(def, "$") {
		m.Unknown = append(m.Unknown, fmt.Sprintf("grub.cfg's default %q uses a variable boot-guard does not expand", def))
		m.DefaultFrom = from
		return true
	}
	path, ok := ResolveGrubDefault(cfg.Items, def)
	if !ok {
		m.Notes = append(m.Notes, fmt.Sprintf("the default %q (%s) matches no menu entry: GRUB boots the first entry instead", def, from))
	}
	for i, p := range paths {
		if slices.Equal(p, path) {
			m.Default = i
		}
	}
	m.DefaultFrom = from
	if m.Default < 0 && len(m.Entries) > 0 {
		m.Unknown = append(m.Unknown, fmt.Sprintf("the default %q leads to an empty submenu", def))
	}
	if m.GrubDefault != "" && m.GrubDefault != "saved" && len(cfg.Defaults) > 0 && cfg.Defaults[len(cfg.Defaults)-1] != m.GrubDefault {
		m.Notes = append(m.Notes, fmt.Sprintf("/etc/default/grub says GRUB_DEFAULT=%s but grub.cfg says default=%s: run update-grub", m.GrubDefault, cfg.Defaults[len(cfg.Defaults)-1]))
	}
	return true
}

func flattenGrub(items []GrubItem, idx []int, sel []string, l Layout, cfgPath string, out *[]Entry, paths *[][]int) {
	for i, it := range items {
		p := append(append([]int(nil), idx...), i)
		name := it.ID
		if name == "" {
			name = it.Title
		}
		s := append(append([]string(nil), sel...), name)
		if it.IsMenu {
			flattenGrub(it.Submenu, p, s, l, cfgPath, out, paths)
			continue
		}
		e := Entry{
			Loader:    LoaderGRUB,
			Kind:      KindLinux,
			Title:     it.Title,
			ID:        it.ID,
			Selector:  strings.Join(s, ">"),
			MenuPath:  joinInts(p),
			KernelRaw: it.Linux,
			Cmdline:   it.Args,
			Source:    fmt.Sprintf("%s:%d", cfgPath, it.Line),
		}
		if it.Other != "" || it.Linux == "" || !isLinuxKernelPath(it.Linux) {
			e.Kind = KindOther
		}
		if e.Kind == KindLinux {
			e.Version = VersionFromKernelPath(it.Linux)
			var why string
			e.Kernel, why = l.grubPath(it.Linux, it.SearchUUID)
			if why != "" {
				e.Unresolved = why
			}
			for _, raw := range it.Initrds {
				e.InitrdsRaw = append(e.InitrdsRaw, raw)
				hp, why := l.grubPath(raw, it.SearchUUID)
				if why != "" {
					e.Unresolved = why
					continue
				}
				e.Initrds = append(e.Initrds, hp)
			}
		}
		*out = append(*out, e)
		*paths = append(*paths, p)
	}
}

func joinInts(p []int) string {
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ">")
}

type blsResult struct {
	found   bool
	index   int // into Menu.Entries
	from    string
	oneShot bool
}

// scanBLS appends type #1 entries and UKIs, sorted as systemd-boot sorts
// them, and works out systemd-boot's default.
func scanBLS(m *Menu, opts Options) blsResult {
	res := blsResult{index: -1}
	seen := map[string]bool{}
	var entries []Entry
	var keys [][3]string
	loaderConf := ""
	for _, d := range espDirs {
		base := filepath.Join(opts.Root, d)
		real, err := filepath.EvalSymlinks(base)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if loaderConf == "" {
			if _, err := os.Stat(filepath.Join(base, "loader/loader.conf")); err == nil {
				loaderConf = filepath.Join(base, "loader/loader.conf")
			}
		}
		confs, _ := filepath.Glob(filepath.Join(base, "loader/entries/*.conf"))
		for _, c := range confs {
			e, k, err := blsEntry(c)
			if err != nil {
				m.Unknown = append(m.Unknown, err.Error())
				continue
			}
			entries, keys = append(entries, e), append(keys, k)
		}
		ukis, _ := filepath.Glob(filepath.Join(base, "EFI/Linux/*.efi"))
		for _, u := range ukis {
			e, k, err := ukiEntry(u)
			if err != nil {
				m.Unknown = append(m.Unknown, err.Error())
				continue
			}
			entries, keys = append(entries, e), append(keys, k)
		}
	}
	if len(entries) == 0 {
		return res
	}
	res.found = true
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	order := sortBLS(ids, func(i int) (string, string, string) { return keys[i][0], keys[i][1], keys[i][2] })
	first := len(m.Entries)
	for _, i := range order {
		m.Entries = append(m.Entries, entries[i])
	}
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
	if v := efiString(opts.EFIVars, "LoaderEntryOneShot"); v != "" && pick(v, fmt.Sprintf("EFI variable LoaderEntryOneShot=%q (the next boot only)", v), true) {
		return res
	}
	if v := efiString(opts.EFIVars, "LoaderEntryDefault"); v != "" && pick(v, fmt.Sprintf("EFI variable LoaderEntryDefault=%q (bootctl set-default)", v), false) {
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
	switch {
	case b.Linux != "":
		e.Kernel = filepath.Join(base, b.Linux)
		if e.Version == "" {
			e.Version = VersionFromKernelPath(b.Linux)
		}
		for _, x := range b.Initrds {
			e.InitrdsRaw = append(e.InitrdsRaw, x)
			e.Initrds = append(e.Initrds, filepath.Join(base, x))
		}
	case b.EFI != "":
		// A type #1 entry that starts an EFI program: a UKI if it has a
		// .linux section.
		u, err := ReadUKI(filepath.Join(base, b.EFI))
		e.Kernel = filepath.Join(base, b.EFI) // the image holds the kernel
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

// efiString reads a UTF-16 string EFI variable (4 attribute bytes, then the
// string, NUL-terminated) from efivarfs; "" when absent or unreadable.
func efiString(vars fs.FS, name string) string {
	if vars == nil {
		return ""
	}
	b, err := fs.ReadFile(vars, name+"-"+loaderGUID)
	if err != nil || len(b) < 6 {
		return ""
	}
	b = b[4:]
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d boot-guard reads", path, st.Size(), max)
	}
	b := make([]byte, st.Size())
	_, err = f.ReadAt(b, 0)
	if err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// SortByVersion returns the indexes of the Linux entries of m, newest kernel
// first (entries without a version last), for choosing a fallback.
func (m *Menu) SortByVersion() []int {
	var idx []int
	for i, e := range m.Entries {
		if e.Kind == KindLinux {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return CompareVersions(m.Entries[idx[a]].Version, m.Entries[idx[b]].Version) > 0
	})
	return idx
}
