package rootdev

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// checkUnknown asserts that res says it cannot tell, with a sentence that
// contains every one of want.
func checkUnknown(t *testing.T, res *Result, want ...string) {
	t.Helper()
	for _, u := range res.Unknown {
		ok := true
		for _, w := range want {
			if !strings.Contains(u, w) {
				ok = false
			}
		}
		if ok {
			t.Logf("unknown: %s", u)
			return
		}
	}
	t.Errorf("no Unknown containing %q; got Unknown %q, needs %+v", want, res.Unknown, res.Needs)
}

func TestRootsWithoutABlockDevice(t *testing.T) {
	// undescribed: no device under / is shown at all (a container, a
	// hypervisor's share), as opposed to a network root or a device that
	// could not be followed.
	for _, tc := range []struct {
		name, line  string
		want        []string
		undescribed bool
	}{
		{"overlay", "100 90 0:50 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w", []string{"/ is on overlay", "container"}, true},
		{"tmpfs", "100 90 0:51 / / rw - tmpfs tmpfs rw", []string{"/ is on tmpfs", "in memory"}, true},
		{"rootfs", "1 1 0:2 / / rw - rootfs rootfs rw", []string{"/ is on rootfs"}, true},
		{"nfs", "100 1 0:52 / / rw - nfs4 10.0.0.1:/srv/root rw,vers=4.2", []string{"/ is on nfs4 from 10.0.0.1:/srv/root", "network root"}, false},
		{"cifs", "100 1 0:53 / / rw - cifs //fs/root rw", []string{"/ is on cifs from //fs/root", "network root"}, false},
		{"9p", "100 1 0:54 / / rw - 9p rootfs rw,trans=virtio", []string{"/ is on 9p (rootfs)", "hypervisor"}, true},
		{"virtiofs", "100 1 0:55 / / rw - virtiofs myfs rw", []string{"/ is on virtiofs (myfs)", "hypervisor"}, true},
		{"zfs", "100 1 0:56 / / rw - zfs rpool/ROOT/debian rw", []string{"/ is on zfs from rpool/ROOT/debian", "anonymous device 0:56"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSys(t)
			f.mountinfo(tc.line)
			res := f.discover()
			checkUnknown(t, res, tc.want...)
			if res.Undescribed != tc.undescribed {
				t.Errorf("Undescribed = %v", res.Undescribed)
			}
			if len(res.Mounts) != 1 || res.Mounts[0].Target != "/" {
				t.Errorf("mounts = %+v", res.Mounts)
			}
		})
	}
}

func TestMissingSys(t *testing.T) {
	f := newFakeSys(t)
	f.mountinfo(rootLine(27, "259:2", "/", "ext4", "/dev/nvme0n1p2"))
	for name, sys := range map[string]fs.FS{
		"nil":       nil,
		"empty dir": os.DirFS(t.TempDir()),
		"gone":      os.DirFS(filepath.Join(t.TempDir(), "nope")),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Discover(sys, os.DirFS(f.proc))
			if err != nil {
				t.Fatal(err)
			}
			checkUnknown(t, res, "/sys", "the device under / (/dev/nvme0n1p2, 259:2) was not walked")
			if !res.Undescribed {
				t.Errorf("no /sys to walk, yet Undescribed is false")
			}
			checkNeeds(t, &Result{Needs: res.Needs}, want{NeedFilesystem, "ext4", "", "mounted at /"})
		})
	}
}

