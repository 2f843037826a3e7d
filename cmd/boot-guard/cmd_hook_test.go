package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/checktest"
)

// hookPaths are the contract's hook entry points, by protocol.
var hookPaths = map[string]string{
	"kernel-postinst":       "/etc/kernel/postinst.d/zz-boot-guard",
	"kernel-install":        "/usr/lib/kernel/install.d/89-boot-guard.install",
	"initramfs-post-update": "/etc/initramfs/post-update.d/zz-boot-guard",
}

// runAs runs the real binary's entry point in-process as if invoked through
// argv0 (a hook path), with env vars kv and the host root root.
func runAs(t *testing.T, root, argv0 string, args []string, kv ...string) (int, string, string) {
	t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader("stdin must not be read"),
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return m[k] },
		Root:   root,
	}
	code := run(context.Background(), append([]string{argv0}, args...), env)
	if out.Len() != 0 {
		t.Errorf("hook wrote to stdout: %q", out.String())
	}
	for _, l := range strings.Split(strings.TrimRight(errb.String(), "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "boot-guard: ") {
			t.Errorf("stderr line without the boot-guard: prefix: %q", l)
		}
	}
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertFailureMessage checks what every failure message must carry: the fix
// command and the override.
func assertFailureMessage(t *testing.T, stderr string, fix string) {
	t.Helper()
	for _, want := range []string{fix, "BOOT_GUARD=warn", "BOOT_GUARD=off"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("failure message lacks %q:\n%s", want, stderr)
		}
	}
}

const kv1 = "6.1.0-18-amd64"

// bareRoot is a root with an installed kernel image and initramfs-tools, but
// no initrd.
func bareRoot(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, root, "boot/vmlinuz-"+kv1, "kernel")
	writeFile(t, root, "etc/kernel/postinst.d/initramfs-tools", "#!/bin/sh\n")
	return root
}

func TestHookMissingInitrdFails(t *testing.T) {
	for name, argv0 := range hookPaths {
		t.Run(name, func(t *testing.T) {
			root := bareRoot(t)
			args := map[string][]string{
				"kernel-postinst":       {kv1, filepath.Join(root, "boot/vmlinuz-"+kv1)},
				"kernel-install":        {"add", kv1, "/boot/efi/abc/" + kv1, filepath.Join(root, "boot/vmlinuz-"+kv1)},
				"initramfs-post-update": {kv1, filepath.Join(root, "boot/initrd.img-"+kv1)},
			}[name]
			code, _, stderr := runAs(t, root, argv0, args, "DEB_MAINT_PARAMS", "configure 6.1.76-1")
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "initrd") || !strings.Contains(stderr, "does not exist") || !strings.Contains(stderr, kv1) {
				t.Errorf("message does not say what is missing for which kernel:\n%s", stderr)
			}
			assertFailureMessage(t, stderr, "update-initramfs -c -k "+kv1)
		})
	}
}

func TestHookModeWarnSameMessageExitZero(t *testing.T) {
	root := bareRoot(t)
	_, _, enforced := runAs(t, root, hookPaths["kernel-postinst"], []string{kv1})
	writeFile(t, root, "etc/default/boot-guard", "MODE=warn\n")
	code, _, stderr := runAs(t, root, hookPaths["kernel-postinst"], []string{kv1})
	if code != 0 {
		t.Fatalf("MODE=warn: exit %d\n%s", code, stderr)
	}
	// The same verdict and message, then why it does not fail.
	first := strings.SplitN(enforced, "\n", 2)[0]
	if !strings.Contains(stderr, first) || !strings.Contains(stderr, "MODE=warn in "+filepath.Join(root, "etc/default/boot-guard")) {
		t.Errorf("warn output lacks %q or the reason:\n%s", first, stderr)
	}
	assertFailureMessage(t, stderr, "update-initramfs -c -k "+kv1)
}

