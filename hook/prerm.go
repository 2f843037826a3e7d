package hook

import (
	"context"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify"
)

func init() { Register("kernel-prerm", KernelPrerm) }

// KernelPrerm is /etc/kernel/prerm.d/00-boot-guard. Debian's linux-image
// prerm runs prerm.d (run-parts --exit-on-error, with VERSION and IMAGE as
// arguments and its own arguments in DEB_MAINT_PARAMS) only when the
// package is being removed, never on upgrade; a failing hook stops the
// removal. It refuses to remove kernel VERSION when VERSION will boot and
// none of the kernels that would remain will: removing it would leave a
// machine that cannot boot. It never refuses while another installed kernel
// is bootable, nor when VERSION itself will not boot (nothing bootable is
// lost), nor for anything but "remove". The override BOOT_GUARD=off (or
// =warn) is named in the refusal.
func KernelPrerm(ctx context.Context, args []string, env Env) int {
	const name = "kernel-prerm"
	out := Printer{W: env.Stderr}
	if len(args) < 1 || len(args) > 2 || args[0] == "" || strings.ContainsAny(args[0], "/\x00") {
		out.Error("%v", usage(name, "want VERSION [IMAGE], got %d arguments %q", len(args), args))
		return 2
	}
	version := args[0]
	if p := strings.TrimSpace(env.Getenv("DEB_MAINT_PARAMS")); p != "" {
		if w := dpkgWords(p); w[0] != "remove" && w[0] != "purge" {
			return 0 // upgrade, deconfigure, failed-upgrade: the kernel stays
		}
	}
	versions, err := verify.InstalledKernels(env.Root)
	if err != nil {
		out.Warning("cannot list the installed kernels: %v; not checking the removal of %s", err, version)
		return 0
	}
	if !slices.Contains(versions, version) {
		return 0 // its image is already gone: nothing bootable to lose
	}
	check := func(v string) verify.KernelReport {
		return verify.Check(ctx, verify.Request{Root: env.Root, Sys: env.Sys, Proc: env.Proc, Dev: hostDev(env), Version: v, Modules: env.Config.Modules})
	}
	if check(version).Verdict != verify.Bootable {
		return 0
	}
	// What would remain, newest first: the best verdict over the others.
	slices.Reverse(versions)
	remain := verify.Unbootable
	var others []verify.KernelReport
	for _, v := range versions {
		if v == version {
			continue
		}
		k := check(v)
		others = append(others, k)
		switch {
		case k.Verdict == verify.Bootable:
			return 0
		case k.Verdict == verify.CannotTell:
			remain = verify.CannotTell
		}
	}
	d := Decide(remain, env.Config, env.Override)
	if !d.Fails {
		out.Warning("removing kernel %s, the last kernel boot-guard knows will boot; it cannot tell whether the others will (%s)", version, kernelList(others))
		return 0
	}
	return lastBootable(out, env, version, others, d)
}

// lastBootable says that removing version, the last kernel that boots,
// leaves none that does (others are the remaining kernels' reports), what to
// do instead, and the override; it returns the hook's exit code.
func lastBootable(out Printer, env Env, version string, others []verify.KernelReport, d Decision) int {
	label := out.Error
	if d.Exit == 0 {
		label = out.Warning
	}
	if len(others) == 0 {
		label("kernel %s is the only installed kernel, and it boots: removing it leaves nothing to boot", version)
	} else {
		label("kernel %s is the last installed kernel that will boot; after removing it, none of the others would: %s", version, kernelList(others))
		for _, k := range others {
			if p, ok := firstFailure(k, false); ok {
				msg := p.Message
				if !strings.HasPrefix(msg, "kernel "+k.Version) {
					msg = "kernel " + k.Version + ": " + msg
				}
				out.Line("  %s", msg)
			}
		}
	}
	for _, k := range others {
		if p, ok := firstFailure(k, true); ok {
			out.Hint("fix kernel %s first: %s", k.Version, p.Hint)
		}
	}
	out.Hint("or install another kernel (apt-get install linux-image-%s pulls the newest), check it with boot-guard verify --all, then remove this one", metaFlavour(version))
	if d.Exit != 0 {
		pkg := env.Getenv("DPKG_MAINTSCRIPT_PACKAGE")
		if pkg == "" {
			pkg = "linux-image-" + version
		}
		out.Line("refusing to remove kernel %s", version)
		out.Line("override: to remove it anyway: BOOT_GUARD=off apt-get remove %s (BOOT_GUARD=warn reports and goes on)", pkg)
		return 1
	}
	out.Line("%s", d.Why)
	return 0
}

// firstFailure returns k's first problem that is not bootable (with a hint,
// when withHint).
func firstFailure(k verify.KernelReport, withHint bool) (verify.Problem, bool) {
	for _, p := range k.Problems {
		if p.Verdict != verify.Bootable && (!withHint || p.Hint != "") {
			return p, true
		}
	}
	return verify.Problem{}, false
}

func kernelList(ks []verify.KernelReport) string {
	if len(ks) == 0 {
		return "no other kernel is installed"
	}
	var s []string
	for _, k := range ks {
		s = append(s, k.Version+" "+k.Verdict.String())
	}
	return strings.Join(s, ", ")
}

// metaFlavour guesses Debian's metapackage suffix for a kernel release
// ("6.1.0-18-cloud-amd64" -> "cloud-amd64").
func metaFlavour(version string) string {
	parts := strings.Split(version, "-")
	for i, p := range parts {
		if i > 0 && p != "" && (p[0] < '0' || p[0] > '9') {
			return strings.Join(parts[i:], "-")
		}
	}
	return "VERSION"
}