func TestMissingProc(t *testing.T) {
	f := newFakeSys(t)
	res, err := Discover(os.DirFS(f.sys), os.DirFS(filepath.Join(t.TempDir(), "nope")))
	if err != nil {
		t.Fatal(err)
	}
	checkUnknown(t, res, "cannot read /proc/self/mountinfo")
	if !res.Undescribed {
		t.Errorf("no mountinfo, yet Undescribed is false")
	}
	res, err = Discover(os.DirFS(f.sys), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkUnknown(t, res, "no /proc")
	if !res.Undescribed {
		t.Errorf("no /proc, yet Undescribed is false")
	}
}

func TestNoRootMount(t *testing.T) {
	f := newFakeSys(t)
	f.mountinfo("22 1 0:21 / /proc rw - proc proc rw")
	res := f.discover()
	checkUnknown(t, res, "no mount at /")
	if !res.Undescribed {
		t.Errorf("no mount at /, yet Undescribed is false")
	}
}

func TestDevBlockMissing(t *testing.T) {
	f := newFakeSys(t)
	f.mountinfo(rootLine(27, "8:2", "/", "ext4", "/dev/sda2"))
	res := f.discover()
	checkUnknown(t, res, "the kernel shows no block device 8:2 for / (/dev/sda2): /sys/dev/block/8:2: no such file or directory")
	if res.Undescribed {
		t.Errorf("a device number /sys does not show is a described root that could not be followed")
	}
}

func TestLoopRoot(t *testing.T) {
	f := newFakeSys(t)
	loop := f.disk("devices/virtual/block", "loop0", "7:0")
	f.file(loop+"/loop/backing_file", "/run/live/medium/live/filesystem.squashfs")
	f.mountinfo(rootLine(27, "7:0", "/", "squashfs", "/dev/loop0"))
	checkUnknown(t, f.discover(), "loop device loop0 (backed by /run/live/medium/live/filesystem.squashfs), mounted at /: the device holding that file was not walked")
}

func TestDiskWithNoDriverAnywhere(t *testing.T) {
	f := newFakeSys(t)
	dev := f.device("devices/platform/mystery0", "bus/platform", "", "", "")
	f.disk(dev+"/block", "mda", "240:0")
	f.mountinfo(rootLine(27, "240:0", "/", "ext4", "/dev/mda"))
	checkUnknown(t, f.discover(), "disk mda has no modalias and no driver anywhere", "/sys/devices/platform/mystery0/block/mda")
}

func TestVirtualDiskWithNothingUnder(t *testing.T) {
	f := newFakeSys(t)
	f.disk("devices/virtual/block", "zram0", "253:0")
	f.mountinfo(rootLine(27, "253:0", "/", "ext4", "/dev/zram0"))
	checkUnknown(t, f.discover(), "disk zram0 is a virtual block device")
}

func TestDMWithoutSlaves(t *testing.T) {
	f := newFakeSys(t)
	f.dm("dm-0", "254:0", "root", "CRYPT-LUKS2-abc-root")
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/mapper/root"))
	res := f.discover()
	checkUnknown(t, res, "LUKS dm-0 (root) shows no device under it (/sys/devices/virtual/block/dm-0/slaves is empty)")
}

func TestISCSIRootIsNetwork(t *testing.T) {
	f := newFakeSys(t)
	h := f.device("devices/platform/host2", "bus/scsi", "", "", "")
	s := f.device(h+"/session1", "", "", "", "")
	tg := f.device(s+"/target2:0:0", "bus/scsi", "", "", "")
	sd := f.device(tg+"/2:0:0:0", "bus/scsi", "scsi:t-0x00", "sd", "sd_mod")
	f.partition(f.disk(sd+"/block", "sdb", "8:16"), "sdb1", "8:17")
	f.mountinfo(rootLine(27, "8:17", "/", "ext4", "/dev/sdb1"))
	checkUnknown(t, f.discover(), "iSCSI disk (session1)", "network root")
}

// An fs.FS that cannot show symbolic links cannot be walked: that is an
// Unknown, not a silent pass.
func TestSysWithoutReadLink(t *testing.T) {
	f := newFakeSys(t)
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/vda"))
	res, err := Discover(noReadLink{os.DirFS(f.sys)}, os.DirFS(f.proc))
	if err != nil {
		t.Fatal(err)
	}
	checkUnknown(t, res, "cannot show symbolic links")
}

// noReadLink hides every method but Open.
type noReadLink struct{ fs.FS }

// fstest.MapFS implements fs.ReadLinkFS too, so the walk works over it.
func TestMapFS(t *testing.T) {
	sys := fstest.MapFS{
		"dev/block/254:0":                                       {Data: []byte("../../devices/pci0000:00/0000:00:05.0/virtio2/block/vda"), Mode: 0o777 | fs.ModeSymlink},
		"devices/pci0000:00/0000:00:05.0/modalias":              {Data: []byte("pci:v00001AF4d00001001\n")},
		"devices/pci0000:00/0000:00:05.0/virtio2/modalias":      {Data: []byte("virtio:d00000002v00001AF4\n")},
		"devices/pci0000:00/0000:00:05.0/virtio2/driver":        {Data: []byte("../../../../bus/virtio/drivers/virtio_blk"), Mode: 0o777 | fs.ModeSymlink},
		"bus/virtio/drivers/virtio_blk/bind":                    {},
		"devices/pci0000:00/0000:00:05.0/virtio2/block/vda/dev": {Data: []byte("254:0\n")},
	}
	proc := fstest.MapFS{"self/mountinfo": {Data: []byte(rootLine(27, "254:0", "/", "ext4", "/dev/vda") + "\n")}}
	res, err := Discover(sys, proc)
	if err != nil {
		t.Fatal(err)
	}
	checkNeeds(t, res,
		want{NeedModalias, "virtio:d00000002v00001AF4", "builtin:virtio_blk", "virtio2, disk vda, mounted at /"},
		want{NeedModalias, "pci:v00001AF4d00001001", "", "driver for device 0000:00:05.0"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

func TestNVMeOverFabrics(t *testing.T) {
	f := newFakeSys(t)
	ctrl := f.device("devices/virtual/nvme-fabrics/ctl/nvme3", "class/nvme", "", "", "")
	f.partition(f.disk(ctrl, "nvme3n1", "259:0"), "nvme3n1p1", "259:1")
	f.mountinfo(rootLine(27, "259:1", "/", "ext4", "/dev/nvme3n1p1"))
	checkUnknown(t, f.discover(), "disk nvme3n1 is NVMe over fabrics, a network root", "partition nvme3n1p1, mounted at /")

	// The same behind a multipath head: the subsystem's controller link
	// leads into nvme-fabrics.
	g := newFakeSys(t)
	ctrl = g.device("devices/virtual/nvme-fabrics/ctl/nvme3", "class/nvme", "", "", "")
	g.device("devices/virtual/nvme-subsystem/nvme-subsys3", "class/nvme-subsystem", "", "", "")
	g.link("devices/virtual/nvme-subsystem/nvme-subsys3/nvme3", ctrl)
	g.disk("devices/virtual/nvme-subsystem/nvme-subsys3", "nvme3n1", "259:0")
	g.mountinfo(rootLine(27, "259:0", "/", "xfs", "/dev/nvme3n1"))
	checkUnknown(t, g.discover(), "disk nvme3n1 is NVMe over fabrics")
}
