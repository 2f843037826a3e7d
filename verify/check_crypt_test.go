package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// Issue 12 item 3: a LUKS root as each generator lays its image out.

const otherUUID = "fedcba98-7654-3210-fedc-ba9876543210"

// cryptLayout returns the files of a generator's image over mods:
// "initramfs-tools", "dracut" (without systemd) or "dracut-systemd", with
// the files its LUKS unlocking runs, minus those named in drop.
func cryptLayout(gen string, mods []checktest.Module, drop ...string) []checktest.File {
	var files []checktest.File
	switch gen {
	case "initramfs-tools":
		files = append(checktest.InitramfsTools(kv, mods),
			checktest.File{Path: "usr/sbin/cryptsetup", Data: checktest.ProgramELF("", nil), Exec: true},
			checktest.File{Path: "scripts/local-top/cryptroot", Data: []byte("#!/bin/sh\n"), Exec: true})
	default:
		files = checktest.Dracut(kv, mods, gen == "dracut-systemd")
		if gen == "dracut" {
			files = append(files,
				checktest.File{Path: "usr/sbin/cryptsetup", Data: checktest.ProgramELF("", nil), Exec: true},
				checktest.File{Path: "usr/sbin/cryptroot-ask", Data: []byte("#!/bin/sh\n"), Exec: true})
			break
		}
		// dracut with systemd: no cryptsetup at all.
		files = append(files,
			checktest.File{Path: "usr/lib/systemd/systemd-cryptsetup", Data: checktest.ProgramELF("", nil), Exec: true},
			checktest.File{Path: "usr/lib/systemd/system-generators/systemd-cryptsetup-generator", Data: checktest.ProgramELF("", nil), Exec: true})
	}
	var out []checktest.File
	for _, f := range files {
		if !strings.Contains(strings.Join(drop, " ")+" ", f.Path+" ") {
			out = append(out, f)
		}
	}
	return out
}

func crypttabFile(p, line string) checktest.File {
	return checktest.File{Path: p, Data: []byte("# written by the test\n" + line + "\n")}
}

