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

// Issue 12 item 2: NVMeMachine's nvme driver is built into the running
// kernel (its /sys/module/nvme has no initstate). The running kernel is
// 6.1.0-custom, whose /lib/modules tree says whether nvme is a built-in
// tristate driver; the target kv is edited per case.

const runningKV = "6.1.0-custom"

func withoutNVMe(k *kmodtest.Kernel) {
	var dep, alias []string
	for _, l := range k.Dep {
		if !strings.HasPrefix(l, "kernel/drivers/nvme/host/nvme.ko:") {
			dep = append(dep, l)
		}
	}
	for _, l := range k.Alias {
		if !strings.HasSuffix(l, " nvme") {
			alias = append(alias, l)
		}
	}
	k.Dep, k.Alias = dep, alias
}

func TestBuiltinDriverOfTheRunningKernel(t *testing.T) {
	cases := []struct {
		name           string
		target         func(k *kmodtest.Kernel)
		runningBuiltin bool // the running kernel's modules.builtin lists nvme
		noRunningTree  bool
		noModinfo      bool // the target has no modules.builtin.modinfo
		code           verify.Code
		verdict        verify.Verdict
		nvme           verify.Status // nvme's requirement; "": none
		in             string
	}{
		{name: "the target lacks the driver", target: withoutNVMe, runningBuiltin: true,
			code: verify.CodeBuiltinDriverMissing, verdict: verify.Unbootable, in: "the running kernel (6.1.0-custom) drives it with nvme, built in"},
		{name: "the target builds it in", target: func(k *kmodtest.Kernel) {
			withoutNVMe(k)
			k.Builtin = append(k.Builtin, "kernel/drivers/nvme/host/nvme.ko")
		}, runningBuiltin: true, verdict: verify.Bootable, nvme: verify.StatusBuiltin},
		{name: "the target has a module called so, whose aliases miss the device", target: func(k *kmodtest.Kernel) {
			withoutNVMe(k)
			k.Dep = append(k.Dep, "kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko kernel/block/t10-pi.ko kernel/lib/crc64-rocksoft.ko kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko kernel/crypto/crct10dif_common.ko")
		}, runningBuiltin: true, verdict: verify.Bootable, nvme: verify.StatusInInitrd},
		{name: "the target lacks modules.builtin.modinfo", target: withoutNVMe, noModinfo: true, runningBuiltin: true, code: verify.CodeBuiltinDriverMissing, verdict: verify.CannotTell, in: "modules.builtin.modinfo is missing"},
		{name: "a driver the running kernel's modules.builtin does not list", target: withoutNVMe,
			code: verify.CodeDeviceUnclaimed, verdict: verify.Bootable, in: "does not list"},
		{name: "the running kernel's modules are not installed", target: withoutNVMe, noRunningTree: true,
			code: verify.CodeDeviceUnclaimed, verdict: verify.Bootable, in: "was not read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			k := kmodtest.Debian(kv)
			tc.target(&k)
			k.WriteDir(t, f.root)
			if tc.noModinfo {
				if err := os.Remove(filepath.Join(f.root, "lib/modules", kv, "modules.builtin.modinfo")); err != nil {
					t.Fatal(err)
				}
			}
			if !tc.noRunningTree {
				r := kmodtest.Debian(runningKV)
				if tc.runningBuiltin {
					withoutNVMe(&r)
					r.Builtin = append(r.Builtin, "kernel/drivers/nvme/host/nvme.ko")
				}
				r.WriteDir(t, f.root)
			}
			checktest.WriteFile(t, filepath.Join(f.m.Proc, "sys/kernel/osrelease"), []byte(runningKV+"\n"))
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			rep := check(t, f.request())
			if rep.Verdict != tc.verdict {
				t.Errorf("verdict %v, want %v: %+v", rep.Verdict, tc.verdict, rep.Problems)
			}
			if tc.code != "" {
				p := problem(t, rep, tc.code)
				if p.Verdict != tc.verdict || !strings.Contains(p.Message, tc.in) {
					t.Errorf("problem %+v; want %v with %q", p, tc.verdict, tc.in)
				}
			}
			r, ok := requirement(rep, "nvme")
			if tc.nvme == "" && ok || tc.nvme != "" && r.Status != tc.nvme {
				t.Errorf("nvme requirement %+v (%v), want status %q", r, ok, tc.nvme)
			}
		})
	}
}
