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
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

const kv = "6.1.0-18-amd64"

// fixture is a machine root with Debian's kernel kv installed (kernel image,
// module index), initramfs-tools as generator, and a fake NVMe machine.
type fixture struct {
	root string
	ix   *kmod.Index
	m    checktest.Machine
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	root := t.TempDir()
	kmodtest.Debian(kv).WriteDir(t, root)
	checktest.WriteFile(t, filepath.Join(root, "etc/kernel/postinst.d/initramfs-tools"), []byte("#!/bin/sh\n"))
	ix, err := kmod.Load(os.DirFS(root), kv)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{root: root, ix: ix, m: checktest.NVMeMachine(t)}
}

// modules returns the loadable modules of names' closure, minus drop.
func (f fixture) modules(t *testing.T, names []string, drop ...string) []checktest.Module {
	t.Helper()
	closure, err := f.ix.Closure(names...)
	if err != nil {
		t.Fatal(err)
	}
	dropped := map[string]bool{}
	for _, d := range drop {
		dropped[d] = true
	}
	var out []checktest.Module
	for _, n := range closure {
		m, _ := f.ix.Module(n)
		if m.Builtin || dropped[n] {
			continue
		}
		out = append(out, checktest.Module{Path: m.Path})
	}
	return out
}

func (f fixture) request() verify.Request {
	return verify.Request{
		Root: f.root, Version: kv,
		Sys: os.DirFS(f.m.Sys), Proc: os.DirFS(f.m.Proc),
		Space: func(string) (uint64, uint64, error) { return 500 << 20, 1 << 30, nil },
	}
}

var rootNeeds = []string{"nvme", "ext4"}

func check(t *testing.T, req verify.Request) verify.KernelReport {
	t.Helper()
	return verify.Check(context.Background(), req)
}

