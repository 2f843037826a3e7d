package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/boot-guard/boot-guard/hook"
	"github.com/urfave/cli/v2"
)

// hookNames are the protocols of CONTRACT.md's hook table.
var hookNames = []string{"kernel-preinst", "kernel-postinst", "kernel-prerm", "kernel-install", "initramfs-post-update", "apt"}

func hookCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:            "hook",
		Usage:           "run as the hook NAME would (" + fmt.Sprint(hookNames) + ")",
		ArgsUsage:       "NAME ARGS...",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("hook needs a NAME, one of %v", hookNames)
			}
			return exit(runHook(c.Context, c.Args().First(), c.Args().Tail(), env))
		},
	}
}

// runHook speaks hook protocol name with the caller's args and returns the
// exit code the caller must see. A protocol of the contract that is not built
// into this binary yet exits 0: nothing left half-done may fail a kernel
// install.
func runHook(ctx context.Context, name string, args []string, env *Env) int {
	survivePipeClose()
	if _, err := hook.Lookup(name); errors.Is(err, hook.ErrUnknownHook) {
		for _, n := range hookNames {
			if n == name {
				fmt.Fprintf(env.Stderr, "boot-guard: hook %s is not implemented in this build; not checking\n", name)
				return 0
			}
		}
	}
	sys, proc := hostDevices(env)
	return hook.Run(ctx, name, args, hook.Env{
		Root:    env.Root,
		Sys:     sys,
		Proc:    proc,
		Getenv:  env.Getenv,
		Stderr:  env.Stderr,
		ReadDir: os.ReadDir,
	})
}

// inChroot reports whether the process runs in a chroot: its / is not the
// root of PID 1 (as systemd-detect-virt --chroot decides). Unknown (not
// root, no /proc) is false.
var inChroot = func() bool {
	root, err := os.Stat("/")
	if err != nil {
		return false
	}
	init, err := os.Stat("/proc/1/root")
	if err != nil {
		return false
	}
	return !os.SameFile(root, init)
}

// hostDevices returns the /sys and /proc that describe env.Root's hardware:
// none in a chroot (an image being built: the host's disks are not its), so
// device requirements come from MODULES= and --module only, as under --root.
func hostDevices(env *Env) (sys, proc fs.FS) {
	if env.Root == "/" && inChroot() {
		return nil, nil
	}
	return env.Sys, env.Proc
}
