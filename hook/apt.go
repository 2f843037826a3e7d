package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/metrics"
)

func init() {
	Register("apt", func(ctx context.Context, args []string, env Env) int {
		return Apt(ctx, args, env, AptOptions{CacheDir: filepath.Join(env.Root, AptCacheDir)})
	})
}

// AptCacheDir is where the APT hook keeps its cache, relative to the root:
// on tmpfs, so a reboot (new hardware, new /sys) starts afresh, and never
// under /boot or /lib/modules.
const AptCacheDir = "run/boot-guard"

// aptCacheFile holds the verdicts of the last run, keyed by what was checked
// and the identity of every file the verdict depends on.
const aptCacheFile = "apt-audit.json"

// AptOptions are the APT hook's seams: production values come from Env.
type AptOptions struct {
	// CacheDir is the cache's directory; "" disables the cache.
	CacheDir string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Apt is the DPkg::Post-Invoke hook (/etc/apt/apt.conf.d/90boot-guard): it
// runs after every dpkg run, whatever the package, because another
// package's hook can regenerate grub.cfg with a kernel that will not boot as
// its default (the incident behind this project). It audits every boot
// entry, re-verifying only kernels whose files changed since the last run,
// is silent when the default entry will boot, prints a loud block when it
// will not, keeps METRICS_FILE current, and always exits 0: a failing
// Post-Invoke would make apt report an error for a package that installed
// fine, and could not undo anything anyway.
func Apt(ctx context.Context, args []string, env Env, opt AptOptions) int {
	out := Printer{W: env.Stderr}
	if len(args) > 0 {
		out.Warning("hook apt takes no arguments, ignoring %q", args)
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	cache := loadAptCache(opt.CacheDir)
	req := HostAuditRequest(env)
	req.Check = cache.check
	req.Now = now
	rep := verify.Audit(ctx, req)
	var cacheErr error
	if ctx.Err() == nil {
		cacheErr = cache.save(rep.Verdict)
	}
	if err := WriteMetrics(HostPath(env.Root, env.Config.MetricsFile), false, rep); err != nil {
		out.Warning("%v", err)
	}
	if cacheErr != nil && rep.Verdict != verify.Bootable {
		// Said only with something else to say: a read-only /run (a
		// chroot) must not make the hook noisy when all is well.
		out.Warning("cannot keep the audit cache: %v (the next run re-verifies everything)", cacheErr)
	}
	switch {
	case rep.Verdict == verify.Bootable:
		return 0
	case rep.Verdict == verify.CannotTell && env.Config.CannotTell != CannotTellFail:
		// A container, a machine with no boot loader: say it once, not
		// after every dpkg run.
		if cache.previous != rep.Verdict.String() {
			out.Warning("cannot tell whether the default boot entry will boot: %s (boot-guard audit explains; this is said once)", auditSummary(rep))
		}
		return 0
	}
	PrintAuditBlock(out, rep, env.Config.CannotTell == CannotTellFail)
	if env.Config.AutoFallback && rep.Verdict == verify.Unbootable {
		AutoFallback(ctx, out, rep, env)
	}
	out.Line("(the APT hook never fails apt; the package operation itself went through)")
	return 0
}

// HostAuditRequest is the audit of the machine the hook runs on: /dev and
// the EFI variables under env's root and /sys.
func HostAuditRequest(env Env) verify.AuditRequest {
	req := verify.AuditRequest{Root: env.Root, Sys: env.Sys, Proc: env.Proc, Modules: env.Config.Modules}
	if env.Proc != nil {
		req.Dev = filepath.Join(env.Root, "dev")
	}
	if env.Sys != nil {
		if vars, err := fs.Sub(env.Sys, "firmware/efi/efivars"); err == nil {
			req.EFIVars = vars
		}
	}
	return req
}

func auditSummary(rep verify.AuditReport) string {
	for _, p := range rep.Problems {
		return p.Message
	}
	if d := rep.DefaultEntry(); d != nil {
		for _, p := range d.Problems {
			return p.Message
		}
		if d.Kernel != nil {
			for _, p := range d.Kernel.Problems {
				if p.Verdict != verify.Bootable {
					return p.Message
				}
			}
		}
	}
	return "no details"
}

const rule = "======================================================================"

// PrintAuditBlock writes the loud block for a default entry that will not
// boot (or cannot be told to): the entry, every problem with its fix, the
// fallback and how to select it, and the override.
func PrintAuditBlock(out Printer, rep verify.AuditReport, cannotTellFails bool) {
	out.Line(rule)
	d := rep.DefaultEntry()
	switch {
	case d == nil:
		out.Error("cannot tell which boot entry boots by default, nor whether it will boot (cannot-tell)")
	case rep.Verdict == verify.Unbootable:
		out.Error("the DEFAULT boot entry will NOT boot: %q (kernel %s, %s)", d.Title, d.Version, d.Source)
		out.Line("do not reboot before this is fixed")
	default:
		out.Error("cannot tell whether the default boot entry %q (kernel %s) will boot (cannot-tell)", d.Title, d.Version)
	}
	if d != nil {
		out.Line("default chosen by %s", rep.DefaultFrom)
	}
	said := fixes{}
	for _, p := range rep.Problems {
		printProblem(out, p, cannotTellFails, said)
	}
	if d != nil {
		for _, p := range d.Problems {
			printProblem(out, p, cannotTellFails, said)
		}
		if d.Kernel != nil {
			for _, p := range d.Kernel.Problems {
				printProblem(out, p, cannotTellFails, said)
			}
		}
	}
	printFallback(out, rep)
	out.Hint("every boot entry and its verdict: boot-guard audit")
	out.Override()
	out.Line(rule)
}

func printProblem(out Printer, p verify.Problem, cannotTellFails bool, said fixes) {
	switch {
	case p.Verdict == verify.Unbootable, p.Verdict == verify.CannotTell && cannotTellFails:
		out.Error("%s", p.Message)
	case p.Verdict == verify.CannotTell:
		out.Warning("%s", p.Message)
	default:
		return
	}
	said.print(out, p)
}

func printFallback(out Printer, rep verify.AuditReport) {
	fb := rep.Fallback
	if fb == nil {
		switch {
		case len(rep.Entries) == 0:
		case rep.Verdict == verify.Unbootable:
			out.Error("no other boot entry will boot either: fix the default before rebooting")
		case rep.Verdict == verify.CannotTell:
			out.Warning("no other boot entry is known to boot either")
		}
		return
	}
	out.Line("fallback: %q (kernel %s) will boot", fb.Title, fb.Version)
	if fb.Command != "" {
		out.Hint("make it the default: %s", fb.Command)
	}
	if fb.OnceCommand != "" {
		out.Hint("or boot it the next time only: %s", fb.OnceCommand)
	}
	if fb.Instructions != "" {
		out.Hint("%s", fb.Instructions)
	}
}

// PrintAudit writes the whole audit for a person (the CLI): the default
// entry's verdict first, then every entry with its verdict, then the
// fallback.
func PrintAudit(out Printer, rep verify.AuditReport) {
	d := rep.DefaultEntry()
	switch {
	case d == nil:
		out.Warning("no default boot entry found (cannot-tell): %s", rep.LoaderWhy)
	case rep.Verdict == verify.Bootable:
		out.Line("default boot entry %q (kernel %s): bootable", d.Title, d.Version)
	case rep.Verdict == verify.Unbootable:
		out.Error("the default boot entry %q (kernel %s) will NOT boot (unbootable)", d.Title, d.Version)
	default:
		out.Warning("cannot tell whether the default boot entry %q (kernel %s) will boot (cannot-tell)", d.Title, d.Version)
	}
	if d != nil {
		oneShot := ""
		if rep.OneShot {
			oneShot = ", for the next boot only"
		}
		out.Line("  boot loader %s (%s); default from %s%s", rep.Loader, rep.LoaderWhy, rep.DefaultFrom, oneShot)
	}
	for _, p := range rep.Problems {
		printProblem(out, p, false, fixes{})
	}
	for _, n := range rep.Notes {
		out.Note("%s", n)
	}
	for i, e := range rep.Entries {
		mark := " "
		if i == rep.Default {
			mark = "*"
		}
		v := e.Version
		if v == "" {
			v = "-"
		}
		out.Line("%s [%d] %-11s %-6s %s (%s)", mark, i, e.Verdict, e.Loader, e.Title, v)
		if e.Verdict == verify.Bootable {
			continue
		}
		said := fixes{} // per entry: each entry's fixes are read with it
		for _, p := range e.Problems {
			printProblem(out, p, false, said)
		}
		if e.Kernel != nil {
			for _, p := range e.Kernel.Problems {
				printProblem(out, p, false, said)
			}
		}
	}
	if rep.Verdict != verify.Bootable {
		printFallback(out, rep)
	}
}

// HostPath maps an absolute path of the machine (METRICS_FILE) under root
// ("/" in production, a temp dir in tests); "" stays "".
func HostPath(root, p string) string {
	if p == "" || root == "" || root == "/" {
		return p
	}
	return filepath.Join(root, p)
}

// WriteMetrics writes rep to the node-exporter textfile path. With
// mustExist false (the configured default), a missing directory means no
// node exporter here: nothing is written and that is not an error.
func WriteMetrics(path string, explicit bool, rep verify.AuditReport) error {
	if path == "" {
		return nil
	}
	if !explicit {
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return nil
		}
	}
	s := metrics.Snapshot{
		CheckedAt:         rep.CheckedAt,
		Duration:          time.Duration(rep.DurationSeconds * float64(time.Second)),
		FallbackAvailable: rep.Fallback != nil,
	}
	for _, k := range rep.Kernels() {
		s.Kernels = append(s.Kernels, metrics.Kernel{Version: k.Version, Verdict: k.Verdict.String()})
	}
	if d := rep.DefaultEntry(); d != nil {
		s.Default = &metrics.DefaultEntry{Entry: d.Title, Version: d.Version, Verdict: d.Verdict.String()}
	}
	if err := metrics.WriteFile(path, s); err != nil {
		return fmt.Errorf("metrics not updated: %w", err)
	}
	return nil
}

// AutoFallback makes rep's fallback the default boot entry with
// grub-set-default, as AUTO_FALLBACK=yes asks. It is the only write
// boot-guard ever makes to the boot configuration, and it goes through
// GRUB's own tool (which edits /boot/grub/grubenv): boot-guard itself never
// writes under /boot. It acts only for GRUB with GRUB_DEFAULT=saved, where
// grub-set-default decides; otherwise it says what to change. The program is
// looked up in env's PATH (tests put a fake there); for a root other than /
// it gets --boot-directory=ROOT/boot. Callers never call it for --root (an
// image is not the machine being booted). It returns whether the default was
// changed.
func AutoFallback(ctx context.Context, out Printer, rep verify.AuditReport, env Env) bool {
	fb := rep.Fallback
	switch {
	case fb == nil:
		out.Line("AUTO_FALLBACK=yes: no bootable entry to fall back to; nothing changed")
		return false
	case rep.Loader != string(bootentry.LoaderGRUB) || len(fb.Argv) == 0 || fb.Argv[0] != "grub-set-default":
		out.Line("AUTO_FALLBACK=yes acts only for GRUB with GRUB_DEFAULT=saved; change the default by hand as above")
		return false
	}
	prog, err := lookPath(fb.Argv[0], env.Getenv("PATH"))
	if err != nil {
		out.Error("AUTO_FALLBACK=yes: %v; make %q the default by hand: %s", err, fb.Title, fb.Command)
		return false
	}
	argv := fb.Argv[1:]
	if env.Root != "" && env.Root != "/" {
		// A machine root that is not / (tests, a chroot the caller chose):
		// grub-set-default edits that root's grubenv.
		argv = append([]string{"--boot-directory=" + filepath.Join(env.Root, "boot")}, argv...)
	}
	cmd := exec.CommandContext(ctx, prog, argv...)
	cmd.Env = []string{"PATH=" + env.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		out.Error("AUTO_FALLBACK=yes: %s failed: %v: %s", fb.Command, err, strings.TrimSpace(stderr.String()))
		return false
	}
	out.Line("AUTO_FALLBACK=yes: ran %s: the next boots start %q (kernel %s); undo with grub-set-default 0 or another entry", fb.Command, fb.Title, fb.Version)
	return true
}

// lookPath finds prog in the directories of path (never the current
// directory).
func lookPath(prog, path string) (string, error) {
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, prog)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH=%s (is grub2-common installed?)", prog, path)
}

