package rootdev

import (
	"path"
	"strings"
)

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
