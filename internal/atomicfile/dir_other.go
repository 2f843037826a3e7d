//go:build !unix

package atomicfile

import (
	"errors"
	"os"
)

// ErrUnsafeDir is a directory another user could swap files in.
var ErrUnsafeDir = errors.New("unsafe directory")

// CheckDir is a no-op where boot-guard does not run (it runs on Linux only).
func CheckDir(root *os.Root, dir string) error { return nil }
