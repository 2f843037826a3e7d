package diagnose

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const kver = "6.1.0-18-amd64"

// write creates root/name with content, making parent directories.
func write(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func plenty(string) (uint64, uint64, error) { return 900 << 20, 1 << 30, nil }

func TestGeneratorAndFixCommand(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		gen   Generator
		fix   string
	}{
		{"initramfs-tools hook", []string{"etc/kernel/postinst.d/initramfs-tools"}, GeneratorInitramfsTools, "update-initramfs -c -k " + kver},
		{"dracut hook", []string{"etc/kernel/postinst.d/dracut", "usr/sbin/update-initramfs"}, GeneratorDracut, "dracut --force /boot/initrd.img-" + kver + " " + kver},
		{"dracut binary only", []string{"usr/bin/dracut"}, GeneratorDracut, "dracut --force"},
		{"nothing", nil, GeneratorUnknown, "update-initramfs -c -k " + kver + " (initramfs-tools) or dracut --force"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tc.files {
				write(t, root, f, "#!/bin/sh\n")
			}
			f := Inspect(Options{Root: root, Space: plenty}, kver)
			if f.Generator != tc.gen {
				t.Errorf("generator %q, want %q", f.Generator, tc.gen)
			}
			if !strings.HasPrefix(f.FixCommand(), tc.fix) {
				t.Errorf("fix %q, want prefix %q", f.FixCommand(), tc.fix)
			}
		})
	}
}

func TestDKMSFailure(t *testing.T) {
	root := t.TempDir()
	// A failed build for kver: the log names it, no built modules.
	write(t, root, "var/lib/dkms/nvidia/535.1/build/make.log",
		"DKMS make.log for nvidia-535.1 for kernel "+kver+" (x86_64)\nTue Nov 24\nmake -C /lib/modules/x/build\n"+
			"/var/lib/dkms/nvidia/535.1/build/nv.c:12:1: error: unknown type name 'foo'\nmake: *** [Makefile:1] Error 2\n")
	// A successful build of another module for kver: its log names kver, and modules exist.
	write(t, root, "var/lib/dkms/zfs/2.1/build/make.log", "DKMS make.log for zfs-2.1 for kernel "+kver+" (x86_64)\n")
	write(t, root, "var/lib/dkms/zfs/2.1/"+kver+"/x86_64/module/zfs.ko", "elf")
	// A failed build for another kernel.
	write(t, root, "var/lib/dkms/v4l2/0.1/build/make.log", "DKMS make.log for v4l2-0.1 for kernel 5.10.0-1-amd64 (x86_64)\nerror: x\n")
	// Junk that must not panic or match.
	write(t, root, "var/lib/dkms/junk/1/build/make.log", "not a dkms log\n")
	write(t, root, "var/lib/dkms/file", "x")

	f := Inspect(Options{Root: root, Space: plenty}, kver)
	if len(f.DKMS) != 1 {
		t.Fatalf("DKMS failures %+v, want only nvidia", f.DKMS)
	}
	d := f.DKMS[0]
	if d.Module != "nvidia" || d.ModuleVersion != "535.1" || d.Log != "/var/lib/dkms/nvidia/535.1/build/make.log" {
		t.Errorf("got %+v", d)
	}
	if !strings.Contains(d.FirstError, "error: unknown type name") {
		t.Errorf("first error %q", d.FirstError)
	}
	causes := strings.Join(f.ImageCauses(), "\n")
	for _, want := range []string{"nvidia/535.1 failed for kernel " + kver, "dkms status", d.Log} {
		if !strings.Contains(causes, want) {
			t.Errorf("causes %q lack %q", causes, want)
		}
	}
}

func TestHalfConfiguredPackage(t *testing.T) {
	root := t.TempDir()
	write(t, root, "var/lib/dpkg/status", `Package: linux-image-`+kver+`
Status: install ok half-configured
Version: 6.1.76-1

Package: linux-image-6.1.0-17-amd64
Status: install ok half-configured

Package: linux-headers-`+kver+`
Status: install ok installed

Package: linux-image-`+kver+`-dbg
Status: install ok unpacked

Package: linux-modules-`+kver+`
Status: install ok unpacked`)
	f := Inspect(Options{Root: root, Space: plenty}, kver)
	want := []PackageState{{"linux-image-" + kver, "half-configured"}, {"linux-modules-" + kver, "unpacked"}}
	if len(f.Packages) != len(want) {
		t.Fatalf("packages %+v, want %+v", f.Packages, want)
	}
	for i := range want {
		if f.Packages[i] != want[i] {
			t.Errorf("package %d = %+v, want %+v", i, f.Packages[i], want[i])
		}
	}
	if c := strings.Join(f.ImageCauses(), "\n"); !strings.Contains(c, "half-configured") || !strings.Contains(c, "dpkg --configure -a") {
		t.Errorf("causes %q", c)
	}
}

