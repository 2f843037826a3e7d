// Command boot-guard checks, before the reboot, that a kernel's initrd will
// mount the root filesystem. It is also every hook entry point: when invoked
// through a hook path (see CONTRACT.md) it speaks that caller's protocol.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(runProcess(os.Args, NewEnv()))
}

// runProcess is run with the process's signals: SIGTERM and SIGINT end the
// check (verify stops at its next step with cannot-tell, and a check stuck
// in a read is given up on after hook.Grace); a second signal kills at once
// (the handlers are gone by then). A reader of stderr that went away (a
// closed pipe under debconf) must not kill a hook with SIGPIPE, which dpkg
// would read as a failure: writes return EPIPE instead, and the exit code
// is the verdict's.
func runProcess(args []string, env *Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); stop() }()
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	return run(ctx, args, env)
}
