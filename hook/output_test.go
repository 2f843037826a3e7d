package hook

import (
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/bootentry"
)

func TestPrinterPrefixesEveryLine(t *testing.T) {
	var b strings.Builder
	Printer{W: &b}.Error("one\ntwo\n")
	if b.String() != "boot-guard: error: one\nboot-guard: two\n" {
		t.Errorf("%q", b.String())
	}
}

func TestReportFailure(t *testing.T) {
	k := verify.KernelReport{Version: "6.1.0-18-amd64", Initrds: []string{"/boot/initrd.img-6.1.0-18-amd64"}}
	k.Add(verify.Problem{Code: verify.CodeModuleMissing, Verdict: verify.Unbootable,
		Message: "kernel 6.1.0-18-amd64: the initrd lacks nvme (driver for disk nvme0n1, mounted at /)",
		Hint:    "rebuild it: update-initramfs -c -k 6.1.0-18-amd64",
		Causes:  []string{"initramfs-tools has MODULES=list"}})
	k.Add(verify.Problem{Code: verify.CodeDevicesUnknown, Verdict: verify.CannotTell, Message: "could not walk /usr"})
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{Notes: []string{"dpkg is running a trigger"}, Decision: Decision{Exit: 1, Fails: true}, InHook: true})
	Printer{W: &b}.Report(k, Explanation{Notes: []string{"dpkg will report it failing"}, Decision: Decision{Fails: true, Why: "MODE=warn: reporting, not failing"}, InHook: true})
	out := b.String()
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if !strings.HasPrefix(line, "boot-guard: ") {
			t.Errorf("line without prefix: %q", line)
		}
	}
	for _, want := range []string{
		"error: kernel 6.1.0-18-amd64 will not mount its root filesystem at the next boot (unbootable; checked /boot/initrd.img-6.1.0-18-amd64)",
		"error: kernel 6.1.0-18-amd64: the initrd lacks nvme",
		"likely cause: initramfs-tools has MODULES=list",
		"hint: rebuild it: update-initramfs -c -k 6.1.0-18-amd64",
		"warning: could not walk /usr",
		"note: dpkg is running a trigger",
		"BOOT_GUARD=warn", "BOOT_GUARD=off",
		"MODE=warn: reporting, not failing",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A hook that exits 0 (MODE=warn here) makes dpkg blame nobody: its
	// notes about who dpkg will report as failing would be false.
	if strings.Contains(out, "dpkg will report it failing") {
		t.Errorf("a hook exiting 0 printed its dpkg-blame note:\n%s", out)
	}
}

func TestReportBootable(t *testing.T) {
	k := verify.KernelReport{Version: "6.1.0-18-amd64", Initrds: []string{"/boot/initrd.img-6.1.0-18-amd64"},
		Requirements: []verify.Requirement{{Module: "nvme", Status: verify.StatusInInitrd}, {Module: "ext4", Status: verify.StatusBuiltin}}}
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{})
	if b.String() != "boot-guard: kernel 6.1.0-18-amd64: bootable (/boot/initrd.img-6.1.0-18-amd64; 2 required modules: 1 built in, 1 in the initrd)\n" {
		t.Errorf("%q", b.String())
	}
	b.Reset()
	Printer{W: &b}.Report(k, Explanation{Quiet: true})
	if b.Len() != 0 {
		t.Errorf("quiet printed %q", b.String())
	}
}

func TestReportCannotTellFails(t *testing.T) {
	k := verify.KernelReport{Version: "v"}
	k.Add(verify.Problem{Code: verify.CodeNotChecked, Verdict: verify.CannotTell, Message: "not checked"})
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{CannotTellFails: true, InHook: true, Decision: Decision{Exit: 1, Fails: true}})
	if !strings.Contains(b.String(), "error: not checked") || !strings.Contains(b.String(), "BOOT_GUARD=off") || !strings.Contains(b.String(), "no initrd") {
		t.Errorf("%q", b.String())
	}
}

// A command's report (not a hook's) never prints the hook override as if it
// changed the command's exit: BOOT_GUARD does not.
func TestReportCommandHasNoHookOverride(t *testing.T) {
	k := verify.KernelReport{Version: "v"}
	k.Add(verify.Problem{Code: verify.CodeModuleMissing, Verdict: verify.Unbootable, Message: "lacks nvme"})
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{})
	if strings.Contains(b.String(), "override:") || strings.Contains(b.String(), "BOOT_GUARD") {
		t.Errorf("a command's report names the hook override:\n%s", b.String())
	}
	b.Reset()
	Printer{W: &b}.CLIOverride()
	if !strings.Contains(b.String(), "in the kernel hooks, BOOT_GUARD=warn lets an install go on") {
		t.Errorf("%q", b.String())
	}
}