// aptCache remembers verdicts across APT runs. A verdict is reused only
// when every file it was computed from has the same identity (device,
// inode, size, mtime, ctime): a rebuilt initrd, a new modules.dep or a
// replaced kernel all change it.
type aptCache struct {
	dir      string
	old      map[string]cachedCheck
	used     map[string]cachedCheck
	previous string // the last run's verdict
}

type cachedCheck struct {
	Files  []fileID            `json:"files"`
	Report verify.KernelReport `json:"report"`
}

type fileID struct {
	Path  string `json:"path"`
	Dev   uint64 `json:"dev,omitempty"`
	Ino   uint64 `json:"ino,omitempty"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime_ns"`
	Ctime int64  `json:"ctime_ns,omitempty"`
	// Missing: the file did not exist (its appearing changes the verdict).
	Missing bool `json:"missing,omitempty"`
}

type aptCacheDoc struct {
	Version     int                    `json:"version"`
	LastVerdict string                 `json:"last_verdict"`
	Checks      map[string]cachedCheck `json:"checks"`
}

// aptCacheVersion changes when the key or the report's meaning does: an old
// cache is then ignored.
const aptCacheVersion = 1

// maxCacheBytes caps the cache file read back: a few kernels' reports.
const maxCacheBytes = 4 << 20

