package initrd

import "testing"

func TestModeString(t *testing.T) {
	for m, want := range map[uint32]string{
		ModeRegular | 0o755:  "-rwxr-xr-x",
		ModeSymlink | 0o777:  "lrwxrwxrwx",
		ModeDir | 0o1777:     "drwxrwxrwt",
		ModeRegular | 0o4644: "-rwSr--r--",
		ModeChar | 0o2755:    "crwxr-sr-x",
		0o644:                "?rw-r--r--",
	} {
		if got := (Entry{Mode: m}).ModeString(); got != want {
			t.Errorf("ModeString(%o) = %q, want %q", m, got, want)
		}
	}
}
