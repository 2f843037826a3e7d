// Package atomicfile is boot-guard's one way to write a file as root: a
// reader of the file (the node exporter's textfile collector, the next APT
// hook run) sees the old content or the new, never half a file; after a
// crash the file is one of the two; and no other user can redirect the write
// to another file.
//
// It owns the steps, in this order: open the target's directory once (an
// os.Root: every later step is relative to that directory's descriptor, so
// renaming or re-linking the path meanwhile changes nothing, and no symbolic
// link is followed out of it); check that directory is writable by its
// owner only and owned by root or by this process's user (CheckDir: a
// directory another user can write to lets them swap the files in it); make
// a temporary file there with O_CREAT|O_EXCL (which never follows a link
// planted at its name) and the final mode, named .NAME.tmp-* so that a
// collector matching *.prom never reads it; write, fsync, rename over the
// target (rename replaces a link at the target, never writes through it),
// fsync the directory (so the rename itself survives a crash). On any error
// before the rename the temporary file is removed. It never creates
// directories and never prints. The pattern is tailscale's atomicfile and
// the one rename(2) documents for replacing a file. Lock (lock_unix.go) is
// the flock(2) that orders writers of the same files, in a directory checked
// the same way.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// file is what WriteFile does to its temporary file: an *os.File, or in
// tests one that fails as a full or broken disk does.
type file interface {
	io.Writer
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// wrap is the seam fault-injection tests replace: it sees every temporary
// file WriteFile makes.
var wrap = func(f *os.File) file { return f }

// openFile opens in root; tests replace it to fail as a read-only or
// forbidden directory does.
var openFile = func(root *os.Root, name string, flag int, perm fs.FileMode) (*os.File, error) {
	return root.OpenFile(name, flag, perm)
}

// tempName names a temporary file for base; tests replace it to plant a
// link at the name WriteFile will try.
var tempName = func(base string) string {
	return "." + base + ".tmp-" + strconv.FormatUint(rand.Uint64(), 36)
}

// WriteFile replaces path with data, which ends with mode perm exactly (the
// umask does not apply: a metrics file must be world-readable whoever runs
// it). Errors name path, and the temporary file when one was made, and wrap
// the system's error (errors.Is(err, syscall.ENOSPC) holds on a full disk).
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	if path == "" {
		return errors.New("write: no file name given")
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer root.Close()
	if err := CheckDir(root, dir); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, name, err := create(root, dir, base, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	shown := filepath.Join(dir, name)
	fail := func(err error) error {
		tmp.Close()
		root.Remove(name)
		return fmt.Errorf("write %s (via %s): %w", path, shown, err)
	}
	f := wrap(tmp)
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	// Created with perm, but through the umask: set it exactly.
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err) // closing twice is harmless: the second is ignored
	}
	if err := root.Rename(name, base); err != nil {
		root.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(root, dir); err != nil {
		return fmt.Errorf("write %s: the file is replaced, but %w", path, err)
	}
	return nil
}

// create makes a new temporary file in root with O_EXCL: never an existing
// file or link, nor one another writer is making at the same moment.
func create(root *os.Root, dir, base string, perm fs.FileMode) (*os.File, string, error) {
	for range 100 {
		name := tempName(base)
		f, err := openFile(root, name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("no unused temporary name .%s.tmp-* in %s", base, dir)
}

// syncDir makes root's entries (the rename) durable.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(".")
	if err != nil {
		return fmt.Errorf("cannot sync its directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync its directory %s: %w", dir, err)
	}
	return nil
}
