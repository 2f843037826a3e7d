package bootentry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// fakeDev builds a /dev with udev's by-* links: vda2 is root, vda1 /boot.
func fakeDev(t *testing.T) string {
	t.Helper()
	return mkDev(t, []string{"vda1", "vda2", "dm-0"}, map[string]string{
		"disk/by-uuid/" + rootUUID:                             "../../vda2",
		"disk/by-uuid/" + bootUUID:                             "../../vda1",
		"disk/by-uuid/ABCD-1234":                               "../../vda1",
		"disk/by-partuuid/22222222-aaaa-4bbb-8ccc-00000000002": "../../vda2",
		"disk/by-label/root\\x2fdisk":                          "../../vda2",
		"mapper/vg-root":                                       "../dm-0",
	})
}

// mkDev builds a /dev in a temporary directory: empty files nodes, and
// symlinks (path under /dev -> target).
func mkDev(t *testing.T, nodes []string, links map[string]string) string {
	t.Helper()
	dev := t.TempDir()
	for _, n := range nodes {
		if err := os.WriteFile(filepath.Join(dev, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for l, target := range links {
		p := filepath.Join(dev, l)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	return dev
}

func mountinfo(lines ...string) fstest.MapFS {
	return fstest.MapFS{"self/mountinfo": {Data: []byte(strings.Join(lines, "\n") + "\n")}}
}

const rootLine = "22 1 254:2 / / rw,relatime shared:1 - ext4 /dev/vda2 rw,errors=remount-ro"

func TestHostRootMatch(t *testing.T) {
	dev := fakeDev(t)
	d, err := HostRoot(mountinfo("21 1 0:5 / /dev rw - devtmpfs udev rw", rootLine), nil, dev)
	if err != nil {
		t.Fatal(err)
	}
	want := "/dev/vda2 UUID=" + rootUUID + " PARTUUID=22222222-aaaa-4bbb-8ccc-00000000002 LABEL=root/disk"
	if got := strings.Join(d.Names, " "); got != want {
		t.Errorf("names %q, want %q", got, want)
	}
	cases := []struct {
		spec string
		want RootMatch
		msg  string
	}{
		{"UUID=" + rootUUID, RootMatches, "is this machine's root"},
		{"UUID=" + strings.ToUpper(rootUUID), RootMatches, ""},
		{"/dev/disk/by-uuid/" + rootUUID, RootMatches, ""},
		{"PARTUUID=22222222-aaaa-4bbb-8ccc-00000000002", RootMatches, ""},
		{"LABEL=root/disk", RootMatches, ""},
		{"/dev/vda2", RootMatches, ""},
		{"UUID=" + bootUUID, RootMismatch, "is /dev/vda1, not this machine's root /dev/vda2"},
		{"/dev/mapper/vg-root", RootMismatch, "is /dev/dm-0"},
		{"UUID=deadbeef-0000-0000-0000-000000000000", RootMismatch, "names no device on this machine"},
		{"/dev/sda1", RootMismatch, "names no device"},
		{"PARTLABEL=x", RootUnknown, "no /dev/disk/by-partlabel"},
		{"/dev/nfs", RootMismatch, "names no device"},
		{"ZFS=rpool/ROOT/debian", RootUnknown, "not a device boot-guard can compare"},
		{"", RootAbsent, "no root="},
	}
	for _, tc := range cases {
		got, msg := d.Match(tc.spec)
		if got != tc.want || !strings.Contains(msg, tc.msg) {
			t.Errorf("Match(%q) = %s, %q; want %s containing %q", tc.spec, got, msg, tc.want, tc.msg)
		}
	}
}

func TestHostRootThroughSysfs(t *testing.T) {
	// The kernel mounted root itself (no initrd): mountinfo says /dev/root,
	// which is no node under /dev; sysfs names the device.
	dev := fakeDev(t)
	sys := fstest.MapFS{"dev/block/254:2/uevent": {Data: []byte("MAJOR=254\nMINOR=2\nDEVNAME=vda2\nDEVTYPE=partition\n")}}
	d, err := HostRoot(mountinfo("22 1 254:2 / / rw - ext4 /dev/root rw"), sys, dev)
	if err != nil {
		t.Fatal(err)
	}
	if d.Node != filepath.Join(dev, "vda2") {
		t.Errorf("node %q", d.Node)
	}
}

func TestHostRootCannotTell(t *testing.T) {
	dev := fakeDev(t)
	cases := map[string]struct {
		proc fstest.MapFS
		want string
	}{
		"container": {mountinfo("300 280 0:50 / / rw - overlay overlay rw,lowerdir=/x"), "/ is on overlay"},
		"no root":   {mountinfo("21 1 0:5 / /dev rw - devtmpfs udev rw"), "no mount at /"},
		"malformed": {mountinfo("garbage"), "mountinfo line 1: malformed"},
		// The kernel's mountinfo rules (package mounts), not a looser split:
		// a bad escape or a line without super options is malformed (it
		// used to be read as "/dev/sd\xff" and as a root on /dev/sda1).
		"bad escape":    {mountinfo(`22 1 8:1 / / rw - ext4 /dev/sd\777 rw`), `mountinfo line 1: malformed: "22 1 8:1 / / rw - ext4 /dev/sd\\777 rw"`},
		"no super opts": {mountinfo("22 1 8:1 / / rw - ext4 /dev/sda1"), "mountinfo line 1: malformed"},
		"no such dev":   {mountinfo("22 1 8:1 / / rw - ext4 /dev/sda1 rw"), "root device /dev/sda1 (8:1)"},
		"no file":       {fstest.MapFS{}, "find the root mount"},
	}
	for name, tc := range cases {
		if _, err := HostRoot(tc.proc, nil, dev); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
	if _, err := HostRoot(nil, nil, dev); err == nil {
		t.Error("no /proc: no error")
	}
}

func TestFstabRoot(t *testing.T) {
	root := writeTree(t, map[string]string{"etc/fstab": "# <file system> <mount point>\nUUID=" + rootUUID + " / ext4 defaults 0 1\n/dev/vdb1\t/srv\\040data ext4 defaults 0 2\n"})
	l, err := ReadLayout(root)
	if err != nil {
		t.Fatal(err)
	}
	d, err := FstabRoot(l)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		spec string
		want RootMatch
	}{
		{"UUID=" + rootUUID, RootMatches},
		{"UUID=" + bootUUID, RootMismatch},
		{"/dev/vda2", RootUnknown},
	}
	for _, tc := range cases {
		if got, msg := d.Match(tc.spec); got != tc.want {
			t.Errorf("Match(%q) = %s (%s), want %s", tc.spec, got, msg, tc.want)
		}
	}
	entries, err := ParseFstab(strings.NewReader("/dev/vdb1 /srv\\040data ext4\n"), "fstab")
	if err != nil || entries[0].Target != "/srv data" {
		t.Errorf("octal escape: %+v %v", entries, err)
	}
	if _, err := ParseFstab(strings.NewReader("\n/dev/sda1\n"), "/etc/fstab"); err == nil || !strings.Contains(err.Error(), "/etc/fstab: line 2") {
		t.Errorf("bad line: %v", err)
	}
	if _, err := FstabRoot(Layout{Root: "/x"}); err == nil || !strings.Contains(err.Error(), "has no / line") {
		t.Errorf("no fstab: %v", err)
	}
}
