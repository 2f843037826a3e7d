//go:build !linux

package rootdev

import (
	"io/fs"
	"os"
)

// HostSys is /sys at dir; device-mapper tables are Linux's only.
func HostSys(dir, control string) fs.FS { return os.DirFS(dir) }
