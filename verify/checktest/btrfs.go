package checktest

import (
	"path/filepath"
	"testing"
)

// BtrfsFSID is the filesystem UUID of BtrfsMachine's root.
const BtrfsFSID = "5d6a1c3e-2b4f-4f7a-9c1d-0e8f7a6b5c4d"

// BtrfsMachine (issue 12 items 5 and 6) makes /sys and /proc for a machine
// whose / is btrfs BtrfsFSID on nvme0n1p2, NVMeMachine's disk, its
// /sys/fs/btrfs/BtrfsFSID/checksum saying checksum ("xxhash64
// (xxhash64-generic)"; "" writes none, as before Linux 5.5). With raid1 it
// has a second member, nvme0n1p3 (259:3), which mountinfo names, as the
// kernel names one member of a RAID1 btrfs.
func BtrfsMachine(t testing.TB, checksum string, raid1 bool) Machine {
	t.Helper()
	m := nvme(t)
	disk := "devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1"
	fsDir := "fs/btrfs/" + BtrfsFSID
	m.mkdir("fs/btrfs/features")
	m.link(fsDir+"/devices/nvme0n1p2", disk+"/nvme0n1p2")
	source := "/dev/nvme0n1p2"
	if raid1 {
		part := disk + "/nvme0n1p3"
		m.file(part+"/dev", "259:3\n")
		m.file(part+"/partition", "3\n")
		m.link(part+"/subsystem", "class/block")
		m.link("dev/block/259:3", part)
		m.link("class/block/nvme0n1p3", part)
		m.link(fsDir+"/devices/nvme0n1p3", part)
		source = "/dev/nvme0n1p3"
	}
	if checksum != "" {
		m.file(fsDir+"/checksum", checksum+"\n")
	}
	WriteFile(t, filepath.Join(m.Proc, "self", "mountinfo"),
		[]byte("22 1 0:30 / / rw,relatime shared:1 - btrfs "+source+" rw,space_cache=v2,subvolid=5,subvol=/\n"+
			"23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw\n"))
	return m
}
