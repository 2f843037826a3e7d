package mounts

import (
	"strings"
	"testing"
)

func TestParseFstab(t *testing.T) {
	in := "# comment\n\n  /dev/vdb1 /srv\\040data ext4 defaults 0 2\nUUID=ab / ext4\nx\\777 /y\n"
	got, err := ParseFstab(strings.NewReader(in), "fstab")
	if err != nil {
		t.Fatal(err)
	}
	want := []FstabEntry{
		{Spec: "/dev/vdb1", Target: "/srv data", FSType: "ext4", Options: "defaults", Line: 3},
		{Spec: "UUID=ab", Target: "/", FSType: "ext4", Line: 4},
		{Spec: `x\777`, Target: "/y", Line: 5},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := ParseFstab(strings.NewReader("\n/dev/sda1\n"), "/etc/fstab"); err == nil || err.Error() != `/etc/fstab: line 2: "/dev/sda1" has no mount point` {
		t.Errorf("err = %v", err)
	}
	if _, err := ParseFstab(strings.NewReader(strings.Repeat("a", maxFstabLine+1)), "/etc/fstab"); err == nil || !strings.HasPrefix(err.Error(), "/etc/fstab: line 1: ") {
		t.Errorf("err = %v", err)
	}
}
