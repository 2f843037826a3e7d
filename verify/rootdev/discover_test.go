package rootdev

import (
	"encoding/json"
	"strings"
	"testing"
)

// want is one Need a test expects, with a substring its reason must contain.
// bound is the Bound module, or "builtin:NAME" for a BuiltinDriver.
type want struct {
	kind   NeedKind
	value  string
	bound  string
	reason string
}

// checkNeeds asserts that res has exactly the wanted needs (order free) and
// no Unknown.
func checkNeeds(t *testing.T, res *Result, wants ...want) {
	t.Helper()
	if len(res.Unknown) != 0 {
		t.Errorf("unexpected Unknown: %q", res.Unknown)
	}
	got := map[string]Need{}
	for _, n := range res.Needs {
		k := string(n.Kind) + " " + n.Value
		if _, dup := got[k]; dup {
			t.Errorf("need %s listed twice", k)
		}
		got[k] = n
	}
	for _, w := range wants {
		k := string(w.kind) + " " + w.value
		n, ok := got[k]
		if !ok {
			t.Errorf("missing need %s", k)
			continue
		}
		delete(got, k)
		bound := n.Bound
		if n.BuiltinDriver != "" {
			if n.Bound != "" {
				t.Errorf("need %s: both bound %q and built-in %q", k, n.Bound, n.BuiltinDriver)
			}
			bound = "builtin:" + n.BuiltinDriver
		}
		if bound != w.bound {
			t.Errorf("need %s: bound %q, want %q", k, bound, w.bound)
		}
		if !strings.Contains(n.Reason, w.reason) {
			t.Errorf("need %s: reason %q does not contain %q", k, n.Reason, w.reason)
		}
	}
	for k, n := range got {
		t.Errorf("unexpected need %s (%s)", k, n.Reason)
	}
	if t.Failed() {
		b, _ := json.MarshalIndent(res, "", "  ")
		t.Logf("result: %s", b)
	}
}

func TestNVMePartition(t *testing.T) {
	f := newFakeSys(t)
	ctrl := f.nvme("0000:02:00.0", "nvme0")
	disk := f.disk(ctrl, "nvme0n1", "259:0")
	f.partition(disk, "nvme0n1p1", "259:1")
	f.partition(disk, "nvme0n1p2", "259:2")
	f.mountinfo(
		"22 1 0:21 / /proc rw,relatime - proc proc rw",
		rootLine(27, "259:2", "/", "ext4", "/dev/nvme0n1p2"),
		rootLine(28, "259:1", "/boot/efi", "vfat", "/dev/nvme0n1p1"),
	)
	res := f.discover()
	checkNeeds(t, res,
		want{NeedModalias, "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02", "nvme",
			"driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /"},
		want{NeedFilesystem, "ext4", "", "filesystem ext4, mounted at /"},
	)
	if len(res.Mounts) != 1 || res.Mounts[0] != (Mount{Target: "/", Source: "/dev/nvme0n1p2", FSType: "ext4", MajMin: "259:2"}) {
		t.Errorf("mounts = %+v", res.Mounts)
	}
}

func TestVirtioBlk(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:05.0", "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio-pci", "virtio_pci")
	vdev := f.device(pci+"/virtio2", "bus/virtio", "virtio:d00000002v00001AF4", "virtio_blk", "virtio_blk")
	disk := f.disk(vdev+"/block", "vda", "254:0")
	f.partition(disk, "vda1", "254:1")
	f.mountinfo(rootLine(27, "254:1", "/", "ext4", "/dev/vda1"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "virtio:d00000002v00001AF4", "virtio_blk", "driver for virtio device virtio2, disk vda, partition vda1, mounted at /"},
		want{NeedModalias, "pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio_pci", "driver for PCI 0000:00:05.0, disk vda"},
		want{NeedFilesystem, "ext4", "", "mounted at /"},
	)
}

// A driver with no module link is built in (a kernel without module support,
// like this machine's): it is named as BuiltinDriver, "-" normalised to "_",
// never as Bound.
func TestBuiltinDriverName(t *testing.T) {
	f := newFakeSys(t)
	pci := f.pci("0000:00:02.0", "pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00", "virtio-pci", "")
	vdev := f.device(pci+"/virtio1", "bus/virtio", "virtio:d00000002v00001AF4", "virtio_blk", "")
	f.disk(vdev+"/block", "vda", "254:0")
	f.mountinfo(rootLine(27, "254:0", "/", "ext4", "/dev/vda"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, "virtio:d00000002v00001AF4", "builtin:virtio_blk", "disk vda, mounted at /"},
		want{NeedModalias, "pci:v00001AF4d00001042sv00001AF4sd00001042bc01sc80i00", "builtin:virtio_pci", "PCI 0000:00:02.0"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

// NVMe behind a PCIe root port: the port's pcieport driver is built in and
// registered its module name (driver/module -> /sys/module/pcieportdrv, with
// no initstate), so it is a BuiltinDriver, not a Bound module to look up.
func TestNVMeBehindBuiltinRootPort(t *testing.T) {
	f := newFakeSys(t)
	f.builtin["pcieportdrv"] = true
	port := f.pci("0000:00:1d.0", "pci:v00008086d0000A330sv00001028sd0000085Cbc06sc04i00", "pcieport", "pcieportdrv")
	nvme := f.device(port+"/0000:3d:00.0", "bus/pci", nvmeAlias, "nvme", "nvme")
	ctrl := f.device(nvme+"/nvme/nvme0", "class/nvme", "", "", "")
	f.partition(f.disk(ctrl, "nvme0n1", "259:0"), "nvme0n1p2", "259:2")
	// A built-in driver on a device with no modalias is not asked for by name.
	f.device("devices/pci0000:00/0000:00:1d.0/extra", "bus/pci", "", "", "")
	f.mountinfo(rootLine(27, "259:2", "/", "ext4", "/dev/nvme0n1p2"))
	checkNeeds(t, f.discover(),
		want{NeedModalias, nvmeAlias, "nvme", "driver for PCI 0000:3d:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /"},
		want{NeedModalias, "pci:v00008086d0000A330sv00001028sd0000085Cbc06sc04i00", "builtin:pcieportdrv", "driver for PCI 0000:00:1d.0, disk nvme0n1"},
		want{NeedFilesystem, "ext4", "", ""},
	)
}

// A built-in driver on a device without modalias gives no need by name, but
// counts as a driver found (no Unknown).
func TestBuiltinDriverWithoutModalias(t *testing.T) {
	f := newFakeSys(t)
	f.builtin["sdhci_iproc"] = true
	plat := f.device("devices/platform/soc/fe340000.mmc", "bus/platform", "", "sdhci-iproc", "sdhci_iproc")
	f.disk(plat+"/block", "mmcblk1", "179:0")
	f.mountinfo(rootLine(27, "179:0", "/", "ext4", "/dev/mmcblk1"))
	checkNeeds(t, f.discover(), want{NeedFilesystem, "ext4", "", ""})
}