func TestHookOverrides(t *testing.T) {
	root := bareRoot(t)
	code, _, stderr := runAs(t, root, hookPaths["kernel-postinst"], []string{kv1}, "BOOT_GUARD", "off")
	if code != 0 || !strings.Contains(stderr, "BOOT_GUARD=off") || strings.Contains(stderr, "does not exist") {
		t.Errorf("BOOT_GUARD=off: exit %d, checked anyway?\n%s", code, stderr)
	}
	code, _, stderr = runAs(t, root, hookPaths["kernel-postinst"], []string{kv1}, "BOOT_GUARD", "warn")
	if code != 0 || !strings.Contains(stderr, "does not exist") || !strings.Contains(stderr, "BOOT_GUARD=warn: reporting, not failing") {
		t.Errorf("BOOT_GUARD=warn: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runAs(t, root, hookPaths["kernel-postinst"], []string{kv1}, "BOOT_GUARD", "of")
	if code != 1 || !strings.Contains(stderr, `BOOT_GUARD="of": want warn or off`) {
		t.Errorf("BOOT_GUARD=of: exit %d\n%s", code, stderr)
	}
}

func TestHookDebMaintParams(t *testing.T) {
	root := bareRoot(t)
	for _, p := range []string{"abort-upgrade 6.1.76-1", "abort-remove", "abort-deconfigure x"} {
		code, _, stderr := runAs(t, root, hookPaths["kernel-postinst"], []string{kv1, "/boot/vmlinuz-" + kv1}, "DEB_MAINT_PARAMS", p)
		if code != 0 || stderr != "" {
			t.Errorf("DEB_MAINT_PARAMS=%q: exit %d, stderr %q: want a silent 0", p, code, stderr)
		}
	}
}

func TestHookKernelInstallOtherVerbs(t *testing.T) {
	root := bareRoot(t)
	for _, args := range [][]string{{"remove", kv1, "/boot/efi/abc/" + kv1}, {"inspect", kv1}} {
		code, _, stderr := runAs(t, root, hookPaths["kernel-install"], args)
		if code != 0 || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestHookMalformedConfigNamesLine(t *testing.T) {
	root := bareRoot(t)
	writeFile(t, root, "etc/default/boot-guard", "# ok\nMODE=warn\nCANNOT_TELL=sometimes\n")
	code, _, stderr := runAs(t, root, hookPaths["kernel-postinst"], []string{kv1})
	if code != 1 || !strings.Contains(stderr, filepath.Join(root, "etc/default/boot-guard")+", line 3") || !strings.Contains(stderr, "BOOT_GUARD=off") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	code, _, stderr = runAs(t, root, hookPaths["kernel-postinst"], []string{kv1}, "BOOT_GUARD", "warn")
	if code != 0 || !strings.Contains(stderr, "line 3") {
		t.Errorf("BOOT_GUARD=warn with a bad config: exit %d\n%s", code, stderr)
	}
}

func TestHookUsageErrors(t *testing.T) {
	root := bareRoot(t)
	for name, argv0 := range hookPaths {
		code, _, stderr := runAs(t, root, argv0, nil)
		if code != 2 || !strings.Contains(stderr, name) {
			t.Errorf("%s without arguments: exit %d\n%s", name, code, stderr)
		}
	}
}

func TestHookCommandDispatches(t *testing.T) {
	root := bareRoot(t)
	code, _, stderr := runAs(t, root, "boot-guard", []string{"hook", "kernel-postinst", kv1})
	if code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("boot-guard hook kernel-postinst: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runAs(t, root, "boot-guard", []string{"hook", "frobnicate"})
	if code != 2 || !strings.Contains(stderr, "unknown hook") {
		t.Errorf("unknown hook: exit %d\n%s", code, stderr)
	}
}

// hookArgs are each protocol's arguments for kernel kv1 on root, with the
// image at initrd.
func hookArgs(name, root, initrd string) []string {
	return map[string][]string{
		"kernel-postinst":       {kv1, filepath.Join(root, "boot/vmlinuz-"+kv1)},
		"kernel-install":        {"add", kv1, "/boot/efi/abc/" + kv1, filepath.Join(root, "boot/vmlinuz-"+kv1)},
		"initramfs-post-update": {kv1, initrd},
	}[name]
}

// TestHookVerdicts drives every hook protocol through its contract path on a
// fixture machine (kernel kv1's module index, a fake NVMe /sys and /proc) and
// an initrd built by the test.
func TestHookVerdicts(t *testing.T) {
	cases := []struct {
		name  string
		image func(t *testing.T, mc machine) []byte
		code  int
		in    []string
	}{
		{"good", func(t *testing.T, mc machine) []byte {
			return checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Build()
		}, 0, []string{"kernel " + kv1 + ": bootable"}},
		{"empty", func(t *testing.T, mc machine) []byte { return []byte{} }, 1, []string{"is empty"}},
		{"truncated", func(t *testing.T, mc machine) []byte {
			b := checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Build()
			return b[:len(b)*2/3]
		}, 1, []string{"is not whole"}},
		{"lacking nvme", func(t *testing.T, mc machine) []byte {
			return checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1, "nvme")}.Build()
		}, 1, []string{"lacks module nvme;", "PCI 0000:02:00.0", "add the line nvme to /etc/initramfs-tools/modules"}},
		{"lacking nvme_core", func(t *testing.T, mc machine) []byte {
			return checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1, "nvme_core")}.Build()
		}, 1, []string{"cannot load nvme: it lacks nvme_core"}},
		{"nvme of another kernel", func(t *testing.T, mc machine) []byte {
			mods := append(mc.modules(t, kv1, "nvme"), checktest.Module{Path: "kernel/drivers/nvme/host/nvme.ko", Version: "6.1.0-17-amd64"})
			return checktest.Initrd{Version: kv1, Modules: mods}.Build()
		}, 1, []string{"nvme only for kernel 6.1.0-17-amd64"}},
	}
	for _, tc := range cases {
		for name, argv0 := range hookPaths {
			t.Run(tc.name+"/"+name, func(t *testing.T) {
				mc := newMachine(t, kv1)
				initrd := filepath.Join(mc.root, "boot", "initrd.img-"+kv1)
				checktest.WriteFile(t, initrd, tc.image(t, mc))
				code, stdout, stderr := mc.run(t, append([]string{argv0}, hookArgs(name, mc.root, initrd)...), "DEB_MAINT_PARAMS", "configure 6.1.76-1")
				if code != tc.code {
					t.Fatalf("exit %d, want %d\n%s", code, tc.code, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout %q", stdout)
				}
				for _, want := range tc.in {
					if !strings.Contains(stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, stderr)
					}
				}
				for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
					if !strings.HasPrefix(l, "boot-guard: ") {
						t.Errorf("line without prefix: %q", l)
					}
				}
				if code != 0 {
					assertFailureMessage(t, stderr, "update-initramfs -c -k "+kv1)
					if !strings.Contains(stderr, "failing "+name) {
						t.Errorf("does not say it fails %s:\n%s", name, stderr)
					}
				}
			})
		}
	}
}

