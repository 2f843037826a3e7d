package verify_test

import (
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// TestCheckInitrdPrograms: each file an initramfs-tools image's userspace
// needs to mount root, left out, as the e2e rows of issue 11 item 4 boot
// them (scripts/e2e/scenarios.tsv); the verdicts follow those real boots.
func TestCheckInitrdPrograms(t *testing.T) {
	dir := "usr/lib/modules/" + kv + "/"
	cases := []struct {
		name    string
		drop    string           // path of InitramfsTools' files to leave out
		extra   []checktest.File // added after them
		code    verify.Code      // "" for bootable
		message string
		dracut  bool // the generator's files are dracut's
	}{
		{name: "whole"},
		{name: "no modules.dep.bin", drop: dir + "modules.dep.bin", code: verify.CodeModuleNotInDep, message: "never reads the text modules.dep"},
		{name: "corrupt modules.dep.bin", extra: []checktest.File{{Path: dir + "modules.dep.bin", Data: []byte("not an index")}}, code: verify.CodeModuleNotInDep, message: "cannot be read"},
		{name: "modules.dep.bin lists no nvme", extra: []checktest.File{{Path: dir + "modules.dep.bin", Data: kmodtest.DepBin([]string{"kernel/fs/ext4/ext4.ko:"})}}, code: verify.CodeModuleNotInDep, message: "does not list it"},
		{name: "modules.dep.bin names another file", extra: []checktest.File{{Path: dir + "modules.dep.bin", Data: kmodtest.DepBin([]string{"kernel/drivers/other/nvme.ko:"})}}, code: verify.CodeModuleNotInDep, message: "a file it does not carry"},
		{name: "no modules.alias.bin", drop: dir + "modules.alias.bin", code: verify.CodeModuleNotInDep, message: "modules.alias.bin"},
		{name: "no udevd", drop: "usr/lib/systemd/systemd-udevd", code: verify.CodeUserspaceMissing, message: "has no udevd"},
		{name: "no modprobe", drop: "usr/sbin/modprobe", code: verify.CodeUserspaceMissing, message: "has no modprobe (/sbin/modprobe)"},
		{name: "no libkmod", drop: "usr/lib/x86_64-linux-gnu/libkmod.so.2", code: verify.CodeUserspaceMissing, message: "has no libkmod.so.2, a library /lib/systemd/systemd-udevd needs"},
		{name: "no dynamic loader", drop: "usr/lib64/ld-linux-x86-64.so.2", code: verify.CodeUserspaceMissing, message: "the dynamic loader"},
		{name: "init's interpreter missing", extra: []checktest.File{{Path: "init", Data: []byte("#!/bin/bash\n"), Exec: true}}, code: verify.CodeInitMissing, message: "has no /bin/bash, the interpreter"},
		{name: "init's interpreter lacks a library", extra: []checktest.File{{Path: "bin/sh", Data: checktest.ProgramELF("/lib64/ld-linux-x86-64.so.2", []string{"libgone.so.1"}), Exec: true}}, code: verify.CodeInitMissing, message: "has no libgone.so.1"},
		{name: "ELF init lacks its loader", extra: []checktest.File{{Path: "init", Data: checktest.ProgramELF("/lib/ld-gone.so", nil), Exec: true}}, code: verify.CodeInitMissing, message: "has no /lib/ld-gone.so"},
		{name: "no modules.symbols.bin nor modules.builtin.bin: boots"},
		{name: "dracut", dracut: true},
		{name: "modules.dep.bin too large to read", extra: []checktest.File{{Path: dir + "modules.dep.bin", Data: make([]byte, 17<<20)}}, code: verify.CodeModuleIndex, message: "modules.dep.bin was not checked"},
		{name: "dracut without udevd", dracut: true, drop: "usr/lib/systemd/systemd-udevd", code: verify.CodeUserspaceMissing, message: "has no udevd"},
		{name: "dracut without modules.dep.bin", dracut: true, drop: dir + "modules.dep.bin", code: verify.CodeModuleNotInDep, message: "never reads the text modules.dep"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			mods := f.modules(t, rootNeeds)
			var extra []checktest.File
			for _, x := range checktest.InitramfsTools(kv, mods) {
				if x.Path != tc.drop && (!tc.dracut || !strings.HasPrefix(x.Path, "scripts/") && !strings.HasPrefix(x.Path, "conf/")) {
					extra = append(extra, x)
				}
			}
			if tc.dracut {
				extra = append(extra, checktest.File{Path: "etc/initrd-release", Data: []byte("NAME=dracut\n")},
					checktest.File{Path: "usr/lib/dracut/build-parameter.txt"})
			}
			checktest.Initrd{Version: kv, Modules: mods, Extra: append(extra, tc.extra...)}.Write(t, f.root)
			k := check(t, f.request())
			if tc.code == "" {
				if k.Verdict != verify.Bootable {
					t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
				}
				return
			}
			p := problem(t, k, tc.code)
			if tc.code == verify.CodeModuleIndex {
				if k.Verdict != verify.CannotTell || !strings.Contains(p.Message, tc.message) {
					t.Errorf("verdict %v, problem %+v; want cannot-tell, %q", k.Verdict, p, tc.message)
				}
				return
			}
			if k.Verdict != verify.Unbootable || p.Verdict != verify.Unbootable || !strings.Contains(p.Message, tc.message) {
				t.Errorf("verdict %v, problem %+v; want %q in the message", k.Verdict, p, tc.message)
			}
			if tc.dracut { // the image's generator names the fix
				if want := "dracut --force /boot/initrd.img-" + kv + " " + kv; !strings.Contains(p.Hint, want) {
					t.Errorf("hint %q lacks %q", p.Hint, want)
				}
				return
			}
			assertFix(t, p)
		})
	}
}

// TestCheckNoGeneratorKeepsTextDep: an image no known generator built (a
// busybox modprobe reads the text modules.dep) is judged by modules.dep, as
// before: no binary index, udevd or modprobe is asked of it.
func TestCheckNoGeneratorKeepsTextDep(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	if k := check(t, f.request()); k.Verdict != verify.Bootable {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
}
