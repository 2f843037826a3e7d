package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/boot-guard/boot-guard/hook"
	"github.com/boot-guard/boot-guard/verify"
	"github.com/urfave/cli/v2"
)

func verifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that kernel VERSION (or every installed kernel) will mount root",
		ArgsUsage: "VERSION | --all",
		Flags: append(rootFlags(),
			&cli.BoolFlag{Name: "all", Usage: "check every installed kernel (those with a /boot/vmlinuz-VERSION)"},
			&cli.StringSliceFlag{Name: "initrd", Usage: "check `PATH` instead of /boot/initrd.img-VERSION (repeatable, in boot order)"},
		),
		Action: bounded(env, runVerify),
	}
}

// verifyTarget is where verify looks: the host, or a --root.
type verifyTarget struct {
	root      string
	sys, proc fs.FS
	modules   []string
	// under is set by --root: root is that directory, absolute.
	under bool
}

// printer writes for a person what was read under t.root, paths shown as
// they are inside it; under --root it first says once which root that is.
func (t verifyTarget) printer(env *Env, json bool) hook.Printer {
	out := hook.Printer{W: env.Stderr}
	if t.under {
		if !json {
			out.Note("checking the system under %s (--root): the paths below are inside it", t.root)
		}
		out.Root = t.root
	}
	return out
}

// target resolves --root and the configuration's MODULES with --module.
func target(c *cli.Context, env *Env) (verifyTarget, error) {
	t := verifyTarget{root: env.Root}
	t.sys, t.proc = hostDevices(env)
	if r := c.String("root"); r != "" {
		st, err := os.Stat(r)
		if err != nil {
			// "--root DIR: no such file or directory", not "stat DIR: ..." again.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return t, usagef("--root %s: %v", r, err)
		}
		if !st.IsDir() {
			return t, usagef("--root %s: not a directory", r)
		}
		if abs, err := filepath.Abs(r); err == nil {
			r = abs
		}
		// /sys and /proc describe the running machine, never DIR's.
		t.root, t.sys, t.proc, t.under = r, nil, nil, true
	}
	cfg, err := hook.LoadConfig(t.root)
	if err != nil {
		return t, err
	}
	t.modules = append(append(t.modules, cfg.Modules...), c.StringSlice("module")...)
	return t, nil
}

func runVerify(c *cli.Context, env *Env) error {
	all := c.Bool("all")
	args := c.Args().Slice()
	switch {
	case all && len(args) > 0:
		return usagef("verify: give either VERSION or --all, not both (got %q)", args)
	case !all && len(args) == 0:
		return usagef("verify: which kernel? give VERSION (see ls /boot/vmlinuz-*) or --all")
	case len(args) > 1:
		return usagef("verify: one VERSION at a time, got %q (use --all for every installed kernel)", args)
	case all && len(c.StringSlice("initrd")) > 0:
		return usagef("verify: --initrd names the images of one kernel: give VERSION, not --all")
	}
	t, err := target(c, env)
	if err != nil {
		return err
	}
	versions := args
	if all {
		versions, err = verify.InstalledKernels(t.root)
		if err != nil {
			return err
		}
	}
	out := t.printer(env, c.Bool("json"))
	report := verify.Report{SchemaVersion: verify.SchemaVersion, Kernels: []verify.KernelReport{}}
	dev := "" // root= of /etc/kernel/cmdline or an entry is compared with the running root
	if t.proc != nil {
		dev = filepath.Join(env.Root, "dev")
	}
	for _, v := range versions {
		k := verify.Check(c.Context, verify.Request{
			Root:    t.root,
			Sys:     t.sys,
			Proc:    t.proc,
			Dev:     dev,
			Version: v,
			Initrds: c.StringSlice("initrd"),
			Modules: t.modules,
		})
		report.Kernels = append(report.Kernels, k)
		if !c.Bool("json") {
			out.Report(k, hook.Explanation{})
		}
	}
	if report.Verdict() != verify.Bootable && len(report.Kernels) > 0 && !c.Bool("json") {
		out.CLIOverride()
	}
	if all && len(versions) == 0 && !c.Bool("json") {
		out.Warning("no installed kernel: %s has no vmlinuz-* (cannot-tell)", filepath.Join(t.root, "boot"))
	}
	if c.Bool("json") {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	}
	return exit(report.Verdict().ExitCode())
}
