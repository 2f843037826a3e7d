package main

import "github.com/urfave/cli/v2"

func auditCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "check every boot entry the boot loader offers, default first",
		Flags: append(rootFlags(),
			&cli.StringFlag{Name: "metrics-file", Usage: "write node-exporter textfile metrics to `PATH`"},
		),
		Action: func(c *cli.Context) error { return errNotYet },
	}
}
