package hook

import (
	"context"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/boot-guard/boot-guard/verify"
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
	// Another hook, or audit from its timer, may write the same files:
	// one at a time (issue 17 item 4).
	unlock := LockWrites(ctx, env.Root)
	var cacheErr error
	if ctx.Err() == nil {
		cacheErr = cache.save(rep.Verdict)
	}
	if err := WriteMetrics(HostPath(env.Root, env.Config.MetricsFile), false, rep); err != nil {
		out.Warning("%v", err)
	}
	unlock()
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

// hostDev is the /dev a root= is looked up in: the running machine's,
// none without /proc (then root= is compared with fstab's).
func hostDev(env Env) string {
	if env.Proc == nil {
		return ""
	}
	return filepath.Join(env.Root, "dev")
}

// HostAuditRequest is the audit of the machine the hook runs on: /dev and
// the EFI variables under env's root and /sys.
func HostAuditRequest(env Env) verify.AuditRequest {
	req := verify.AuditRequest{Root: env.Root, Sys: env.Sys, Proc: env.Proc, Modules: env.Config.Modules}
	req.Dev = hostDev(env)
	if env.Sys != nil {
		if vars, err := fs.Sub(env.Sys, "firmware/efi/efivars"); err == nil {
			req.EFIVars = vars
		}
	}
	return req
}
