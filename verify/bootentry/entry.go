package bootentry

import (
	"path"
	"strings"
)

// Loader names the mechanism an entry comes from.
type Loader string

// The loaders bootentry understands.
const (
	LoaderGRUB Loader = "grub" // a menuentry in grub.cfg
	LoaderBLS  Loader = "bls"  // a Boot Loader Specification type #1 entry
	LoaderUKI  Loader = "uki"  // a unified kernel image (type #2 entry)
)

// Kind says whether an entry boots a Linux kernel boot-guard can check.
type Kind string

const (
	// KindLinux: a Linux kernel with (or without) initrds.
	KindLinux Kind = "linux"
	// KindOther: memtest, chainloading another OS, firmware setup: nothing
	// boot-guard checks, never chosen as a fallback.
	KindOther Kind = "other"
)

// Entry is one item the boot loader offers.
type Entry struct {
	Loader Loader `json:"loader"`
	Kind   Kind   `json:"kind"`
	// Title is what the menu shows.
	Title string `json:"title"`
	// ID identifies the entry to the boot loader: GRUB's $menuentry_id_option
	// (empty when grub.cfg gives none), a BLS file name ("x.conf"), a UKI file
	// name ("debian-6.1.0-18-amd64.efi").
	ID string `json:"id"`
	// Selector is what grub-set-default, grub-reboot or bootctl set-default
	// take to pick this entry: GRUB ids joined by ">" through submenus (or
	// indexes where an entry has no id), the BLS or UKI file name.
	Selector string `json:"selector"`
	// MenuPath is GRUB's index path ("1>2": third entry of the second
	// top-level item); empty for BLS and UKI.
	MenuPath string `json:"menu_path,omitempty"`
	// Version is the kernel version: from vmlinuz-VERSION, BLS "version" (or
	// the kernel's file name), a UKI's .uname section. Empty when unknown.
	Version string `json:"version"`
	// Kernel is the host path of the kernel image; empty for a UKI.
	Kernel string `json:"kernel_path,omitempty"`
	// KernelRaw is the kernel path exactly as the configuration writes it.
	KernelRaw string `json:"kernel_raw,omitempty"`
	// Initrds are the host paths of the initrds, in load order. Empty when
	// the entry loads none (the incident this project exists for).
	Initrds []string `json:"initrds"`
	// InitrdsRaw are the initrd paths as the configuration writes them.
	InitrdsRaw []string `json:"initrds_raw,omitempty"`
	// Embedded is a UKI's .initrd section; nil otherwise.
	Embedded *Section `json:"embedded_initrd,omitempty"`
	// Cmdline is the kernel command line the entry passes.
	Cmdline string `json:"cmdline"`
	// Source says where the entry was read: "/boot/grub/grub.cfg:143".
	Source string `json:"source"`
	// Unresolved explains why a path could not be mapped to a host file
	// (a GRUB variable in it, say); empty when all paths were mapped.
	Unresolved string `json:"unresolved,omitempty"`
}

// Section is a byte range of a file: a UKI's embedded initrd. Read it with
// io.NewSectionReader(f, Offset, Size).
type Section struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

// Root returns the value of the last root= on the entry's command line (the
// kernel takes the last one), and whether there is one.
func (e Entry) Root() (string, bool) {
	return CmdlineValue(e.Cmdline, "root")
}

// CmdlineValue returns the value of the last key=value parameter named key on
// a kernel command line. Double quotes group a value with spaces, as the
// kernel's parse_args does.
func CmdlineValue(cmdline, key string) (string, bool) {
	val, found := "", false
	for _, p := range splitCmdline(cmdline) {
		if p == "--" {
			break // the rest is for init
		}
		k, v, ok := strings.Cut(p, "=")
		if ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}

// CmdlineValues returns every value of key= on a kernel command line, up
// to "--", in order (modprobe.blacklist= may be given more than once).
func CmdlineValues(cmdline, key string) []string {
	var out []string
	for _, p := range splitCmdline(cmdline) {
		if p == "--" {
			break
		}
		if k, v, ok := strings.Cut(p, "="); ok && k == key {
			out = append(out, v)
		}
	}
	return out
}

func splitCmdline(s string) []string {
	var out []string
	var b strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			have = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n'):
			if have {
				out = append(out, b.String())
				b.Reset()
				have = false
			}
		default:
			b.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, b.String())
	}
	return out
}

// VersionFromKernelPath returns VERSION for a kernel file named
// vmlinuz-VERSION or vmlinux-VERSION (Debian's names), and "" otherwise.
func VersionFromKernelPath(p string) string {
	base := path.Base(p)
	for _, prefix := range []string{"vmlinuz-", "vmlinux-", "kernel-"} {
		if v, ok := strings.CutPrefix(base, prefix); ok && v != "" {
			return v
		}
	}
	return ""
}

// isLinuxKernelPath reports whether p names a Linux kernel rather than, say,
// memtest86+ loaded with linux16.
func isLinuxKernelPath(p string) bool {
	base := path.Base(p)
	if strings.Contains(base, "memtest") {
		return false
	}
	return VersionFromKernelPath(p) != "" || base == "vmlinuz" || base == "vmlinux" || base == "linux" || strings.HasPrefix(base, "bzImage")
}

// CompareVersions orders kernel versions the way people (and dpkg, for the
// cases kernels use) expect: runs of digits compare as numbers, "~" sorts
// before anything. It returns -1, 0 or 1.
func CompareVersions(a, b string) int {
	for a != "" || b != "" {
		// Non-digit prefix.
		na, nb := nonDigitPrefix(a), nonDigitPrefix(b)
		if c := compareNonDigit(na, nb); c != 0 {
			return c
		}
		a, b = a[len(na):], b[len(nb):]
		da, db := digitPrefix(a), digitPrefix(b)
		if c := compareDigits(da, db); c != 0 {
			return c
		}
		a, b = a[len(da):], b[len(db):]
	}
	return 0
}

func nonDigitPrefix(s string) string {
	i := 0
	for i < len(s) && (s[i] < '0' || s[i] > '9') {
		i++
	}
	return s[:i]
}

func digitPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func order(c byte) int {
	switch {
	case c == '~':
		return -1
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return int(c)
	}
	return int(c) + 256
}

func compareNonDigit(a, b string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		oa, ob := 0, 0
		if i < len(a) {
			oa = order(a[i])
		}
		if i < len(b) {
			ob = order(b[i])
		}
		if oa != ob {
			if oa < ob {
				return -1
			}
			return 1
		}
	}
	return 0
}

func compareDigits(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
