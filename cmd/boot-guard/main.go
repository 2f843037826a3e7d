// Command boot-guard checks, before the reboot, that a kernel's initrd will
// mount the root filesystem. It is also every hook entry point: when invoked
// through a hook path (see CONTRACT.md) it speaks that caller's protocol.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args, NewEnv()))
}
