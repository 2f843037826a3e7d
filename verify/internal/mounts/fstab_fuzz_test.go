package mounts

import (
	"strings"
	"testing"
)

// FuzzParseFstab (issue 17 item 1): fstab of the checked system, written by
// whoever built it. No panic; entries only without an error, in line order,
// each with a mount point; an error names the file.
func FuzzParseFstab(f *testing.F) {
	f.Add("UUID=1 / ext4 errors=remount-ro 0 1\n# c\nUUID=2 /boot ext2 defaults 0 2\n")
	f.Add("/dev/mapper/a\\040b /mnt\\011x xfs\n")
	f.Add("lonely\n")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFstab(strings.NewReader(s), "fstab")
		if err != nil {
			if got != nil {
				t.Fatal("entries alongside an error")
			}
			if !strings.HasPrefix(err.Error(), "fstab") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		last := 0
		for _, e := range got {
			if e.Line <= last || e.Target == "" {
				t.Fatalf("entry %+v after line %d", e, last)
			}
			last = e.Line
		}
	})
}
