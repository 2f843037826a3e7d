package bootentry

import (
	"io/fs"
	"os"
	"path/filepath"
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

// issue 17 item 3: a grubenv that exists but fails on read (here a
// directory in its place: read(2) says EISDIR, as a bad disk says EIO)
// leaves a saved_entry default unknown; a default that does not read
// grubenv is still found.
func TestGrubenvReadError(t *testing.T) {
	root := writeTree(t, map[string]string{"boot/grub/grub.cfg": debian12Cfg(t), "boot/grub/grubenv/x": ""})
	if st, err := os.Stat(filepath.Join(root, "boot/grub/grubenv")); err != nil || st.Size() == 0 {
		t.Skipf("directories have no size here: %v", err)
	}
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if m.Default != -1 || !strings.Contains(m.DefaultFrom, "unknown: read grubenv") || !strings.Contains(m.DefaultFrom, "is a directory") {
		t.Errorf("saved_entry default %d from %q, want unknown", m.Default, m.DefaultFrom)
	}
	fixed := strings.ReplaceAll(debian12Cfg(t), `set default="${saved_entry}"`, `set default="0"`)
	fixed = strings.ReplaceAll(fixed, `set default="${next_entry}"`, `set default="0"`)
	os.WriteFile(filepath.Join(root, "boot/grub/grub.cfg"), []byte(fixed), 0o644)
	if m, _ = Scan(Options{Root: root}); m.Default != 0 {
		t.Errorf("set default=\"0\": default %d from %q", m.Default, m.DefaultFrom)
	}
}
