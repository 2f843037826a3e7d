//go:build !unix

package atomicfile

import "context"

// LockName is the lock file Lock keeps in its directory.
const LockName = "lock"

// Lock does nothing where boot-guard does not run (it runs on Linux only).
func Lock(ctx context.Context, dir string) (unlock func(), err error) { return func() {}, nil }
