package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// Issue 12 item 4, dracut's paths: an LVM or md root in a dracut image is
// activated only when the command line (the kernel's, or the image's
// etc/cmdline.d) names it, or has rd.auto=1.
func TestCheckDracutStackActivation(t *testing.T) {
	const kern = "root=/dev/mapper/vg-root ro "
	cmdlineD := func(line string) checktest.File {
		return checktest.File{Path: "etc/cmdline.d/90lvm.conf", Data: []byte(" " + line + " \n")}
	}
	md := strings.ReplaceAll(checktest.MDUUID, "-", "")
	mdadmWords := md[:8] + ":" + md[8:16] + ":" + md[16:24] + ":" + md[24:] // as mdadm --examine --export prints MD_UUID
	cases := []struct {
		name    string
		stack   string // "lvm" or "md"
		gen     string // "dracut", "dracut-systemd", "initramfs-tools"
		cmdline string // "": unknown (no /etc/kernel/cmdline, a direct kernel boot's /proc/cmdline)
		extra   []checktest.File
		verdict verify.Verdict
		text    string // in the stack-not-named problem, when not bootable
	}{
		{"lvm: rd.lvm.lv names it", "lvm", "dracut-systemd", kern + "rd.lvm.lv=vg/root", nil, verify.Bootable, ""},
		{"lvm: rd.lvm.vg names its VG", "lvm", "dracut", kern + "rd.lvm.vg=vg", nil, verify.Bootable, ""},
		{"lvm: rd.lvm.lv as a path", "lvm", "dracut", kern + "rd.lvm.lv=/dev/vg/root", nil, verify.Bootable, ""},
		{"lvm: rd.auto=1", "lvm", "dracut-systemd", kern + "rd.auto=1", nil, verify.Bootable, ""},
		{"lvm: hostonly etc/cmdline.d", "lvm", "dracut-systemd", kern, []checktest.File{cmdlineD("rd.lvm.lv=vg/root")}, verify.Bootable, ""},
		// A real boot (nvme-dracut-lvm-no-rdlvm): with no names dracut activates every VG.
		{"lvm: nothing names it", "lvm", "dracut-systemd", kern, nil, verify.Bootable, ""},
		{"lvm: nothing names it, without systemd", "lvm", "dracut", kern, nil, verify.Bootable, ""},
		{"lvm: names another LV", "lvm", "dracut", kern + "rd.lvm.lv=vg/swap rd.lvm.vg=other", nil, verify.CannotTell, "name only other vg/swap"},
		{"lvm: rd.auto=1 with names that leave it out", "lvm", "dracut", kern + "rd.auto=1 rd.lvm.lv=vg/swap", nil, verify.CannotTell, "name only vg/swap"},
		{"lvm: rd.lvm=0", "lvm", "dracut", kern + "rd.lvm.lv=vg/root rd.lvm=0", nil, verify.CannotTell, "rd.lvm=0"},
		{"lvm: after --, init's words", "lvm", "dracut", kern + "rd.lvm.vg=other -- rd.lvm.lv=vg/root", nil, verify.CannotTell, "name only other"},
		{"md: command line unknown", "md", "dracut-systemd", "", nil, verify.CannotTell, "command line the kernel will get is unknown"},
		{"lvm: initramfs-tools needs no names", "lvm", "initramfs-tools", kern, nil, verify.Bootable, ""},
		{"md: rd.md.uuid names it", "md", "dracut-systemd", kern + "rd.md.uuid=" + checktest.MDUUID, nil, verify.Bootable, ""},
		{"md: rd.md.uuid as mdadm prints it", "md", "dracut", kern + "rd.md.uuid=" + strings.ToUpper(mdadmWords), nil, verify.Bootable, ""},
		{"md: rd.auto", "md", "dracut", kern + "rd.auto", nil, verify.Bootable, ""},
		{"md: hostonly etc/cmdline.d", "md", "dracut", kern, []checktest.File{{Path: "etc/cmdline.d/90mdraid.conf", Data: []byte(" rd.md.uuid=" + mdadmWords + "\n")}}, verify.Bootable, ""},
		// Real boots (nvme-dracut-md-no-rdmd, nvme-dracut-nosd-md-no-rdmd): the array is never assembled.
		{"md: nothing names it", "md", "dracut-systemd", kern, nil, verify.Unbootable, "no rd.md.uuid="},
		{"md: nothing names it, without systemd", "md", "dracut", kern, nil, verify.Unbootable, "no rd.md.uuid="},
		{"md: names another array", "md", "dracut", kern + "rd.md.uuid=" + otherUUID, nil, verify.CannotTell, "rd.md.uuid= names only " + otherUUID},
		{"md: rd.md=0", "md", "dracut", kern + "rd.md.uuid=" + checktest.MDUUID + " rd.md=0", nil, verify.CannotTell, "rd.md=0"},
		{"md: initramfs-tools needs no names", "md", "initramfs-tools", kern, nil, verify.Bootable, ""},
		// Real boots (nvme-dracut-lvm-no-rules, nvme-dracut-nosd-lvm-no-rules): without dracut's
		// 64-lvm.rules nothing runs lvm_scan, and the LV never appears.
		{"lvm: no 64-lvm.rules", "lvm", "dracut-systemd", kern + "rd.lvm.lv=vg/root", nil, verify.Unbootable, "no dracut's udev rule 64-lvm.rules"},
		{"lvm: no 64-lvm.rules, without systemd", "lvm", "dracut", kern, nil, verify.Unbootable, "no dracut's udev rule 64-lvm.rules"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			names := []string{"nvme", "ext4", "md_mod", "raid1"}
			program := checktest.File{Path: "usr/sbin/mdadm", Data: checktest.ProgramELF("", nil), Exec: true}
			rules := checktest.File{Path: "usr/lib/udev/rules.d/65-md-incremental-imsm.rules", Data: []byte("# dracut's\n")}
			if tc.stack == "lvm" {
				f.m = checktest.LVMMachine(t)
				names = []string{"nvme", "ext4", "dm_mod", "dm_thin_pool"}
				program = checktest.File{Path: "usr/sbin/lvm", Data: checktest.ProgramELF("", nil), Exec: true}
				rules = checktest.File{Path: "etc/udev/rules.d/64-lvm.rules", Data: []byte("# dracut's\n")}
				if tc.gen == "initramfs-tools" {
					rules.Path = "usr/lib/udev/rules.d/69-lvm.rules"
				}
			} else {
				f.m = checktest.MDMachine(t)
			}
			mods := f.modules(t, names)
			var files []checktest.File
			if tc.gen == "initramfs-tools" {
				files = checktest.InitramfsTools(kv, mods)
			} else {
				files = checktest.Dracut(kv, mods, tc.gen == "dracut-systemd")
			}
			files = append(files, program)
			if !strings.Contains(tc.name, "no 64-lvm.rules") {
				files = append(files, rules)
			}
			files = append(files, tc.extra...)
			checktest.Initrd{Version: kv, Modules: mods, Extra: files}.Write(t, f.root)
			proc := "BOOT_IMAGE=/vmlinuz root=UUID=1234\n"
			if tc.cmdline != "" {
				dev := map[string]string{"lvm": "/dev/mapper/vg-root", "md": "/dev/md0"}[tc.stack]
				line := strings.Replace(tc.cmdline, "/dev/mapper/vg-root", dev, 1)
				checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte(line+"\n"))
				checktest.WriteFile(t, filepath.Join(f.root, "etc/fstab"), []byte(dev+" / ext4 defaults 0 1\n"))
			} else {
				proc = "console=ttyS0 root=UUID=1234\n" // a direct kernel boot: says nothing of the next
			}
			if err := os.WriteFile(filepath.Join(f.m.Proc, "cmdline"), []byte(proc), 0o644); err != nil {
				t.Fatal(err)
			}
			req := f.request()
			if tc.stack == "lvm" {
				req.Sys = checktest.DMTables(f.m.Sys, checktest.LVMThinTables)
			}
			k := check(t, req)
			if k.Verdict != tc.verdict {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.verdict, k.Problems)
			}
			if tc.verdict == verify.Bootable {
				return
			}
			code := verify.CodeStackNotNamed
			if strings.Contains(tc.name, "no 64-lvm.rules") {
				code = verify.CodeUserspaceMissing
			}
			p := problem(t, k, code)
			if p.Verdict != tc.verdict || !strings.Contains(p.Message, tc.text) {
				t.Errorf("%+v, want %q in it", p, tc.text)
			}
			if code == verify.CodeUserspaceMissing && !strings.Contains(p.Hint, "--reinstall dracut-core") {
				t.Errorf("hint %q does not name dracut-core, which ships 64-lvm.rules", p.Hint)
			}
			want := map[string]string{"lvm": "rd.lvm.lv=vg/root", "md": "rd.md.uuid=" + checktest.MDUUID}[tc.stack]
			if !strings.Contains(p.Message, "unknown") && code == verify.CodeStackNotNamed && !strings.Contains(p.Hint, want) {
				t.Errorf("hint %q does not say %s", p.Hint, want)
			}
		})
	}
}
