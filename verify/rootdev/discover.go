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
		return res, nil
	}
	pt := newTree(proc, "/proc")
	f, err := pt.openRegular("self/mountinfo")
	if err != nil {
		res.Unknown = append(res.Unknown, fmt.Sprintf("cannot read %v: the root mount and its device were not looked at", err))
		return res, nil
	}
	mounts, err := scanMountinfo(f, "/proc/self/mountinfo", map[string]bool{"/": true, "/usr": true})
	f.Close()
	if errors.Is(err, errMountinfoRead) {
		res.Unknown = append(res.Unknown, fmt.Sprintf("cannot read %v: the root mount and its device were not looked at", err))
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	root, ok := mounts["/"]
	if !ok {
		res.Unknown = append(res.Unknown, "/proc/self/mountinfo has no mount at /: the root device was not looked at")
		return res, nil
	}
	w := &walker{res: res, onPath: map[string]bool{}, budget: maxBlockDevices}
	switch {
	case sys == nil:
		w.sysErr = "no /sys was given"
	default:
		w.sys = newTree(sys, "/sys")
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

// walker collects the Result while it walks /sys.
type walker struct {
	res    *Result
	sys    *tree
	sysErr string // set when /sys cannot be walked at all
	onPath map[string]bool
	budget int
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
	s := fmt.Sprintf(format, args...)
	for _, u := range w.res.Unknown {
		if u == s {
			return
		}
	}
	w.res.Unknown = append(w.res.Unknown, s)
}

func (w *walker) need(n Need) {
	for i := range w.res.Needs {
		have := &w.res.Needs[i]
		if have.Kind == n.Kind && have.Value == n.Value {
			if have.Bound == "" && have.BuiltinDriver == "" {
				have.Bound, have.BuiltinDriver = n.Bound, n.BuiltinDriver
			}
			return
		}
	}
	w.res.Needs = append(w.res.Needs, n)
}

func (w *walker) userspace(program, detail, cryptName string) {
	for _, u := range w.res.Userspace {
		// One entry per program, and for cryptsetup one per mapping.
		if u.Program == program && u.CryptName == cryptName {
			return
		}
	}
	w.res.Userspace = append(w.res.Userspace, Userspace{Program: program, Detail: detail, CryptName: cryptName})
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
		return
	case unionFS[e.FSType]:
		w.unknown("%s is on %s: a container's or live system's root has no block device to check", t, e.FSType)
		return
	case hypervisorFS[e.FSType]:
		w.unknown("%s is on %s (%s), shared by the hypervisor: there is no block device to check", t, e.FSType, e.Source)
		return
	}
	w.need(Need{Kind: NeedFilesystem, Value: e.FSType, Reason: fmt.Sprintf("filesystem %s, mounted at %s", e.FSType, t)})
	if w.sysErr != "" {
		w.unknown("%s: the device under %s (%s, %s) was not walked", w.sysErr, t, e.Source, e.majMin())
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

// disk walks a whole disk (no partition, no dm/md) from its sysfs directory up
// to /sys/devices, collecting every modalias and bound driver on the way.
func (w *walker) disk(p, name string, above []label, target string) {
	chain := prepend(label{text: "disk " + name}, above)
	where := render("", chain, target)
	if !strings.HasPrefix(p, "devices/") {
		w.unknown("disk %s resolves to %s, outside /sys/devices: its driver was not found (%s)", name, w.sys.show(p), where)
		return
	}
	if strings.HasPrefix(p, "devices/virtual/") {
		if strings.HasPrefix(p, "devices/virtual/nvme-subsystem/") {
			w.nvmeHead(p, name, chain, target)
			return
		}
		if strings.HasPrefix(p, "devices/virtual/nvme-fabrics/") {
			w.nvmeOverFabrics(name, where)
			return
		}
		w.unknown("disk %s is a virtual block device (%s) with nothing under it: cannot tell which module provides it (%s)", name, w.sys.show(p), where)
		return
	}
	if s := iscsiSession(p); s != "" {
		w.unknown("disk %s is an iSCSI disk (%s), a network root: boot-guard cannot check the network and iSCSI setup the initrd needs (%s)", name, s, where)
	}
	if !w.upward(p, chain, target) {
		w.unknown("disk %s has no modalias and no driver anywhere from %s up to /sys/devices: cannot tell which module drives it (%s)", name, w.sys.show(p), where)
	}
}

// iscsiSession returns the "sessionN" component of an iSCSI disk's path.
func iscsiSession(p string) string {
	for _, c := range strings.Split(p, "/") {
		if rest, ok := strings.CutPrefix(c, "session"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return c
		}
	}
	return ""
}

// nvmeHead walks a native NVMe multipath disk, which sysfs puts under
// devices/virtual/nvme-subsystem/nvme-subsysN/: its controllers are the
// nvmeN links in the subsystem directory.
func (w *walker) nvmeHead(p, name string, chain []label, target string) {
	subsys := parentOf(p)
	names, _, err := w.sys.readDirNames(subsys)
	found := false
	if err == nil {
		for _, n := range names {
			if !isNVMeController(n) || !w.sys.isLink(subsys+"/"+n) {
				continue
			}
			ctrl, err := w.sys.resolve(subsys + "/" + n)
			if err != nil || !strings.HasPrefix(ctrl, "devices/") {
				continue
			}
			if strings.HasPrefix(ctrl, "devices/virtual/nvme-fabrics/") {
				w.nvmeOverFabrics(name, render("", chain, target))
				found = true
				continue
			}
			if strings.HasPrefix(ctrl, "devices/virtual/") {
				continue
			}
			if w.upward(ctrl, chain, target) {
				found = true
			}
		}
	}
	if !found {
		w.unknown("disk %s is an NVMe multipath disk whose controllers in %s could not be followed: cannot tell which module drives it (%s)", name, w.sys.show(subsys), render("", chain, target))
	}
}

// nvmeOverFabrics says that a disk is reached over NVMe-oF (TCP, RDMA, FC).
func (w *walker) nvmeOverFabrics(name, where string) {
	w.unknown("disk %s is NVMe over fabrics, a network root: boot-guard cannot check the network and nvme-fabrics setup the initrd needs (%s)", name, where)
}

func isNVMeController(n string) bool {
	rest, ok := strings.CutPrefix(n, "nvme")
	return ok && rest != "" && strings.Trim(rest, "0123456789") == ""
}

// upward visits start and each parent directory up to /sys/devices. Every
// modalias becomes a NeedModalias (with the bound driver as Bound); a bound
// driver with a module link on a device with no modalias becomes a
// NeedModule. It reports whether it found any modalias or driver.
func (w *walker) upward(start string, chain []label, target string) bool {
	found := false
	n := 0
	for d := start; d != "devices" && strings.HasPrefix(d, "devices/"); d = parentOf(d) {
		if n++; n > maxDepth {
			w.unknown("%s is more than %d directories deep: the walk up to /sys/devices stopped there (%s)", w.sys.show(start), maxDepth, render("", chain, target))
			return true // said why; do not also say "no driver found"
		}
		modalias, hasModalias := "", false
		if w.sys.exists(d + "/modalias") {
			v, err := w.sys.readAttr(d + "/modalias")
			if err != nil {
				w.unknown("cannot read %v: that device's driver was not required (%s)", err, render("", chain, target))
			} else if v != "" {
				modalias, hasModalias = v, true
			}
		}
		module, loadable := w.driverModule(d)
		if !hasModalias && module == "" {
			continue
		}
		found = true
		reason := render("driver for "+w.describe(d), chain, target)
		bound, builtin := module, ""
		if !loadable {
			bound, builtin = "", module
		}
		switch {
		case hasModalias:
			w.need(Need{Kind: NeedModalias, Value: modalias, Bound: bound, BuiltinDriver: builtin, Reason: reason})
		case loadable:
			w.need(Need{Kind: NeedModule, Value: module, Bound: module, Reason: reason})
		default:
			// A built-in driver on a device with no modalias: its name need
			// not be a module name ("usb", "pcieport"), and asking for it by
			// name would cry wolf. The running kernel has it built in.
		}
	}
	return found
}

// driverModule returns the module of the driver bound to device d, "" when
// none is bound: the basename of driver/module when the driver has one, else
// the driver's name; "-" normalised to "_" as modprobe does. loadable reports
// that it is a loadable module now: driver/module leads to a /sys/module
// entry with an initstate file, which built-in modules lack (a built-in
// driver that registered its module name has the link too: the pcieport
// driver's goes to /sys/module/pcieportdrv).
func (w *walker) driverModule(d string) (module string, loadable bool) {
	if !w.sys.isLink(d + "/driver") {
		return "", false
	}
	drv, err := w.sys.resolve(d + "/driver")
	if err != nil {
		return "", false
	}
	name := path.Base(drv)
	if mod, err := w.sys.resolve(drv + "/module"); err == nil {
		name = path.Base(mod)
		loadable = w.sys.exists(mod + "/initstate")
	}
	return strings.ReplaceAll(name, "-", "_"), loadable
}

// describe names device directory d for a person, by its bus or class:
// "PCI 0000:02:00.0", "virtio device virtio2", "SCSI device 0:0:0:0".
func (w *walker) describe(d string) string {
	name := path.Base(d)
	subsystem := ""
	if s, err := w.sys.resolve(d + "/subsystem"); err == nil {
		subsystem = path.Base(s)
	}
	switch subsystem {
	case "pci":
		return "PCI " + name
	case "virtio":
		return "virtio device " + name
	case "scsi":
		return "SCSI device " + name
	case "mmc":
		return "MMC card " + name
	case "xen":
		return "Xen device " + name
	case "usb":
		if strings.Contains(name, ":") {
			return "USB interface " + name
		}
		return "USB device " + name
	case "nvme":
		return "NVMe controller " + name
	case "platform":
		return "platform device " + name
	case "":
		return "device " + name
	}
	return subsystem + " device " + name
}
