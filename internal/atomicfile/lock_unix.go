//go:build unix

package atomicfile

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// LockName is the lock file Lock keeps in its directory.
const LockName = "lock"

// Lock takes the exclusive flock(2) on dir/lock (created 0600 through the
// same checked directory as WriteFile: CheckDir, no link followed out of
// dir), waiting until ctx ends. unlock releases it; the lock also goes with
// the process, so a killed writer never leaves it held.
func Lock(ctx context.Context, dir string) (unlock func(), err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("lock in %s: %w", dir, err)
	}
	defer root.Close()
	if err := CheckDir(root, dir); err != nil {
		return nil, fmt.Errorf("lock in %s: %w", dir, err)
	}
	f, err := root.OpenFile(LockName, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock in %s: %w", dir, err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing releases the flock
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s/%s: %w", dir, LockName, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s/%s: another boot-guard holds it: %w", dir, LockName, context.Cause(ctx))
		case <-tick.C:
		}
	}
}