// problem returns the first problem with code, failing the test when absent.
func problem(t *testing.T, k verify.KernelReport, code verify.Code) verify.Problem {
	t.Helper()
	for _, p := range k.Problems {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("no problem %q in %+v", code, k.Problems)
	return verify.Problem{}
}

func requirement(k verify.KernelReport, module string) (verify.Requirement, bool) {
	for _, r := range k.Requirements {
		if r.Module == module {
			return r, true
		}
	}
	return verify.Requirement{}, false
}

// assertFix checks what every failure must carry: the kernel, and the fix
// command for the generator in use.
func assertFix(t *testing.T, p verify.Problem) {
	t.Helper()
	if !strings.Contains(p.Message, kv) {
		t.Errorf("message does not name kernel %s: %q", kv, p.Message)
	}
	if !strings.Contains(p.Hint, "update-initramfs -c -k "+kv) {
		t.Errorf("hint lacks the fix command: %q", p.Hint)
	}
}

func TestCheckGood(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	k := check(t, f.request())
	if k.Verdict != verify.Bootable || len(k.Problems) != 0 {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
	for _, m := range []string{"nvme", "nvme_core", "ext4", "jbd2"} {
		r, ok := requirement(k, m)
		if !ok || r.Status != verify.StatusInInitrd {
			t.Errorf("requirement %s: %+v", m, r)
		}
	}
	if r, _ := requirement(k, "nvme"); !strings.Contains(r.Reason, "PCI 0000:02:00.0") || !strings.Contains(r.Reason, "mounted at /") {
		t.Errorf("nvme's reason does not say which device: %q", r.Reason)
	}
	if r, _ := requirement(k, "nvme_core"); !strings.Contains(r.Reason, "needed by nvme") {
		t.Errorf("nvme_core's reason: %q", r.Reason)
	}
	if len(k.Initrds) != 1 || k.Initrds[0] != "/boot/initrd.img-"+kv {
		t.Errorf("initrds %q", k.Initrds)
	}
}

func TestCheckUncompressedAndSeveralImages(t *testing.T) {
	f := newFixture(t)
	early := filepath.Join(f.root, "boot", "ucode.img")
	checktest.WriteFile(t, early, checktest.Cpio([]checktest.File{{Path: "kernel/x86/microcode/GenuineIntel.bin", Data: []byte("ucode")}}))
	main := filepath.Join(f.root, "boot", "main.img")
	checktest.WriteFile(t, main, checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), Raw: true}.Build())
	req := f.request()
	req.Initrds = []string{early, main}
	k := check(t, req)
	if k.Verdict != verify.Bootable {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
	if len(k.Initrds) != 2 || k.Initrds[1] != main {
		t.Errorf("initrds %q", k.Initrds)
	}
}

func TestCheckFailures(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, f fixture)
		code  verify.Code
		// in is text the problem's message must carry.
		in []string
	}{
		{"missing initrd", func(t *testing.T, f fixture) {}, verify.CodeInitrdMissing, []string{"does not exist", "nvme is a module"}},
		{"empty initrd", func(t *testing.T, f fixture) {
			checktest.WriteFile(t, filepath.Join(f.root, "boot/initrd.img-"+kv), nil)
		}, verify.CodeInitrdEmpty, []string{"is empty"}},
		{"truncated initrd", func(t *testing.T, f fixture) {
			b := checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Build()
			checktest.WriteFile(t, filepath.Join(f.root, "boot/initrd.img-"+kv), b[:len(b)/2])
		}, verify.CodeInitrdTruncated, []string{"not whole"}},
		{"lacks nvme", func(t *testing.T, f fixture) {
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds, "nvme")}.Write(t, f.root)
		}, verify.CodeModuleMissing, []string{"lacks module nvme;", "PCI 0000:02:00.0"}},
		{"lacks nvme_core", func(t *testing.T, f fixture) {
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds, "nvme_core")}.Write(t, f.root)
		}, verify.CodeModuleMissing, []string{"cannot load nvme: it lacks nvme_core, which nvme needs", "PCI 0000:02:00.0"}},
		{"nvme of another kernel only", func(t *testing.T, f fixture) {
			mods := f.modules(t, rootNeeds, "nvme")
			mods = append(mods, checktest.Module{Path: "kernel/drivers/nvme/host/nvme.ko", Version: "6.1.0-17-amd64"})
			checktest.Initrd{Version: kv, Modules: mods}.Write(t, f.root)
		}, verify.CodeModuleWrong, []string{"only for kernel 6.1.0-17-amd64"}},
		{"nvme with another kernel's vermagic", func(t *testing.T, f fixture) {
			mods := f.modules(t, rootNeeds, "nvme")
			mods = append(mods, checktest.Module{Path: "kernel/drivers/nvme/host/nvme.ko", Vermagic: "6.1.0-17-amd64 SMP preempt mod_unload modversions "})
			checktest.Initrd{Version: kv, Modules: mods}.Write(t, f.root)
		}, verify.CodeModuleWrong, []string{`built for kernel "6.1.0-17-amd64"`}},
		{"nvme not in the image's modules.dep", func(t *testing.T, f fixture) {
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), Unlisted: []string{"kernel/drivers/nvme/host/nvme.ko"}}.Write(t, f.root)
		}, verify.CodeModuleNotInDep, []string{"modules.dep does not list it"}},
		{"no modules.dep in the image", func(t *testing.T, f fixture) {
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), NoModulesDep: true}.Write(t, f.root)
		}, verify.CodeModuleNotInDep, []string{"no lib/modules/" + kv + "/modules.dep"}},
		{"no /init", func(t *testing.T, f fixture) {
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), NoInit: true}.Write(t, f.root)
		}, verify.CodeInitMissing, []string{"has no /init"}},
		{"/init not executable", func(t *testing.T, f fixture) {
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), InitNotExec: true}.Write(t, f.root)
		}, verify.CodeInitMissing, []string{"not an executable"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(t, f)
			k := check(t, f.request())
			if k.Verdict != verify.Unbootable {
				t.Fatalf("verdict %v, want unbootable; problems %+v", k.Verdict, k.Problems)
			}
			p := problem(t, k, tc.code)
			if p.Verdict != verify.Unbootable {
				t.Errorf("severity %v", p.Verdict)
			}
			for _, want := range tc.in {
				if !strings.Contains(p.Message, want) {
					t.Errorf("message %q lacks %q", p.Message, want)
				}
			}
			assertFix(t, p)
		})
	}
}