func TestBootSpace(t *testing.T) {
	root := t.TempDir()
	write(t, root, "boot/initrd.img-6.1.0-17-amd64", strings.Repeat("x", 1000))
	var asked string
	low := func(dir string) (uint64, uint64, error) { asked = dir; return 10 << 20, 256 << 20, nil }
	f := Inspect(Options{Root: root, Space: low}, kver)
	if asked != filepath.Join(root, "boot") {
		t.Errorf("statfs asked about %q", asked)
	}
	if !f.BootSpaceKnown || !f.BootLow || f.BootFree != 10<<20 {
		t.Fatalf("findings %+v", f)
	}
	if c := strings.Join(f.ImageCauses(), "\n"); !strings.Contains(c, "only 10 MiB free of 256 MiB") {
		t.Errorf("causes %q", c)
	}
	// The threshold follows the largest image already there.
	f = Inspect(Options{Root: root, Space: low, BootLow: 1 << 20}, kver)
	if f.BootLow {
		t.Errorf("10 MiB free reported low against a 1 MiB threshold")
	}
	failing := func(string) (uint64, uint64, error) { return 0, 0, errors.New("no statfs") }
	if f = Inspect(Options{Root: root, Space: failing}, kver); f.BootSpaceKnown || f.BootLow {
		t.Errorf("statfs failure reported as a finding: %+v", f)
	}
}

func TestBootInFstabNotMounted(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/fstab", "# /boot was on /dev/sda1\nUUID=abcd / ext4 defaults 0 1\nUUID=ef01 /boot ext2 defaults 0 2\n")
	notMounted := fstest.MapFS{"self/mountinfo": {Data: []byte("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n")}}
	mounted := fstest.MapFS{"self/mountinfo": {Data: []byte("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n23 22 8:1 / /boot rw - ext2 /dev/sda1 rw\n")}}
	if f := Inspect(Options{Root: root, Space: plenty, Proc: notMounted}, kver); !f.BootUnmounted {
		t.Errorf("unmounted /boot not found")
	} else if c := strings.Join(f.ImageCauses(), "\n"); !strings.Contains(c, "mount /boot") {
		t.Errorf("causes %q", c)
	}
	if f := Inspect(Options{Root: root, Space: plenty, Proc: mounted}, kver); f.BootUnmounted {
		t.Errorf("mounted /boot reported unmounted")
	}
	// Under --root there is no /proc for the chroot: no finding.
	if f := Inspect(Options{Root: root, Space: plenty}, kver); f.BootUnmounted {
		t.Errorf("no /proc, yet /boot reported unmounted")
	}
	// /boot not in fstab: it is a directory on /, nothing to mount.
	write(t, root, "etc/fstab", "UUID=abcd / ext4 defaults 0 1\n#UUID=ef01 /boot ext2 defaults 0 2\n")
	if f := Inspect(Options{Root: root, Space: plenty, Proc: notMounted}, kver); f.BootUnmounted {
		t.Errorf("/boot not in fstab, reported unmounted")
	}
}

func TestModulesPolicy(t *testing.T) {
	root := t.TempDir()
	write(t, root, "etc/initramfs-tools/initramfs.conf", "# comment\nMODULES=most\nBUSYBOX=auto\n")
	if f := Inspect(Options{Root: root, Space: plenty}, kver); f.Modules != "most" || len(f.ModuleCauses("nvme")) != 0 {
		t.Errorf("most: %+v %q", f, f.ModuleCauses("nvme"))
	}
	write(t, root, "etc/initramfs-tools/conf.d/zz-small", "\n\nMODULES=list # only what we list\n")
	write(t, root, "etc/kernel/postinst.d/initramfs-tools", "")
	f := Inspect(Options{Root: root, Space: plenty}, kver)
	if f.Modules != "list" || f.ModulesSource != "/etc/initramfs-tools/conf.d/zz-small line 3" {
		t.Fatalf("policy %q from %q", f.Modules, f.ModulesSource)
	}
	c := strings.Join(f.ModuleCauses("nvme"), "\n")
	for _, want := range []string{"MODULES=list", "zz-small line 3", "add the line nvme to /etc/initramfs-tools/modules"} {
		if !strings.Contains(c, want) {
			t.Errorf("causes %q lack %q", c, want)
		}
	}
	write(t, root, "etc/initramfs-tools/conf.d/zz-small", "MODULES='dep'\n")
	if f := Inspect(Options{Root: root, Space: plenty}, kver); f.Modules != "dep" || !strings.Contains(strings.Join(f.ModuleCauses("nvme"), ""), "MODULES=dep") {
		t.Errorf("dep: %+v", f)
	}
}

