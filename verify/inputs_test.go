package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

const inputsKV = "6.1.0-18-amd64"

// Every change that changes Check's report must change a file Inputs lists:
// the file itself (listed even while missing), or, for a file in a directory
// that did not exist, the nearest directory that did (a new entry changes its
// identity). Each case starts from a kernel
// whose initrd is missing, so that the diagnosis runs and its causes show.
func TestInputsCoverWhatCheckReads(t *testing.T) {
	failed := "DKMS make.log for zfs-2.1.11 for kernel " + inputsKV + " (x86_64)\nmake: *** [Makefile:1] Error 2\n"
	cases := []struct {
		name, file string
		pre        *string // the file's content before, if any
		content    string
	}{
		{"dpkg status", "var/lib/dpkg/status", nil, "Package: linux-image-" + inputsKV + "\nStatus: install ok half-configured\n\n"},
		{"new DKMS build", "var/lib/dkms/zfs/2.1.11/build/make.log", nil, failed},
		{"DKMS make.log rewritten", "var/lib/dkms/zfs/2.1.11/build/make.log", ptr("DKMS make.log for zfs-2.1.11 for kernel 6.1.0-17-amd64 (x86_64)\n"), failed},
		{"backup image", "boot/initrd.img-" + inputsKV + ".dpkg-bak", nil, "old image"},
		{"module index", "lib/modules/" + inputsKV + "/modules.dep", nil, ""},
		{"kernel image", "boot/vmlinuz-" + inputsKV, nil, ""},
		{"generator's hook", "etc/kernel/postinst.d/dracut", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			kmodtest.Debian(inputsKV).WriteDir(t, root)
			checktest.WriteFile(t, filepath.Join(root, "boot/vmlinuz-"+inputsKV), []byte("kernel"))
			checktest.WriteFile(t, filepath.Join(root, "var/lib/dkms/zfs/2.1.11/source/dkms.conf"), nil)
			if c.pre != nil {
				checktest.WriteFile(t, filepath.Join(root, c.file), []byte(*c.pre))
			}
			req := verify.Request{Root: root, Version: inputsKV, Modules: []string{"ext4"},
				Initrds: []string{filepath.Join(root, "boot/initrd.img-"+inputsKV)}}
			before := verify.Check(context.Background(), req)
			in := verify.Inputs(req)
			file := filepath.Join(root, c.file)
			p := existing(file, root)
			checktest.WriteFile(t, filepath.Join(root, c.file), []byte(c.content))
			if after := verify.Check(context.Background(), req); reflect.DeepEqual(before, after) {
				t.Fatalf("writing %s did not change the report: the case tests nothing", c.file)
			}
			if !slices.Contains(in, file) && !slices.Contains(in, p) {
				t.Errorf("Inputs lacks %s (or %s), which Check reads:\n%s", file, p, strings.Join(in, "\n"))
			}
		})
	}
}

func ptr(s string) *string { return &s }

// existing is p, or its nearest ancestor under root that exists.
func existing(p, root string) string {
	for p != root {
		if _, err := os.Lstat(p); err == nil {
			return p
		}
		p = filepath.Dir(p)
	}
	return root
}

func TestInputsFollowTheRequest(t *testing.T) {
	root := t.TempDir()
	at := func(p string) string { return filepath.Join(root, p) }
	checktest.WriteFile(t, at("var/lib/dkms/zfs/2.1.11/"+inputsKV+"/x86_64/module/zfs.ko"), nil)
	checktest.WriteFile(t, at("etc/initramfs-tools/conf.d/modules"), []byte("MODULES=dep\n"))
	checktest.WriteFile(t, at("etc/kernel/cmdline"), []byte("root=/dev/vda2 init=/usr/local/sbin/myinit\n"))
	in := verify.Inputs(verify.Request{Root: root, Version: inputsKV})
	for _, want := range []string{
		at("boot/vmlinuz-" + inputsKV), at("boot/initrd.img-" + inputsKV),
		at("lib/modules/" + inputsKV + "/modules.dep"), at("usr/lib/modules/" + inputsKV + "/modules.alias"),
		at("boot/grub/grub.cfg"), at("etc/kernel/cmdline"), at("var/lib/dpkg/status"),
		at("var/lib/dkms/zfs/2.1.11/build/make.log"), at("var/lib/dkms/zfs/2.1.11/" + inputsKV + "/x86_64/module"),
		at("etc/initramfs-tools/conf.d/modules"), at("usr/local/sbin/myinit"), at("sbin/init"), at("bin/sh"),
	} {
		if !slices.Contains(in, want) {
			t.Errorf("Inputs lacks %s", want)
		}
	}
	seen := map[string]bool{}
	for _, p := range in {
		if seen[p] {
			t.Errorf("%s listed twice", p)
		}
		seen[p] = true
	}

	// A boot entry's request: its own kernel and initrd section, its
	// command line given (no boot loader scan).
	uki := at("efi/EFI/Linux/x.efi")
	in = verify.Inputs(verify.Request{Root: root, Version: inputsKV, Kernel: uki,
		InitrdSection: &bootentry.Section{Path: uki}, CmdlineSource: uki})
	if !slices.Contains(in, uki) || slices.Contains(in, at("boot/initrd.img-"+inputsKV)) || slices.Contains(in, at("boot/grub/grub.cfg")) {
		t.Errorf("UKI request's inputs:\n%s", strings.Join(in, "\n"))
	}
	in = verify.Inputs(verify.Request{Root: root, Version: inputsKV, NoInitrd: true, CmdlineSource: "grub.cfg:3"})
	if slices.Contains(in, at("boot/initrd.img-"+inputsKV)) {
		t.Error("an entry without an initrd lists one")
	}
}
