package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// writeConfig replaces the fixture kernel's /boot/config-kv with lines.
func (f fixture) writeConfig(t *testing.T, lines ...string) {
	t.Helper()
	checktest.WriteFile(t, filepath.Join(f.root, "boot", "config-"+kv), []byte(strings.Join(lines, "\n")+"\n"))
}

// debianConfigWith is Debian's config with each "CONFIG_X=..." or
// "# CONFIG_X is not set" of changes replacing the line for CONFIG_X.
func debianConfigWith(changes ...string) []string {
	name := func(l string) string {
		l = strings.TrimPrefix(l, "# ")
		n, _, _ := strings.Cut(strings.TrimSuffix(l, " is not set"), "=")
		return n
	}
	out := kmodtest.DebianConfig()
	for _, c := range changes {
		replaced := false
		for i, l := range out {
			if name(l) == name(c) {
				out[i], replaced = c, true
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

func onlyCode(t *testing.T, k verify.KernelReport, code verify.Code, v verify.Verdict, in ...string) verify.Problem {
	t.Helper()
	if k.Verdict != v || len(k.Problems) != 1 {
		t.Fatalf("verdict %v, want %v with one %s problem: %+v", k.Verdict, v, code, k.Problems)
	}
	p := problem(t, k, code)
	for _, s := range in {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message lacks %q: %s", s, p.Message)
		}
	}
	return p
}

func TestKernelConfigMissing(t *testing.T) {
	f := newFixture(t)
	if err := os.Remove(filepath.Join(f.root, "boot", "config-"+kv)); err != nil {
		t.Fatal(err)
	}
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	onlyCode(t, check(t, f.request()), verify.CodeKernelConfig, verify.Bootable,
		"it has no config (/boot/config-"+kv+", /usr/lib/modules/"+kv+"/config, /lib/modules/"+kv+"/build/.config), so these were not checked", "CONFIG_RD_GZIP (the initrd is gzip-compressed)", "CONFIG_BLK_DEV_INITRD")

	// A config that is not one: the same note, saying why.
	f.writeConfig(t, "\x7fELF\x00\x01")
	onlyCode(t, check(t, f.request()), verify.CodeKernelConfig, verify.Bootable, "its config cannot be read (kernel config /boot/config-"+kv, "NUL byte")

	// The build tree's .config stands in for /boot's.
	if err := os.Remove(filepath.Join(f.root, "boot", "config-"+kv)); err != nil {
		t.Fatal(err)
	}
	checktest.WriteFile(t, filepath.Join(f.root, "lib/modules", kv, "build/.config"), []byte("# CONFIG_RD_GZIP is not set\nCONFIG_BLK_DEV_INITRD=y\n"))
	onlyCode(t, check(t, f.request()), verify.CodeInitrdCodecUnsupported, verify.Unbootable, "/lib/modules/"+kv+"/build/.config")
}

func TestInitrdCodecUnsupported(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	f.writeConfig(t, debianConfigWith("# CONFIG_RD_GZIP is not set")...)
	p := onlyCode(t, check(t, f.request()), verify.CodeInitrdCodecUnsupported, verify.Unbootable,
		kv, "segment 0", "gzip", "CONFIG_RD_GZIP not set", `"Initramfs unpacking failed: compression method gzip not configured"`)
	if !strings.Contains(p.Hint, "CONFIG_RD_GZIP=y") || !strings.Contains(p.Hint, "COMPRESS=") {
		t.Errorf("hint: %q", p.Hint)
	}

	// Absent from the config (a kernel older than the option) is not built in.
	f.writeConfig(t, "CONFIG_BLK_DEV_INITRD=y", "CONFIG_RD_XZ=y")
	onlyCode(t, check(t, f.request()), verify.CodeInitrdCodecUnsupported, verify.Unbootable, "CONFIG_RD_GZIP absent")

	// The decompressor built in through another option is enough.
	f.writeConfig(t, debianConfigWith("# CONFIG_RD_GZIP is not set", "CONFIG_DECOMPRESS_GZIP=y")...)
	if k := check(t, f.request()); k.Verdict != verify.Bootable || len(k.Problems) != 0 {
		t.Fatalf("DECOMPRESS_GZIP=y: %v %+v", k.Verdict, k.Problems)
	}

	// An uncompressed image needs no codec; the main gzip one after an
	// uncompressed early archive is not unpacked.
	f.writeConfig(t, debianConfigWith("# CONFIG_RD_GZIP is not set")...)
	early := filepath.Join(f.root, "boot", "ucode.img")
	checktest.WriteFile(t, early, checktest.Cpio([]checktest.File{{Path: "kernel/x86/microcode/GenuineIntel.bin", Data: []byte("ucode")}}))
	raw := filepath.Join(f.root, "boot", "raw.img")
	checktest.WriteFile(t, raw, checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), Raw: true}.Build())
	req := f.request()
	req.Initrds = []string{early, raw}
	if k := check(t, req); k.Verdict != verify.Bootable {
		t.Fatalf("uncompressed: %v %+v", k.Verdict, k.Problems)
	}
	req.Initrds = []string{early, filepath.Join(f.root, "boot", "initrd.img-"+kv)}
	onlyCode(t, check(t, req), verify.CodeInitrdCodecUnsupported, verify.Unbootable, "segment 1", "+")
}

// TestInitrdCodecRootNeedsNoInitrd: when root mounts without an initrd,
// the kernel skipping it is a note.
func TestInitrdCodecRootNeedsNoInitrd(t *testing.T) {
	f := newFixture(t)
	f.writeConfig(t, debianConfigWith("# CONFIG_RD_GZIP is not set")...)
	checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte("root=/dev/sda1 ro\n"))
	// root= of /etc/kernel/cmdline is compared with the root's fstab.
	checktest.WriteFile(t, filepath.Join(f.root, "etc/fstab"), []byte("/dev/sda1 / ext4 defaults 0 1\n"))
	checktest.Initrd{Version: kv}.Write(t, f.root)
	req := verify.Request{Root: f.root, Version: kv, Modules: []string{"loop"}}
	p := onlyCode(t, check(t, req), verify.CodeInitrdCodecUnsupported, verify.Bootable, "root needs no initrd")
	if p.Verdict != verify.Bootable {
		t.Fatal(p)
	}
}

func TestKernelInitrdDisabled(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	f.writeConfig(t, debianConfigWith("# CONFIG_BLK_DEV_INITRD is not set")...)
	k := check(t, f.request())
	p := problem(t, k, verify.CodeKernelInitrdDisabled)
	if k.Verdict != verify.Unbootable || p.Verdict != verify.Unbootable {
		t.Fatalf("verdict %v: %+v", k.Verdict, k.Problems)
	}
	for _, s := range []string{"CONFIG_BLK_DEV_INITRD not set", "ignores initrd /boot/initrd.img-" + kv, "nvme is a module"} {
		if !strings.Contains(p.Message, s) {
			t.Errorf("message lacks %q: %s", s, p.Message)
		}
	}
	if !strings.Contains(p.Hint, "CONFIG_BLK_DEV_INITRD=y") {
		t.Errorf("hint: %q", p.Hint)
	}
	if r, _ := requirement(k, "nvme"); r.Status != verify.StatusMissing {
		t.Errorf("nvme: %+v (the initrd is never read)", r)
	}
}