func TestCheckLUKSGenerators(t *testing.T) {
	const dm = "nvme0n1p2_crypt"
	u := checktest.LUKSUUID
	itTab := func(src string) checktest.File {
		return crypttabFile("cryptroot/crypttab", dm+" "+src+" none luks,discard")
	}
	etcTab := func(src string) checktest.File { return crypttabFile("etc/crypttab", dm+" "+src+" none luks") }
	cmdlineD := func(line string) checktest.File { return crypttabFile("etc/cmdline.d/90crypt.conf", line) }
	const kern = "BOOT_IMAGE=/vmlinuz root=/dev/mapper/" + dm + " ro "
	cases := []struct {
		name, gen string
		drop      []string
		extra     []checktest.File
		cmdline   string // "" : /etc/kernel/cmdline absent, /proc/cmdline without BOOT_IMAGE
		code      verify.Code
		verdict   verify.Verdict
	}{
		// initramfs-tools: cryptroot unlocks what cryptroot/crypttab names.
		{"initramfs-tools: the whole stack", "initramfs-tools", nil, []checktest.File{itTab("UUID=" + u)}, kern, "", verify.Bootable},
		{"initramfs-tools: the device by its kernel name", "initramfs-tools", nil, []checktest.File{itTab("/dev/nvme0n1p2")}, kern, "", verify.Bootable},
		{"initramfs-tools: by PARTUUID under the mapping's name", "initramfs-tools", nil, []checktest.File{itTab("PARTUUID=aa-02")}, kern, "", verify.Bootable},
		{"initramfs-tools: older conf/conf.d/cryptroot", "initramfs-tools", nil, []checktest.File{crypttabFile("conf/conf.d/cryptroot", "target="+dm+",source=UUID="+u+",key=none,rootdev")}, kern, "", verify.Bootable},
		{"initramfs-tools: cryptopts= on the command line", "initramfs-tools", nil, nil, kern + "cryptopts=target=" + dm + ",source=UUID=" + u, "", verify.Bootable},
		// issue 12 item 3 (real boots): any cryptopts= word, even an empty one, makes cryptroot
		// rewrite cryptroot/crypttab from the cryptopts= words alone.
		{"initramfs-tools: cryptopts= without target= maps it as cryptroot", "initramfs-tools", nil, nil, kern + "cryptopts=source=UUID=" + u, verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: an empty cryptopts= hides the image's crypttab", "initramfs-tools", nil, []checktest.File{itTab("UUID=" + u)}, kern + "cryptopts=", verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: cryptopts= of another device hides the image's crypttab", "initramfs-tools", nil, []checktest.File{itTab("UUID=" + u)}, kern + "cryptopts=target=other,source=UUID=" + otherUUID, verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: root=/dev/mapper/NAME, the entry maps it as another name", "initramfs-tools", nil, []checktest.File{crypttabFile("cryptroot/crypttab", "cryptroot UUID="+u+" none luks")}, kern, verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: root=UUID=, the entry maps it as another name", "initramfs-tools", nil, []checktest.File{crypttabFile("cryptroot/crypttab", "cryptroot UUID="+u+" none luks")}, "BOOT_IMAGE=/vmlinuz root=UUID=1234 ro", verify.CodeRootUnchecked, verify.CannotTell}, // not unbootable: only fstab-vs-root= is unchecked
		{"initramfs-tools: several cryptopts=", "initramfs-tools", nil, nil, kern + "cryptopts=target=other,source=UUID=" + otherUUID + " cryptopts=target=" + dm + ",source=UUID=" + u, "", verify.Bootable},
		{"initramfs-tools: no crypttab", "initramfs-tools", nil, nil, kern, verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: crypttab names another device", "initramfs-tools", nil, []checktest.File{itTab("UUID=" + otherUUID)}, kern, verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: rd.luks.uuid does not count", "initramfs-tools", nil, nil, kern + "rd.luks.uuid=" + u, verify.CodeCrypttabMissing, verify.Unbootable},
		{"initramfs-tools: no cryptroot script", "initramfs-tools", []string{"scripts/local-top/cryptroot"}, []checktest.File{itTab("UUID=" + u)}, kern, verify.CodeUserspaceMissing, verify.Unbootable},
		{"initramfs-tools: no cryptsetup", "initramfs-tools", []string{"usr/sbin/cryptsetup"}, []checktest.File{itTab("UUID=" + u)}, kern, verify.CodeUserspaceMissing, verify.Unbootable},

		// dracut without systemd: rd.luks.uuid (command line or the image's
		// etc/cmdline.d) or rd.auto=1.
		{"dracut: hostonly etc/cmdline.d", "dracut", nil, []checktest.File{cmdlineD("rd.luks.uuid=luks-" + u), etcTab("UUID=" + u)}, kern, "", verify.Bootable},
		{"dracut: rd.luks.uuid on the command line", "dracut", nil, nil, kern + "rd.luks.uuid=luks-" + u, "", verify.Bootable},
		{"dracut: part of the UUID", "dracut", nil, nil, kern + "rd.luks.uuid=" + u[:8], "", verify.Bootable},
		{"dracut: rd.auto=1", "dracut", nil, nil, kern + "rd.auto=1", "", verify.Bootable},
		{"dracut: crypttab alone", "dracut", nil, []checktest.File{etcTab("UUID=" + u)}, kern, verify.CodeLUKSNotNamed, verify.Unbootable},
		{"dracut: rd.luks.uuid of another device", "dracut", nil, nil, kern + "rd.luks.uuid=luks-" + otherUUID, verify.CodeLUKSNotNamed, verify.Unbootable},
		{"dracut: rd.luks=0", "dracut", nil, []checktest.File{cmdlineD("rd.luks.uuid=luks-" + u)}, kern + "rd.luks=0", verify.CodeLUKSNotNamed, verify.Unbootable},
		{"dracut: no cryptroot-ask", "dracut", []string{"usr/sbin/cryptroot-ask"}, []checktest.File{cmdlineD("rd.luks.uuid=luks-" + u)}, kern, verify.CodeUserspaceMissing, verify.Unbootable},
		{"dracut: the command line is unknown", "dracut", nil, nil, "", verify.CodeLUKSNotNamed, verify.CannotTell},

		// dracut with systemd: systemd-cryptsetup, no cryptsetup program;
		// the crypttab is optional.
		{"dracut-systemd: crypttab", "dracut-systemd", nil, []checktest.File{etcTab("UUID=" + u)}, kern, "", verify.Bootable},
		{"dracut-systemd: crypttab, command line unknown", "dracut-systemd", nil, []checktest.File{etcTab("UUID=" + u)}, "", "", verify.Bootable},
		{"dracut-systemd: rd.luks.uuid, no crypttab", "dracut-systemd", nil, nil, kern + "rd.luks.uuid=" + u, "", verify.Bootable},
		{"dracut-systemd: rd.luks.name", "dracut-systemd", nil, nil, kern + "rd.luks.name=" + u + "=cryptroot", "", verify.Bootable},
		{"dracut-systemd: etc/cmdline.d", "dracut-systemd", nil, []checktest.File{cmdlineD("rd.luks.uuid=luks-" + u)}, kern, "", verify.Bootable},
		{"dracut-systemd: rd.auto=1", "dracut-systemd", nil, nil, kern + "rd.auto=1", "", verify.Bootable},
		{"dracut-systemd: nothing names it", "dracut-systemd", nil, nil, kern, verify.CodeCrypttabMissing, verify.Unbootable},
		{"dracut-systemd: nothing names it, command line unknown", "dracut-systemd", nil, nil, "", verify.CodeLUKSNotNamed, verify.CannotTell},
		{"dracut-systemd: crypttab names another device", "dracut-systemd", nil, []checktest.File{etcTab("UUID=" + otherUUID)}, kern, verify.CodeCrypttabMissing, verify.Unbootable},
		{"dracut-systemd: rd.luks.uuid excludes the crypttab's", "dracut-systemd", nil, []checktest.File{etcTab("UUID=" + u)}, kern + "rd.luks.uuid=" + otherUUID, verify.CodeLUKSNotNamed, verify.Unbootable},
		{"dracut-systemd: part of the UUID is not enough", "dracut-systemd", nil, nil, kern + "rd.luks.uuid=" + u[:8], verify.CodeLUKSNotNamed, verify.Unbootable},
		{"dracut-systemd: rd.luks.crypttab=0", "dracut-systemd", nil, []checktest.File{etcTab("UUID=" + u)}, kern + "rd.luks.crypttab=0", verify.CodeLUKSNotNamed, verify.Unbootable},
		{"dracut-systemd: no generator", "dracut-systemd", []string{"usr/lib/systemd/system-generators/systemd-cryptsetup-generator"}, []checktest.File{etcTab("UUID=" + u)}, kern, verify.CodeUserspaceMissing, verify.Unbootable},
		{"dracut-systemd: no systemd-cryptsetup", "dracut-systemd", []string{"usr/lib/systemd/systemd-cryptsetup"}, []checktest.File{etcTab("UUID=" + u)}, kern, verify.CodeUserspaceMissing, verify.Unbootable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.m = checktest.LUKSMachine(t, dm)
			mods := f.modules(t, []string{"nvme", "ext4", "dm_mod", "dm_crypt"})
			files := append(cryptLayout(tc.gen, mods, tc.drop...), tc.extra...)
			checktest.Initrd{Version: kv, Modules: mods, Extra: files}.Write(t, f.root)
			proc := "BOOT_IMAGE=/vmlinuz root=UUID=1234\n"
			if tc.cmdline != "" {
				checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte(tc.cmdline+"\n"))
				checktest.WriteFile(t, filepath.Join(f.root, "etc/fstab"), []byte("/dev/mapper/"+dm+" / ext4 defaults 0 1\n"))
			} else {
				proc = "console=ttyS0 root=UUID=1234\n" // a direct kernel boot: says nothing of the next
			}
			if err := os.WriteFile(filepath.Join(f.m.Proc, "cmdline"), []byte(proc), 0o644); err != nil {
				t.Fatal(err)
			}
			k := check(t, f.request())
			if k.Verdict != tc.verdict {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.verdict, k.Problems)
			}
			if tc.code == "" {
				for _, p := range k.Problems {
					if p.Verdict != verify.Bootable {
						t.Errorf("problem %+v", p)
					}
				}
				return
			}
			p := problem(t, k, tc.code)
			if p.Verdict != tc.verdict || !strings.Contains(p.Message, dm) {
				t.Errorf("%+v", p)
			}
			if tc.verdict == verify.Unbootable && tc.code != verify.CodeUserspaceMissing && !strings.Contains(p.Message+p.Hint, u) {
				t.Errorf("the problem does not name the LUKS UUID %s: %+v", u, p)
			}
		})
	}
}

