package hook

import (
	"fmt"
	"syscall"
)

// Statfs is the real statfs(2): free bytes including root's reserve (the
// kernel's maintainer scripts run as root) and the filesystem's size.
func Statfs(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	bs := uint64(st.Bsize)
	return st.Bfree * bs, st.Blocks * bs, nil
}
