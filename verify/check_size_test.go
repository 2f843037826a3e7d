package verify_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

func TestInitrdTooBigForMemory(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	meminfo := func(s string) {
		checktest.WriteFile(t, filepath.Join(f.m.Proc, "meminfo"), []byte(s))
	}
	// MemTotal below the room the boot needs alone.
	small := verify.BootRoom >> 10
	meminfo(fmt.Sprintf("MemTotal:       %d kB\nMemFree:          1000 kB\n", small))
	p := onlyCode(t, check(t, f.request()), verify.CodeInitrdTooBigForMemory, verify.Unbootable,
		kv, "does not fit in this machine's memory", fmt.Sprintf("MemTotal is %.1f MiB", float64(small)/1024))
	assertFix(t, p)

	for _, fine := range []string{
		"MemTotal:       16314184 kB\n", // 16 GiB
		"MemFree: 1 kB\n",               // no MemTotal
		"MemTotal: lots kB\n",           // not a number
		"MemTotal: 100 MB\n",            // not kB
		"",
	} {
		meminfo(fine)
		if k := check(t, f.request()); k.Verdict != verify.Bootable || len(k.Problems) != 0 {
			t.Errorf("meminfo %q: %v %+v", fine, k.Verdict, k.Problems)
		}
	}
	// No /proc (--root): not checked.
	meminfo(fmt.Sprintf("MemTotal: %d kB\n", small))
	req := f.request()
	req.Proc, req.Sys, req.Modules = nil, nil, rootNeeds
	if k := check(t, req); k.Verdict != verify.Bootable {
		t.Errorf("--root: %v %+v", k.Verdict, k.Problems)
	}
	if err := os.Remove(filepath.Join(f.m.Proc, "meminfo")); err != nil {
		t.Fatal(err)
	}
}
