package rootdev

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestLiveMachine runs Discover on this machine's real /sys and /proc and
// checks that the driver bound to the root disk, as /sys/block/DISK/device/
// driver shows it (or the first driver above it, for NVMe), is among the
// Needs, for that disk. It skips, saying why, when / is not on a plain disk.
func TestLiveMachine(t *testing.T) {
	sys, proc := os.DirFS("/sys"), os.DirFS("/proc")
	res, err := Discover(sys, proc)
	if err != nil {
		t.Fatalf("Discover on the live /sys and /proc: %v", err)
	}
	t.Logf("mounts %+v", res.Mounts)
	for _, n := range res.Needs {
		t.Logf("need %s %s (bound %q, built-in %q): %s", n.Kind, n.Value, n.Bound, n.BuiltinDriver, n.Reason)
	}
	for _, u := range res.Unknown {
		t.Logf("unknown: %s", u)
	}
	for _, u := range res.Userspace {
		t.Logf("userspace %s: %s", u.Program, u.Detail)
	}
	if len(res.Mounts) == 0 {
		t.Fatal("no mount of / found on a live machine")
	}
	root := res.Mounts[0]
	if root.Target != "/" {
		t.Fatalf("first mount is %q, want /", root.Target)
	}
	if len(res.Needs) == 0 && len(res.Unknown) == 0 {
		t.Fatal("no needs and no unknown for a live root")
	}
	// Find the disk under / the simple way (no dm/md) to cross-check.
	dev, err := os.Readlink("/sys/dev/block/" + root.MajMin)
	if err != nil {
		t.Skipf("/ (%s on %s, %s) has no block device in /sys/dev/block: %v", root.Source, root.FSType, root.MajMin, err)
	}
	dir := path.Join("/sys/dev/block", dev)
	if _, err := os.Stat(path.Join(dir, "partition")); err == nil {
		dir = path.Dir(dir)
	}
	if _, err := os.Stat(path.Join(dir, "dm")); err == nil {
		t.Skipf("/ is on device-mapper %s: the plain cross-check does not apply", dir)
	}
	if _, err := os.Stat(path.Join(dir, "md")); err == nil {
		t.Skipf("/ is on md %s: the plain cross-check does not apply", dir)
	}
	// The first device from DISK/device up that has a driver: the disk's own
	// (sd for SCSI, virtio_blk) or, for NVMe whose device is the controller
	// (a class device), the PCI function's.
	dev, err = filepath.EvalSymlinks(path.Join(dir, "device"))
	if err != nil {
		t.Skipf("%s has no device link: %v", dir, err)
	}
	for ; strings.HasPrefix(dev, "/sys/devices/"); dev = path.Dir(dev) {
		if _, err := os.Lstat(path.Join(dev, "driver")); err == nil {
			break
		}
	}
	drv, err := os.Readlink(path.Join(dev, "driver"))
	if err != nil {
		t.Skipf("no driver from %s/device up to /sys/devices", dir)
	}
	if len(res.Unknown) > 0 {
		t.Errorf("root on plain disk %s with a driver, yet Unknown: %q", dir, res.Unknown)
	}
	want := strings.ReplaceAll(path.Base(drv), "-", "_")
	if mod, err := os.Readlink(path.Join(dev, "driver", "module")); err == nil {
		want = path.Base(mod)
	}
	t.Logf("cross-check: disk %s, device %s, driver %s", path.Base(dir), dev, want)
	for _, n := range res.Needs {
		if (n.Bound == want || n.BuiltinDriver == want) && strings.Contains(n.Reason, "disk "+path.Base(dir)) {
			return
		}
	}
	t.Errorf("no need bound to %s (the driver of %s) for disk %s", want, dev, path.Base(dir))
}
