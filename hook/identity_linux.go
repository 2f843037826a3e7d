package hook

import (
	"os"
	"syscall"
)

// identity is what the APT hook's cache remembers of one input file: size
// and mtime, and on Linux the device, inode and ctime too, so a file
// replaced in place with the same size and mtime still counts as changed.
func identity(p string) fileID {
	id := fileID{Path: p}
	st, err := os.Stat(p)
	if err != nil {
		id.Missing = true
		return id
	}
	id.Size, id.Mtime = st.Size(), st.ModTime().UnixNano()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id.Dev, id.Ino = uint64(sys.Dev), sys.Ino
		id.Ctime = sys.Ctim.Sec*1e9 + sys.Ctim.Nsec
	}
	return id
}
