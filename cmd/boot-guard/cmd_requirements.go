package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/hook"
	"github.com/boot-guard/boot-guard/verify"
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
		Action: bounded(env, runRequirements),
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
		installed, err := verify.InstalledKernels(t.root)
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
		version = verify.NewestKernel(installed)
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
	r := verify.Requirements(verify.RequirementsRequest{Root: t.root, Sys: t.sys, Proc: t.proc,
		Version: version, Modules: t.modules, Listing: true, Under: t.under})
	for _, p := range r.Problems {
		k.Add(p)
	}
	if r.Index == nil {
		return k, nil
	}
	k.Requirements = verify.RequirementsOf(r.Needs)
	return k, r.Needs
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