func TestCheckMissingModuleStatusesAndCauses(t *testing.T) {
	f := newFixture(t)
	checktest.WriteFile(t, filepath.Join(f.root, "etc/initramfs-tools/initramfs.conf"), []byte("MODULES=list\n"))
	checktest.Initrd{Version: kv, Modules: f.modules(t, []string{"ext4"})}.Write(t, f.root)
	k := check(t, f.request())
	if r, ok := requirement(k, "nvme"); !ok || r.Status != verify.StatusMissing {
		t.Errorf("nvme: %+v", r)
	}
	if r, ok := requirement(k, "ext4"); !ok || r.Status != verify.StatusInInitrd {
		t.Errorf("ext4: %+v", r)
	}
	p := problem(t, k, verify.CodeModuleMissing)
	if len(p.Causes) == 0 || !strings.Contains(p.Causes[0], "MODULES=list") || !strings.Contains(p.Causes[0], "/etc/initramfs-tools/initramfs.conf line 1") {
		t.Errorf("causes %q", p.Causes)
	}
	if !strings.Contains(p.Hint, "/etc/initramfs-tools/modules") {
		t.Errorf("hint %q", p.Hint)
	}
}

func TestCheckKernelImageMissing(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	os.Remove(filepath.Join(f.root, "boot/vmlinuz-"+kv))
	k := check(t, f.request())
	if p := problem(t, k, verify.CodeKernelMissing); k.Verdict != verify.Unbootable || !strings.Contains(p.Hint, "linux-image-"+kv) {
		t.Errorf("%v %+v", k.Verdict, p)
	}
}

func TestCheckUnderRoot(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	req := f.request()
	req.Sys, req.Proc = nil, nil
	k := check(t, req)
	if k.Verdict != verify.CannotTell {
		t.Fatalf("no devices, no modules: verdict %v, want cannot-tell", k.Verdict)
	}
	if p := problem(t, k, verify.CodeDevicesUnknown); !strings.Contains(p.Hint, "--module") {
		t.Errorf("hint %q", p.Hint)
	}
	req.Modules = []string{"nvme", "ext4"}
	if k = check(t, req); k.Verdict != verify.Bootable {
		t.Fatalf("--module nvme --module ext4: verdict %v, problems %+v", k.Verdict, k.Problems)
	}
	req.Modules = []string{"nvme", "ext4", "xfs"}
	k = check(t, req)
	if r, _ := requirement(k, "xfs"); k.Verdict != verify.Unbootable || r.Status != verify.StatusMissing || !strings.Contains(r.Reason, "--module") {
		t.Errorf("--module xfs: verdict %v, %+v", k.Verdict, r)
	}
	req.Modules = []string{"nvme", "no-such-driver"}
	k = check(t, req)
	if p := problem(t, k, verify.CodeModuleUnknown); k.Verdict != verify.Unbootable || !strings.Contains(p.Message, "no-such-driver") {
		t.Errorf("unknown module: %v %+v", k.Verdict, p)
	}
}

func TestCheckModuleIndexMissing(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	os.Remove(filepath.Join(f.root, "lib/modules", kv, "modules.dep"))
	k := check(t, f.request())
	if p := problem(t, k, verify.CodeModuleIndex); k.Verdict != verify.CannotTell || !strings.Contains(p.Hint, "depmod "+kv) {
		t.Errorf("%v %+v", k.Verdict, p)
	}
}

// builtinKernel is a kernel with NVMe and ext4 built in.
func builtinKernel(t *testing.T) fixture {
	t.Helper()
	f := newFixture(t)
	kmodtest.Kernel{Version: kv, Dep: []string{},
		Alias:   []string{"pci:v*d*sv*sd*bc01sc08i02* nvme", "fs-ext4 ext4"},
		Builtin: []string{"kernel/drivers/nvme/host/nvme.ko", "kernel/drivers/nvme/host/nvme-core.ko", "kernel/fs/ext4/ext4.ko"},
	}.WriteDir(t, f.root)
	return f
}

