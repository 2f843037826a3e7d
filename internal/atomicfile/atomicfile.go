// Package atomicfile is boot-guard's one way to replace a file: a reader of
// the file (the node exporter's textfile collector, the next APT hook run)
// sees the old content or the new, never half a file, and after a crash the
// file is one of the two.
//
// It owns the steps, in this order: a temporary file in the target's
// directory (created with O_EXCL and the final mode, named .NAME.tmp-*, so
// that a collector matching *.prom never reads it), write, fsync, rename over
// the target, fsync the directory (so the rename itself survives a crash). On
// any error before the rename the temporary file is removed. It never
// creates directories and never prints. The pattern is tailscale's atomicfile
// and the one rename(2) documents for replacing a file.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFile replaces path with data, which ends with mode perm exactly (the
// umask does not apply: a metrics file must be world-readable whoever runs
// it). Errors name path, and the temporary file when one was made.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	if path == "" {
		return errors.New("write: no file name given")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := create(dir, base, perm)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s (via %s): %w", path, tmp.Name(), err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	// Created with perm, but through the umask: set it exactly.
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err) // closing twice is harmless: the second is ignored
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: the file is replaced, but %w", path, err)
	}
	return nil
}

// create makes a new temporary file .BASE.tmp-N in dir with O_EXCL: never
// an existing file, nor one another writer is making at the same moment.
func create(dir, base string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, "."+base+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no unused temporary name .%s.tmp-* in %s", base, dir)
}

// syncDir makes dir's entries (the rename) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot sync its directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cannot sync its directory %s: %w", dir, err)
	}
	return nil
}
