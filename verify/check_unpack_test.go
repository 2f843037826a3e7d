package verify_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// Images of several archives are judged on the rootfs the kernel unpacks
// from them in order (init/initramfs.c): what a later archive cannot create,
// or replaces, is what the boot sees.

// pad4 pads an uncompressed archive so the next segment starts 4-aligned.
func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func writeImage(t *testing.T, f fixture, parts ...[]byte) {
	t.Helper()
	var img []byte
	for _, p := range parts {
		img = append(pad4(img), p...)
	}
	checktest.WriteFile(t, filepath.Join(f.root, "boot", "initrd.img-"+kv), img)
}

func TestCheckUnpackRealLibBlocksSymlink(t *testing.T) {
	// Ubuntu's layout gone wrong: the modules archive has a real lib/,
	// so main's lib -> usr/lib is not created and /lib/modules/V has no
	// modules.dep.
	f := newFixture(t)
	mods := f.modules(t, rootNeeds)
	var early []checktest.File
	for _, m := range mods {
		early = append(early, checktest.File{Path: "lib/modules/" + kv + "/" + m.Path, Data: checktest.ModuleELF(strings.TrimSuffix(filepath.Base(m.Path), ".ko"), kv+" SMP", nil)})
	}
	writeImage(t, f, checktest.Cpio(early), checktest.Initrd{Version: kv, Modules: mods}.Build())
	k := check(t, f.request())
	if k.Verdict != verify.Unbootable {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
	p := problem(t, k, verify.CodeModuleMissing)
	assertFix(t, p)
	for _, w := range []string{"no lib/modules/" + kv + "/modules.dep", `does not create symlink "lib"`, "not empty", "modprobe"} {
		if !strings.Contains(p.Message, w) {
			t.Errorf("message lacks %q: %s", w, p.Message)
		}
	}
}

func TestCheckUnpackLaterFileWins(t *testing.T) {
	f := newFixture(t)
	mods := f.modules(t, rootNeeds)
	var nvme string
	for _, m := range mods {
		if filepath.Base(m.Path) == "nvme.ko" {
			nvme = m.Path
		}
	}
	garbage := checktest.Cpio([]checktest.File{{Path: "usr/lib/modules/" + kv + "/" + nvme, Data: []byte("not a module")}})
	writeImage(t, f, checktest.Initrd{Version: kv, Modules: mods}.Build(), garbage)
	k := check(t, f.request())
	if k.Verdict != verify.Unbootable {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
	if p := k.Problems[0]; !strings.Contains(p.Message, "nvme.ko, but it cannot be read") {
		t.Errorf("message: %s", p.Message)
	}
}

func TestCheckUnpackSymlinkOverFullDirIsNotCreated(t *testing.T) {
	// The kernel cannot replace the non-empty module directory with the
	// symlink: the modules stay, the image boots.
	f := newFixture(t)
	link := checktest.Cpio([]checktest.File{{Path: "usr/lib/modules/" + kv, Link: "/nonexistent"}})
	writeImage(t, f, checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Build(), link)
	k := check(t, f.request())
	if k.Verdict != verify.Bootable || len(k.Problems) != 0 {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
}
