package main

import "github.com/urfave/cli/v2"

func requirementsCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "requirements",
		Usage:     "list the modules kernel VERSION needs to mount this machine's root, with reasons",
		ArgsUsage: "[VERSION]",
		Flags:     rootFlags(),
		Action:    func(c *cli.Context) error { return errNotYet },
	}
}
