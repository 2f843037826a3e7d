package rootdev

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Bounds that keep a hostile or broken tree from hanging or flooding a walk.
const (
	// maxLinkHops is how many symbolic links one path may go through (the
	// kernel's own limit, MAXSYMLINKS, is 40).
	maxLinkHops = 40
	// maxAttrBytes caps one sysfs attribute; the kernel fills at most a page
	// (64 KiB on the largest page size Debian ships).
	maxAttrBytes = 64 << 10
	// maxDirEntries caps one directory listing (slaves/, fs/btrfs/UUID/devices/).
	maxDirEntries = 1024
	// maxDepth caps the components of a device path walked up to /sys/devices.
	maxDepth = 64
)

var (
	errLinkLoop   = errors.New("too many levels of symbolic links")
	errOutside    = errors.New("symbolic link points outside the tree")
	errNotRegular = errors.New("not a regular file")
	errTooLarge   = fmt.Errorf("larger than %d bytes, not a sysfs attribute", maxAttrBytes)
)

// tree reads one of the fs.FS the caller handed in (/sys or /proc), resolving
// symbolic links itself so that paths stay canonical and inside the tree.
type tree struct {
	fsys fs.FS
	name string // "/sys" or "/proc", for messages
	rl   fs.ReadLinkFS
}

func newTree(fsys fs.FS, name string) *tree {
	t := &tree{fsys: fsys, name: name}
	t.rl, _ = fsys.(fs.ReadLinkFS)
	return t
}

// show names p as a person would see it on a real machine: "/sys/dev/block/8:2".
func (t *tree) show(p string) string {
	if p == "." || p == "" {
		return t.name
	}
	return t.name + "/" + p
}

// wrap names p as a person sees it ("/sys/dev/block/8:2") in place of the
// fs-relative path an *fs.PathError carries, keeping the cause for errors.Is.
func (t *tree) wrap(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%s: %w", t.show(p), err)
}

// kindOf names a file type for a message.
func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device node"
	}
	return "not a plain file (" + m.Type().String() + ")"
}

func (t *tree) lstat(p string) (fs.FileInfo, error) {
	if t.rl != nil {
		return t.rl.Lstat(p)
	}
	return fs.Stat(t.fsys, p)
}

// resolve returns the canonical form of p: every symbolic link on the way
// replaced by its target, "." and ".." folded, the result still a path inside
// the tree (an fs.FS path, "." for the root). It fails on a missing component,
// a link loop, more than maxLinkHops links, or a link leaving the tree.
func (t *tree) resolve(p string) (string, error) {
	pending := splitPath(p)
	resolved := ""
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if resolved == "" {
				return "", fmt.Errorf("%s: %w", t.show(p), errOutside)
			}
			resolved = parentOf(resolved)
			continue
		}
		next := c
		if resolved != "" {
			next = resolved + "/" + c
		}
		if !fs.ValidPath(next) {
			return "", fmt.Errorf("%s: invalid path component %q", t.show(p), clip(c))
		}
		fi, err := t.lstat(next)
		if err != nil {
			return "", t.wrap(p, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		hops++
		if hops > maxLinkHops {
			return "", fmt.Errorf("%s: %w", t.show(p), errLinkLoop)
		}
		target, err := t.rl.ReadLink(next)
		if err != nil {
			return "", t.wrap(next, err)
		}
		if path.IsAbs(target) {
			return "", fmt.Errorf("%s -> %s: %w", t.show(next), clip(target), errOutside)
		}
		pending = append(splitPath(target), pending...)
	}
	if resolved == "" {
		return ".", nil
	}
	return resolved, nil
}

func splitPath(p string) []string { return strings.Split(p, "/") }

// parentOf is path.Dir for resolved paths, with "" for the root.
func parentOf(p string) string {
	d := path.Dir(p)
	if d == "." {
		return ""
	}
	return d
}

// isLink reports whether p itself (not following it) is a symbolic link.
func (t *tree) isLink(p string) bool {
	fi, err := t.lstat(p)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

// exists reports whether p resolves to something.
func (t *tree) exists(p string) bool {
	_, err := t.resolve(p)
	return err == nil
}

// isDir reports whether p resolves to a directory.
func (t *tree) isDir(p string) bool {
	r, err := t.resolve(p)
	if err != nil {
		return false
	}
	fi, err := fs.Stat(t.fsys, r)
	return err == nil && fi.IsDir()
}

// readAttr reads a small file (a sysfs attribute, trimmed of surrounding
// white space) through maxAttrBytes. It refuses anything that is not a regular
// file, so a FIFO or a device node in a hostile tree cannot block the read.
func (t *tree) readAttr(p string) (string, error) {
	r, err := t.resolve(p)
	if err != nil {
		return "", err
	}
	fi, err := fs.Stat(t.fsys, r)
	if err != nil {
		return "", t.wrap(p, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: %w: it is %s", t.show(p), errNotRegular, kindOf(fi.Mode()))
	}
	f, err := t.fsys.Open(r)
	if err != nil {
		return "", t.wrap(p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAttrBytes+1))
	if err != nil {
		return "", t.wrap(p, err)
	}
	if len(b) > maxAttrBytes {
		return "", fmt.Errorf("%s: %w", t.show(p), errTooLarge)
	}
	return strings.TrimSpace(string(b)), nil
}

// openRegular opens p for streaming after checking it is a regular file.
func (t *tree) openRegular(p string) (fs.File, error) {
	r, err := t.resolve(p)
	if err != nil {
		return nil, err
	}
	fi, err := fs.Stat(t.fsys, r)
	if err != nil {
		return nil, t.wrap(p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: it is %s", t.show(p), errNotRegular, kindOf(fi.Mode()))
	}
	return t.fsys.Open(r)
}

// readDirNames lists the names in directory p, at most maxDirEntries of them,
// sorted. truncated reports that there were more.
func (t *tree) readDirNames(p string) (names []string, truncated bool, err error) {
	r, err := t.resolve(p)
	if err != nil {
		return nil, false, err
	}
	f, err := t.fsys.Open(r)
	if err != nil {
		return nil, false, t.wrap(p, err)
	}
	defer f.Close()
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, false, fmt.Errorf("%s: not a directory", t.show(p))
	}
	ents, err := d.ReadDir(maxDirEntries + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, t.wrap(p, err)
	}
	if len(ents) > maxDirEntries {
		ents = ents[:maxDirEntries]
		truncated = true
	}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names, truncated, nil
}
