package main

import (
	"context"
	"fmt"

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
// exit code the caller must see.
func runHook(ctx context.Context, name string, args []string, env *Env) int {
	fmt.Fprintf(env.Stderr, "boot-guard: hook %s is not implemented yet; not checking\n", name)
	return 0
}
