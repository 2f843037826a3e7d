package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/hook"
	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
	"github.com/urfave/cli/v2"
)

// requirements lists what kernel VERSION needs to mount this machine's root:
// each module, built in or to be carried by the initrd (with what it pulls
// in), and why. It opens no initrd: that is verify's job.
//
// In --json, a requirement's status is "builtin" for a built-in module and
// "" for a loadable one (requirements does not look for it in an initrd;
// verify says in-initrd, missing or wrong-version). A loadable requirement's
// dependencies are requirements of their own, after it is listed, with the
// reason "dependency of NAME: ...".
func requirementsCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "requirements",
		Usage:     "list the modules kernel VERSION needs to mount this machine's root, with reasons",
		ArgsUsage: "[VERSION]",
		Description: "VERSION defaults to the newest installed kernel (the newest /boot/vmlinuz-VERSION, compared as dpkg compares versions).\n" +
			"Exit status: 0 every requirement resolved, 1 a required module does not exist in that kernel, 2 something could not be determined.",
		Flags:  rootFlags(),
		Action: func(c *cli.Context) error { return runRequirements(c, env) },
	}
}

func runRequirements(c *cli.Context, env *Env) error {
	args := c.Args().Slice()
	if len(args) > 1 {
		return usagef("requirements: one VERSION at a time, got %q", args)
	}
	t, err := target(c, env)
	if err != nil {
		return err
	}
	out := t.printer(env, c.Bool("json"))
	var version string
	if len(args) == 1 {
		version = args[0]
	} else {
		installed, err := installedKernels(t.root)
		if err != nil {
			return err
		}
		if len(installed) == 0 {
			if c.Bool("json") {
				if err := writeJSON(env.Stdout, verify.Report{SchemaVersion: verify.SchemaVersion, Kernels: []verify.KernelReport{}}); err != nil {
					return err
				}
			}
			out.Warning("no installed kernel: %s has no vmlinuz-* (cannot-tell)", filepath.Join(t.root, "boot"))
			out.Hint("name one: boot-guard requirements VERSION")
			return exit(2)
		}
		version = newestVersion(installed)
	}
	k, needs := kernelRequirements(t, version)
	if c.Bool("json") {
		if err := writeJSON(env.Stdout, verify.Report{SchemaVersion: verify.SchemaVersion, Kernels: []verify.KernelReport{k}}); err != nil {
			return err
		}
	} else {
		printNeeds(env.Stdout, version, needs)
		printRequirementProblems(out, k)
	}
	return exit(k.Verdict.ExitCode())
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// kernelRequirements resolves what version needs on target t, as a report
// (requirements and problems, with the verdict they add up to) and as the
// needs behind it.
func kernelRequirements(t verifyTarget, version string) (verify.KernelReport, []verify.Need) {
	k := verify.KernelReport{Version: version}
	ix, err := kmod.Load(os.DirFS(t.root), version)
	if err != nil {
		p := verify.Problem{Code: verify.CodeModuleIndex, Verdict: verify.CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read its module index, so what it needs is unknown: %v", version, err),
			Hint:    "rebuild it: depmod " + version}
		if errors.Is(err, kmod.ErrNoModules) {
			p.Hint = "install that kernel's package, or check the version"
			if installed, _ := installedKernels(t.root); len(installed) > 0 {
				p.Hint += "; installed kernels: " + strings.Join(installed, " ")
			}
		}
		k.Add(p)
		return k, nil
	}
	var res *rootdev.Result
	switch {
	case t.sys != nil || t.proc != nil:
		res, err = rootdev.Discover(t.sys, t.proc)
		if err != nil {
			k.Add(verify.Problem{Code: verify.CodeDevicesUnknown, Verdict: verify.CannotTell,
				Message: fmt.Sprintf("kernel %s: cannot tell what the root device needs: %v", version, err)})
			res = nil
		}
	case len(t.modules) == 0:
		why := "there is no /sys and /proc to read here (a chroot or a container)"
		if t.under {
			why = "under --root, /sys and /proc describe the machine boot-guard runs on, not the one this system boots on"
		}
		k.Add(verify.Problem{Code: verify.CodeDevicesUnknown, Verdict: verify.CannotTell,
			Message: fmt.Sprintf("kernel %s: the drivers its root needs are unknown: %s, and no module was named", version, why),
			Hint:    fmt.Sprintf("name them with --module NAME (repeatable) or MODULES=\"nvme ext4\" in %s", filepath.Join(t.root, hook.ConfigPath))})
	}
	needs, problems := verify.ResolveNeeds(res, ix, t.modules)
	for _, p := range problems {
		k.Add(p)
	}
	if slices.Contains(ix.Missing(), "modules.builtin.modinfo") {
		k.Add(verify.Problem{Code: verify.CodeModuleIndex, Verdict: verify.Bootable,
			Message: fmt.Sprintf("kernel %s has no %s/modules.builtin.modinfo (kernels before 5.2): a device only a built-in driver claims reads as claimed by nothing", version, ix.Dir())})
	}
	k.Requirements = requirementsOf(needs)
	return k, needs
}

// requirementsOf flattens needs into the report's requirements exactly as
// verify looks for them (verify.RequirementsOf): each need's module, its
// dependencies, one module per essential softdep, each module once.
func requirementsOf(needs []verify.Need) []verify.Requirement {
	return verify.RequirementsOf(needs)
}

// printNeeds writes the requirements for a person on stdout:
//
//	kernel 6.1.0-13-amd64 needs, to mount the root filesystem:
//	  nvme: must be in the initrd, with t10_pi crc64 nvme_core
//	    why: driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /
func printNeeds(w io.Writer, version string, needs []verify.Need) {
	var b strings.Builder
	if len(needs) == 0 {
		fmt.Fprintf(&b, "kernel %s: no module requirement established\n", version)
		io.WriteString(w, b.String())
		return
	}
	fmt.Fprintf(&b, "kernel %s needs, to mount the root filesystem:\n", version)
	for _, n := range needs {
		name := n.Module
		if len(n.Alternatives) > 0 {
			name += " (or " + strings.Join(n.Alternatives, ", ") + ")"
		}
		switch {
		case n.Builtin:
			fmt.Fprintf(&b, "  %s: built in\n", name)
		case len(n.Closure) > 1:
			fmt.Fprintf(&b, "  %s: must be in the initrd, with %s\n", name, strings.Join(n.Closure[:len(n.Closure)-1], " "))
		default:
			fmt.Fprintf(&b, "  %s: must be in the initrd\n", name)
		}
		// Essential softdeps, one line per set of modules (jbd2 and ext4
		// both ask for crc32c).
		var sets []string
		of := map[string][]string{}
		for _, sd := range n.Softdeps {
			if sd.Essential == "" || len(sd.Modules) == 0 {
				continue
			}
			where := "in the initrd"
			if sd.Builtin {
				where = "built in"
			}
			set := fmt.Sprintf("%s (%s): %s", strings.Join(sd.Modules, " "), where, sd.Name)
			if _, ok := of[set]; !ok {
				sets = append(sets, set)
			}
			of[set] = append(of[set], sd.Of)
		}
		for _, set := range sets {
			fmt.Fprintf(&b, "    and one of %s, a softdep of %s that root does not mount without\n", set, strings.Join(of[set], " and "))
		}
		fmt.Fprintf(&b, "    why: %s\n", n.Reason)
	}
	io.WriteString(w, b.String())
}

// printRequirementProblems writes the problems on stderr, with a closing
// line that says what the exit status means.
func printRequirementProblems(out hook.Printer, k verify.KernelReport) {
	for _, p := range k.Problems {
		switch p.Verdict {
		case verify.Unbootable:
			out.Error("%s", p.Message)
		case verify.CannotTell:
			out.Warning("%s", p.Message)
		default:
			out.Note("%s", p.Message)
		}
		if p.Hint != "" {
			out.Hint("%s", p.Hint)
		}
	}
	switch k.Verdict {
	case verify.Unbootable:
		out.Error("kernel %s lacks a module its root needs (unbootable)", k.Version)
	case verify.CannotTell:
		out.Warning("kernel %s: some of what its root needs could not be determined (cannot-tell)", k.Version)
	}
}

// newestVersion returns the newest of versions, compared as dpkg compares
// package versions.
func newestVersion(versions []string) string {
	best := ""
	for _, v := range versions {
		if best == "" || compareVersions(v, best) > 0 {
			best = v
		}
	}
	return best
}

// compareVersions orders a and b as dpkg --compare-versions does (epoch,
// then upstream, then revision after the last '-'; '~' sorts before
// everything, even the end): <0, 0 or >0. Kernel releases are not package
// versions, but Debian's ABI names ("6.1.0-13-amd64") sort right this way,
// which a string sort does not ("6.1.0-9" after "6.1.0-13").
func compareVersions(a, b string) int {
	ea, ua, ra := splitVersion(a)
	eb, ub, rb := splitVersion(b)
	if c := verrevcmp(ea, eb); c != 0 {
		return c
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

// splitVersion splits [epoch:]upstream[-revision]. A missing epoch is "0".
func splitVersion(v string) (epoch, upstream, revision string) {
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i > 0 && strings.Trim(v[:i], "0123456789") == "" {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return epoch, v[:i], v[i+1:]
	}
	return epoch, v, ""
}

// verOrder is the weight of one non-digit byte in dpkg's comparison: '~'
// first, then the end of the string, then letters, then everything else.
func verOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case c >= '0' && c <= '9':
		return 0
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

func isDigit(s string, i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }

// verrevcmp compares alternating runs of non-digits (by verOrder) and of
// digits (numerically), as dpkg's verrevcmp does.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a, i)) || (j < len(b) && !isDigit(b, j)) {
			if ac, bc := verOrder(a, i), verOrder(b, j); ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for isDigit(a, i) && a[i] == '0' {
			i++
		}
		for isDigit(b, j) && b[j] == '0' {
			j++
		}
		first := 0
		for isDigit(a, i) && isDigit(b, j) {
			if first == 0 {
				first = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if isDigit(a, i) {
			return 1
		}
		if isDigit(b, j) {
			return -1
		}
		if first != 0 {
			return first
		}
	}
	return 0
}
