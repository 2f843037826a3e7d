package bootentry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
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

	info, err := efiString(opts.EFIVars, "LoaderInfo")
	if err != nil {
		m.Unknown = append(m.Unknown, err.Error())
	}
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

// efiString reads a UTF-16 string EFI variable (4 attribute bytes, then the
// string, NUL-terminated) from efivarfs; "" when absent or too short. A
// variable that exists but cannot be read (EIO from the firmware, EACCES) is
// an error: a default boot entry that cannot be read is not "no default".
func efiString(vars fs.FS, name string) (string, error) {
	if vars == nil {
		return "", nil
	}
	b, err := fs.ReadFile(vars, name+"-"+loaderGUID)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("EFI variable %s cannot be read: %w", name, err)
	}
	if len(b) < 6 {
		return "", nil
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
	return string(utf16.Decode(u)), nil
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