func TestCheckNoInitrdRules(t *testing.T) {
	cases := []struct {
		name, cmdline string
		verdict       verify.Verdict
		in            string
	}{
		{"root=/dev/nvme0n1p2", "root=/dev/nvme0n1p2 ro", verify.Bootable, "needs none"},
		{"root=PARTUUID=", "quiet root=PARTUUID=0a1b-02 ro", verify.Bootable, "needs none"},
		{"root=UUID=", "root=UUID=1234 ro", verify.Unbootable, "needs an initramfs"},
		{"root=/dev/mapper/", "root=/dev/mapper/vg-root", verify.Unbootable, "needs an initramfs"},
		{"no root=", "quiet", verify.Unbootable, "has no root="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := builtinKernel(t)
			checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte(tc.cmdline+"\n"))
			// root= of /etc/kernel/cmdline is compared with the running
			// root: /dev has it under both names.
			req := f.request()
			req.Dev = machineDev(t)
			k := check(t, req)
			if k.Verdict != tc.verdict {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.verdict, k.Problems)
			}
			if !strings.Contains(k.Problems[0].Message, tc.in) {
				t.Errorf("message %q lacks %q", k.Problems[0].Message, tc.in)
			}
			if r, _ := requirement(k, "nvme"); r.Status != verify.StatusBuiltin {
				t.Errorf("nvme %+v", r)
			}
		})
	}
	// Without /etc/kernel/cmdline the running machine's /proc/cmdline counts
	// (root=UUID= in the fixture).
	f := builtinKernel(t)
	k := check(t, f.request())
	if p := problem(t, k, verify.CodeInitrdMissing); k.Verdict != verify.Unbootable || !strings.Contains(p.Message, "/proc/cmdline") {
		t.Errorf("%v %+v", k.Verdict, p)
	}
	// A kernel install's own grub.cfg entry wins over /proc/cmdline.
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grub.cfg"), []byte(
		"menuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz-"+kv+" root=/dev/nvme0n1p2 ro\n}\n"))
	req := f.request()
	req.Dev = machineDev(t)
	if k = check(t, req); k.Verdict != verify.Bootable {
		t.Errorf("grub.cfg root=/dev/nvme0n1p2: %v %+v", k.Verdict, k.Problems)
	}
}

