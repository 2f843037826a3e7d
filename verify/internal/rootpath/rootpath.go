// Package rootpath maps paths of the system being checked (a path written
// in its grub.cfg, a Boot Loader Specification entry, init= on its command
// line) to paths on the host, the way a chroot into that system would see
// them: ".." never climbs above the root, and a symbolic link's absolute
// target is taken from the root, not from the host. Under --root the files
// named by an image that boot-guard did not make (and that another user may
// have made) are then always the image's, never the host's /etc/shadow or
// /dev/zero.
//
// It owns that mapping and nothing else; it never opens a file (it reads
// links with lstat and readlink only). Shared by verify and its leaves, so it
// imports none of them.
package rootpath

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MaxLinks bounds symbolic link resolution, as the kernel's MAXSYMLINKS.
const MaxLinks = 40

// Join is p, a path on the system whose root is root, as a host path:
// p is taken as absolute and cleaned first, so "../../etc/shadow" and
// "/boot/../../../etc/shadow" stay under root. Links are not followed.
func Join(root, p string) string {
	return filepath.Join(root, filepath.FromSlash(path.Clean("/"+filepath.ToSlash(p))))
}

// Resolve is Join with every symbolic link along p followed as a chroot
// into root would follow it: an absolute target from root, ".." never above
// it, at most MaxLinks links. A path whose last components do not exist is
// returned joined (its existing part resolved), so that a caller's "does
// not exist" stays that; a loop or too many links is an error.
func Resolve(root, p string) (string, error) {
	rest := strings.Split(filepath.ToSlash(p), "/")
	done := "/" // the resolved part, on the system being checked
	links := 0
	for len(rest) > 0 {
		name := rest[0]
		rest = rest[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			done = path.Dir(done)
			continue
		}
		next := path.Join(done, name)
		host := Join(root, next)
		fi, err := os.Lstat(host)
		if errors.Is(err, fs.ErrNotExist) {
			return Join(root, path.Join(append([]string{next}, rest...)...)), nil
		}
		if err != nil {
			return "", fmt.Errorf("resolve %s under %s: %w", p, root, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			done = next
			continue
		}
		if links++; links > MaxLinks {
			return "", fmt.Errorf("resolve %s under %s: more than %d symbolic links", p, root, MaxLinks)
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", fmt.Errorf("resolve %s under %s: %w", p, root, err)
		}
		if strings.HasPrefix(target, "/") {
			done = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return Join(root, done), nil
}
