//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrUnsafeDir is a directory another user could swap files in.
var ErrUnsafeDir = errors.New("unsafe directory")

// CheckDir refuses a directory (root, opened from dir) that a user other
// than root and this process's user could write to: one owned by another
// user, or writable by its group or by others. The check is of the opened
// directory itself (its descriptor), not of a path that could be swapped
// after it. Its parents are the administrator's.
func CheckDir(root *os.Root, dir string) error {
	st, err := root.Stat(".")
	if err != nil {
		return fmt.Errorf("cannot check directory %s: %w", dir, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := int(sys.Uid); uid != 0 && uid != os.Geteuid() {
		return fmt.Errorf("%w %s: owned by uid %d, not root, who could swap the file in it (chown root: %s, or choose another directory)", ErrUnsafeDir, dir, uid, dir)
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("%w %s: writable by group or others (mode %04o), who could swap the file in it (chmod go-w %s, or choose another directory)", ErrUnsafeDir, dir, perm, dir)
	}
	return nil
}
