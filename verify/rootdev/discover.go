package rootdev

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Discover finds what the root filesystem, and /usr when it is a separate
// mount, need from a kernel and its initrd on the machine whose /sys and
// /proc are sys and proc (normally os.DirFS("/sys") and os.DirFS("/proc")).
// Both must implement fs.ReadLinkFS for the device walk (os.DirFS and
// fstest.MapFS do).
//
// Whatever could not be walked is an Unknown sentence in the Result, never a
// silent gap: a missing or unreadable /sys or /proc, a root on overlay,
// tmpfs, a network or hypervisor filesystem, a loop device, a device with
// neither modalias nor driver. Discover returns an error only when
// /proc/self/mountinfo is malformed or absurdly large (the error names the
// line); one that cannot be read is an Unknown.
func Discover(sys, proc fs.FS) (*Result, error) {
	res := &Result{}
	if proc == nil {
		res.Unknown = append(res.Unknown, "no /proc was given: the root mount and its device were not looked at")
		res.Undescribed = true
		return res, nil
	}
	pt := newTree(proc, "/proc")
	f, err := pt.openRegular("self/mountinfo")
	if err != nil {
		res.Unknown = append(res.Unknown, fmt.Sprintf("cannot read %v: the root mount and its device were not looked at", err))
		res.Undescribed = true
		return res, nil
	}
	mounts, err := scanMountinfo(f, "/proc/self/mountinfo", map[string]bool{"/": true, "/usr": true})
	f.Close()
	if errors.Is(err, errMountinfoRead) {
		res.Unknown = append(res.Unknown, fmt.Sprintf("cannot read %v: the root mount and its device were not looked at", err))
		res.Undescribed = true
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	root, ok := mounts["/"]
	if !ok {
		res.Unknown = append(res.Unknown, "/proc/self/mountinfo has no mount at /: the root device was not looked at")
		res.Undescribed = true
		return res, nil
	}
	w := &walker{res: res, onPath: map[string]bool{}, budget: maxBlockDevices}
	switch {
	case sys == nil:
		w.sysErr = "no /sys was given"
	default:
		w.sys = newTree(sys, "/sys")
		w.tables, _ = sys.(TableReader) // issue 12 item 4: the dm targets
		if w.sys.rl == nil {
			w.sysErr = "the /sys given cannot show symbolic links (it does not implement fs.ReadLinkFS)"
		} else if _, err := w.sys.resolve("dev/block"); err != nil {
			w.sysErr = fmt.Sprintf("cannot read %v", err)
		}
	}
	w.mount(root)
	if usr, ok := mounts["/usr"]; ok {
		w.mount(usr)
	}
	return res, nil
}

// Bounds on the block-device walk.
const (
	// maxStack is how many dm/md/partition layers may sit on one another.
	maxStack = 16
	// maxBlockDevices caps the block devices one Discover walks (a btrfs or md
	// over hundreds of disks is still well inside it).
	maxBlockDevices = 512
)

// undescribed marks the Result Undescribed when the mount at target is
// the root's: no block device under it is shown.
func (w *walker) undescribed(target string) {
	if target == "/" {
		w.res.Undescribed = true
	}
}

// walker collects the Result while it walks /sys.
type walker struct {
	res    *Result
	sys    *tree
	sysErr string // set when /sys cannot be walked at all
	onPath map[string]bool
	budget int
	tables TableReader // nil: the dm tables cannot be read
}

// label is one step of a reason chain, bottom up: "disk nvme0n1", "partition
// nvme0n1p2" (layer false) or "LUKS dm-0 (luks-...)" (layer true).
type label struct {
	text  string
	layer bool
}

// render builds "driver for PCI 0000:02:00.0, disk nvme0n1, partition
// nvme0n1p3, under LUKS dm-0 (luks-...), LVM vg-root, mounted at /".
func render(subject string, chain []label, target string) string {
	var parts []string
	if subject != "" {
		parts = append(parts, subject)
	}
	under := false
	for _, l := range chain {
		s := l.text
		if l.layer && !under && len(parts) > 0 {
			s = "under " + s
			under = true
		}
		parts = append(parts, s)
	}
	parts = append(parts, "mounted at "+target)
	return strings.Join(parts, ", ")
}

// prepend returns l followed by chain, without touching chain's array.
func prepend(l label, chain []label) []label {
	out := make([]label, 0, len(chain)+1)
	return append(append(out, l), chain...)
}

func (w *walker) unknown(format string, args ...any) {
	w.res.Unknown = appendOnce(w.res.Unknown, fmt.Sprintf(format, args...))
}

// note records a sentence about what was read in part (Result.Notes).
func (w *walker) note(format string, args ...any) {
	w.res.Notes = appendOnce(w.res.Notes, fmt.Sprintf(format, args...))
}

// appendOnce appends s to list unless it is there.
func appendOnce(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

func (w *walker) need(n Need) {
	for i := range w.res.Needs {
		have := &w.res.Needs[i]
		if have.Kind == n.Kind && have.Value == n.Value {
			if have.Bound == "" && have.BuiltinDriver == "" {
				have.Bound, have.BuiltinDriver = n.Bound, n.BuiltinDriver
			}
			if n.Guess == "" {
				have.Guess = "" // known once is known
			}
			return
		}
	}
	w.res.Needs = append(w.res.Needs, n)
}

// userspace records a program need; it reports whether the entry is new.
func (w *walker) userspace(program, detail, cryptName string) bool {
	for _, u := range w.res.Userspace {
		// One entry per program, and for cryptsetup one per mapping.
		if u.Program == program && u.CryptName == cryptName {
			return false
		}
	}
	w.res.Userspace = append(w.res.Userspace, Userspace{Program: program, Detail: detail, CryptName: cryptName})
	return true
}

// Filesystems with no block device of their own, and what to say about them.
var (
	networkFS = map[string]bool{
		"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "ceph": true,
		"glusterfs": true, "fuse.glusterfs": true, "afs": true, "fuse.sshfs": true, "ncpfs": true,
	}
	memoryFS     = map[string]bool{"tmpfs": true, "ramfs": true, "rootfs": true}
	unionFS      = map[string]bool{"overlay": true, "aufs": true, "unionfs": true, "fuse.unionfs": true, "fuse-overlayfs": true, "fuse.fuse-overlayfs": true}
	hypervisorFS = map[string]bool{"9p": true, "virtiofs": true}
)

// mount walks one mount ("/" or "/usr").
func (w *walker) mount(e mountinfoEntry) {
	t := e.MountPoint
	w.res.Mounts = append(w.res.Mounts, Mount{Target: t, Source: e.Source, FSType: e.FSType, MajMin: e.majMin()})
	switch {
	case networkFS[e.FSType]:
		w.unknown("%s is on %s from %s, a network root: boot-guard cannot check the network drivers and setup the initrd needs to mount it", t, e.FSType, e.Source)
		return
	case memoryFS[e.FSType]:
		w.unknown("%s is on %s, in memory: there is no block device to check (a container or an initramfs-only system)", t, e.FSType)
		w.undescribed(t)
		return
	case unionFS[e.FSType]:
		w.unknown("%s is on %s: a container's or live system's root has no block device to check", t, e.FSType)
		w.undescribed(t)
		return
	case hypervisorFS[e.FSType]:
		w.unknown("%s is on %s (%s), shared by the hypervisor: there is no block device to check", t, e.FSType, e.Source)
		w.undescribed(t)
		return
	}
	w.need(Need{Kind: NeedFilesystem, Value: e.FSType, Reason: fmt.Sprintf("filesystem %s, mounted at %s", e.FSType, t)})
	if w.sysErr != "" {
		w.unknown("%s: the device under %s (%s, %s) was not walked", w.sysErr, t, e.Source, e.majMin())
		w.undescribed(t)
		return
	}
	if e.Major == 0 {
		if e.FSType == "btrfs" {
			w.btrfs(e)
			return
		}
		w.unknown("%s is on %s from %s with no block device (anonymous device %s): cannot tell what it needs", t, e.FSType, e.Source, e.majMin())
		return
	}
	link := "dev/block/" + e.majMin()
	p, err := w.sys.resolve(link)
	if err != nil {
		w.unknown("the kernel shows no block device %s for %s (%s): %v", e.majMin(), t, e.Source, err)
		return
	}
	w.block(p, nil, t, 0)
}

// block walks one block device at canonical sysfs path p, with the chain of
// what sits above it.
func (w *walker) block(p string, above []label, target string, depth int) {
	name := path.Base(p)
	if depth > maxStack {
		w.unknown("more than %d layers of devices under %s (at %s): the stack was not walked further", maxStack, target, w.sys.show(p))
		return
	}
	if w.onPath[p] {
		w.unknown("%s is its own slave (a cycle in slaves/ under %s): the stack was not walked further", w.sys.show(p), target)
		return
	}
	if w.budget--; w.budget < 0 {
		w.unknown("more than %d block devices under %s: the rest were not walked", maxBlockDevices, target)
		return
	}
	w.onPath[p] = true
	defer delete(w.onPath, p)

	if w.sys.exists(p + "/partition") {
		above = prepend(label{text: "partition " + name}, above)
		p = parentOf(p)
		name = path.Base(p)
		if p == "" {
			w.unknown("partition %s has no disk above it in /sys: its device was not walked", name)
			return
		}
	}
	switch {
	case w.sys.isDir(p + "/dm"):
		w.dm(p, name, above, target, depth)
	case w.sys.isDir(p + "/md"):
		w.md(p, name, above, target, depth)
	case strings.HasPrefix(name, "loop") && w.sys.isDir(p+"/loop"):
		backing, err := w.sys.readAttr(p + "/loop/backing_file")
		if err != nil || backing == "" {
			backing = "an unknown file"
		}
		w.unknown("%s: the device holding that file was not walked", render("loop device "+name+" (backed by "+backing+")", above, target))
	case strings.HasPrefix(p, "devices/virtual/block/") && w.hasSlaves(p):
		w.virtualStack(p, name, above, target, depth)
	default:
		w.disk(p, name, above, target)
	}
}

// hasSlaves reports whether p/slaves lists at least one device.
func (w *walker) hasSlaves(p string) bool {
	names, _, err := w.sys.readDirNames(p + "/slaves")
	return err == nil && len(names) > 0
}

// virtualStack walks a virtual block device other than dm and md that sits
// on other devices: bcache is known (module bcache); any other kind is said
// to be unknown, and what is under it is still walked.
func (w *walker) virtualStack(p, name string, above []label, target string, depth int) {
	text := "virtual disk " + name
	known := strings.HasPrefix(name, "bcache") || w.sys.isDir(p+"/bcache")
	if known {
		text = "bcache " + name
	}
	chain := prepend(label{text: text, layer: true}, above)
	if known {
		w.need(Need{Kind: NeedModule, Value: "bcache", Reason: "needed by " + render("", chain, target)})
	} else {
		w.unknown("%s is a virtual block device of a kind boot-guard does not know: the module that provides it was not required (%s)", name, render("", chain, target))
	}
	w.slaves(p, text, chain, target, depth)
}
