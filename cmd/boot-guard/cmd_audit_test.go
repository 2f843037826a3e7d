package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	kvPrev   = "6.1.0-17-amd64"
	auditUID = "7c0ffee0-2222-4d4d-8e8e-0123456789ab"
)

// auditMachine is a host with kv1 (initrd without nvme: will not boot) and
// kvPrev (good), a grub.cfg that boots kv1 by default, and a /dev where
// root's UUID leads to the NVMe partition.
func auditMachine(t *testing.T) machine {
	t.Helper()
	mc := newMachine(t, kv1, kvPrev)
	checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1, "nvme")}.Write(t, mc.root)
	checktest.Initrd{Version: kvPrev, Modules: mc.modules(t, kvPrev)}.Write(t, mc.root)
	var b strings.Builder
	b.WriteString("if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\nelse\n   set default=\"${saved_entry}\"\nfi\n")
	for _, v := range []string{kv1, kvPrev} {
		fmt.Fprintf(&b, "menuentry 'Debian GNU/Linux, with Linux %s' $menuentry_id_option 'gnulinux-%s-advanced-%s' {\n", v, v, auditUID)
		fmt.Fprintf(&b, "\tlinux\t/boot/vmlinuz-%s root=UUID=%s ro quiet\n\tinitrd\t/boot/initrd.img-%s\n}\n", v, auditUID, v)
	}
	writeFile(t, mc.root, "boot/grub/grub.cfg", b.String())
	writeFile(t, mc.root, "etc/default/grub", "GRUB_DEFAULT=saved\n")
	writeFile(t, mc.root, "etc/fstab", "UUID="+auditUID+" / ext4 errors=remount-ro 0 1\n")
	writeFile(t, mc.root, "dev/nvme0n1p2", "")
	if err := os.MkdirAll(filepath.Join(mc.root, "dev/disk/by-uuid"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../nvme0n1p2", filepath.Join(mc.root, "dev/disk/by-uuid", auditUID)); err != nil {
		t.Fatal(err)
	}
	return mc
}