// machineDev is the fixture machine's /dev: its root partition nvme0n1p2,
// also as PARTUUID=0a1b-02.
func machineDev(t *testing.T) string {
	t.Helper()
	dev := filepath.Join(t.TempDir(), "dev")
	checktest.WriteFile(t, filepath.Join(dev, "nvme0n1p2"), nil)
	if err := os.MkdirAll(filepath.Join(dev, "disk/by-partuuid"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../nvme0n1p2", filepath.Join(dev, "disk/by-partuuid/0a1b-02")); err != nil {
		t.Fatal(err)
	}
	return dev
}

func TestCheckDiagnosesMissingInitrd(t *testing.T) {
	f := newFixture(t)
	checktest.WriteFile(t, filepath.Join(f.root, "var/lib/dkms/nvidia/535.1/build/make.log"),
		[]byte("DKMS make.log for nvidia-535.1 for kernel "+kv+" (x86_64)\nnv.c:1:1: error: boom\n"))
	checktest.WriteFile(t, filepath.Join(f.root, "var/lib/dpkg/status"),
		[]byte("Package: linux-image-"+kv+"\nStatus: install ok half-configured\n"))
	k := check(t, f.request())
	p := problem(t, k, verify.CodeInitrdMissing)
	causes := strings.Join(p.Causes, "\n")
	for _, want := range []string{"nvidia/535.1 failed for kernel " + kv, "half-configured", "dkms status"} {
		if !strings.Contains(causes, want) {
			t.Errorf("causes lack %q: %q", want, causes)
		}
	}
	if !strings.Contains(p.Hint, "dkms status") || !strings.Contains(p.Hint, "update-initramfs -c -k "+kv) {
		t.Errorf("hint %q", p.Hint)
	}
}

func TestCheckBadVersion(t *testing.T) {
	for _, v := range []string{"", "..", "a/b"} {
		k := check(t, verify.Request{Root: t.TempDir(), Version: v})
		if k.Verdict != verify.CannotTell {
			t.Errorf("version %q: %v", v, k.Verdict)
		}
	}
}

func TestCheckCancelled(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if k := verify.Check(ctx, f.request()); k.Verdict == verify.Bootable {
		t.Errorf("a cancelled check said bootable")
	}
}

func TestCheckLUKSUserspace(t *testing.T) {
	const dmName = "nvme0n1p2_crypt"
	needs := []string{"nvme", "ext4", "dm_mod", "dm_crypt"}
	cryptsetup := checktest.File{Path: "usr/sbin/cryptsetup", Data: []byte("ELF"), Exec: true}
	crypttab := checktest.File{Path: "cryptroot/crypttab", Data: []byte("# comment\n" + dmName + " UUID=" + checktest.LUKSUUID + " none luks,discard\n")}
	cases := []struct {
		name  string
		extra []checktest.File
		code  verify.Code
	}{
		{"cryptsetup and crypttab", []checktest.File{cryptsetup, crypttab}, ""},
		{"dracut's etc/crypttab", []checktest.File{cryptsetup, {Path: "etc/crypttab", Data: []byte(dmName + " UUID=" + checktest.LUKSUUID + " none\n")}}, ""},
		{"crypttab names another device", []checktest.File{cryptsetup, {Path: "cryptroot/crypttab", Data: []byte(dmName + " UUID=abcd none luks\n")}}, verify.CodeCrypttabMissing},
		{"no cryptsetup", []checktest.File{crypttab}, verify.CodeUserspaceMissing},
		{"no crypttab", []checktest.File{cryptsetup}, verify.CodeCrypttabMissing},
		{"crypttab for another mapping", []checktest.File{cryptsetup, {Path: "cryptroot/crypttab", Data: []byte("other_crypt UUID=x none\n")}}, verify.CodeCrypttabMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.m = checktest.LUKSMachine(t, dmName)
			checktest.Initrd{Version: kv, Modules: f.modules(t, needs), Extra: tc.extra}.Write(t, f.root)
			k := check(t, f.request())
			if tc.code == "" {
				if k.Verdict != verify.Bootable {
					t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
				}
				if r, ok := requirement(k, "dm_crypt"); !ok || r.Status != verify.StatusInInitrd {
					t.Errorf("dm_crypt: %+v", r)
				}
				return
			}
			p := problem(t, k, tc.code)
			if k.Verdict != verify.Unbootable || !strings.Contains(p.Message, dmName) || !strings.Contains(p.Hint, "update-initramfs -c -k "+kv) {
				t.Errorf("%v %+v", k.Verdict, p)
			}
		})
	}
	// dm_crypt missing from the image is a module problem naming the layer.
	f := newFixture(t)
	f.m = checktest.LUKSMachine(t, dmName)
	checktest.Initrd{Version: kv, Modules: f.modules(t, needs, "dm_crypt"), Extra: []checktest.File{cryptsetup, crypttab}}.Write(t, f.root)
	k := check(t, f.request())
	if p := problem(t, k, verify.CodeModuleMissing); !strings.Contains(p.Message, "dm_crypt") || !strings.Contains(p.Message, dmName) {
		t.Errorf("%+v", p)
	}
}

// BenchmarkCheck measures one whole check on the fixture machine: module
// index, sysfs walk, initrd read and the closure checks.
func BenchmarkCheck(b *testing.B) {
	root := b.TempDir()
	kmodtest.Debian(kv).WriteDir(b, root)
	ix, err := kmod.Load(os.DirFS(root), kv)
	if err != nil {
		b.Fatal(err)
	}
	closure, _ := ix.Closure("nvme", "ext4")
	var mods []checktest.Module
	for _, n := range closure {
		if m, _ := ix.Module(n); !m.Builtin {
			mods = append(mods, checktest.Module{Path: m.Path})
		}
	}
	checktest.Initrd{Version: kv, Modules: mods}.Write(b, root)
	m := checktest.NVMeMachine(b)
	req := verify.Request{Root: root, Version: kv, Sys: os.DirFS(m.Sys), Proc: os.DirFS(m.Proc),
		Space: func(string) (uint64, uint64, error) { return 1 << 30, 1 << 31, nil }}
	b.ReportAllocs()
	for b.Loop() {
		if k := verify.Check(context.Background(), req); k.Verdict != verify.Bootable {
			b.Fatalf("verdict %v: %+v", k.Verdict, k.Problems)
		}
	}
}

