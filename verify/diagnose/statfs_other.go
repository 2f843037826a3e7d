//go:build !linux

package diagnose

import "errors"

// statfsSpace is unknown off Linux: no finding.
func statfsSpace(string) (free, total uint64, err error) {
	return 0, 0, errors.New("free space: not supported on this system")
}
