package hook

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func getenv(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestKernelPostinst(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		env    []string
		skip   bool
		kernel string
		err    string
	}{
		{"direct call", []string{"6.1.0-18-amd64", "/boot/vmlinuz-6.1.0-18-amd64"}, nil, false, "/boot/vmlinuz-6.1.0-18-amd64", ""},
		{"configure", []string{"6.1.0-18-amd64"}, []string{"DEB_MAINT_PARAMS", "configure 6.1.76-1"}, false, "", ""},
		{"quoted configure", []string{"6.1.0-18-amd64"}, []string{"DEB_MAINT_PARAMS", "'configure' '6.1.76-1'"}, false, "", ""},
		{"abort-upgrade", []string{"6.1.0-18-amd64"}, []string{"DEB_MAINT_PARAMS", "abort-upgrade 6.1.76-1"}, true, "", ""},
		{"blank params act", []string{"6.1.0-18-amd64"}, []string{"DEB_MAINT_PARAMS", "  "}, false, "", ""},
		{"no version", nil, nil, false, "", "want VERSION [IMAGE]"},
		{"too many", []string{"a", "b", "c"}, nil, false, "", "got 3 arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := KernelPostinst(tc.args, Env{Getenv: getenv(tc.env...)})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (a.Skip != "") != tc.skip || a.Version != tc.args[0] || a.Kernel != tc.kernel || a.Initrds != nil {
				t.Errorf("action %+v", a)
			}
		})
	}
}

func TestKernelPostinstNamesPackage(t *testing.T) {
	a, err := KernelPostinst([]string{"6.1.0-18-amd64"}, Env{Getenv: getenv("DPKG_MAINTSCRIPT_PACKAGE", "linux-image-6.1.0-18-amd64")})
	if err != nil || len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "linux-image-6.1.0-18-amd64") || !strings.Contains(a.Notes[0], "dpkg --configure -a") {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestKernelInstall(t *testing.T) {
	staging := t.TempDir()
	for _, n := range []string{"initrd", "initrd-microcode", "linux", "cmdline"} {
		os.WriteFile(filepath.Join(staging, n), []byte("x"), 0o644)
	}
	empty := t.TempDir()
	ucode := t.TempDir()
	for _, n := range []string{"initrd", "microcode-amd.img"} {
		os.WriteFile(filepath.Join(ucode, n), []byte("x"), 0o644)
	}
	ukiStaging := t.TempDir()
	for _, n := range []string{"initrd", "uki.efi"} {
		os.WriteFile(filepath.Join(ukiStaging, n), []byte("x"), 0o644)
	}
	cases := []struct {
		name    string
		args    []string
		env     []string
		skip    bool
		initrds []string
		err     string
	}{
		// 90-loaderentry.install's order: microcode*, the arguments, initrd*.
		{"initrd arguments", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64", "/boot/ucode.img", "/boot/initrd.img-6.1.0-18-amd64"},
			[]string{"KERNEL_INSTALL_STAGING_AREA", staging}, false, []string{"/boot/ucode.img", "/boot/initrd.img-6.1.0-18-amd64", filepath.Join(staging, "initrd"), filepath.Join(staging, "initrd-microcode")}, ""},
		{"initrd arguments, empty staging area", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64", "/boot/initrd.img-6.1.0-18-amd64"},
			[]string{"KERNEL_INSTALL_STAGING_AREA", empty}, false, []string{"/boot/initrd.img-6.1.0-18-amd64"}, ""},
		{"microcode first", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64", "/boot/initrd.img-6.1.0-18-amd64"},
			[]string{"KERNEL_INSTALL_STAGING_AREA", ucode}, false, []string{filepath.Join(ucode, "microcode-amd.img"), "/boot/initrd.img-6.1.0-18-amd64", filepath.Join(ucode, "initrd")}, ""},
		// layout=bls: a uki.efi in the staging area is not what 90-loaderentry installs.
		{"uki.efi under layout=bls", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64"},
			[]string{"KERNEL_INSTALL_STAGING_AREA", ukiStaging, "KERNEL_INSTALL_LAYOUT", "bls"}, false, []string{filepath.Join(ukiStaging, "initrd")}, ""},
		{"staging area", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64"},
			[]string{"KERNEL_INSTALL_STAGING_AREA", staging}, false, []string{filepath.Join(staging, "initrd"), filepath.Join(staging, "initrd-microcode")}, ""},
		{"empty staging area", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64"},
			[]string{"KERNEL_INSTALL_STAGING_AREA", empty}, false, nil, ""},
		{"no staging area", []string{"add", "6.1.0-18-amd64", "/boot/efi/x", "/boot/vmlinuz-6.1.0-18-amd64"}, nil, false, nil, ""},
		{"remove", []string{"remove", "6.1.0-18-amd64", "/boot/efi/x"}, nil, true, nil, ""},
		{"other verb", []string{"inspect"}, nil, true, nil, ""},
		{"add too short", []string{"add", "6.1.0-18-amd64"}, nil, false, nil, "add wants VERSION ENTRY_DIR IMAGE"},
		{"nothing", nil, nil, false, nil, "got no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := KernelInstall(tc.args, Env{Getenv: getenv(tc.env...), ReadDir: os.ReadDir})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (a.Skip != "") != tc.skip {
				t.Fatalf("skip %q, want %v", a.Skip, tc.skip)
			}
			if tc.skip {
				return
			}
			if a.Version != "6.1.0-18-amd64" || a.Kernel != "/boot/vmlinuz-6.1.0-18-amd64" || !reflect.DeepEqual(a.Initrds, tc.initrds) {
				t.Errorf("action %+v, want initrds %q", a, tc.initrds)
			}
		})
	}
}

