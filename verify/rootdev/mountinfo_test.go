package rootdev

import (
	"os"
	"strings"
	"testing"
)

func TestMountinfoEscapedRoot(t *testing.T) {
	f := newFakeSys(t)
	v := f.device(f.pci("0000:00:05.0", "pci:v1", "virtio-pci", "virtio_pci")+"/virtio2", "bus/virtio", "virtio:d2", "virtio_blk", "virtio_blk")
	f.disk(v+"/block", "vda", "254:0")
	f.mountinfo(
		`30 27 0:40 / /media/usb\040stick rw - vfat /dev/sdz1 rw`,
		`27 1 254:0 / / rw,relatime - ext4 /dev/disk/by-label/my\040root rw`,
		`31 27 254:0 /usr\011tab /usr rw - ext4 /dev/disk/by-label/my\040root rw`,
	)
	res := f.discover()
	if len(res.Mounts) != 2 {
		t.Fatalf("mounts = %+v", res.Mounts)
	}
	if got := res.Mounts[0].Source; got != "/dev/disk/by-label/my root" {
		t.Errorf("source = %q", got)
	}
	if res.Mounts[1].Target != "/usr" {
		t.Errorf("second mount = %+v", res.Mounts[1])
	}
}

// The mount on top wins when something is mounted over /.
func TestMountinfoTopmostRoot(t *testing.T) {
	got, err := scanMountinfo(strings.NewReader(
		"1 1 0:2 / / rw - rootfs rootfs rw\n"+
			"27 1 254:0 / / rw - ext4 /dev/vda rw\n"), "mountinfo", map[string]bool{"/": true})
	if err != nil {
		t.Fatal(err)
	}
	if got["/"].FSType != "ext4" || got["/"].Line != 2 {
		t.Errorf("got %+v", got["/"])
	}
}

// Discover returns the malformed-mountinfo error, naming the line.
func TestDiscoverMalformedMountinfo(t *testing.T) {
	f := newFakeSys(t)
	f.mountinfo("22 1 0:21 / /proc rw - proc proc rw", "garbage")
	_, err := Discover(nil, os.DirFS(f.proc))
	if err == nil || !strings.Contains(err.Error(), "/proc/self/mountinfo line 2") {
		t.Errorf("err = %v", err)
	}
}
