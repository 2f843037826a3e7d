package rootdev

import (
	"reflect"
	"strings"
	"testing"
)

// The fixtures below follow real machines' /sys (Documentation/ABI/testing/
// sysfs-block, sysfs-bus-*), e.g. /sys/block/sda ->
// ../devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda.

const (
	ahciAlias  = "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01"
	nvmeAlias  = "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02"
	nvmeAlias2 = "pci:v00001E0Fd00000001sv00001E0Fsd00000001bc01sc08i02"
)

func TestAHCISATA(t *testing.T) {
	f := newFakeSys(t)
	disk := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sda", "8:0")
	f.partition(disk, "sda1", "8:1")
	f.mountinfo(rootLine(27, "8:1", "/", "xfs", "/dev/sda1"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "scsi:t-0x00", "sd_mod", "driver for SCSI device 0:0:0:0, disk sda, partition sda1, mounted at /"},
		want{NeedModalias, ahciAlias, "ahci", "driver for PCI 0000:00:1f.2, disk sda"},
		want{NeedFilesystem, "xfs", "", "filesystem xfs, mounted at /"},
	)
}

func TestVirtioSCSI(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:04.0", "pci:v00001AF4d00001004sv00001AF4sd00000008bc01sc00i00", "virtio-pci", "virtio_pci")
	v := f.device(pci+"/virtio0", "bus/virtio", "virtio:d00000008v00001AF4", "virtio_scsi", "virtio_scsi")
	h := f.device(v+"/host0", "bus/scsi", "", "", "")
	tg := f.device(h+"/target0:0:0", "bus/scsi", "", "", "")
	sd := f.device(tg+"/0:0:0:0", "bus/scsi", "scsi:t-0x00", "sd", "sd_mod")
	disk := f.disk(sd+"/block", "sda", "8:0")
	f.partition(disk, "sda2", "8:2")
	f.mountinfo(rootLine(27, "8:2", "/", "ext4", "/dev/sda2"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "scsi:t-0x00", "sd_mod", "SCSI device 0:0:0:0, disk sda, partition sda2"},
		want{NeedModalias, "virtio:d00000008v00001AF4", "virtio_scsi", "driver for virtio device virtio0, disk sda"},
		want{NeedModalias, "pci:v00001AF4d00001004sv00001AF4sd00000008bc01sc00i00", "virtio_pci", "PCI 0000:00:04.0"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

func TestMMC(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:1a.0", "pci:v00008086d00009D2Bsv00001028sd000007BEbc08sc05i01", "sdhci-pci", "sdhci_pci")
	host := f.device(pci+"/mmc_host/mmc0", "class/mmc_host", "", "", "")
	card := f.device(host+"/mmc0:0001", "bus/mmc", "mmc:block", "mmcblk", "mmc_block")
	disk := f.disk(card+"/block", "mmcblk0", "179:0")
	f.partition(disk, "mmcblk0p2", "179:2")
	f.mountinfo(rootLine(27, "179:2", "/", "ext4", "/dev/mmcblk0p2"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "mmc:block", "mmc_block", "driver for MMC card mmc0:0001, disk mmcblk0, partition mmcblk0p2, mounted at /"},
		want{NeedModalias, "pci:v00008086d00009D2Bsv00001028sd000007BEbc08sc05i01", "sdhci_pci", "PCI 0000:00:1a.0"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

func TestXenBlkfront(t *testing.T) {
	f := newFakeSys(t)
	vbd := f.device("devices/vbd-51712", "bus/xen", "xen:vbd", "vbd", "xen_blkfront")
	disk := f.disk(vbd+"/block", "xvda", "202:0")
	f.partition(disk, "xvda1", "202:1")
	f.mountinfo(rootLine(27, "202:1", "/", "ext4", "/dev/xvda1"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "xen:vbd", "xen_blkfront", "driver for Xen device vbd-51712, disk xvda, partition xvda1, mounted at /"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

// A driver bound to a device with no modalias becomes a NeedModule.
func TestDriverWithoutModalias(t *testing.T) {
	f := newFakeSys(t)
	plat := f.device("devices/platform/soc/fe340000.mmc", "bus/platform", "", "sdhci-iproc", "sdhci_iproc")
	host := f.device(plat+"/mmc_host/mmc1", "class/mmc_host", "", "", "")
	card := f.device(host+"/mmc1:aaaa", "bus/mmc", "mmc:block", "mmcblk", "mmc_block")
	disk := f.disk(card+"/block", "mmcblk1", "179:0")
	f.partition(disk, "mmcblk1p2", "179:2")
	f.mountinfo(rootLine(27, "179:2", "/", "ext4", "/dev/mmcblk1p2"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "mmc:block", "mmc_block", "MMC card mmc1:aaaa"},
		want{NeedModule, "sdhci_iproc", "sdhci_iproc", "driver for platform device fe340000.mmc, disk mmcblk1"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

func TestNVMeUnderLUKSUnderLVM(t *testing.T) {
	f := newFakeSys(t)
	disk := f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0")
	f.partition(disk, "nvme0n1p1", "259:1")
	p3 := f.partition(disk, "nvme0n1p3", "259:3")
	crypt := f.dm("dm-0", "254:0", "nvme0n1p3_crypt", "CRYPT-LUKS2-0d7c2e53a7a84e0f9d3b2f1e6c5a4b39-nvme0n1p3_crypt", p3)
	f.dm("dm-1", "254:1", "vg-root", "LVM-Xb3cKqT1mY0a8d9pQeR2sT5uV7wX9yZ1AbCdEfGhIjKlMnOpQrStUvWxYz012345", crypt)
	f.mountinfo(rootLine(27, "254:1", "/", "ext4", "/dev/mapper/vg-root"))
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, nvmeAlias, "nvme",
			"driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p3, under LUKS dm-0 (nvme0n1p3_crypt), LVM dm-1 (vg-root), mounted at /"},
		want{NeedModule, "dm_crypt", "", "needed by LUKS dm-0 (nvme0n1p3_crypt), under LVM dm-1 (vg-root), mounted at /"},
		want{NeedModule, "dm_mod", "", "needed by LVM dm-1 (vg-root), mounted at /"},
		want{NeedFilesystem, "ext4", "", ""},
	)
	wantUser := []Userspace{
		{Program: "lvm", Detail: "LVM dm-1 (vg-root), mounted at /", VG: "vg", LV: "root"}, // issue 12 item 4: what rd.lvm.lv= must name
		{Program: "cryptsetup", Detail: "LUKS dm-0 (nvme0n1p3_crypt), under LVM dm-1 (vg-root), mounted at /", CryptName: "nvme0n1p3_crypt",
			LUKSUUID: "0d7c2e53-a7a8-4e0f-9d3b-2f1e6c5a4b39", Device: "dm-0", MajMin: "254:0", Under: []string{"nvme0n1p3"}},
	}
	if len(res.Userspace) != len(wantUser) {
		t.Fatalf("userspace = %+v, want %+v", res.Userspace, wantUser)
	}
	for i := range wantUser {
		if !reflect.DeepEqual(res.Userspace[i], wantUser[i]) {
			t.Errorf("userspace[%d] = %+v, want %+v", i, res.Userspace[i], wantUser[i])
		}
	}
}

func TestLVMThinPool(t *testing.T) {
	res := thinStack(t).discover() // no tables: the names guess
	checkNeeds(t, res,
		want{NeedModalias, "virtio:d00000002v00001AF4", "virtio_blk", "disk vda, partition vda2, under LVM dm-0 (vg-pool_tmeta), LVM dm-2 (vg-pool-tpool), LVM dm-3 (vg-root)"},
		want{NeedModalias, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio_pci", ""},
		want{NeedModule, "dm_mod", "", "LVM dm-3 (vg-root), mounted at /"},
		want{NeedModule, "dm_thin_pool", "", "LVM dm-2 (vg-pool-tpool)"},
		want{NeedFilesystem, "ext4", "", ""},
	)
	if len(res.Userspace) != 1 || res.Userspace[0].Program != "lvm" {
		t.Errorf("userspace = %+v, want lvm once", res.Userspace)
	}
}

func TestMDRaid1OverTwoSATADisks(t *testing.T) {
	f := newFakeSys(t)
	sda := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sda", "8:0")
	// The second port's SCSI host is host1 on the same controller.
	pci := "devices/pci0000:00/0000:00:1f.2"
	ata := f.device(pci+"/ata2", "", "", "", "")
	h := f.device(ata+"/host1", "bus/scsi", "", "", "")
	tg := f.device(h+"/target1:0:0", "bus/scsi", "", "", "")
	sd := f.device(tg+"/1:0:0:0", "bus/scsi", "scsi:t-0x00", "sd", "sd_mod")
	sdb := f.disk(sd+"/block", "sdb", "8:16")
	a := f.partition(sda, "sda1", "8:1")
	b := f.partition(sdb, "sdb1", "8:17")
	md := f.md("md0", "9:0", "raid1", a, b)
	f.file(md+"/md/uuid", "8E2EC0DE-b007-4a11-9e2e-0000000000a1\n") // issue 12 item 4: what rd.md.uuid= must name
	f.mountinfo(rootLine(27, "9:0", "/", "ext4", "/dev/md0"))
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, "scsi:t-0x00", "sd_mod", "SCSI device 0:0:0:0, disk sda, partition sda1, under RAID1 md0, mounted at /"},
		want{NeedModalias, ahciAlias, "ahci", "PCI 0000:00:1f.2"},
		want{NeedModule, "md_mod", "", "needed by RAID1 md0, mounted at /"},
		want{NeedModule, "md-raid1", "", "needed by RAID1 md0, mounted at /"},
		want{NeedFilesystem, "ext4", "", ""},
	)
	if len(res.Userspace) != 1 || !reflect.DeepEqual(res.Userspace[0], Userspace{Program: "mdadm", Detail: "RAID1 md0, mounted at /", MDUUID: "8e2ec0de-b007-4a11-9e2e-0000000000a1"}) {
		t.Errorf("userspace = %+v", res.Userspace)
	}
}

func TestMDLevels(t *testing.T) {
	for level, mod := range map[string]string{"raid0": "md-raid0", "raid10": "md-raid10", "raid4": "md-raid4", "raid5": "md-raid5", "raid6": "md-raid6", "linear": "md-linear"} {
		t.Run(level, func(t *testing.T) {
			f := newFakeSys(t)
			v := f.device(f.pci("0000:00:05.0", "pci:v1", "virtio-pci", "virtio_pci")+"/virtio2", "bus/virtio", "virtio:d00000002v00001AF4", "virtio_blk", "virtio_blk")
			vda := f.disk(v+"/block", "vda", "254:0")
			f.md("md127", "9:127", level, vda)
			f.mountinfo(rootLine(27, "9:127", "/", "ext4", "/dev/md127"))
			checkNeeds(t, f.discover(),
				want{NeedModalias, "virtio:d00000002v00001AF4", "virtio_blk", "md127"},
				want{NeedModalias, "pci:v1", "virtio_pci", ""},
				want{NeedModule, "md_mod", "", ""},
				want{NeedModule, mod, "", "md127, mounted at /"},
				want{NeedFilesystem, "ext4", "", ""},
			)
		})
	}
}

func TestBtrfsOverTwoNVMeDisks(t *testing.T) {
	f := newFakeSys(t)
	d0 := f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0")
	ctrl1 := f.device(f.pci("0000:03:00.0", nvmeAlias2, "nvme", "nvme")+"/nvme/nvme1", "class/nvme", "", "", "")
	d1 := f.disk(ctrl1, "nvme1n1", "259:4")
	p0 := f.partition(d0, "nvme0n1p2", "259:2")
	p1 := f.partition(d1, "nvme1n1p2", "259:6")
	const fsid = "5d6a1c3e-2b4f-4f7a-9c1d-0e8f7a6b5c4d"
	f.mkdir("fs/btrfs/features")
	f.file("fs/btrfs/"+fsid+"/label", "root")
	f.link("fs/btrfs/"+fsid+"/devices/nvme0n1p2", p0)
	f.link("fs/btrfs/"+fsid+"/devices/nvme1n1p2", p1)
	// A second btrfs (a data disk on SATA) must not be walked.
	sdb := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sdb", "8:16")
	f.link("fs/btrfs/0aaaaaaa-1111-2222-3333-444444444444/devices/sdb", sdb)
	f.mountinfo(
		"27 1 0:30 /@ / rw,relatime shared:1 - btrfs /dev/nvme1n1p2 rw,ssd,space_cache=v2,subvolid=256,subvol=/@",
		"40 27 0:45 / /srv rw,relatime shared:2 - btrfs /dev/sdb rw",
	)
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, nvmeAlias, "nvme", "driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, under btrfs " + fsid + " (2 devices), mounted at /"},
		want{NeedModalias, nvmeAlias2, "nvme", "driver for PCI 0000:03:00.0, disk nvme1n1, partition nvme1n1p2"},
		want{NeedFilesystem, "btrfs", "", "filesystem btrfs, mounted at /"},
	)
	if res.Mounts[0].MajMin != "0:30" {
		t.Errorf("mount = %+v", res.Mounts[0])
	}
}

// btrfs on a LUKS mapping: the mount source is /dev/mapper/NAME, matched
// through the member's dm/name.
func TestBtrfsOnLUKSMatchedByMapperName(t *testing.T) {
	f := newFakeSys(t)
	p := f.partition(f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0"), "nvme0n1p3", "259:3")
	dm := f.dm("dm-0", "254:0", "luks-0d7c", "CRYPT-LUKS2-0d7c-luks-0d7c", p)
	sdb := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sdb", "8:16")
	f.link("fs/btrfs/11111111-aaaa-bbbb-cccc-dddddddddddd/devices/dm-0", dm)
	f.link("fs/btrfs/22222222-aaaa-bbbb-cccc-dddddddddddd/devices/sdb", sdb)
	f.mountinfo("27 1 0:31 /@ / rw - btrfs /dev/mapper/luks-0d7c rw")
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, nvmeAlias, "nvme", "partition nvme0n1p3, under LUKS dm-0 (luks-0d7c), mounted at /"},
		want{NeedModule, "dm_mod", "", ""},
		want{NeedModule, "dm_crypt", "", ""},
		want{NeedFilesystem, "btrfs", "", ""},
	)
}

func TestSeparateUsr(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:05.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio-pci", "virtio_pci")
	v := f.device(pci+"/virtio2", "bus/virtio", "virtio:d00000002v00001AF4", "virtio_blk", "virtio_blk")
	f.partition(f.disk(v+"/block", "vda", "254:0"), "vda1", "254:1")
	usr := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sda", "8:0")
	f.partition(usr, "sda1", "8:1")
	f.mountinfo(
		rootLine(27, "254:1", "/", "ext4", "/dev/vda1"),
		"30 27 8:1 / /usr rw,relatime shared:5 - xfs /dev/sda1 rw",
		"31 27 0:40 / /home rw - tmpfs tmpfs rw",
	)
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, "virtio:d00000002v00001AF4", "virtio_blk", "partition vda1, mounted at /"},
		want{NeedModalias, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio_pci", "mounted at /"},
		want{NeedModalias, "scsi:t-0x00", "sd_mod", "disk sda, partition sda1, mounted at /usr"},
		want{NeedModalias, ahciAlias, "ahci", "mounted at /usr"},
		want{NeedFilesystem, "ext4", "", "mounted at /"},
		want{NeedFilesystem, "xfs", "", "filesystem xfs, mounted at /usr"},
	)
	if len(res.Mounts) != 2 || res.Mounts[1].Target != "/usr" || res.Mounts[1].FSType != "xfs" {
		t.Errorf("mounts = %+v", res.Mounts)
	}
}

func TestNVMeMultipathHead(t *testing.T) {
	f := newFakeSys(t)
	ctrl := f.nvme("0000:02:00.0", "nvme0")
	f.device("devices/virtual/nvme-subsystem/nvme-subsys0", "class/nvme-subsystem", "", "", "")
	f.link("devices/virtual/nvme-subsystem/nvme-subsys0/nvme0", ctrl)
	disk := f.disk("devices/virtual/nvme-subsystem/nvme-subsys0", "nvme0n1", "259:0")
	f.partition(disk, "nvme0n1p2", "259:2")
	f.mountinfo(rootLine(27, "259:2", "/", "ext4", "/dev/nvme0n1p2"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, nvmeAlias, "nvme", "driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

// USB mass storage: the interface's modalias and driver (usb-storage) and the
// host controller's.
func TestUSBStorage(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:14.0", "pci:v00008086d0000A36Dsv00001028sd0000085Cbc0Csc03i30", "xhci_hcd", "xhci_pci")
	bus := f.device(pci+"/usb2", "bus/usb", "", "usb", "")
	dev := f.device(bus+"/2-1", "bus/usb", "", "usb", "")
	intf := f.device(dev+"/2-1:1.0", "bus/usb", "usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00", "usb-storage", "usb_storage")
	h := f.device(intf+"/host6", "bus/scsi", "", "", "")
	tg := f.device(h+"/target6:0:0", "bus/scsi", "", "", "")
	sd := f.device(tg+"/6:0:0:0", "bus/scsi", "scsi:t-0x00", "sd", "sd_mod")
	f.partition(f.disk(sd+"/block", "sdc", "8:32"), "sdc1", "8:33")
	f.mountinfo(rootLine(27, "8:33", "/", "ext4", "/dev/sdc1"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "scsi:t-0x00", "sd_mod", ""},
		want{NeedModalias, "usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00", "usb_storage", "driver for USB interface 2-1:1.0, disk sdc"},
		want{NeedModalias, "pci:v00008086d0000A36Dsv00001028sd0000085Cbc0Csc03i30", "xhci_pci", "PCI 0000:00:14.0"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

func TestReasonsReadBottomUp(t *testing.T) {
	for _, tc := range []struct {
		subject string
		chain   []label
		want    string
	}{
		{"driver for PCI 0000:02:00.0", []label{{text: "disk nvme0n1"}, {text: "partition nvme0n1p2"}}, "driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /"},
		{"", []label{{text: "LUKS dm-0 (x)", layer: true}, {text: "LVM dm-1 (vg-root)", layer: true}}, "LUKS dm-0 (x), under LVM dm-1 (vg-root), mounted at /"},
		{"", nil, "mounted at /"},
	} {
		if got := render(tc.subject, tc.chain, "/"); got != tc.want {
			t.Errorf("render(%q, %v) = %q, want %q", tc.subject, tc.chain, got, tc.want)
		}
	}
	if !strings.HasPrefix(render("x", []label{{text: "disk a"}}, "/usr"), "x, disk a, mounted at /usr") {
		t.Error("target not rendered")
	}
}

func TestClassifyDM(t *testing.T) {
	for _, tc := range []struct {
		uuid, name, label, program string
		modules                    []string
	}{
		{"CRYPT-LUKS2-0d7c2e53a7a84e0f-root", "root", "LUKS", "cryptsetup", []string{"dm_crypt"}},
		{"CRYPT-LUKS1-0d7c2e53a7a84e0f-root", "root", "LUKS", "cryptsetup", []string{"dm_crypt"}},
		{"CRYPT-PLAIN-swap", "swap", "dm-crypt", "cryptsetup", []string{"dm_crypt"}},
		{"CRYPT-VERITY-4b2c-root", "root", "dm-verity", "", []string{"dm_verity"}},
		{"CRYPT-INTEGRITY-x", "x", "dm-integrity", "", []string{"dm_integrity"}},
		{"CRYPT-SUBDEV-x", "x_dif", "dm-integrity", "", []string{"dm_integrity"}},
		{"LVM-abcdef", "vg-root", "LVM", "lvm", nil},
		{"LVM-abcdef-tpool", "vg-pool-tpool", "LVM", "lvm", []string{"dm_thin_pool"}},
		{"LVM-abcdef-real", "vg-root-real", "LVM", "lvm", []string{"dm_snapshot"}},
		{"LVM-abcdef-cow", "vg-snap-cow", "LVM", "lvm", []string{"dm_snapshot"}},
		{"LVM-abcdef-vpool", "vg-vpool0-vpool", "LVM", "lvm", []string{"dm_vdo"}},
		{"LVM-abcdef", "vg-root_rimage_0", "LVM", "lvm", []string{"dm_raid"}},
		{"LVM-abcdef", "vg-root_mimage_1", "LVM", "lvm", []string{"dm_mirror"}},
		{"LVM-abcdef", "vg-root_corig", "LVM", "lvm", []string{"dm_cache"}},
		{"LVM-abcdef", "vg-root_wcorig", "LVM", "lvm", []string{"dm_writecache"}},
		{"mpath-3600508b400105e210000900000490000", "mpatha", "multipath", "multipath", []string{"dm_multipath"}},
		{"part1-mpath-3600508b400105e210000900000490000", "mpatha1", "dm partition", "", nil},
		{"DMRAID-isw_abc", "isw_abc_vol", "dmraid", "dmraid", nil},
		{"", "mystery", "device-mapper", "", nil},
	} {
		got := classifyDM(tc.uuid, tc.name)
		if got.label != tc.label || got.program != tc.program || strings.Join(got.modules, ",") != strings.Join(tc.modules, ",") {
			t.Errorf("classifyDM(%q, %q) = %+v, want label %q program %q modules %v", tc.uuid, tc.name, got, tc.label, tc.program, tc.modules)
		}
	}
}

func TestBcache(t *testing.T) {
	f := newFakeSys(t)
	backing := f.partition(f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sda", "8:0"), "sda2", "8:2")
	cache := f.partition(f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0"), "nvme0n1p1", "259:1")
	bc := f.disk("devices/virtual/block", "bcache0", "252:0")
	f.mkdir(bc + "/bcache")
	f.link(bc+"/slaves/sda2", backing)
	f.link(bc+"/slaves/nvme0n1p1", cache)
	f.mountinfo(rootLine(27, "252:0", "/", "ext4", "/dev/bcache0"))
	checkNeeds(t, f.discover(),
		want{NeedModule, "bcache", "", "needed by bcache bcache0, mounted at /"},
		want{NeedModalias, "scsi:t-0x00", "sd_mod", "partition sda2, under bcache bcache0, mounted at /"},
		want{NeedModalias, ahciAlias, "ahci", ""},
		want{NeedModalias, nvmeAlias, "nvme", "partition nvme0n1p1, under bcache bcache0"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

// An unknown kind of virtual disk over real ones: say so, and still walk
// what is under it.
func TestUnknownVirtualStack(t *testing.T) {
	f := newFakeSys(t)
	sda := f.disk(f.sata("0000:00:1f.2", "ata1", 0), "sda", "8:0")
	v := f.disk("devices/virtual/block", "odd0", "251:0")
	f.link(v+"/slaves/sda", sda)
	f.mountinfo(rootLine(27, "251:0", "/", "ext4", "/dev/odd0"))
	res := f.discover()
	checkUnknown(t, res, "odd0 is a virtual block device of a kind boot-guard does not know")
	found := false
	for _, n := range res.Needs {
		found = found || (n.Value == ahciAlias && strings.Contains(n.Reason, "disk sda, under virtual disk odd0, mounted at /"))
	}
	if !found {
		t.Errorf("the disk under odd0 was not walked: %+v", res.Needs)
	}
}

// Intel RST (IMSM) firmware RAID as Debian installs on it: / on partition
// md126p2 of the member array md126 (raid1 over whole SATA disks), whose
// metadata lives in the container md127.
func TestPartitionOfIMSMArray(t *testing.T) {
	f := newFakeSys(t)
	sda := f.disk(f.sata("0000:00:17.0", "ata1", 0), "sda", "8:0")
	f.md("md127", "9:127", "container", sda)
	arr := f.md("md126", "9:126", "raid1", sda)
	f.partition(arr, "md126p2", "259:5")
	f.mountinfo(rootLine(27, "259:5", "/", "ext4", "/dev/md126p2"))
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, "scsi:t-0x00", "sd_mod", "disk sda, under RAID1 md126, partition md126p2, mounted at /"},
		want{NeedModalias, ahciAlias, "ahci", ""},
		want{NeedModule, "md_mod", "", ""},
		want{NeedModule, "md-raid1", "", "needed by RAID1 md126, partition md126p2, mounted at /"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

func TestLUKSUUID(t *testing.T) {
	for in, want := range map[string]string{
		"CRYPT-LUKS2-0d7c2e53a7a84e0f9d3b2f1e6c5a4b39-root": "0d7c2e53-a7a8-4e0f-9d3b-2f1e6c5a4b39",
		"CRYPT-LUKS1-0D7C2E53A7A84E0F9D3B2F1E6C5A4B39-root": "0d7c2e53-a7a8-4e0f-9d3b-2f1e6c5a4b39",
		"CRYPT-LUKS2-0d7c2e53a7a84e0f-root":                 "",
		"CRYPT-LUKS2-0d7c2e53a7a84e0f9d3b2f1e6c5a4bzz-root": "",
		"CRYPT-PLAIN-swap": "",
		"LVM-abc":          "",
	} {
		if got := luksUUID(in); got != want {
			t.Errorf("luksUUID(%q) = %q, want %q", in, got, want)
		}
	}
}

// Issue 12 item 4: lvm2 names a device VG-LV, doubling the dashes inside
// either name; dracut's rd.lvm.lv= takes VG/LV.
func TestSplitLVMName(t *testing.T) {
	for _, tc := range []struct {
		in, vg, lv string
		ok         bool
	}{
		{"bgvg-root", "bgvg", "root", true},
		{"my--vg-my--root", "my-vg", "my-root", true},
		{"vg-pool-tpool", "vg", "pool-tpool", true},
		{"a---b", "a-", "b", true},
		{"nodash", "", "", false},
		{"vg-", "vg", "", false},
		{"-lv", "", "lv", false},
		{"only--doubled", "", "", false},
	} {
		vg, lv, ok := SplitLVMName(tc.in)
		if vg != tc.vg || lv != tc.lv || ok != tc.ok {
			t.Errorf("SplitLVMName(%q) = %q, %q, %v; want %q, %q, %v", tc.in, vg, lv, ok, tc.vg, tc.lv, tc.ok)
		}
	}
}
