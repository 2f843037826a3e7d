package bootentry

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf16"
)

// blsFiles are entries as Debian 12's systemd-boot (kernel-install's
// 90-loaderentry.install) writes them: machine-id directories on the ESP.
func blsFiles() map[string]string {
	const mid = "0123456789abcdef0123456789abcdef"
	entry := func(v string, withInitrd bool) string {
		s := "title      Debian GNU/Linux 12 (bookworm)\nversion    " + v + "\nmachine-id " + mid + "\nsort-key   debian\n" +
			"options    root=UUID=" + rootUUID + " ro\noptions    quiet\nlinux      /" + mid + "/" + v + "/linux\n"
		if withInitrd {
			s += "initrd     /" + mid + "/" + v + "/intel-ucode.img\ninitrd     /" + mid + "/" + v + "/initrd.img-" + v + "\n"
		}
		return s
	}
	return map[string]string{
		"boot/efi/loader/entries/" + mid + "-6.1.0-9-amd64.conf":  entry("6.1.0-9-amd64", true),
		"boot/efi/loader/entries/" + mid + "-6.1.0-18-amd64.conf": entry("6.1.0-18-amd64", false),
		"boot/efi/loader/entries/" + mid + "-6.1.0-17-amd64.conf": entry("6.1.0-17-amd64", true),
		"boot/efi/loader/entries/zz-rescue.conf":                  "title Rescue\nlinux /rescue/vmlinuz-6.1.0-1-amd64\n",
	}
}

func TestScanBLSOrderAndPaths(t *testing.T) {
	root := writeTree(t, blsFiles())
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if m.Loader != LoaderBLS || len(m.Unknown) != 0 {
		t.Fatalf("loader %q unknown %q", m.Loader, m.Unknown)
	}
	var versions []string
	for _, e := range m.Entries {
		versions = append(versions, e.Version)
	}
	// sort-key entries first, newest version first (18 > 17 > 9: version
	// order, not byte order), then entries without sort-key.
	if got := strings.Join(versions, " "); got != "6.1.0-18-amd64 6.1.0-17-amd64 6.1.0-9-amd64 6.1.0-1-amd64" {
		t.Fatalf("order %s", got)
	}
	if m.Default != 0 || !strings.Contains(m.DefaultFrom, "first entry") {
		t.Errorf("default %d from %q", m.Default, m.DefaultFrom)
	}
	e := m.Entries[1]
	base := filepath.Join(root, "boot/efi")
	if e.Kernel != filepath.Join(base, "0123456789abcdef0123456789abcdef/6.1.0-17-amd64/linux") || len(e.Initrds) != 2 ||
		e.Initrds[1] != filepath.Join(base, "0123456789abcdef0123456789abcdef/6.1.0-17-amd64/initrd.img-6.1.0-17-amd64") {
		t.Errorf("paths: kernel %q initrds %q", e.Kernel, e.Initrds)
	}
	if e.Cmdline != "root=UUID="+rootUUID+" ro quiet" {
		t.Errorf("options joined as %q", e.Cmdline)
	}
	if len(m.Entries[0].Initrds) != 0 {
		t.Errorf("entry without initrd lines has %q", m.Entries[0].Initrds)
	}
}

func TestBLSDefaults(t *testing.T) {
	files := blsFiles()
	files["boot/efi/loader/loader.conf"] = "timeout 3\ndefault *-6.1.0-9-amd64.conf\n"
	root := writeTree(t, files)
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.DefaultEntry(); d == nil || d.Version != "6.1.0-9-amd64" || !strings.Contains(m.DefaultFrom, "loader.conf: default") {
		t.Fatalf("loader.conf default: %+v from %q", d, m.DefaultFrom)
	}

	// bootctl set-default writes LoaderEntryDefault, which wins over
	// loader.conf; LoaderEntryOneShot wins over both.
	vars := fstest.MapFS{
		"LoaderEntryDefault-" + loaderGUID: {Data: efiVar("0123456789abcdef0123456789abcdef-6.1.0-17-amd64.conf")},
		"LoaderInfo-" + loaderGUID:         {Data: efiVar("systemd-boot 252.22-1~deb12u1")},
	}
	m, err = Scan(Options{Root: root, EFIVars: vars})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.DefaultEntry(); d == nil || d.Version != "6.1.0-17-amd64" || m.OneShot || !strings.Contains(m.LoaderWhy, "systemd-boot") {
		t.Fatalf("EFI default: %+v from %q (%s)", d, m.DefaultFrom, m.LoaderWhy)
	}
	vars["LoaderEntryOneShot-"+loaderGUID] = &fstest.MapFile{Data: efiVar("zz-rescue.conf")}
	m, err = Scan(Options{Root: root, EFIVars: vars})
	if err != nil {
		t.Fatal(err)
	}
	if d := m.DefaultEntry(); d == nil || d.ID != "zz-rescue.conf" || !m.OneShot {
		t.Fatalf("one-shot: %+v", d)
	}
}

func TestBLSDefaultMatchingNothing(t *testing.T) {
	files := blsFiles()
	files["boot/efi/loader/loader.conf"] = "default gone.conf\n"
	m, err := Scan(Options{Root: writeTree(t, files)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Default != 0 || len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "matches no entry") {
		t.Errorf("default %d notes %q", m.Default, m.Notes)
	}
}

func efiVar(s string) []byte {
	b := []byte{7, 0, 0, 0}
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return append(b, 0, 0)
}

func TestNoBootLoaderFound(t *testing.T) {
	m, err := Scan(Options{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if m.Loader != "" || m.Default != -1 || m.DefaultEntry() != nil || !strings.Contains(m.LoaderWhy, "no grub.cfg") {
		t.Errorf("empty root: %+v", m)
	}
	if _, err := Scan(Options{}); err == nil {
		t.Error("Scan without a root succeeded")
	}
}

func TestCmdlineValue(t *testing.T) {
	cases := []struct{ cmdline, want string }{
		{"root=/dev/sda1 ro quiet", "/dev/sda1"},
		{"root=/dev/sda1 root=UUID=x ro", "UUID=x"},
		{`ro "root=LABEL=my disk" quiet`, "LABEL=my disk"},
		{"ro -- root=/dev/sdb1", ""},
		{"ro quiet", ""},
	}
	for _, tc := range cases {
		if got, _ := CmdlineValue(tc.cmdline, "root"); got != tc.want {
			t.Errorf("CmdlineValue(%q) = %q, want %q", tc.cmdline, got, tc.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"6.1.0-18-amd64", "6.1.0-9-amd64", 1},
		{"6.1.0-18-amd64", "6.1.0-18-amd64", 0},
		{"5.10.0-28-amd64", "6.1.0-1-amd64", -1},
		{"6.1.0-18-cloud-amd64", "6.1.0-18-amd64", 1},
		{"6.1~rc1", "6.1", -1},
		{"", "1", -1},
	}
	for _, tc := range cases {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := CompareVersions(tc.b, tc.a); got != -tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}
