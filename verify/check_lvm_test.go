package verify_test

import (
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// Issue 12 item 4: an LVM thin root's dm targets come from the live table;
// the names guess only when the table cannot be read, and a guess does not
// decide.
func TestCheckLVMTargets(t *testing.T) {
	lvm := checktest.File{Path: "usr/sbin/lvm", Data: checktest.ProgramELF("", nil), Exec: true}
	rules := checktest.File{Path: "usr/lib/udev/rules.d/69-lvm.rules", Data: []byte("# lvm2's activation rule\n")}
	linear := map[string]string{"254:0": "0 2048 linear 259:2 2048\n", "254:1": "0 2048 linear 254:0 0\n"}
	cases := []struct {
		name    string
		tables  map[string]string // nil: a /sys that reads no tables
		drop    []string
		noLVM   bool
		noRules bool
		verdict verify.Verdict
		code    verify.Code
		text    string
	}{
		{"table: thin with its module", checktest.LVMThinTables, nil, false, false, verify.Bootable, "", ""},
		{"table: thin without dm-thin-pool", checktest.LVMThinTables, []string{"dm_thin_pool"}, false, false, verify.Unbootable, verify.CodeModuleMissing, "dm target thin of LVM dm-1 (vg-root), mounted at /"},
		{"table: thin without dm-bufio", checktest.LVMThinTables, []string{"dm_bufio"}, false, false, verify.Unbootable, verify.CodeModuleMissing, "dm_bufio"},
		{"table: linear, whatever the names say", linear, []string{"dm_thin_pool"}, false, false, verify.Bootable, "", ""},
		{"table: a target boot-guard does not know", map[string]string{"254:0": "0 2048 bow 259:2\n", "254:1": "0 2048 linear 254:0 0\n"}, nil, false, false, verify.CannotTell, verify.CodeModuleUnknown, "not one boot-guard knows"},
		{"no table: guessed, present", nil, nil, false, false, verify.Bootable, verify.CodeDevicesUnknown, "guessed from its LVM names"},
		{"no table: guessed, missing", nil, []string{"dm_thin_pool"}, false, false, verify.CannotTell, verify.CodeModuleMissing, "that need is a guess"},
		{"table unreadable: guessed, missing", map[string]string{}, []string{"dm_thin_pool"}, false, false, verify.CannotTell, verify.CodeModuleMissing, "no such device"},
		{"table: without dm-mod", checktest.LVMThinTables, []string{"dm_mod", "dm_bufio", "dm_thin_pool"}, false, false, verify.Unbootable, verify.CodeModuleMissing, "dm_mod"},
		{"table: no lvm program", checktest.LVMThinTables, nil, true, false, verify.Unbootable, verify.CodeUserspaceMissing, "no lvm"},
		{"table: no 69-lvm.rules", checktest.LVMThinTables, nil, false, true, verify.Unbootable, verify.CodeUserspaceMissing, "has lvm but no udev rule 69-lvm.rules"},
		{"table: an activation script instead of 69-lvm.rules", checktest.LVMThinTables, nil, false, true, verify.Bootable, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.m = checktest.LVMMachine(t)
			mods := f.modules(t, []string{"nvme", "ext4", "dm_mod", "dm_thin_pool"}, tc.drop...)
			files := checktest.InitramfsTools(kv, mods)
			if !tc.noLVM {
				files = append(files, lvm)
			}
			if !tc.noRules {
				files = append(files, rules)
			}
			if strings.Contains(tc.name, "activation script") {
				files = append(files, checktest.File{Path: "scripts/local-block/lvm2", Data: []byte("#!/bin/sh\nlvm vgchange -aay --sysinit\n"), Exec: true})
			}
			checktest.Initrd{Version: kv, Modules: mods, Extra: files}.Write(t, f.root)
			req := f.request()
			if tc.tables != nil {
				req.Sys = checktest.DMTables(f.m.Sys, tc.tables)
			}
			k := checkExpect(t, req, tc.verdict, tc.code, tc.text)
			if tc.verdict == verify.Bootable && tc.tables != nil && tc.code == "" && len(tc.drop) == 0 {
				if r, ok := requirement(k, "dm_thin_pool"); !ok || r.Status != verify.StatusInInitrd {
					t.Errorf("dm_thin_pool: %+v (requirements %+v)", r, k.Requirements)
				}
			}
		})
	}
}

// checkExpect checks req and asserts its verdict and, when code is set,
// that a problem with code says text.
func checkExpect(t *testing.T, req verify.Request, verdict verify.Verdict, code verify.Code, text string) verify.KernelReport {
	t.Helper()
	k := check(t, req)
	if k.Verdict != verdict {
		t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, verdict, k.Problems)
	}
	if code != "" {
		if p := problem(t, k, code); !strings.Contains(p.Message, text) {
			t.Errorf("%+v, want %q in it", p, text)
		}
	}
	return k
}