func TestHookCannotTellPolicy(t *testing.T) {
	mc := newMachine(t, kv1)
	checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Write(t, mc.root)
	// No /proc: the root device is unknown, so the verdict is cannot-tell.
	env, _, errb := mc.env()
	env.Sys, env.Proc = nil, nil
	code := run(context.Background(), []string{hookPaths["kernel-postinst"], kv1}, env)
	if code != 0 || !strings.Contains(errb.String(), "warning: kernel "+kv1+": cannot tell") {
		t.Fatalf("CANNOT_TELL=warn (default): exit %d\n%s", code, errb.String())
	}
	writeFile(t, mc.root, "etc/default/boot-guard", "CANNOT_TELL=fail\n")
	env, _, errb = mc.env()
	env.Sys, env.Proc = nil, nil
	code = run(context.Background(), []string{hookPaths["kernel-postinst"], kv1}, env)
	if code != 1 || !strings.Contains(errb.String(), "error: kernel "+kv1+": cannot tell") {
		t.Fatalf("CANNOT_TELL=fail: exit %d\n%s", code, errb.String())
	}
	assertFailureMessage(t, errb.String(), "--module")
	// MODULES= makes the requirements known again without /sys: bootable.
	writeFile(t, mc.root, "etc/default/boot-guard", "CANNOT_TELL=fail\nMODULES=\"nvme ext4\"\n")
	env, _, errb = mc.env()
	env.Sys, env.Proc = nil, nil
	if code = run(context.Background(), []string{hookPaths["kernel-postinst"], kv1}, env); code != 0 {
		t.Fatalf("MODULES=nvme ext4: exit %d\n%s", code, errb.String())
	}
}

