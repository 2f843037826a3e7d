package mounts

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

func TestParseMountinfoLine(t *testing.T) {
	e, err := ParseMountinfoLine(`36 35 98:0 /mnt1 /mnt\0402 rw,noatime master:1 shared:7 - ext3 /dev/my\040disk\134x rw,errors=continue`)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{ID: 36, Parent: 35, Major: 98, Minor: 0, Root: "/mnt1", MountPoint: "/mnt 2", FSType: "ext3", Source: `/dev/my disk\x`, SuperOpts: "rw,errors=continue"}
	if e != want {
		t.Errorf("got %+v\nwant %+v", e, want)
	}
}

// scanAll collects every entry ScanMountinfo yields; nil with an error.
func scanAll(r io.Reader, name string) ([]Entry, error) {
	var out []Entry
	if err := ScanMountinfo(r, name, func(e Entry) { out = append(out, e) }); err != nil {
		return nil, err
	}
	return out, nil
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
		{"long line", strings.Repeat("a", MaxMountinfoLine+10), "line 1: line longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scanAll(strings.NewReader(tc.text), "/proc/self/mountinfo")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "/proc/self/mountinfo") {
				t.Errorf("err = %v, want it to name /proc/self/mountinfo and contain %q", err, tc.want)
			}
		})
	}
}

// A mountinfo that never ends (a hostile /proc) stops at the cap.
func TestMountinfoSizeCap(t *testing.T) {
	line := "27 1 254:0 / /x rw - ext4 /dev/vda rw\n"
	r := io.LimitReader(repeatReader(line), MaxMountinfoBytes+int64(10*len(line)))
	_, err := scanAll(r, "/proc/self/mountinfo")
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
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
		got, err := scanAll(strings.NewReader(s), "mountinfo")
		if err != nil {
			if got != nil {
				t.Errorf("result alongside error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "mountinfo") {
				t.Errorf("error does not say where: %v", err)
			}
			return
		}
		last := 0
		for _, e := range got {
			if e.Line <= last {
				t.Errorf("entry %+v after line %d", e, last)
			}
			last = e.Line
		}
	})
}

// An I/O error while reading mountinfo is a cannot-tell, not a malformed file.
func TestMountinfoReadError(t *testing.T) {
	r := io.MultiReader(strings.NewReader("22 1 0:21 / /proc rw - proc proc rw\n"), errReader{})
	_, err := scanAll(r, "/proc/self/mountinfo")
	if !errors.Is(err, ErrRead) || !strings.Contains(err.Error(), "/proc/self/mountinfo after line 1: read failed: input/output error") {
		t.Errorf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, syscall.EIO }
