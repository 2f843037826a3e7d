package main

import "github.com/urfave/cli/v2"

func verifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check that kernel VERSION (or every installed kernel) will mount root",
		ArgsUsage: "VERSION | --all",
		Flags: append(rootFlags(),
			&cli.BoolFlag{Name: "all", Usage: "check every installed kernel (those with a /boot/vmlinuz-VERSION)"},
			&cli.StringSliceFlag{Name: "initrd", Usage: "check `PATH` instead of /boot/initrd.img-VERSION (repeatable, in boot order)"},
		),
		Action: func(c *cli.Context) error { return errNotYet },
	}
}
