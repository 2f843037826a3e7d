package verify

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/initrd"
)

// AuditRequest says what Audit checks.
type AuditRequest struct {
	// Root is the filesystem root; "" means "/".
	Root string
	// Sys and Proc are the host's /sys and /proc (nil under --root).
	Sys, Proc fs.FS
	// Dev is the host's /dev, where root= is looked up (/dev/disk/by-*).
	// "" (always under --root) compares root= with ROOT/etc/fstab's / line
	// instead of the running root.
	Dev string
	// EFIVars is the host's efivarfs (nil under --root).
	EFIVars fs.FS
	// Modules are extra required modules (--module, MODULES=).
	Modules []string
	// Check verifies one kernel; nil means Check. The APT hook wraps it
	// with a cache keyed by file identity.
	Check func(context.Context, Request) KernelReport
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// EntryReport is one boot entry and its verdict.
type EntryReport struct {
	bootentry.Entry
	// Default: the boot loader boots this entry when nobody chooses.
	Default bool    `json:"default"`
	Verdict Verdict `json:"verdict"`
	// RootMatch compares root= with the machine's root: match, mismatch,
	// unknown or absent.
	RootMatch bootentry.RootMatch `json:"root_match"`
	// Problems are the entry's own findings (root=, paths); the kernel's
	// are in Kernel.
	Problems []Problem `json:"problems"`
	// Kernel is the verification of the kernel and initrds the entry
	// loads; nil when they were not checked (not a Linux entry).
	Kernel *KernelReport `json:"kernel,omitempty"`
}

// Fallback is the entry to boot instead of a default that will not.
type Fallback struct {
	// Entry is the index in AuditReport.Entries.
	Entry    int    `json:"entry"`
	Title    string `json:"title"`
	Version  string `json:"version"`
	Selector string `json:"selector"`
	// Command makes it the default for every boot, when one command can:
	// "grub-set-default 'SEL'" (GRUB_DEFAULT=saved), "bootctl set-default ID".
	Command string `json:"command,omitempty"`
	// Argv is Command as arguments, for AUTO_FALLBACK=yes.
	Argv []string `json:"argv,omitempty"`
	// OnceCommand selects it for the next boot only.
	OnceCommand string `json:"once_command,omitempty"`
	// Instructions say what to change when no command can (GRUB_DEFAULT is
	// not "saved").
	Instructions string `json:"instructions,omitempty"`
}

// AuditReport is every boot entry the boot loader offers, the default first
// in importance: Verdict is the default entry's, what `audit` exits with.
type AuditReport struct {
	SchemaVersion int `json:"schema_version"`
	// Loader is grub or bls (systemd-boot, with UKIs); "" when none found.
	Loader    string `json:"loader"`
	LoaderWhy string `json:"loader_why"`
	// Default is the index of the default entry in Entries, -1 if unknown.
	Default     int    `json:"default"`
	DefaultFrom string `json:"default_from"`
	// OneShot: the default is for the next boot only (grub-reboot).
	OneShot bool `json:"one_shot"`
	// Verdict is the default entry's verdict; cannot-tell when there is no
	// default entry.
	Verdict  Verdict       `json:"verdict"`
	Entries  []EntryReport `json:"entries"`
	Fallback *Fallback     `json:"fallback,omitempty"`
	// RootDevice is what root= was compared with; nil when unknown.
	RootDevice *bootentry.RootDevice `json:"root_device,omitempty"`
	Notes      []string              `json:"notes"`
	// Problems concern the menu as a whole (no boot loader found).
	Problems        []Problem `json:"problems"`
	CheckedAt       time.Time `json:"checked_at"`
	DurationSeconds float64   `json:"duration_seconds"`
}

// DefaultEntry returns the default entry's report, or nil.
func (r *AuditReport) DefaultEntry() *EntryReport {
	if r.Default < 0 || r.Default >= len(r.Entries) {
		return nil
	}
	return &r.Entries[r.Default]
}

// Kernels folds the entries into one verdict per kernel version, the worst
// over its entries (for metrics): entries with no version are left out.
func (r *AuditReport) Kernels() []KernelReport {
	var out []KernelReport
	at := map[string]int{}
	for _, e := range r.Entries {
		if e.Kind != bootentry.KindLinux || e.Version == "" {
			continue
		}
		i, ok := at[e.Version]
		if !ok {
			at[e.Version] = len(out)
			out = append(out, KernelReport{Version: e.Version, Verdict: e.Verdict})
			continue
		}
		out[i].Verdict = Worst(out[i].Verdict, e.Verdict)
	}
	return out
}

// Audit checks every entry the boot loaders offer. It never writes
// anything and never runs a program: choosing the fallback is the caller's
// (see Fallback.Argv).
func Audit(ctx context.Context, req AuditRequest) (rep AuditReport) {
	now := req.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	root := req.Root
	if root == "" {
		root = "/"
	}
	rep = AuditReport{SchemaVersion: SchemaVersion, Default: -1, Verdict: CannotTell, CheckedAt: start,
		Entries: []EntryReport{}, Notes: []string{}, Problems: []Problem{}}
	// rep is the named result: the duration is set after every return.
	defer func() { rep.DurationSeconds = now().Sub(start).Seconds() }()

	step(ctx, "reading the boot loader's configuration under %s", root)
	menu, err := bootentry.Scan(bootentry.Options{Root: root, EFIVars: req.EFIVars})
	if err != nil {
		rep.Problems = append(rep.Problems, Problem{Code: CodeMenuUnreadable, Verdict: CannotTell,
			Message: fmt.Sprintf("cannot read the boot menu: %v", err)})
		return rep
	}
	rep.Loader, rep.LoaderWhy = string(menu.Loader), menu.LoaderWhy
	rep.DefaultFrom, rep.OneShot = menu.DefaultFrom, menu.OneShot
	rep.Notes = append(rep.Notes, menu.Notes...)
	for _, u := range menu.Unknown {
		rep.Problems = append(rep.Problems, Problem{Code: CodeMenuUnreadable, Verdict: CannotTell, Message: u})
	}
	if menu.Loader == "" {
		rep.Problems = append(rep.Problems, Problem{Code: CodeNoBootLoader, Verdict: CannotTell,
			Message: "no boot loader configuration found: " + menu.LoaderWhy,
			Hint:    "on a machine that boots with GRUB, run update-grub; check single kernels with: boot-guard verify --all"})
	}

	step(ctx, "finding this machine's root device (/proc, /sys, /dev)")
	rootDev, rootErr := machineRoot(req, menu.Layout)
	if rootDev != nil {
		rep.RootDevice = rootDev
	}
	check := req.Check
	if check == nil {
		check = Check
	}
	memo := map[string]KernelReport{}
	for i, e := range menu.Entries {
		if ctx.Err() != nil {
			break
		}
		er := auditEntry(ctx, req, root, e, rootDev, rootErr, check, memo)
		er.Default = i == menu.Default
		rep.Entries = append(rep.Entries, er)
	}
	if ctx.Err() != nil {
		rep.Problems = append(rep.Problems, Problem{Code: CodeNotChecked, Verdict: CannotTell,
			Message: fmt.Sprintf("the audit was interrupted: %v", interrupted(ctx))})
		return rep
	}
	if menu.Loader != "" {
		rep.Default = menu.Default
		if d := rep.DefaultEntry(); d != nil {
			rep.Verdict = d.Verdict
		} else {
			rep.Problems = append(rep.Problems, Problem{Code: CodeNoDefault, Verdict: CannotTell,
				Message: fmt.Sprintf("the %s menu has no entry to boot by default (%s)", menu.Loader, menu.DefaultFrom)})
		}
	}
	if rep.Verdict != Bootable {
		rep.Fallback = chooseFallback(&rep, menu)
	}
	return rep
}

// machineRoot names the root device root= must match: the running root for
// the host, fstab's for --root.
func machineRoot(req AuditRequest, l bootentry.Layout) (*bootentry.RootDevice, error) {
	if req.Dev != "" && req.Proc != nil {
		return bootentry.HostRoot(req.Proc, req.Sys, req.Dev)
	}
	return bootentry.FstabRoot(l)
}

func auditEntry(ctx context.Context, req AuditRequest, root string, e bootentry.Entry, rootDev *bootentry.RootDevice, rootErr error,
	check func(context.Context, Request) KernelReport, memo map[string]KernelReport) EntryReport {
	er := EntryReport{Entry: e, Problems: []Problem{}}
	if er.Initrds == nil {
		er.Initrds = []string{}
	}
	name := fmt.Sprintf("boot entry %q (%s)", e.Title, e.Source)
	if e.Kind != bootentry.KindLinux {
		er.Verdict = CannotTell
		er.RootMatch = bootentry.RootUnknown
		er.add(Problem{Code: CodeEntryNotLinux, Verdict: CannotTell,
			Message: name + " does not boot a Linux kernel boot-guard can check (memory test, another OS, firmware setup)"})
		return er
	}
	if e.Unresolved != "" {
		er.add(Problem{Code: CodeEntryUnresolved, Verdict: CannotTell, Message: name + ": " + e.Unresolved})
	}
	version := e.Version
	if version == "" && e.Kernel != "" {
		// "linux /vmlinuz": Debian's symlink to the newest kernel.
		if t, err := filepath.EvalSymlinks(e.Kernel); err == nil {
			version = bootentry.VersionFromKernelPath(t)
			er.Version = version
		}
	}
	if version == "" {
		er.add(Problem{Code: CodeEntryUnresolved, Verdict: CannotTell,
			Message: name + ": its kernel version is unknown, so its modules cannot be checked"})
	}

	// root= against this machine's root.
	spec, _ := e.Root()
	m, p := rootArgProblem(name, spec, rootDev, rootErr)
	er.RootMatch = m
	if p != nil {
		er.add(*p)
	}

	if e.Unresolved != "" || version == "" {
		return er
	}
	r := Request{Root: root, Sys: req.Sys, Proc: req.Proc, Version: version, Kernel: e.Kernel,
		Initrds: e.Initrds, Modules: req.Modules, Cmdline: e.Cmdline, CmdlineSource: e.Source}
	switch {
	case e.Embedded != nil:
		r.InitrdSection = e.Embedded
	case len(e.Initrds) == 0:
		r.NoInitrd = true
	}
	if r.Kernel == "" {
		// A UKI (type #2 entry): the image file holds the kernel, checked
		// by its sections as the kernel-install hook checks a staged UKI.
		r.Kernel, r.UKI = e.Source, e.Source
	}
	key := memoKey(r)
	kr, ok := memo[key]
	if !ok {
		kr = check(ctx, r)
		memo[key] = kr
	}
	er.Kernel = &kr
	er.Verdict = Worst(er.Verdict, kr.Verdict)
	return er
}

func (er *EntryReport) add(p Problem) {
	er.Problems = append(er.Problems, p)
	er.Verdict = Worst(er.Verdict, p.Verdict)
}

// memoKey identifies a Request within one audit: GRUB offers each kernel
// twice (normal and recovery) with the same files.
func memoKey(r Request) string {
	k := fmt.Sprintf("%s\x00%s\x00%q\x00%v", r.Version, r.Kernel, r.Initrds, r.NoInitrd)
	if r.InitrdSection != nil {
		k += fmt.Sprintf("\x00%s:%d:%d", r.InitrdSection.Path, r.InitrdSection.Offset, r.InitrdSection.Size)
	}
	if r.NoInitrd {
		// Without an initrd the verdict depends on the command line's root=.
		k += "\x00" + r.Cmdline + "\x00" + r.CmdlineSource
	}
	return k + "\x00" + cmdlineKey(r.Cmdline)
}

// chooseFallback picks the newest bootable entry of the loader that boots,
// other than the default, preferring normal entries over recovery ones, and
// says how to select it.
func chooseFallback(rep *AuditReport, menu *bootentry.Menu) *Fallback {
	best := -1
	for i, e := range rep.Entries {
		if i == rep.Default || e.Verdict != Bootable || e.Kind != bootentry.KindLinux || !sameLoader(menu.Loader, e.Loader) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := rep.Entries[best]
		c := bootentry.CompareVersions(e.Version, b.Version)
		if c > 0 || c == 0 && isRecovery(b.Entry) && !isRecovery(e.Entry) {
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	e := rep.Entries[best]
	fb := &Fallback{Entry: best, Title: e.Title, Version: e.Version, Selector: e.Selector}
	switch menu.Loader {
	case bootentry.LoaderGRUB:
		if menu.GrubSaved() {
			fb.Argv = []string{"grub-set-default", e.Selector}
			fb.Command = "grub-set-default " + shellQuote(e.Selector)
			fb.OnceCommand = "grub-reboot " + shellQuote(e.Selector)
		} else {
			cur := menu.GrubDefault
			if cur == "" {
				cur = "0 (unset)"
			}
			fb.Instructions = fmt.Sprintf("GRUB_DEFAULT is %s in /etc/default/grub: set GRUB_DEFAULT=%s there and run update-grub (or set GRUB_DEFAULT=saved, run update-grub, then grub-set-default %s)",
				cur, shellQuote(e.Selector), shellQuote(e.Selector))
		}
	case bootentry.LoaderBLS:
		fb.Argv = []string{"bootctl", "set-default", e.ID}
		fb.Command = "bootctl set-default " + shellQuote(e.ID)
		fb.OnceCommand = "bootctl set-oneshot " + shellQuote(e.ID)
	}
	return fb
}

func sameLoader(menu, entry bootentry.Loader) bool {
	if menu == bootentry.LoaderBLS {
		return entry == bootentry.LoaderBLS || entry == bootentry.LoaderUKI
	}
	return menu == entry
}

func isRecovery(e bootentry.Entry) bool {
	return strings.Contains(e.Title, "recovery mode") || strings.Contains(" "+e.Cmdline+" ", " single ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~>") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// readSection reads an initrd embedded in a file (a UKI's .initrd section).
func readSection(ctx context.Context, s *bootentry.Section, opt initrd.Options) (*initrd.Image, error) {
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.Path, err)
	}
	defer f.Close()
	img, err := initrd.Read(ctx, io.NewSectionReader(f, s.Offset, s.Size), opt)
	if err != nil {
		return nil, fmt.Errorf("%s .initrd section at offset %d: %w", s.Path, s.Offset, err)
	}
	return img, nil
}

// noInitrdWhat says why there is no initrd: the entry loads none, or the
// file does not exist.
func (c *checker) noInitrdWhat(shown string) string {
	if c.initrdOff != "" {
		return c.initrdOff
	}
	if c.req.NoInitrd && c.req.UKI != "" { // issue 14 item 1
		return fmt.Sprintf("the unified kernel image %s has no .initrd section", c.req.UKI)
	}
	if c.req.NoInitrd {
		src := c.req.CmdlineSource
		if src == "" {
			src = "the boot entry"
		}
		return fmt.Sprintf("the boot entry at %s loads no initrd", src)
	}
	return fmt.Sprintf("initrd %s does not exist", shown)
}
