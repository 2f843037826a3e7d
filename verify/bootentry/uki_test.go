package bootentry

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/bootentry/bootentrytest"
	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

// buildPE and ukiSections wrap bootentrytest, which builds the PE files.
func buildPE(_ testing.TB, sections []bootentrytest.Section) []byte {
	return bootentrytest.PE(sections)
}

func ukiSections(initrd []byte) []bootentrytest.Section {
	return bootentrytest.UKI("6.1.0-18-amd64", "root=UUID="+rootUUID+" ro quiet", initrd)
}

func TestReadUKI(t *testing.T) {
	initrd := []byte("070701 pretend this is an initrd of 47 bytes..")
	path := filepath.Join(t.TempDir(), "debian-6.1.0-18-amd64.efi")
	if err := os.WriteFile(path, buildPE(t, ukiSections(initrd)), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := ReadUKI(path)
	if err != nil {
		t.Fatal(err)
	}
	if u.Version() != "6.1.0-18-amd64" || u.Cmdline != "root=UUID="+rootUUID+" ro quiet" || u.OSRelease["ID"] != "debian" {
		t.Errorf("uname %q cmdline %q osrel %q", u.Uname, u.Cmdline, u.OSRelease)
	}
	if u.Initrd == nil || u.Initrd.Size != int64(len(initrd)) || u.Linux == nil || u.Linux.Size != int64(len(kimagetest.BzImage("6.1.0-18-amd64"))) {
		t.Fatalf("sections: initrd %+v linux %+v", u.Initrd, u.Linux)
	}
	// The section reader the verifier gets reads exactly the embedded initrd.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(io.NewSectionReader(f, u.Initrd.Offset, u.Initrd.Size))
	if err != nil || !bytes.Equal(got, initrd) {
		t.Errorf("embedded initrd read back as %q, %v", got, err)
	}
	if title := u.Title("x.efi"); title != "Debian GNU/Linux 12 (bookworm) (6.1.0-18-amd64)" {
		t.Errorf("title %q", title)
	}
}

func TestReadUKIErrors(t *testing.T) {
	dir := t.TempDir()
	good := buildPE(t, ukiSections([]byte("initrd")))
	cases := map[string]struct {
		data []byte
		want string
	}{
		"truncated":   {good[:len(good)-600], "runs past the end of the file"},
		"not pe":      {[]byte(strings.Repeat("x", 200)), "not a PE image"},
		"empty":       {nil, "not a PE image"},
		"no .linux":   {buildPE(t, []bootentrytest.Section{{Name: ".text", Data: []byte("code")}}), "no .linux section"},
		"bad machine": {append(append([]byte{}, good[:0x44]...), append([]byte{0x34, 0x12}, good[0x46:]...)...), "not a PE image"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".efi")
			if err := os.WriteFile(p, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadUKI(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v, want one naming %s and containing %q", err, p, tc.want)
			}
		})
	}
}

func TestScanFindsUKIs(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "boot/efi/EFI/Linux")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "debian-6.1.0-18-amd64.efi"), buildPE(t, ukiSections([]byte("i"))), 0o644); err != nil {
		t.Fatal(err)
	}
	// A UKI without an initrd section is listed too: it has no initrd.
	if err := os.WriteFile(filepath.Join(dir, "bare.efi"), buildPE(t, ukiSections(nil)), 0o644); err != nil {
		t.Fatal(err)
	}
	// /efi as a symlink to /boot/efi is not scanned twice.
	if err := os.Symlink("boot/efi", filepath.Join(root, "efi")); err != nil {
		t.Fatal(err)
	}
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 2 || m.Loader != LoaderBLS {
		t.Fatalf("entries %+v loader %q", m.Entries, m.Loader)
	}
	var withInitrd, without int
	for _, e := range m.Entries {
		if e.Loader != LoaderUKI || e.Version != "6.1.0-18-amd64" {
			t.Errorf("entry %+v", e)
		}
		if e.Embedded != nil {
			withInitrd++
		} else {
			without++
		}
	}
	if withInitrd != 1 || without != 1 {
		t.Errorf("%d with an embedded initrd, %d without", withInitrd, without)
	}
}

func FuzzReadUKI(f *testing.F) {
	f.Add(buildPE(f, ukiSections([]byte("initrd"))))
	f.Add([]byte("MZ"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.efi")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		u, err := ReadUKI(p)
		if err != nil {
			if u != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		for _, s := range []*Section{u.Linux, u.Initrd} {
			if s != nil && (s.Offset < 0 || s.Size < 0 || s.Offset+s.Size > int64(len(data))) {
				t.Fatalf("section %+v outside a %d-byte file", s, len(data))
			}
		}
	})
}
