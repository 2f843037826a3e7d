// Command boot-guard checks, before the reboot, that a kernel's initrd will
// mount the root filesystem. It is also every hook entry point: when invoked
// through a hook path (see CONTRACT.md) it speaks that caller's protocol.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

func main() {
	os.Exit(runProcess(os.Args, NewEnv()))
}

// runProcess is run with the process's signals: SIGTERM and SIGINT end the
// check (verify stops at its next step with cannot-tell, and a check stuck
// in a read is given up on after hook.Grace); a second signal kills at once
// (the handlers are gone by then). SIGPIPE is caught only in hook mode
// (survivePipeClose); a command run by a person dies of it quietly, as
// `boot-guard ls | head` should.
func runProcess(args []string, env *Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); stop() }()
	return run(ctx, args, env)
}

var pipeOnce sync.Once

// survivePipeClose makes a write to a pipe whose reader went away (stderr
// under debconf, a closed pipe) return EPIPE instead of killing the process
// with SIGPIPE, which dpkg would read as a failed hook: a hook's exit code
// is the verdict's. Hooks call it; the CLI does not, so a pipeline such as
// `boot-guard ls IMG | grep -q x` ends without a "broken pipe" error.
func survivePipeClose() {
	pipeOnce.Do(func() { signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) })
}