// TestCheckSoftdeps: a softdep is satisfied by any one module it resolves to;
// crc32c, which ext4 and jbd2 ask the crypto API for when they mount
// (metadata_csum), is required as any one of its implementations; other
// softdeps missing are a note, never unbootable.
func TestCheckSoftdeps(t *testing.T) {
	cases := []struct {
		name    string
		drop    []string
		verdict verify.Verdict
		code    verify.Code // a problem that must be there
		in      []string    // in its message
		req     string      // a requirement that must be there...
		status  verify.Status
	}{
		{"every implementation", nil, verify.Bootable, "", nil, "crc32c_generic", verify.StatusInInitrd},
		{"crc32c_intel only", []string{"crc32c_generic"}, verify.Bootable, "", nil, "crc32c_intel", verify.StatusInInitrd},
		{"crc32c_generic only", []string{"crc32c_intel"}, verify.Bootable, "", nil, "crc32c_generic", verify.StatusInInitrd},
		{"no crc32c at all", []string{"crc32c_generic", "crc32c_intel"}, verify.Unbootable, verify.CodeModuleMissing,
			[]string{"has no module for crypto-crc32c (any one of crc32c_generic, crc32c_intel), a softdep of jbd2 and ext4: ext4 asks the kernel for crc32c", "Cannot load crc32c driver", "needed for filesystem ext4, mounted at /"},
			"crc32c_generic", verify.StatusMissing},
		{"ext4 missing, its crc32c too", []string{"ext4", "jbd2", "crc32c_generic", "crc32c_intel"}, verify.Unbootable, verify.CodeModuleMissing,
			[]string{"lacks module ext4 and 2 it needs (jbd2, crc32c_generic or crc32c_intel); needed for filesystem ext4, mounted at /"},
			"crc32c_generic", verify.StatusMissing},
		{"crc_t10dif's softdep missing", []string{"crct10dif_generic"}, verify.Bootable, verify.CodeSoftdepMissing,
			[]string{"has none of crct10dif_generic (softdep crct10dif of crc_t10dif); modprobe loads crc_t10dif without it", "PCI 0000:02:00.0"}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds, tc.drop...)}.Write(t, f.root)
			k := check(t, f.request())
			if k.Verdict != tc.verdict {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.verdict, k.Problems)
			}
			if tc.code != "" {
				p := problem(t, k, tc.code)
				for _, w := range tc.in {
					if !strings.Contains(p.Message, w) {
						t.Errorf("message %q lacks %q", p.Message, w)
					}
				}
				if p.Verdict == verify.Unbootable {
					assertFix(t, p)
					// The module to add: crc32c_generic when only crc32c
					// is missing; ext4 (which brings its softdeps) when
					// ext4 is.
					add := "crc32c_generic"
					if slices.Contains(tc.drop, "ext4") {
						add = "ext4"
					}
					if !strings.Contains(p.Hint, "add the line "+add+" to /etc/initramfs-tools/modules") {
						t.Errorf("hint does not name %s to add: %q", add, p.Hint)
					}
					if n := strings.Count(p.Message, "crc32c_intel"); n != 1 {
						t.Errorf("crc32c_intel said %d times (jbd2's and ext4's softdeps are one): %q", n, p.Message)
					}
				}
			} else if len(k.Problems) != 0 {
				t.Fatalf("problems %+v", k.Problems)
			}
			if tc.req != "" {
				if r, ok := requirement(k, tc.req); !ok || r.Status != tc.status || !strings.Contains(r.Reason, "softdep crypto-crc32c of") {
					t.Errorf("requirement %s: %+v, %v", tc.req, r, ok)
				}
			}
			for _, r := range k.Requirements {
				if r.Module == "crct10dif_generic" {
					t.Errorf("a softdep that is not essential is a requirement: %+v", r)
				}
			}
		})
	}
}

