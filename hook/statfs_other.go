//go:build !linux

package hook

import "errors"

// Statfs off Linux (boot-guard runs on Linux; this keeps the module
// building elsewhere): the free space is unknown, so kernel-preinst warns
// that it cannot estimate it.
func Statfs(string) (free, total uint64, err error) {
	return 0, 0, errors.New("statfs: not supported on this system")
}
