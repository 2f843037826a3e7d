package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// The fix names the generator that made the image checked, not the one
// merely installed: a trixie machine has dracut-core (its programs and
// kernel-install plugin) next to initramfs-tools, whose hook builds the
// image. An initramfs-tools image is checktest.InitramfsTools' layout.
var (
	dracutMarks = []checktest.File{
		{Path: "usr/lib/dracut/build-parameter.txt", Data: []byte(" --kver 6.1.0-18-amd64")},
		{Path: "usr/lib/dracut/modules.txt", Data: []byte("base\nkernel-modules\n")},
		{Path: "usr/lib/dracut-lib.sh", Data: []byte("# dracut-lib\n")},
	}
)

// withDracutCore adds dracut-core's files to the fixture's initramfs-tools
// machine.
func withDracutCore(t *testing.T, f fixture) fixture {
	for _, p := range []string{"usr/bin/dracut", "usr/lib/kernel/install.d/50-dracut.install"} {
		checktest.WriteFile(t, filepath.Join(f.root, p), []byte("#!/bin/sh\n"))
	}
	return f
}

func TestFixNamesTheImagesGenerator(t *testing.T) {
	cases := []struct {
		name       string
		marks      []checktest.File
		fix, notIn string
		addModule  string
	}{
		{"initramfs-tools image, dracut-core installed", nil, // the whole layout (below)
			"rebuild it: update-initramfs -c -k " + kv, "dracut", "add the line nvme to /etc/initramfs-tools/modules"},
		{"dracut image on an initramfs-tools machine", dracutMarks,
			"rebuild it: dracut --force /boot/initrd.img-" + kv + " " + kv, "update-initramfs", `add_drivers+=" nvme "`},
		{"image without marks: the kernel's hook (initramfs-tools)", nil,
			"rebuild it: update-initramfs -c -k " + kv, "dracut", "/etc/initramfs-tools/modules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := withDracutCore(t, newFixture(t))
			mods := f.modules(t, rootNeeds, "nvme")
			marks := tc.marks
			if strings.HasPrefix(tc.name, "initramfs-tools image") {
				// A real initramfs-tools image: its programs and libkmod's
				// indexes too, so only nvme is missing.
				marks = checktest.InitramfsTools(kv, mods)
			}
			checktest.Initrd{Version: kv, Modules: mods, Extra: marks}.Write(t, f.root)
			k := check(t, f.request())
			p := problem(t, k, verify.CodeModuleMissing)
			if k.Verdict != verify.Unbootable || p.Fix != tc.fix || strings.Contains(p.Hint, tc.notIn) || !strings.Contains(p.Hint, tc.addModule) {
				t.Errorf("verdict %v, fix %q (want %q), hint %q (want %q, not %q)", k.Verdict, p.Fix, tc.fix, p.Hint, tc.addModule, tc.notIn)
			}
		})
	}
}

// TestFixWithoutImage: no image to ask, so the kernel's hooks decide: the
// ones a kernel install will run.
func TestFixWithoutImage(t *testing.T) {
	cases := []struct {
		name   string
		dracut bool // the dracut package replaced initramfs-tools
		fix    string
	}{
		{"initramfs-tools' hook, dracut-core installed", false, "update-initramfs -c -k " + kv},
		{"dracut's hook in /usr/share/kernel/postinst.d", true, "dracut --force /boot/initrd.img-" + kv + " " + kv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := withDracutCore(t, newFixture(t))
			if tc.dracut {
				if err := os.Remove(filepath.Join(f.root, "etc/kernel/postinst.d/initramfs-tools")); err != nil {
					t.Fatal(err)
				}
				checktest.WriteFile(t, filepath.Join(f.root, "usr/share/kernel/postinst.d/dracut"), []byte("#!/bin/sh\n"))
			}
			req := f.request()
			req.Initrds = []string{filepath.Join(f.root, "boot", "initrd.img-"+kv)}
			k := check(t, req)
			if p := problem(t, k, verify.CodeInitrdMissing); p.Fix != "rebuild it: "+tc.fix {
				t.Errorf("fix %q, want %q", p.Fix, "rebuild it: "+tc.fix)
			}
		})
	}
}