func TestBackup(t *testing.T) {
	root := t.TempDir()
	if f := Inspect(Options{Root: root, Space: plenty}, kver); f.Backup != "" || len(f.ImageCauses()) != 0 {
		t.Errorf("empty root has findings: %+v", f)
	}
	write(t, root, "boot/initrd.img-"+kver+".dpkg-bak", "image")
	f := Inspect(Options{Root: root, Space: plenty}, kver)
	if f.Backup != "/boot/initrd.img-"+kver+".dpkg-bak" {
		t.Fatalf("backup %q", f.Backup)
	}
	if c := strings.Join(f.ImageCauses(), ""); !strings.Contains(c, "boot-guard verify --initrd /boot/initrd.img-"+kver+".dpkg-bak "+kver) {
		t.Errorf("causes %q", c)
	}
}

// isMounted and inFstab read the tables through package mounts (its
// TestUnescape has the escapes unescapeOctal was tested with): an escaped
// mount point matches, and a malformed mountinfo (whose lines were skipped
// before) is an error, so no finding, like an unreadable one.
func TestIsMountedInFstab(t *testing.T) {
	mi := func(s string) fstest.MapFS { return fstest.MapFS{"self/mountinfo": {Data: []byte(s)}} }
	for _, tc := range []struct {
		mountinfo string
		mounted   bool
		err       bool
	}{
		{"22 1 8:2 / / rw - ext4 /dev/sda2 rw\n23 22 8:1 / /mnt/a\\040b rw - ext2 /dev/sda1 rw\n", true, false},
		{"22 1 8:2 / / rw - ext4 /dev/sda2 rw\n", false, false},
		{"", false, true},
		{"22 1 8:2 / / rw - ext4 /dev/sda2 rw\ngarbage /mnt/a\\040b\n", false, true},
	} {
		got, err := isMounted(mi(tc.mountinfo), "/mnt/a b")
		if got != tc.mounted || (err != nil) != tc.err {
			t.Errorf("isMounted(%q) = %v, %v; want %v, error %v", tc.mountinfo, got, err, tc.mounted, tc.err)
		}
	}
	root := t.TempDir()
	write(t, root, "etc/fstab", "# x /mnt/c\n  /dev/sda1 /mnt/a\\040b/ ext2 defaults\n")
	if !inFstab(root, "/mnt/a b") || inFstab(root, "/mnt/c") {
		t.Errorf("inFstab: escaped target or comment misread")
	}
}

// TestFixCommand: the exact commands, with and without a known version (an
// image ls or inspect cannot tie to a kernel).
func TestFixCommand(t *testing.T) {
	cases := []struct {
		gen     Generator
		version string
		want    string
	}{
		{GeneratorInitramfsTools, kver, "update-initramfs -c -k " + kver},
		{GeneratorDracut, kver, "dracut --force /boot/initrd.img-" + kver + " " + kver},
		{GeneratorUnknown, kver, "update-initramfs -c -k " + kver + " (initramfs-tools) or dracut --force /boot/initrd.img-" + kver + " " + kver + " (dracut)"},
		{GeneratorInitramfsTools, "", "update-initramfs -c -k and the version of the kernel it is for"},
		{GeneratorDracut, "", "dracut --force, the image path and the version of the kernel it is for"},
		{GeneratorUnknown, "", "update-initramfs -c -k and the version of the kernel it is for (initramfs-tools), or dracut --force, the image path and that version (dracut)"},
	}
	for _, tc := range cases {
		if got := (Findings{Version: tc.version, Generator: tc.gen}).FixCommand(); got != tc.want {
			t.Errorf("%q %q: %q, want %q", tc.gen, tc.version, got, tc.want)
		}
	}
	root := t.TempDir()
	write(t, root, "etc/kernel/postinst.d/dracut", "#!/bin/sh\n")
	if g := GeneratorOf(root, GeneratorUnknown); g != GeneratorDracut {
		t.Errorf("GeneratorOf = %q", g)
	}
	if g := GeneratorOf(root, GeneratorInitramfsTools); g != GeneratorInitramfsTools {
		t.Errorf("GeneratorOf with an initramfs-tools image = %q", g)
	}
}
