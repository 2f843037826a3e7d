package main

import (
	"context"
	"fmt"
	"time"

	"github.com/boot-guard/boot-guard/hook"
	"github.com/urfave/cli/v2"
)

// timeoutFlag is --timeout of verify, requirements and audit (issue 17 item 2).
var timeoutFlag = &cli.StringFlag{Name: "timeout",
	Usage: "give up after `SECONDS` with cannot-tell (default: TIMEOUT of /etc/default/boot-guard, else 120; 0: no bound)"}

// bounded runs a checking command within its time bound (hook.Bounded):
// --timeout, else TIMEOUT of the host's configuration, else
// hook.DefaultTimeout. When the check is stuck past the bound (a read on a
// hung mount) it prints what it was waiting for and exits 2 (cannot-tell),
// and nothing more reaches stdout or stderr from the stuck check.
func bounded(env *Env, action func(*cli.Context, *Env) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		limit, err := timeoutOf(c, env)
		if err != nil {
			return err
		}
		stdout, stderr := hook.NewGate(env.Stdout), hook.NewGate(env.Stderr)
		e := *env
		e.Stdout, e.Stderr = stdout, stderr
		err, terr := hook.Bounded(c.Context, limit, func(ctx context.Context) error {
			c.Context = ctx
			return action(c, &e)
		})
		if terr == nil {
			return err
		}
		stdout.Shut()
		fmt.Fprintf(stderr.Shut(), "boot-guard: cannot tell: %v\n", terr)
		return exit(2)
	}
}

// timeoutOf is the command's time bound. A bad --timeout is a usage error;
// an unreadable configuration leaves the default (the command itself reports
// the configuration's error).
func timeoutOf(c *cli.Context, env *Env) (time.Duration, error) {
	if c.IsSet("timeout") {
		t, err := hook.ParseTimeout(c.String("timeout"))
		if err != nil {
			return 0, usagef("--timeout %s: %v", c.String("timeout"), err)
		}
		return t, nil
	}
	cfg, err := hook.LoadConfig(env.Root)
	if err != nil {
		return hook.DefaultTimeout, nil
	}
	return cfg.Timeout, nil
}