func loadAptCache(dir string) *aptCache {
	c := &aptCache{dir: dir, old: map[string]cachedCheck{}, used: map[string]cachedCheck{}}
	if dir == "" {
		return c
	}
	f, err := os.Open(filepath.Join(dir, aptCacheFile))
	if err != nil {
		return c
	}
	defer f.Close()
	var doc aptCacheDoc
	dec := json.NewDecoder(&limitedReader{r: f, n: maxCacheBytes})
	if err := dec.Decode(&doc); err != nil || doc.Version != aptCacheVersion {
		return c // unreadable or old: start afresh
	}
	c.old, c.previous = doc.Checks, doc.LastVerdict
	if c.old == nil {
		c.old = map[string]cachedCheck{}
	}
	return c
}

type limitedReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("cache file too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// check is verify.Check behind the cache.
func (c *aptCache) check(ctx context.Context, r verify.Request) verify.KernelReport {
	key := requestKey(r)
	ids := requestFiles(r)
	if old, ok := c.old[key]; ok && slices.Equal(old.Files, ids) {
		c.used[key] = old
		return old.Report
	}
	rep := verify.Check(ctx, r)
	if ctx.Err() == nil {
		c.used[key] = cachedCheck{Files: ids, Report: rep}
	}
	return rep
}

func (c *aptCache) save(v verify.Verdict) error {
	if c.dir == "" {
		return nil
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	b, err := json.Marshal(aptCacheDoc{Version: aptCacheVersion, LastVerdict: v.String(), Checks: c.used})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, "."+aptCacheFile+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(c.dir, aptCacheFile)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// requestKey is everything of a Request that is not a file's content.
func requestKey(r verify.Request) string {
	mods := append([]string(nil), r.Modules...)
	sort.Strings(mods)
	b, _ := json.Marshal([]any{r.Root, r.Version, r.Kernel, r.Initrds, r.NoInitrd, r.InitrdSection, r.Cmdline, r.CmdlineSource, mods, r.Sys != nil, r.Proc != nil})
	return string(b)
}

// requestFiles are the files a verdict depends on: the kernel, the
// initrds, the kernel's module index, the configuration, /etc/crypttab.
func requestFiles(r verify.Request) []fileID {
	root := r.Root
	if root == "" {
		root = "/"
	}
	kernel := r.Kernel
	if kernel == "" {
		kernel = filepath.Join(root, "boot/vmlinuz-"+r.Version)
	}
	paths := []string{kernel}
	switch {
	case r.InitrdSection != nil:
		paths = append(paths, r.InitrdSection.Path)
	case len(r.Initrds) > 0:
		paths = append(paths, r.Initrds...)
	default:
		paths = append(paths, filepath.Join(root, "boot/initrd.img-"+r.Version))
	}
	mod := filepath.Join(root, "lib/modules", r.Version)
	for _, f := range []string{"modules.dep", "modules.alias", "modules.softdep", "modules.builtin", "modules.builtin.modinfo", "modules.order"} {
		paths = append(paths, filepath.Join(mod, f))
	}
	paths = append(paths, filepath.Join(root, ConfigPath), filepath.Join(root, "etc/crypttab"), filepath.Join(root, "etc/fstab"))
	ids := make([]fileID, 0, len(paths))
	for _, p := range paths {
		ids = append(ids, identity(p))
	}
	return ids
}