func TestHookTriggerBlame(t *testing.T) {
	mc := newMachine(t, kv1)
	initrd := checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1, "nvme")}.Write(t, mc.root)
	code, _, stderr := mc.run(t, []string{hookPaths["initramfs-post-update"], kv1, initrd}, "DPKG_MAINTSCRIPT_PACKAGE", "initramfs-tools", "DPKG_MAINTSCRIPT_NAME", "postinst")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"initramfs-tools' trigger", "dpkg will report initramfs-tools as failing", "kernel " + kv1, "lacks module nvme", "dpkg --configure -a"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	assertFailureMessage(t, stderr, "update-initramfs -c -k "+kv1)
}

func TestHookKernelInstallStagingArea(t *testing.T) {
	mc := newMachine(t, kv1)
	staging := t.TempDir()
	// 85-initrd.install links the image into the staging area; /boot has
	// none (the image lives elsewhere), so only the staging area can pass.
	img := filepath.Join(t.TempDir(), "initrd.img-"+kv1)
	checktest.WriteFile(t, img, checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Build())
	if err := os.Symlink(img, filepath.Join(staging, "initrd.img-"+kv1)); err != nil {
		t.Fatal(err)
	}
	args := []string{hookPaths["kernel-install"], "add", kv1, "/boot/efi/abc/" + kv1, filepath.Join(mc.root, "boot/vmlinuz-"+kv1)}
	code, _, stderr := mc.run(t, args, "KERNEL_INSTALL_STAGING_AREA", staging)
	if code != 0 || !strings.Contains(stderr, "bootable") {
		t.Fatalf("staging area: exit %d\n%s", code, stderr)
	}
	// INITRD arguments come after the staging area's microcode* and before
	// its initrd*, as 90-loaderentry.install installs them all: the entry
	// loads both images, and the staged one brings ext4.
	bad := filepath.Join(t.TempDir(), "bad.img")
	checktest.WriteFile(t, bad, checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1, "ext4")}.Build())
	code, _, stderr = mc.run(t, append(args, bad), "KERNEL_INSTALL_STAGING_AREA", staging)
	if code != 0 || !strings.Contains(stderr, "bad.img + ") {
		t.Fatalf("INITRD argument and staged image: exit %d\n%s", code, stderr)
	}
	// Alone (55-initrd.install and 50-dracut.install stage nothing when
	// given INITRD arguments), the argument decides.
	code, _, stderr = mc.run(t, append(args, bad), "KERNEL_INSTALL_STAGING_AREA", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "lacks module ext4") || code == 77 {
		t.Fatalf("INITRD argument: exit %d\n%s", code, stderr)
	}
}

func TestHookInChrootIgnoresHostDevices(t *testing.T) {
	defer func(f func() bool) { inChroot = f }(inChroot)
	inChroot = func() bool { return true }
	env := &Env{Root: "/", Sys: fstestEmpty{}, Proc: fstestEmpty{}}
	if sys, proc := hostDevices(env); sys != nil || proc != nil {
		t.Errorf("in a chroot the host's /sys and /proc were used")
	}
	inChroot = func() bool { return false }
	if sys, proc := hostDevices(env); sys == nil || proc == nil {
		t.Errorf("outside a chroot /sys and /proc were dropped")
	}
	// A test root is never taken for a chroot.
	inChroot = func() bool { return true }
	env.Root = t.TempDir()
	if sys, _ := hostDevices(env); sys == nil {
		t.Errorf("a fixture root dropped /sys")
	}
}

// fstestEmpty is an fs.FS with nothing in it.
type fstestEmpty struct{}

func (fstestEmpty) Open(string) (fs.File, error) { return nil, fs.ErrNotExist }
