package bootentry

import (
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
)

// Issue 12 item 6: a root filesystem on several devices.

// maxMembers caps the member devices of one multi-device root read from /sys.
const maxMembers = 256

// btrfsMembers returns the device nodes under devDir of every member of the
// btrfs filesystem that node (the root mount's source, resolved) belongs
// to: the filesystem in sys's fs/btrfs/UUID/devices listing node's kernel
// name. The kernel mounts a multi-device btrfs from any member once all are
// scanned, and mountinfo names just one of them (and udev's by-uuid link
// whichever member it saw last), so any member selects the root. nil when
// sys is absent, nothing lists node, or the filesystem has one device.
func btrfsMembers(sys fs.FS, devDir, node string) []string {
	if sys == nil {
		return nil
	}
	uuids, err := fs.ReadDir(sys, "fs/btrfs")
	if err != nil {
		return nil
	}
	name := filepath.Base(node)
	for _, u := range uuids {
		dir := "fs/btrfs/" + u.Name() + "/devices"
		ents, err := fs.ReadDir(sys, dir)
		if err != nil || len(ents) < 2 || len(ents) > maxMembers {
			continue
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		if !slices.Contains(names, name) {
			continue
		}
		var nodes []string
		for _, n := range names {
			if t, err := filepath.EvalSymlinks(filepath.Join(devDir, n)); err == nil {
				nodes = append(nodes, t)
			}
		}
		sort.Strings(nodes)
		return nodes
	}
	return nil
}
