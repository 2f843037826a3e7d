package bootentry

import (
	"io/fs"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
)

// eioFS is an efivarfs whose variables exist but fail to read, as they do
// when the firmware returns an error (EIO) or the caller may not (EACCES).
type eioFS struct {
	vars  fstest.MapFS
	errno syscall.Errno
}

func (f eioFS) Open(name string) (fs.File, error) {
	if _, ok := f.vars[name]; ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: f.errno}
	}
	return f.vars.Open(name)
}

// issue 17 item 3: an EFI variable that names the default entry but cannot
// be read leaves the default unknown (no default: cannot-tell), never
// silently the first entry, which may not be the one systemd-boot boots.
func TestBLSDefaultUnreadableEFIVariable(t *testing.T) {
	root := writeTree(t, blsFiles())
	for _, errno := range []syscall.Errno{syscall.EIO, syscall.EACCES} {
		vars := eioFS{fstest.MapFS{
			"LoaderEntryDefault-" + loaderGUID: {Data: efiVar("zz-rescue.conf")},
		}, errno}
		m, err := Scan(Options{Root: root, EFIVars: vars})
		if err != nil {
			t.Fatal(err)
		}
		if m.Default != -1 || m.DefaultEntry() != nil {
			t.Errorf("%v: default %d (%s), want none", errno, m.Default, m.DefaultFrom)
		}
		if len(m.Unknown) != 1 || !strings.Contains(m.Unknown[0], "EFI variable LoaderEntryDefault cannot be read") ||
			!strings.Contains(m.Unknown[0], errno.Error()) {
			t.Errorf("%v: unknown %q", errno, m.Unknown)
		}
	}
}
