package bootentry

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/mounts"
	"github.com/boot-guard/boot-guard/verify/internal/rootpath"
)

// FstabEntry is one line of /etc/fstab.
type FstabEntry = mounts.FstabEntry

// Layout is what /etc/fstab under a root says about where the boot loader's
// files live.
type Layout struct {
	// Root is the host directory of the system's root.
	Root string
	// Boot is fstab's /boot line when /boot is its own filesystem.
	Boot *FstabEntry
	// RootFS is fstab's / line, if any.
	RootFS *FstabEntry
}

// ReadLayout reads ROOT/etc/fstab. A missing fstab is not an error: /boot is
// then taken to be part of the root filesystem unless the files say
// otherwise (see grubPath).
func ReadLayout(root string) (Layout, error) {
	l := Layout{Root: root}
	name := filepath.Join(root, filepath.FromSlash(fstabFile))
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("read fstab: %w", err)
	}
	defer f.Close()
	entries, err := ParseFstab(f, name)
	if err != nil {
		return l, err
	}
	for i := range entries {
		e := entries[i]
		switch filepath.Clean(e.Target) {
		case "/boot":
			l.Boot = &e
		case "/":
			l.RootFS = &e
		}
	}
	return l, nil
}

// ParseFstab reads fstab(5) lines: fields separated by blanks, "\040" for a
// space inside a field, '#' comments (package mounts owns the format).
func ParseFstab(r io.Reader, name string) ([]FstabEntry, error) {
	return mounts.ParseFstab(r, name)
}

// grubPath maps a path as grub.cfg writes it to a host path. GRUB reads
// paths from the filesystem its "root" variable names: with a separate /boot
// (fstab has a /boot line) that is the /boot partition, so grub.cfg says
// /vmlinuz-V and the file is ROOT/boot/vmlinuz-V; a search for the root
// filesystem's UUID says the opposite. Without fstab evidence, the file is
// looked for both ways. It returns "" and a reason when the path cannot be
// mapped.
func (l Layout) grubPath(raw, searchUUID string) (string, string) {
	if strings.Contains(raw, "$") {
		return "", fmt.Sprintf("path %q uses a GRUB variable boot-guard does not expand", raw)
	}
	p := raw
	if strings.HasPrefix(p, "(") {
		// (hd0,gpt2)/vmlinuz-V: an explicit device.
		i := strings.IndexByte(p, ')')
		if i < 0 {
			return "", fmt.Sprintf("path %q has an unclosed device name", raw)
		}
		p = p[i+1:]
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Sprintf("path %q is not absolute", raw)
	}
	// On btrfs, grub-mkconfig writes paths from the top of the filesystem,
	// through the subvolume mounted as / or /boot ("/@rootfs/boot/vmlinuz-V"
	// from Debian's installer): drop a leading "@..." component when the
	// path does not exist as written but does without it.
	if first, rest, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/"); ok && strings.HasPrefix(first, "@") {
		if _, err := os.Lstat(rootpath.Join(l.Root, p)); err != nil {
			p = "/" + rest
		}
	}
	// issue 17 item 5: ".." and absolute links in the image stay in it.
	onRoot, err := rootpath.Resolve(l.Root, p)
	if err != nil {
		return "", err.Error()
	}
	onBoot, err := rootpath.Resolve(l.Root, "/boot/"+p)
	if err != nil {
		return "", err.Error()
	}
	if l.Boot != nil {
		if searchUUID != "" && l.RootFS != nil && specHasUUID(l.RootFS.Spec, searchUUID) {
			return onRoot, ""
		}
		return onBoot, ""
	}
	if searchUUID != "" && l.RootFS != nil && specHasUUID(l.RootFS.Spec, searchUUID) {
		return onRoot, ""
	}
	if strings.HasPrefix(p, "/boot/") {
		return onRoot, ""
	}
	// grub.cfg says /vmlinuz-V but fstab shows no separate /boot (or there
	// is no fstab, as in many images): prefer whichever exists.
	if _, err := os.Lstat(onRoot); err == nil {
		return onRoot, ""
	}
	return onBoot, ""
}

func specHasUUID(spec, uuid string) bool {
	v, ok := strings.CutPrefix(spec, "UUID=")
	if !ok {
		v, ok = strings.CutPrefix(spec, "/dev/disk/by-uuid/")
	}
	return ok && strings.EqualFold(strings.Trim(v, `"`), uuid)
}