// TestCheckBuiltinDependency: a modules.dep dependency built into the
// kernel is satisfied; the image need not carry it.
func TestCheckBuiltinDependency(t *testing.T) {
	root := t.TempDir()
	k := kmodtest.Debian(kv)
	k.Builtin = append(k.Builtin, "kernel/lib/crc16.ko", "kernel/fs/mbcache.ko") // crc16 keeps its modules.dep line, mbcache too
	k.Dep = append(k.Dep, "kernel/fs/extra.ko: kernel/lib/crc7.ko")
	k.Builtin = append(k.Builtin, "kernel/lib/crc7.ko") // no line of its own
	k.WriteDir(t, root)
	checktest.WriteFile(t, filepath.Join(root, "etc/kernel/postinst.d/initramfs-tools"), []byte("#!/bin/sh\n"))
	ix, err := kmod.Load(os.DirFS(root), kv)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{root: root, ix: ix, m: checktest.NVMeMachine(t)}
	checktest.Initrd{Version: kv, Modules: f.modules(t, []string{"nvme", "ext4", "extra"})}.Write(t, root)
	req := f.request()
	req.Modules = []string{"extra"}
	rep := check(t, req)
	if rep.Verdict != verify.Bootable || len(rep.Problems) != 0 {
		t.Fatalf("verdict %v, problems %+v", rep.Verdict, rep.Problems)
	}
	for _, m := range []string{"crc16", "mbcache", "crc7"} {
		if r, ok := requirement(rep, m); !ok || r.Status != verify.StatusBuiltin {
			t.Errorf("requirement %s: %+v, %v; want builtin", m, r, ok)
		}
	}
	if r, ok := requirement(rep, "extra"); !ok || r.Status != verify.StatusInInitrd {
		t.Errorf("requirement extra: %+v, %v", r, ok)
	}
}

// TestRequirementsAgreeWithVerify: for one machine and kernel, the modules
// `boot-guard requirements` lists (RequirementsOf over ResolveNeeds) are
// exactly those verify looks for, built in or in the initrd.
func TestRequirementsAgreeWithVerify(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*kmodtest.Kernel)
		extra []string
	}{
		{"debian", nil, nil},
		{"built-in dependency and crc32c", func(k *kmodtest.Kernel) {
			k.Builtin = append(k.Builtin, "kernel/lib/crc16.ko", "kernel/arch/x86/crypto/crc32c-intel.ko")
			k.Modinfo = append(k.Modinfo, "crc32c_intel.alias=crypto-crc32c", "crc32c_intel.alias=crc32c")
		}, []string{"xfs", "dm-crypt"}},
		{"built-in storage driver", func(k *kmodtest.Kernel) {
			k.Builtin = append(k.Builtin, "kernel/drivers/nvme/host/nvme.ko", "kernel/drivers/nvme/host/nvme-core.ko")
			k.Modinfo = append(k.Modinfo, "nvme.alias=pci:v*d*sv*sd*bc01sc08i02*")
		}, []string{"btrfs"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			k := kmodtest.Debian(kv)
			if tc.edit != nil {
				tc.edit(&k)
			}
			k.WriteDir(t, root)
			checktest.WriteFile(t, filepath.Join(root, "etc/kernel/postinst.d/initramfs-tools"), []byte("#!/bin/sh\n"))
			ix, err := kmod.Load(os.DirFS(root), kv)
			if err != nil {
				t.Fatal(err)
			}
			f := fixture{root: root, ix: ix, m: checktest.NVMeMachine(t)}
			checktest.Initrd{Version: kv, Modules: f.modules(t, append([]string{"nvme", "ext4"}, tc.extra...))}.Write(t, root)
			req := f.request()
			req.Modules = tc.extra

			res, err := rootdev.Discover(req.Sys, req.Proc)
			if err != nil {
				t.Fatal(err)
			}
			needs, problems := verify.ResolveNeeds(res, ix, tc.extra)
			for _, p := range problems {
				if p.Verdict != verify.Bootable {
					t.Fatalf("requirements problem %+v", p)
				}
			}
			listed := map[string]verify.Status{}
			for _, r := range verify.RequirementsOf(needs) {
				listed[r.Module] = r.Status
			}
			rep := check(t, req)
			if rep.Verdict != verify.Bootable {
				t.Fatalf("verify: %v %+v", rep.Verdict, rep.Problems)
			}
			looked := map[string]verify.Status{}
			for _, r := range rep.Requirements {
				st := r.Status
				if st == verify.StatusInInitrd {
					st = verify.StatusLoadable
				}
				looked[r.Module] = st
			}
			if !reflect.DeepEqual(listed, looked) {
				t.Fatalf("requirements lists %v\nverify looks for %v", listed, looked)
			}
			if len(listed) < 5 {
				t.Fatalf("too few requirements to compare: %v", listed)
			}
		})
	}
}

