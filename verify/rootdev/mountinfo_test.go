package rootdev

import (
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestParseMountinfoLine(t *testing.T) {
	e, err := parseMountinfoLine(`36 35 98:0 /mnt1 /mnt\0402 rw,noatime master:1 shared:7 - ext3 /dev/my\040disk\134x rw,errors=continue`)
	if err != nil {
		t.Fatal(err)
	}
	want := mountinfoEntry{ID: 36, Parent: 35, Major: 98, Minor: 0, Root: "/mnt1", MountPoint: "/mnt 2", FSType: "ext3", Source: `/dev/my disk\x`, SuperOpts: "rw,errors=continue"}
	if e != want {
		t.Errorf("got %+v\nwant %+v", e, want)
	}
}

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

func TestMalformedMountinfo(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"no separator", "27 1 254:0 / / rw ext4 /dev/vda rw\n", "line 1: no \" - \" separator"},
		{"short tail", "22 1 0:21 / /proc rw - proc proc rw\n27 1 254:0 / / rw - ext4\n", "line 2: want filesystem type, source and super options"},
		{"no super options", "27 1 254:0 / / rw - ext4 /dev/vda\n", "line 1: want filesystem type, source and super options"},
		{"bad id", "x 1 254:0 / / rw - ext4 /dev/vda rw\n", "line 1: mount ID \"x\" is not a number"},
		{"bad parent", "1 y 254:0 / / rw - ext4 /dev/vda rw\n", "parent ID"},
		{"bad majmin", "27 1 254 / / rw - ext4 /dev/vda rw\n", "device \"254\" is not major:minor"},
		{"bad major", "27 1 a:0 / / rw - ext4 /dev/vda rw\n", "is not major:minor"},
		{"bad escape", "27 1 254:0 / /x\\04 rw - ext4 /dev/vda rw\n", "mount point"},
		{"escape out of range", "27 1 254:0 / /x\\777 rw - ext4 /dev/vda rw\n", "three octal digits"},
		{"long line", strings.Repeat("a", maxMountinfoLine+10), "line 1: line longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scanMountinfo(strings.NewReader(tc.text), "/proc/self/mountinfo", map[string]bool{"/": true})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "/proc/self/mountinfo") {
				t.Errorf("err = %v, want it to name /proc/self/mountinfo and contain %q", err, tc.want)
			}
		})
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

// A mountinfo that never ends (a hostile /proc) stops at the cap.
func TestMountinfoSizeCap(t *testing.T) {
	line := "27 1 254:0 / /x rw - ext4 /dev/vda rw\n"
	r := io.LimitReader(repeatReader(line), maxMountinfoBytes+int64(10*len(line)))
	_, err := scanMountinfo(r, "/proc/self/mountinfo", map[string]bool{"/": true})
	if !errors.Is(err, errMountinfoTooLarge) {
		t.Errorf("err = %v, want errMountinfoTooLarge", err)
	}
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add("27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n")
	f.Add(`36 35 98:0 /mnt1 /mnt\0402 rw,noatime master:1 - ext3 /dev/root rw,errors=continue` + "\n")
	f.Add("1 1 0:2 / / rw - rootfs rootfs rw\n27 1 0:30 /@ / rw - btrfs /dev/nvme0n1p2 rw\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := scanMountinfo(strings.NewReader(s), "mountinfo", map[string]bool{"/": true, "/usr": true})
		if err != nil {
			if got != nil {
				t.Errorf("result alongside error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "mountinfo") {
				t.Errorf("error does not say where: %v", err)
			}
			return
		}
		for mp, e := range got {
			if e.MountPoint != mp || e.Line < 1 {
				t.Errorf("entry %+v filed under %q", e, mp)
			}
		}
	})
}

// An I/O error while reading mountinfo is a cannot-tell, not a malformed file.
func TestMountinfoReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("22 1 0:21 / /proc rw - proc proc rw\n"), errReader{})
	_, err := scanMountinfo(r, "/proc/self/mountinfo", map[string]bool{"/": true})
	if !errors.Is(err, errMountinfoRead) || !strings.Contains(err.Error(), "/proc/self/mountinfo after line 1: read failed: input/output error") {
		t.Errorf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, syscall.EIO }
