package main

import "github.com/urfave/cli/v2"

func lsCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "ls",
		Usage:     "list every path in the initrd images, as the kernel unpacks them",
		ArgsUsage: "INITRD...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "add segment, mode and size"},
		},
		Action: func(c *cli.Context) error { return errNotYet },
	}
}

func inspectCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show segments, compression, modules and integrity problems of initrd images",
		ArgsUsage: "INITRD...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document on stdout"},
		},
		Action: func(c *cli.Context) error { return errNotYet },
	}
}