// TestFailuresReadAt2AM: every unbootable problem says what is missing, for
// which kernel and device, its likely cause and the command that fixes it
// (the override, BOOT_GUARD=warn|off, is the hook's and CLI's last line).
func TestFailuresReadAt2AM(t *testing.T) {
	const dmName = "nvme0n1p2_crypt"
	dkmsLog := "DKMS make.log for mydrv-1.0 for kernel " + kv + " (x86_64)\nmake -C /lib/modules/" + kv + "/build\nmydrv.c:12:3: error: implicit declaration of function 'foo'\n"
	cases := []struct {
		name  string
		setup func(t *testing.T, f *fixture) verify.Request
		codes []verify.Code
		// where is text that says which device (or which name) needs it.
		where string
		cause string
	}{
		{"storage driver missing under MODULES=list", func(t *testing.T, f *fixture) verify.Request {
			checktest.WriteFile(t, filepath.Join(f.root, "etc/initramfs-tools/initramfs.conf"), []byte("MODULES=list\n"))
			checktest.Initrd{Version: kv, Modules: f.modules(t, []string{"ext4"})}.Write(t, f.root)
			return f.request()
		}, []verify.Code{verify.CodeModuleMissing}, "PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /", "MODULES=list"},
		{"no crc32c under MODULES=list", func(t *testing.T, f *fixture) verify.Request {
			checktest.WriteFile(t, filepath.Join(f.root, "etc/initramfs-tools/initramfs.conf"), []byte("MODULES=list\n"))
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds, "crc32c_generic", "crc32c_intel")}.Write(t, f.root)
			return f.request()
		}, []verify.Code{verify.CodeModuleMissing}, "filesystem ext4, mounted at /", "add the line crc32c_generic to /etc/initramfs-tools/modules"},
		{"LUKS without cryptsetup", func(t *testing.T, f *fixture) verify.Request {
			f.m = checktest.LUKSMachine(t, dmName)
			checktest.Initrd{Version: kv, Modules: f.modules(t, []string{"nvme", "ext4", "dm_mod", "dm_crypt"}),
				Extra: []checktest.File{{Path: "cryptroot/crypttab", Data: []byte(dmName + " UUID=abcd none luks\n")}}}.Write(t, f.root)
			return f.request()
		}, []verify.Code{verify.CodeUserspaceMissing}, dmName, "cryptsetup-initramfs is not installed"},
		{"LUKS without crypttab", func(t *testing.T, f *fixture) verify.Request {
			f.m = checktest.LUKSMachine(t, dmName)
			checktest.Initrd{Version: kv, Modules: f.modules(t, []string{"nvme", "ext4", "dm_mod", "dm_crypt"}),
				Extra: []checktest.File{{Path: "usr/sbin/cryptsetup", Data: []byte("ELF"), Exec: true}}}.Write(t, f.root)
			return f.request()
		}, []verify.Code{verify.CodeCrypttabMissing}, dmName, "/etc/crypttab has no line for " + dmName},
		{"a module the kernel lacks after a failed DKMS build", func(t *testing.T, f *fixture) verify.Request {
			checktest.WriteFile(t, filepath.Join(f.root, "var/lib/dkms/mydrv/1.0/build/make.log"), []byte(dkmsLog))
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			req := f.request()
			req.Modules = []string{"mydrv"}
			return req
		}, []verify.Code{verify.CodeModuleUnknown}, "named with --module", "the DKMS build of mydrv/1.0 failed for kernel " + kv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			k := check(t, tc.setup(t, &f))
			if k.Verdict != verify.Unbootable {
				t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
			}
			var codes []verify.Code
			for _, p := range k.Problems {
				if p.Verdict != verify.Unbootable {
					continue
				}
				codes = append(codes, p.Code)
				if !strings.Contains(p.Message, kv) {
					t.Errorf("%s: message does not name the kernel: %q", p.Code, p.Message)
				}
				if !strings.Contains(p.Message, tc.where) {
					t.Errorf("%s: message does not say where (%q): %q", p.Code, tc.where, p.Message)
				}
				if p.Hint == "" {
					t.Errorf("%s: no fix command", p.Code)
				}
				if len(p.Causes) == 0 || !strings.Contains(strings.Join(p.Causes, "\n"), tc.cause) {
					t.Errorf("%s: causes %q lack %q", p.Code, p.Causes, tc.cause)
				}
			}
			if !reflect.DeepEqual(codes, tc.codes) {
				t.Errorf("unbootable problems %q, want %q: %+v", codes, tc.codes, k.Problems)
			}
		})
	}
}