func TestPrinterShowsPathsInsideRoot(t *testing.T) {
	cases := []struct{ root, in, want string }{
		{"/mnt/img", "initrd /mnt/img/boot/initrd.img-6.1 lacks nvme", "initrd /boot/initrd.img-6.1 lacks nvme"},
		{"/mnt/img/", "(/mnt/img/boot/grub/grub.cfg exists)", "(/boot/grub/grub.cfg exists)"},
		{"/mnt/img", "source=\"/mnt/img/boot/x\" at /mnt/img/etc/fstab:3", "source=\"/boot/x\" at /etc/fstab:3"},
		// Not a path under the root: a longer name, or the root inside another path.
		{"/mnt/img", "/mnt/img2/boot and /srv/mnt/img/boot", "/mnt/img2/boot and /srv/mnt/img/boot"},
		{"/", "/boot/x", "/boot/x"},
		{"", "/boot/x", "/boot/x"},
		{"rel", "rel/boot/x", "rel/boot/x"},
	}
	for _, tc := range cases {
		var b strings.Builder
		Printer{W: &b, Root: tc.root}.Line("%s", tc.in)
		if got := strings.TrimSuffix(strings.TrimPrefix(b.String(), Prefix), "\n"); got != tc.want {
			t.Errorf("root %q: %q became %q, want %q", tc.root, tc.in, got, tc.want)
		}
	}
}

// A hook that goes on (cannot-tell under CANNOT_TELL=warn) has nothing to
// override: "to go on anyway" would be false.
func TestReportNoOverrideWhenTheHookGoesOn(t *testing.T) {
	k := verify.KernelReport{Version: "v"}
	k.Add(verify.Problem{Code: verify.CodeDevicesUnknown, Verdict: verify.CannotTell, Message: "drivers unknown"})
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{InHook: true, Decision: Decide(k.Verdict, DefaultConfig(), NoOverride)})
	if !strings.Contains(b.String(), "warning: drivers unknown") || strings.Contains(b.String(), "override:") {
		t.Errorf("%q", b.String())
	}
}

// Three modules missing from one image: the rebuild command is given once,
// then only what is new for each module.
func TestReportGivesTheFixOnce(t *testing.T) {
	k := verify.KernelReport{Version: "v"}
	for _, m := range []string{"ext4", "virtio_blk"} {
		k.Add(verify.Problem{Code: verify.CodeModuleMissing, Verdict: verify.Unbootable, Message: "lacks " + m,
			Fix:  "rebuild it: update-initramfs -c -k v",
			Hint: "rebuild it: update-initramfs -c -k v; if " + m + " is still missing: add the line " + m + " to /etc/initramfs-tools/modules and rebuild"})
	}
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{})
	want := "boot-guard: error: lacks ext4\n" +
		"boot-guard: hint: rebuild it: update-initramfs -c -k v; if ext4 is still missing: add the line ext4 to /etc/initramfs-tools/modules and rebuild\n" +
		"boot-guard: error: lacks virtio_blk\n" +
		"boot-guard: hint: if virtio_blk is still missing: add the line virtio_blk to /etc/initramfs-tools/modules and rebuild\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("got\n%s\nwant it to contain\n%s", b.String(), want)
	}
}

// The APT hook's block gives each fix command once, as a kernel hook does.
func TestAuditBlockGivesTheFixOnce(t *testing.T) {
	k := verify.KernelReport{Version: "v"}
	for _, m := range []string{"ext4", "nvme"} {
		k.Add(verify.Problem{Code: verify.CodeModuleMissing, Verdict: verify.Unbootable, Message: "lacks " + m,
			Causes: []string{"MODULES=list"},
			Fix:    "rebuild it: update-initramfs -c -k v",
			Hint:   "rebuild it: update-initramfs -c -k v; if " + m + " is still missing: add the line " + m + " to /etc/initramfs-tools/modules and rebuild"})
	}
	rep := verify.AuditReport{Default: 0, Verdict: verify.Unbootable,
		Entries: []verify.EntryReport{{Verdict: verify.Unbootable, Kernel: &k}}}
	var b strings.Builder
	PrintAuditBlock(Printer{W: &b}, rep, false)
	out := b.String()
	if strings.Count(out, "update-initramfs -c -k v") != 1 || strings.Count(out, "likely cause: MODULES=list") != 1 ||
		!strings.Contains(out, "boot-guard: hint: if nvme is still missing: add the line nvme") {
		t.Errorf("fix or cause repeated, or nvme's part missing:\n%s", out)
	}
}

// TestSecureBootLines: verify's report and the audit say whether module
// signatures will be enforced, and who signed the kernel image (issue 13);
// a quiet bootable report says nothing.
func TestSecureBootLines(t *testing.T) {
	sb := &verify.SecureBoot{Firmware: "on", ModuleSignatures: "yes", Why: "Secure Boot is on", KernelSigner: `"CN=Debian Secure Boot Signer"`}
	k := verify.KernelReport{Version: "6.1.0-18-amd64", SecureBoot: sb}
	want := "boot-guard:   Secure Boot on; module signatures enforced at the next boot: yes (Secure Boot is on)\nboot-guard:   kernel image signed by \"CN=Debian Secure Boot Signer\"\n"
	var b strings.Builder
	Printer{W: &b}.Report(k, Explanation{})
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("verify: %q", b.String())
	}
	b.Reset()
	Printer{W: &b}.Report(k, Explanation{Quiet: true})
	if b.Len() != 0 {
		t.Errorf("quiet: %q", b.String())
	}
	b.Reset()
	rep := verify.AuditReport{Default: 0, Entries: []verify.EntryReport{{Entry: bootentry.Entry{Title: "Debian", Version: "6.1.0-18-amd64"}, Kernel: &k}}}
	PrintAudit(Printer{W: &b}, rep)
	if !strings.Contains(b.String(), want) {
		t.Errorf("audit: %q", b.String())
	}
}
