package verify_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/bootentry/bootentrytest"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

const (
	kvOld    = "6.1.0-17-amd64"
	rootUUID = "7c0ffee0-2222-4d4d-8e8e-0123456789ab"
	bootUUID = "0b5e7a0c-1111-4a4a-9c9c-0123456789ab"
	adv17    = "gnulinux-advanced-" + rootUUID + ">gnulinux-6.1.0-17-amd64-advanced-" + rootUUID
)

// auditFixture is the incident's machine: / on ext4 on nvme0n1p2, a
// separate /boot, kernels 6.1.0-17 (good initrd) and 6.1.0-18 (the
// half-configured one: its initrd never made it into grub.cfg), and the
// grub.cfg Debian 12's real grub-mkconfig wrote for that /boot (see
// bootentry/testdata). The fake /dev has udev's by-uuid link for root.
type auditFixture struct {
	fixture
	dev string
}

func newAuditFixture(t *testing.T) auditFixture {
	t.Helper()
	f := newFixture(t) // kernel kv = 6.1.0-18-amd64
	kmodtest.Debian(kvOld).WriteDir(t, f.root)
	for _, v := range []string{kv, kvOld} {
		fv := f
		if v == kvOld {
			fv = fixture{root: f.root, ix: loadIndex(t, f.root, kvOld), m: f.m}
		}
		checktest.Initrd{Version: v, Modules: fv.modules(t, rootNeeds)}.Write(t, f.root)
	}
	cfg, err := os.ReadFile("bootentry/testdata/debian12-separate-boot.grub.cfg")
	if err != nil {
		t.Fatal(err)
	}
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grub.cfg"), cfg)
	checktest.WriteFile(t, filepath.Join(f.root, "etc/fstab"),
		[]byte("UUID="+rootUUID+" / ext4 errors=remount-ro 0 1\nUUID="+bootUUID+" /boot ext4 defaults 0 2\n"))
	checktest.WriteFile(t, filepath.Join(f.root, "etc/default/grub"), []byte("GRUB_DEFAULT=saved\n"))

	dev := t.TempDir()
	checktest.WriteFile(t, filepath.Join(dev, "nvme0n1p2"), nil)
	if err := os.MkdirAll(filepath.Join(dev, "disk/by-uuid"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../nvme0n1p2", filepath.Join(dev, "disk/by-uuid", rootUUID)); err != nil {
		t.Fatal(err)
	}
	return auditFixture{fixture: f, dev: dev}
}

func (f auditFixture) request() verify.AuditRequest {
	r := f.fixture.request()
	return verify.AuditRequest{Root: f.root, Sys: r.Sys, Proc: r.Proc, Dev: f.dev,
		Now: func() time.Time { return time.Unix(1763980000, 0) }}
}

func grubenv(vars ...string) []byte {
	s := "# GRUB Environment Block\n" + strings.Join(vars, "\n") + "\n"
	return []byte(s + strings.Repeat("#", 1024-len(s)))
}

func entryProblem(e verify.EntryReport, code verify.Code) (verify.Problem, bool) {
	for _, p := range e.Problems {
		if p.Code == code {
			return p, true
		}
	}
	if e.Kernel != nil {
		for _, p := range e.Kernel.Problems {
			if p.Code == code {
				return p, true
			}
		}
	}
	return verify.Problem{}, false
}

func TestAuditIncident(t *testing.T) {
	f := newAuditFixture(t)
	calls := 0
	req := f.request()
	req.Check = func(ctx context.Context, r verify.Request) verify.KernelReport {
		calls++
		return verify.Check(ctx, r)
	}
	rep := verify.Audit(context.Background(), req)
	if rep.Loader != "grub" || len(rep.Entries) != 5 || len(rep.Problems) != 0 {
		t.Fatalf("loader %q, %d entries, problems %+v", rep.Loader, len(rep.Entries), rep.Problems)
	}
	// No grubenv: GRUB boots the first entry, 6.1.0-18 with no initrd line.
	d := rep.DefaultEntry()
	if d == nil || rep.Default != 0 || d.Version != kv || rep.Verdict != verify.Unbootable {
		t.Fatalf("default %d %+v, verdict %v", rep.Default, d, rep.Verdict)
	}
	p, ok := entryProblem(*d, verify.CodeInitrdMissing)
	if !ok || !strings.Contains(p.Message, "loads no initrd") || !strings.Contains(p.Message, "grub.cfg:") {
		t.Errorf("no-initrd problem: %+v", p)
	}
	// The entry without initrd got root=/dev/vda2 from 10_linux: no such
	// device here.
	if p, ok := entryProblem(*d, verify.CodeRootMismatch); !ok || d.RootMatch != bootentry.RootMismatch || !strings.Contains(p.Message, "root=/dev/vda2 names no device") {
		t.Errorf("root mismatch: %s %+v", d.RootMatch, p)
	}
	for i, want := range []verify.Verdict{verify.Unbootable, verify.Unbootable, verify.Unbootable, verify.Bootable, verify.Bootable} {
		if e := rep.Entries[i]; e.Verdict != want {
			t.Errorf("entry %d (%s) is %v, want %v: %+v %+v", i, e.Title, e.Verdict, want, e.Problems, e.Kernel)
		}
	}
	if rep.Entries[3].RootMatch != bootentry.RootMatches {
		t.Errorf("6.1.0-17's root= does not match: %s", rep.Entries[3].RootMatch)
	}
	fb := rep.Fallback
	if fb == nil || fb.Entry != 3 || fb.Version != kvOld || fb.Selector != adv17 {
		t.Fatalf("fallback %+v", fb)
	}
	if fb.Command != "grub-set-default '"+adv17+"'" || fb.OnceCommand != "grub-reboot '"+adv17+"'" || len(fb.Argv) != 2 || fb.Argv[1] != adv17 {
		t.Errorf("fallback commands %q / %q / %q", fb.Command, fb.OnceCommand, fb.Argv)
	}
	// 5 entries, 2 kernels: 6.1.0-17's normal and recovery entries load
	// the same files and share one check; each 6.1.0-18 entry loads no
	// initrd, so its own command line decides and each is checked.
	if calls != 4 {
		t.Errorf("Check ran %d times, want 4 (3 no-initrd entries + 1 shared)", calls)
	}
	ks := rep.Kernels()
	if len(ks) != 2 || ks[0].Version != kv || ks[0].Verdict != verify.Unbootable || ks[1].Verdict != verify.Bootable {
		t.Errorf("kernels %+v", ks)
	}
	// The JSON document keeps the contract's shape.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"schema_version":1`, `"verdict":"unbootable"`, `"default":0`, `"fallback":{`, `"root_match":"mismatch"`, `"initrds":[]`, `"checked_at":"2025-11-24T`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestAuditSavedDefaultIsGood(t *testing.T) {
	f := newAuditFixture(t)
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grubenv"), grubenv("saved_entry="+adv17))
	rep := verify.Audit(context.Background(), f.request())
	if rep.Default != 3 || rep.Verdict != verify.Bootable || rep.Fallback != nil {
		t.Fatalf("default %d verdict %v fallback %+v: %+v", rep.Default, rep.Verdict, rep.Fallback, rep.DefaultEntry())
	}
	if !strings.Contains(rep.DefaultFrom, "saved_entry") {
		t.Errorf("default from %q", rep.DefaultFrom)
	}
}

func TestAuditFallbackWithoutSavedDefault(t *testing.T) {
	f := newAuditFixture(t)
	checktest.WriteFile(t, filepath.Join(f.root, "etc/default/grub"), []byte("GRUB_DEFAULT=0\n"))
	rep := verify.Audit(context.Background(), f.request())
	fb := rep.Fallback
	if rep.Verdict != verify.Unbootable || fb == nil || fb.Command != "" || len(fb.Argv) != 0 ||
		!strings.Contains(fb.Instructions, "GRUB_DEFAULT is 0") || !strings.Contains(fb.Instructions, "update-grub") {
		t.Fatalf("fallback %+v", fb)
	}
}

func TestAuditRootMismatchAlone(t *testing.T) {
	// The initrd is fine, but root= names a filesystem this machine does
	// not have (a cloned disk got new UUIDs; grub.cfg was not regenerated).
	f := newAuditFixture(t)
	other := "11111111-2222-3333-4444-555555555555"
	cfg := "set default=\"0\"\nmenuentry 'Debian' {\n\tsearch --no-floppy --fs-uuid --set=root " + bootUUID +
		"\n\tlinux\t/vmlinuz-" + kvOld + " root=UUID=" + other + " ro quiet\n\tinitrd\t/initrd.img-" + kvOld + "\n}\n"
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grub.cfg"), []byte(cfg))
	rep := verify.Audit(context.Background(), f.request())
	d := rep.DefaultEntry()
	if d == nil || rep.Verdict != verify.Unbootable || d.Kernel == nil || d.Kernel.Verdict != verify.Bootable {
		t.Fatalf("verdict %v, entry %+v", rep.Verdict, d)
	}
	if p, ok := entryProblem(*d, verify.CodeRootMismatch); !ok || !strings.Contains(p.Message, "UUID="+other) || !strings.Contains(p.Message, "/dev/nvme0n1p2") {
		t.Errorf("problem %+v", p)
	}
	if rep.Fallback != nil {
		t.Errorf("a fallback with no other entry: %+v", rep.Fallback)
	}
}

func TestAuditUnderRootComparesWithFstab(t *testing.T) {
	// An image builder's view: no /proc, no /dev of the target; --module
	// names its hardware. root= is compared with the image's fstab.
	f := newAuditFixture(t)
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grubenv"), grubenv("saved_entry=1>2"))
	rep := verify.Audit(context.Background(), verify.AuditRequest{Root: f.root, Modules: rootNeeds})
	d := rep.DefaultEntry()
	if d == nil || d.Version != kvOld || d.RootMatch != bootentry.RootMatches || rep.Verdict != verify.Bootable {
		t.Fatalf("verdict %v entry %+v", rep.Verdict, d)
	}
	if rep.RootDevice == nil || !rep.RootDevice.FromFstab {
		t.Errorf("root device %+v", rep.RootDevice)
	}
	// Entry 0 says root=/dev/vda2 where fstab says UUID=: cannot compare,
	// and it has no initrd anyway.
	if e := rep.Entries[0]; e.RootMatch != bootentry.RootUnknown || e.Verdict != verify.Unbootable {
		t.Errorf("entry 0: %s %v", e.RootMatch, e.Verdict)
	}
}

func TestAuditUKI(t *testing.T) {
	f := newAuditFixture(t)
	os.Remove(filepath.Join(f.root, "boot/grub/grub.cfg"))
	dir := filepath.Join(f.root, "boot/efi/EFI/Linux")
	good := checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Build()
	cmdline := "root=UUID=" + rootUUID + " ro quiet"
	checktest.WriteFile(t, filepath.Join(dir, "debian-"+kv+".efi"), bootentrytest.PE(bootentrytest.UKI(kv, cmdline, good)))
	// The same kernel with a truncated embedded initrd.
	checktest.WriteFile(t, filepath.Join(dir, "broken-"+kv+".efi"), bootentrytest.PE(bootentrytest.UKI(kv, cmdline, good[:len(good)/2])))
	checktest.WriteFile(t, filepath.Join(f.root, "boot/efi/loader/loader.conf"), []byte("default broken-*\n"))

	rep := verify.Audit(context.Background(), f.request())
	if rep.Loader != "bls" || len(rep.Entries) != 2 {
		t.Fatalf("loader %q entries %+v problems %+v", rep.Loader, rep.Entries, rep.Problems)
	}
	d := rep.DefaultEntry()
	if d == nil || d.ID != "broken-"+kv+".efi" || rep.Verdict != verify.Unbootable {
		t.Fatalf("default %+v verdict %v", d, rep.Verdict)
	}
	if _, ok := entryProblem(*d, verify.CodeInitrdTruncated); !ok {
		t.Errorf("truncated embedded initrd not found: %+v", d.Kernel)
	}
	fb := rep.Fallback
	if fb == nil || fb.Selector != "debian-"+kv+".efi" || fb.Command != "bootctl set-default debian-"+kv+".efi" || fb.OnceCommand != "bootctl set-oneshot debian-"+kv+".efi" {
		t.Fatalf("fallback %+v", fb)
	}
	if e := rep.Entries[fb.Entry]; e.Verdict != verify.Bootable || len(e.Kernel.Initrds) != 1 || !strings.Contains(e.Kernel.Initrds[0], ".initrd section") {
		t.Errorf("good UKI: %v %+v", e.Verdict, e.Kernel)
	}
}

func TestAuditNoBootLoader(t *testing.T) {
	rep := verify.Audit(context.Background(), verify.AuditRequest{Root: t.TempDir()})
	if rep.Verdict != verify.CannotTell || rep.Default != -1 || len(rep.Problems) == 0 || rep.Problems[0].Code != verify.CodeNoBootLoader {
		t.Fatalf("%+v", rep)
	}
	if rep.Kernels() != nil {
		t.Errorf("kernels %+v", rep.Kernels())
	}
}

func TestAuditNotLinuxDefault(t *testing.T) {
	root := t.TempDir()
	checktest.WriteFile(t, filepath.Join(root, "boot/grub/grub.cfg"),
		[]byte("menuentry 'Windows Boot Manager' {\n\tchainloader /EFI/Microsoft/Boot/bootmgfw.efi\n}\n"))
	rep := verify.Audit(context.Background(), verify.AuditRequest{Root: root})
	if rep.Verdict != verify.CannotTell || rep.Default != 0 {
		t.Fatalf("%+v", rep)
	}
	if _, ok := entryProblem(rep.Entries[0], verify.CodeEntryNotLinux); !ok {
		t.Errorf("problems %+v", rep.Entries[0].Problems)
	}
}

func TestAuditInterrupted(t *testing.T) {
	f := newAuditFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := verify.Audit(ctx, f.request())
	if rep.Verdict != verify.CannotTell {
		t.Fatalf("cancelled audit says %v", rep.Verdict)
	}
}

func loadIndex(t *testing.T, root, version string) *kmod.Index {
	t.Helper()
	ix, err := kmod.Load(os.DirFS(root), version)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestAuditCustomEntryThroughSymlinks(t *testing.T) {
	// A 40_custom entry booting Debian's /vmlinuz and /initrd.img symlinks
	// (which the kernel package points at the newest kernel).
	f := newAuditFixture(t)
	os.Remove(filepath.Join(f.root, "etc/fstab")) // /boot on the root filesystem
	for link, target := range map[string]string{"vmlinuz": "boot/vmlinuz-" + kvOld, "initrd.img": "boot/initrd.img-" + kvOld} {
		if err := os.Symlink(target, filepath.Join(f.root, link)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := "menuentry 'Custom' {\n\tlinux /vmlinuz root=UUID=" + rootUUID + " ro\n\tinitrd /initrd.img\n}\n"
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grub.cfg"), []byte(cfg))
	rep := verify.Audit(context.Background(), f.request())
	d := rep.DefaultEntry()
	if d == nil || d.Version != kvOld || rep.Verdict != verify.Bootable {
		t.Fatalf("verdict %v entry %+v", rep.Verdict, d)
	}
}

func TestAuditBLSEntryStartingAUKI(t *testing.T) {
	// A type #1 entry whose "efi" key starts a UKI: the UKI's embedded
	// initrd is what gets checked, and its file is the kernel image.
	f := newAuditFixture(t)
	os.Remove(filepath.Join(f.root, "boot/grub/grub.cfg"))
	good := checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Build()
	uki := filepath.Join(f.root, "boot/efi/EFI/debian/uki-"+kv+".efi")
	checktest.WriteFile(t, uki, bootentrytest.PE(bootentrytest.UKI(kv, "root=UUID="+rootUUID+" ro", good)))
	checktest.WriteFile(t, filepath.Join(f.root, "boot/efi/loader/entries/debian-uki.conf"),
		[]byte("title Debian (UKI)\nefi /EFI/debian/uki-"+kv+".efi\n"))
	rep := verify.Audit(context.Background(), f.request())
	d := rep.DefaultEntry()
	if d == nil || rep.Verdict != verify.Bootable || d.Kernel == nil || d.Entry.Kernel != uki || d.Version != kv {
		t.Fatalf("verdict %v entry %+v", rep.Verdict, d)
	}
	if len(d.Kernel.Initrds) != 1 || !strings.Contains(d.Kernel.Initrds[0], uki+" (.initrd section") {
		t.Errorf("checked %q", d.Kernel.Initrds)
	}
}

func TestAuditJSONKeepsBothKernelFields(t *testing.T) {
	// The entry's kernel path and its kernel report must not shadow each
	// other in the JSON document.
	f := newAuditFixture(t)
	rep := verify.Audit(context.Background(), f.request())
	b, err := json.Marshal(rep.Entries[3])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if string(m["kernel_path"]) != `"`+filepath.Join(f.root, "boot/vmlinuz-"+kvOld)+`"` || !strings.HasPrefix(string(m["kernel"]), `{"version":"`+kvOld+`"`) {
		t.Errorf("kernel_path %s kernel %.60s", m["kernel_path"], m["kernel"])
	}
}

func TestAuditJSONListsAndDuration(t *testing.T) {
	ticks := []time.Time{time.Unix(100, 0), time.Unix(102, 500_000_000)}
	now := func() time.Time { t := ticks[0]; ticks = ticks[1:]; return t }
	rep := verify.Audit(context.Background(), verify.AuditRequest{Root: t.TempDir(), Now: now})
	if rep.DurationSeconds != 2.5 {
		t.Errorf("duration %v, want 2.5", rep.DurationSeconds)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"entries":[]`, `"notes":[]`, `"problems":[{`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	if strings.Contains(string(b), "null") {
		t.Errorf("JSON has a null: %s", b)
	}
}

// issue 14 item 1: a type #2 entry is checked by its sections, as the
// kernel-install hook checks a staged UKI: a .linux section holding another
// release's kernel will not load the initrd's modules.
func TestAuditUKIKernelSection(t *testing.T) {
	f := newAuditFixture(t)
	os.Remove(filepath.Join(f.root, "boot/grub/grub.cfg"))
	good := checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Build()
	secs := bootentrytest.UKI(kv, "root=UUID="+rootUUID+" ro quiet", good)
	for i := range secs {
		if secs[i].Name == ".linux" {
			secs[i].Data = kimagetest.BzImage(kvOld)
		}
	}
	checktest.WriteFile(t, filepath.Join(f.root, "boot/efi/EFI/Linux/debian-"+kv+".efi"), bootentrytest.PE(secs))
	rep := verify.Audit(context.Background(), f.request())
	d := rep.DefaultEntry()
	if d == nil || rep.Verdict != verify.Unbootable {
		t.Fatalf("verdict %v entry %+v", rep.Verdict, d)
	}
	if _, ok := entryProblem(*d, verify.CodeKernelWrongVersion); !ok {
		t.Errorf("no %s: %+v", verify.CodeKernelWrongVersion, d.Kernel)
	}
}