func TestAuditCLIUnbootableDefault(t *testing.T) {
	mc := auditMachine(t)
	code, stdout, stderr := mc.run(t, []string{"boot-guard", "audit"})
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d stdout %q\n%s", code, stdout, stderr)
	}
	sel := "gnulinux-" + kvPrev + "-advanced-" + auditUID
	for _, want := range []string{
		"error: the default boot entry \"Debian GNU/Linux, with Linux " + kv1 + "\" (kernel " + kv1 + ") will NOT boot",
		"* [0] unbootable  grub",
		"  [1] bootable    grub",
		"nvme",
		"hint: make it the default: grub-set-default " + sel,
		"hint: or boot it the next time only: grub-reboot " + sel,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestAuditCLIJSON(t *testing.T) {
	mc := auditMachine(t)
	// The flag after nothing positional, and --json last: both parsed.
	code, stdout, stderr := mc.run(t, []string{"boot-guard", "audit", "--json"})
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep verify.AuditReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if rep.SchemaVersion != verify.SchemaVersion || rep.Verdict != verify.Unbootable || rep.Default != 0 || len(rep.Entries) != 2 ||
		rep.Fallback == nil || rep.Fallback.Version != kvPrev || rep.Entries[1].RootMatch != "match" {
		t.Fatalf("report %+v", rep)
	}
	if strings.Contains(stderr, "will NOT boot") {
		t.Errorf("--json also printed the human report:\n%s", stderr)
	}
}

func TestAuditCLIGoodDefault(t *testing.T) {
	mc := auditMachine(t)
	writeFile(t, mc.root, "boot/grub/grubenv", "# GRUB Environment Block\nsaved_entry=1\n"+strings.Repeat("#", 900))
	code, _, stderr := mc.run(t, []string{"boot-guard", "audit"})
	if code != 0 || !strings.Contains(stderr, "default boot entry \"Debian GNU/Linux, with Linux "+kvPrev+"\" (kernel "+kvPrev+"): bootable") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

func TestAuditCLIImageBuilder(t *testing.T) {
	// --root: the build host's /sys and /dev say nothing about the target;
	// --module names its hardware; root= is compared with the image's fstab.
	mc := auditMachine(t)
	writeFile(t, mc.root, "boot/grub/grubenv", "# GRUB Environment Block\nsaved_entry=1\n")
	env, out, errb := mc.env()
	env.Root, env.Sys, env.Proc = t.TempDir(), nil, nil // a build host with nothing installed
	code := run(t.Context(), []string{"boot-guard", "audit", "--root", mc.root, "--module", "nvme", "--json"}, env)
	var rep verify.AuditReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if code != 0 || rep.Verdict != verify.Bootable || rep.RootDevice == nil || !rep.RootDevice.FromFstab {
		t.Fatalf("exit %d verdict %v root %+v\n%s", code, rep.Verdict, rep.RootDevice, errb.String())
	}
	// Without --module, the device part is unknown: cannot-tell.
	env, _, errb = mc.env()
	env.Sys, env.Proc = nil, nil
	if code := run(t.Context(), []string{"boot-guard", "audit", "--root", mc.root}, env); code != 2 {
		t.Fatalf("no --module: exit %d, want 2\n%s", code, errb.String())
	}
	// A target whose driver the image lacks: xen-blkfront is not in it.
	env, _, errb = mc.env()
	if code := run(t.Context(), []string{"boot-guard", "audit", "--root", mc.root, "--module", "xen-blkfront"}, env); code != 1 {
		t.Fatalf("--module xen-blkfront: exit %d, want 1\n%s", code, errb.String())
	}
}

func TestAuditCLIMetricsFile(t *testing.T) {
	mc := auditMachine(t)
	path := filepath.Join(t.TempDir(), "boot-guard.prom")
	code, _, stderr := mc.run(t, []string{"boot-guard", "audit", "--metrics-file", path})
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatal(err)
	}
	if d := fams["boot_guard_default_entry_bootable"].GetMetric(); len(d) != 1 || d[0].GetGauge().GetValue() != 0 {
		t.Errorf("default entry gauge %v", d)
	}
	if n := len(fams["boot_guard_verdict"].GetMetric()); n != 6 {
		t.Errorf("%d verdict samples, want 2 kernels x 3", n)
	}
	// An explicit path that cannot be written is an error on stderr.
	code, _, stderr = mc.run(t, []string{"boot-guard", "audit", "--metrics-file", filepath.Join(t.TempDir(), "no/dir/x.prom")})
	if code != 1 || !strings.Contains(stderr, "error: metrics not updated") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

func TestAuditCLIAutoFallback(t *testing.T) {
	mc := auditMachine(t)
	writeFile(t, mc.root, "etc/default/boot-guard", "AUTO_FALLBACK=yes\n")
	bin := t.TempDir()
	log := filepath.Join(bin, "args")
	writeFile(t, bin, "grub-set-default", "#!/bin/sh\necho \"$@\" > "+log+"\n")
	if err := os.Chmod(filepath.Join(bin, "grub-set-default"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := mc.run(t, []string{"boot-guard", "audit"}, "PATH", bin)
	if code != 1 || !strings.Contains(stderr, "AUTO_FALLBACK=yes: ran grub-set-default") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(log); err != nil || !strings.Contains(string(b), "gnulinux-"+kvPrev+"-advanced-") {
		t.Fatalf("grub-set-default got %q, %v", b, err)
	}
	// Never for --root: an image is not the machine being booted.
	os.Remove(log)
	env, _, errb := mc.env("PATH", bin)
	if code := run(t.Context(), []string{"boot-guard", "audit", "--root", mc.root, "--module", "nvme"}, env); code != 1 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if _, err := os.Stat(log); err == nil || !strings.Contains(errb.String(), "not changing the default boot entry of --root") {
		t.Fatalf("ran grub-set-default for --root\n%s", errb.String())
	}
}

func TestAuditCLIUsage(t *testing.T) {
	mc := auditMachine(t)
	code, _, stderr := mc.run(t, []string{"boot-guard", "audit", "6.1.0-18-amd64"})
	if code != 2 || !strings.Contains(stderr, "audit takes no arguments") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	code, _, stderr = mc.run(t, []string{"boot-guard", "audit", "--root", "/nonexistent/x"})
	if code != 2 || !strings.Contains(stderr, "--root /nonexistent/x") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}
