package diagnose

import "syscall"

// statfsSpace is the real statfs(2): the free bytes including the blocks
// reserved for root (initrd generators run as root) and the filesystem's size.
func statfsSpace(dir string) (free, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	return st.Bfree * bs, st.Blocks * bs, nil
}
