package main

import (
	"encoding/json"
	"io/fs"
	"path/filepath"

	"github.com/boot-guard/boot-guard/hook"
	"github.com/boot-guard/boot-guard/verify"
	"github.com/urfave/cli/v2"
)

func auditCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "check every boot entry the boot loader offers, default first",
		Description: "Reads GRUB's menu (/boot/grub/grub.cfg, grubenv, /etc/default/grub), Boot Loader Specification\n" +
			"entries and unified kernel images, verifies each entry's kernel and the initrds it loads, compares its\n" +
			"root= with this machine's root, and exits on the default entry's verdict (0 bootable, 1 unbootable,\n" +
			"2 cannot-tell). When the default will not boot it names the newest bootable entry and the command\n" +
			"that selects it. With AUTO_FALLBACK=yes in /etc/default/boot-guard it runs grub-set-default itself.",
		Flags: append(rootFlags(),
			&cli.StringFlag{Name: "metrics-file", Usage: "write node-exporter textfile metrics to `PATH` (default: METRICS_FILE of /etc/default/boot-guard, when its directory exists)"},
		),
		Action: bounded(env, runAudit),
	}
}

func runAudit(c *cli.Context, env *Env) error {
	if c.NArg() > 0 {
		return usagef("audit takes no arguments, got %q (it checks every boot entry; use verify VERSION for one kernel)", c.Args().Slice())
	}
	t, err := target(c, env)
	if err != nil {
		return err
	}
	cfg, err := hook.LoadConfig(t.root)
	if err != nil {
		return err
	}
	underRoot := c.String("root") != ""
	req := verify.AuditRequest{Root: t.root, Sys: t.sys, Proc: t.proc, Modules: t.modules}
	if !underRoot {
		// The running machine: root= is compared with its root device and
		// systemd-boot's EFI variables are read.
		if env.Proc != nil {
			req.Dev = filepath.Join(env.Root, "dev")
		}
		if env.Sys != nil {
			if vars, err := fs.Sub(env.Sys, "firmware/efi/efivars"); err == nil {
				req.EFIVars = vars
			}
		}
	}
	rep := verify.Audit(c.Context, req)

	out := t.printer(env, c.Bool("json"))
	if c.Bool("json") {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		hook.PrintAudit(out, rep)
	}

	// Metrics: --metrics-file, else METRICS_FILE of the host's configuration
	// (never for --root: an image's verdicts are not this machine's).
	path, explicit := c.String("metrics-file"), c.IsSet("metrics-file")
	if !explicit && !underRoot {
		path = hook.HostPath(env.Root, cfg.MetricsFile)
	}
	unlock := hook.LockWrites(c.Context, env.Root) // the APT hook writes the same file
	if err := hook.WriteMetrics(path, explicit, rep); err != nil {
		out.Error("%v", err)
	}
	unlock()

	if cfg.AutoFallback && rep.Verdict == verify.Unbootable {
		if underRoot {
			out.Line("AUTO_FALLBACK=yes: not changing the default boot entry of --root %s", t.root)
		} else {
			hook.AutoFallback(c.Context, out, rep, hook.Env{Root: env.Root, Getenv: env.Getenv, Stderr: env.Stderr})
		}
	}
	return exit(rep.Verdict.ExitCode())
}
