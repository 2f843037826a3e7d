package rootdev

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A broken or hostile /sys gives an Unknown naming the problem, never a
// hang, a panic or a silent pass.

func TestHostileSymlinkLoop(t *testing.T) {
	f := newFakeSys(t)
	f.link("dev/block/8:0", "devices/a")
	f.link("devices/a", "devices/b")
	f.link("devices/b", "devices/a")
	f.mountinfo(rootLine(27, "8:0", "/", "ext4", "/dev/sda"))
	checkUnknown(t, f.discover(), "no block device 8:0 for / (/dev/sda): /sys/dev/block/8:0: too many levels of symbolic links")
}

func TestHostileLongLinkChain(t *testing.T) {
	f := newFakeSys(t)
	f.disk("devices/virtual/block", "zram0", "253:0")
	f.link("devices/l0", "devices/virtual/block/zram0")
	for i := 1; i <= maxLinkHops+5; i++ {
		f.link(fmt.Sprintf("devices/l%d", i), fmt.Sprintf("devices/l%d", i-1))
	}
	f.link("dev/block/8:0", fmt.Sprintf("devices/l%d", maxLinkHops+5))
	f.mountinfo(rootLine(27, "8:0", "/", "ext4", "/dev/sda"))
	checkUnknown(t, f.discover(), "too many levels of symbolic links")
}

func TestHostileLinksLeavingTheTree(t *testing.T) {
	for name, target := range map[string]string{
		"absolute": "/sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vda",
		"dotdot":   "../../../../../../../../../../etc",
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeSys(t)
			if err := os.Symlink(target, filepath.Join(f.sys, "dev/block/254:0")); err != nil {
				t.Fatal(err)
			}
			f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/vda"))
			checkUnknown(t, f.discover(), "no block device 254:0 for / (/dev/vda): /sys/dev/block/254:0", "outside the tree")
		})
	}
}

func TestHostileSlavesCycle(t *testing.T) {
	f := newFakeSys(t)
	a := f.dm("dm-0", "254:0", "a", "LVM-a")
	b := f.dm("dm-1", "254:1", "b", "LVM-b", a)
	f.link(a+"/slaves/dm-1", b)
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/mapper/a"))
	checkUnknown(t, f.discover(), "is its own slave (a cycle in slaves/")
}

func TestHostileDeepChain(t *testing.T) {
	f := newFakeSys(t)
	dir := f.pci("0000:00:05.0", "pci:v1", "virtio-pci", "virtio_pci")
	for i := 0; i < maxDepth+10; i++ {
		dir += fmt.Sprintf("/d%d", i)
	}
	f.disk(dir, "vda", "254:0")
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/vda"))
	checkUnknown(t, f.discover(), "more than 64 directories deep")
}

func TestHostileDeepStack(t *testing.T) {
	f := newFakeSys(t)
	prev := f.disk(f.device(f.pci("0000:00:05.0", "pci:v1", "virtio-pci", "virtio_pci")+"/virtio2", "bus/virtio", "virtio:d2", "virtio_blk", "virtio_blk")+"/block", "vda", "254:0")
	for i := 0; i < maxStack+4; i++ {
		prev = f.dm(fmt.Sprintf("dm-%d", i), fmt.Sprintf("253:%d", i), fmt.Sprintf("l%d", i), fmt.Sprintf("LVM-%d", i), prev)
	}
	f.mountinfo(rootLine(27, fmt.Sprintf("253:%d", maxStack+3), "/", "ext4", "/dev/mapper/top"))
	checkUnknown(t, f.discover(), "more than 16 layers of devices under /")
}

func TestHostileHugeModalias(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:05.0", "", "virtio-pci", "virtio_pci")
	f.file(pci+"/modalias", strings.Repeat("pci:v1", 20000))
	v := f.device(pci+"/virtio2", "bus/virtio", "virtio:d00000002v00001AF4", "virtio_blk", "virtio_blk")
	f.disk(v+"/block", "vda", "254:0")
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/vda"))
	res := f.discover()
	checkUnknown(t, res, "cannot read /sys/devices/pci0000:00/0000:00:05.0/modalias: larger than 65536 bytes")
	// The rest of the chain is still walked.
	found := false
	for _, n := range res.Needs {
		found = found || n.Value == "virtio:d00000002v00001AF4"
	}
	if !found {
		t.Errorf("virtio modalias missing: %+v", res.Needs)
	}
}

func TestHostileManySlaves(t *testing.T) {
	f := newFakeSys(t)
	v := f.device(f.pci("0000:00:05.0", "pci:v1", "virtio-pci", "virtio_pci")+"/virtio2", "bus/virtio", "virtio:d2", "virtio_blk", "virtio_blk")
	vda := f.disk(v+"/block", "vda", "254:0")
	md := f.md("md0", "9:0", "raid1")
	for i := 0; i < maxDirEntries+5; i++ {
		f.link(fmt.Sprintf("%s/slaves/s%04d", md, i), vda)
	}
	f.mountinfo(rootLine(27, "9:0", "/", "ext4", "/dev/md0"))
	res := f.discover()
	checkUnknown(t, res, "more than 1024 devices in /sys/devices/virtual/block/md0/slaves")
	if len(res.Needs) != 5 { // virtio, pci, md_mod, raid1, ext4
		t.Errorf("needs = %+v", res.Needs)
	}
}