func TestKernelInstallUKI(t *testing.T) {
	staging := t.TempDir()
	for _, n := range []string{"initrd", "uki.efi"} {
		os.WriteFile(filepath.Join(staging, n), []byte("x"), 0o644)
	}
	empty := t.TempDir()
	args := []string{"add", "6.12.57+deb13-amd64", "/boot/efi/x", "/boot/vmlinuz-6.12.57+deb13-amd64"}
	cases := []struct {
		name      string
		args      []string
		env       []string
		uki       string
		initrds   []string
		noInitrds bool
	}{
		// 60-ukify.install staged uki.efi; 90-uki-copy.install copies it.
		{"layout=uki, staged", args, []string{"KERNEL_INSTALL_LAYOUT", "uki", "KERNEL_INSTALL_STAGING_AREA", staging}, filepath.Join(staging, "uki.efi"), nil, false},
		// No UKI generator ran: what is left is checked as before.
		{"layout=uki, nothing staged", args, []string{"KERNEL_INSTALL_LAYOUT", "uki", "KERNEL_INSTALL_STAGING_AREA", empty}, "", nil, true},
		// kernel-install add of a UKI: the image is copied as it is.
		{"image type uki", []string{"add", "6.12.57+deb13-amd64", "/boot/efi/x", "/usr/lib/kernel/6.12.efi"},
			[]string{"KERNEL_INSTALL_IMAGE_TYPE", "uki", "KERNEL_INSTALL_LAYOUT", "uki", "KERNEL_INSTALL_STAGING_AREA", empty}, "/usr/lib/kernel/6.12.efi", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := KernelInstall(tc.args, Env{Getenv: getenv(tc.env...), ReadDir: os.ReadDir})
			if err != nil || a.Skip != "" || a.Version != "6.12.57+deb13-amd64" || a.UKI != tc.uki {
				t.Fatalf("%+v %v, want UKI %q", a, err, tc.uki)
			}
			if tc.uki != "" && a.Initrds != nil || tc.noInitrds && a.Initrds != nil {
				t.Errorf("initrds %q", a.Initrds)
			}
		})
	}
}

func TestKernelInstallUnreadableStaging(t *testing.T) {
	readDir := func(string) ([]fs.DirEntry, error) { return nil, fs.ErrPermission }
	a, err := KernelInstall([]string{"add", "v", "e", "/boot/vmlinuz-v"}, Env{Getenv: getenv("KERNEL_INSTALL_STAGING_AREA", "/x"), ReadDir: readDir})
	if err != nil || a.Initrds != nil {
		t.Fatalf("%+v %v: want the default image", a, err)
	}
}

func TestInitramfsPostUpdate(t *testing.T) {
	a, err := InitramfsPostUpdate([]string{"6.1.0-18-amd64", "/boot/initrd.img-6.1.0-18-amd64"}, Env{Getenv: getenv()})
	if err != nil || a.Version != "6.1.0-18-amd64" || !reflect.DeepEqual(a.Initrds, []string{"/boot/initrd.img-6.1.0-18-amd64"}) || len(a.Notes) != 0 {
		t.Fatalf("%+v %v", a, err)
	}
	a, err = InitramfsPostUpdate([]string{"6.1.0-18-amd64", "/boot/initrd.img-6.1.0-18-amd64"}, Env{Getenv: getenv("DPKG_MAINTSCRIPT_PACKAGE", "initramfs-tools")})
	if err != nil || len(a.Notes) != 1 {
		t.Fatalf("%+v %v", a, err)
	}
	for _, want := range []string{"initramfs-tools' trigger", "kernel 6.1.0-18-amd64", "dpkg --configure -a"} {
		if !strings.Contains(a.Notes[0], want) {
			t.Errorf("note %q lacks %q", a.Notes[0], want)
		}
	}
	// dracut's postinst "triggered": DPKG_MAINTSCRIPT_PACKAGE='' update-initramfs -u.
	a, err = InitramfsPostUpdate([]string{"7.2.12+deb14-amd64", "/boot/initrd.img-7.2.12+deb14-amd64"},
		Env{Getenv: getenv("DPKG_MAINTSCRIPT_PACKAGE", "", "DPKG_MAINTSCRIPT_NAME", "postinst")})
	if err != nil || len(a.Notes) != 1 || !strings.Contains(a.Notes[0], "dracut's update-initramfs trigger") || !strings.Contains(a.Notes[0], "dpkg --configure -a") {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := InitramfsPostUpdate([]string{"6.1.0-18-amd64"}, Env{Getenv: getenv()}); err == nil {
		t.Error("one argument accepted")
	}
}

func TestRegistry(t *testing.T) {
	for _, n := range []string{"kernel-postinst", "kernel-install", "initramfs-post-update"} {
		if _, err := Lookup(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := Lookup("nope"); err == nil || !strings.Contains(err.Error(), "kernel-install") {
		t.Errorf("unknown hook: %v", err)
	}
}