// TestCheckLUKSCipherModules: the live table's cipher needs its crypto
// modules in the initrd or built in (aes-xts-plain64 on Debian's 6.1: xts a
// module, aes built in).
func TestCheckLUKSCipherModules(t *testing.T) {
	const dm = "nvme0n1p2_crypt"
	table := func(spec string) string { return "0 41940992 crypt " + spec + " - 0 259:2 32768 1 allow_discards\n" }
	cases := []struct {
		name    string
		tables  map[string]string // nil: a /sys that reads no tables
		drop    []string
		verdict verify.Verdict
		code    verify.Code
		text    string
	}{
		{"aes-xts-plain64 with xts", map[string]string{"254:0": table("aes-xts-plain64")}, nil, verify.Bootable, "", ""},
		{"capi:xts(aes)-plain64 with xts", map[string]string{"254:0": table("capi:xts(aes)-plain64")}, nil, verify.Bootable, "", ""},
		{"aes-xts-plain64 without xts", map[string]string{"254:0": table("aes-xts-plain64")}, []string{"xts"}, verify.Unbootable, verify.CodeModuleMissing, "cipher aes-xts-plain64 of LUKS dm-0"},
		{"no table: a note", nil, []string{"xts"}, verify.Bootable, verify.CodeDevicesUnknown, "device-mapper tables cannot be read"},
		{"the table unreadable: a note", map[string]string{}, []string{"xts"}, verify.Bootable, verify.CodeDevicesUnknown, "no such device"},
		{"a cipher the kernel lacks", map[string]string{"254:0": table("kuznyechik-xts-plain64")}, nil, verify.CannotTell, verify.CodeDevicesUnknown, "crypto-kuznyechik"},
		{"a spec boot-guard cannot read", map[string]string{"254:0": table("capi:xts(aes;x)-plain64")}, nil, verify.CannotTell, verify.CodeDevicesUnknown, "not a cipher spec"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.m = checktest.LUKSMachine(t, dm)
			mods := f.modules(t, []string{"nvme", "ext4", "dm_mod", "dm_crypt", "xts"}, tc.drop...)
			files := append(cryptLayout("initramfs-tools", mods), crypttabFile("cryptroot/crypttab", dm+" UUID="+checktest.LUKSUUID+" none luks"))
			checktest.Initrd{Version: kv, Modules: mods, Extra: files}.Write(t, f.root)
			req := f.request()
			if tc.tables != nil {
				req.Sys = checktest.DMTables(f.m.Sys, tc.tables)
			}
			k := checkExpect(t, req, tc.verdict, tc.code, tc.text)
			if tc.verdict == verify.Bootable && tc.code == "" {
				if r, ok := requirement(k, "xts"); !ok || r.Status != verify.StatusInInitrd {
					t.Errorf("xts: %+v", r)
				}
				if r, ok := requirement(k, "aes_generic"); !ok || r.Status != verify.StatusBuiltin {
					t.Errorf("aes: %+v (requirements %+v)", r, k.Requirements)
				}
			}
		})
	}
}
