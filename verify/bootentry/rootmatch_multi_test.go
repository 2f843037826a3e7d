package bootentry

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// Issue 12 item 6: a btrfs RAID1 root on vdb and vdc, mounted (mountinfo)
// from vdb; udev's by-uuid link for the filesystem points at the member it
// saw last, vdc, and vda1 is /boot.
const raidUUID = "5d1b7e0c-1111-4222-8333-444455556666"

func raidDev(t *testing.T, uuidTarget string) string {
	t.Helper()
	return mkDev(t, []string{"vda1", "vdb", "vdc"}, map[string]string{
		"disk/by-uuid/" + raidUUID: "../../" + uuidTarget,
		"disk/by-uuid/" + bootUUID: "../../vda1",
		"disk/by-label/bgraid":     "../../" + uuidTarget,
	})
}

func raidSys(members ...string) fstest.MapFS {
	sys := fstest.MapFS{
		"fs/btrfs/features/raid1c34": {Data: []byte("0\n")},
		// another, single-device btrfs: not the root's
		"fs/btrfs/0f0f0f0f-0000-4000-8000-000000000000/devices/vda1": {Mode: 0o777 | os.ModeDir},
	}
	for _, m := range members {
		sys["fs/btrfs/"+raidUUID+"/devices/"+m] = &fstest.MapFile{Mode: 0o777 | os.ModeDir}
	}
	return sys
}

func TestHostRootBtrfsRAIDAnyMember(t *testing.T) {
	const line = "22 1 0:31 / / rw,relatime shared:1 - btrfs /dev/vdb rw,space_cache=v2,subvolid=5,subvol=/"
	for _, uuidTarget := range []string{"vdb", "vdc"} {
		dev := raidDev(t, uuidTarget)
		d, err := HostRoot(mountinfo(line), raidSys("vdb", "vdc"), dev)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Members) != 2 {
			t.Fatalf("by-uuid -> %s: members %q, want vdb and vdc", uuidTarget, d.Members)
		}
		for _, spec := range []string{"UUID=" + raidUUID, "/dev/disk/by-uuid/" + raidUUID, "LABEL=bgraid", "/dev/vdb", "/dev/vdc"} {
			if got, msg := d.Match(spec); got != RootMatches {
				t.Errorf("by-uuid -> %s: Match(%q) = %s (%s), want match", uuidTarget, spec, got, msg)
			}
		}
		for _, spec := range []string{"UUID=" + bootUUID, "/dev/vda1"} {
			if got, msg := d.Match(spec); got != RootMismatch || !strings.Contains(msg, "not this machine's root") {
				t.Errorf("by-uuid -> %s: Match(%q) = %s (%s), want mismatch", uuidTarget, spec, got, msg)
			}
		}
	}
}

// A single-device btrfs keeps the one node: no members, and another
// filesystem's device is not the root.
func TestHostRootBtrfsSingle(t *testing.T) {
	dev := raidDev(t, "vdb")
	d, err := HostRoot(mountinfo("22 1 0:31 / / rw - btrfs /dev/vdb rw"), raidSys("vdb"), dev)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Members) != 0 {
		t.Errorf("members %q, want none", d.Members)
	}
	if got, _ := d.Match("/dev/vdc"); got != RootMismatch {
		t.Errorf("Match(/dev/vdc) = %s, want mismatch", got)
	}
	if got, _ := d.Match("UUID=" + raidUUID); got != RootMatches {
		t.Errorf("Match(UUID=) = %s, want match", got)
	}
	// Without /sys the members are unknown: only the mounted member selects it.
	d, err = HostRoot(mountinfo("22 1 0:31 / / rw - btrfs /dev/vdb rw"), nil, raidDev(t, "vdc"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Match("/dev/vdb"); got != RootMatches {
		t.Errorf("no /sys: Match(/dev/vdb) = %s, want match", got)
	}
}
