package kmod_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

func TestBinIndexRoundTrip(t *testing.T) {
	entries := map[string][]string{
		"ask": {"1"}, "ate": {"2"}, "on": {"3"}, "once": {"4"}, "one": {"5", "6"},
		"pci:v*d*sv*sd*bc01sc08i02*": {"nvme"}, "": {"empty"},
	}
	x, err := kmod.ParseBinIndex(kmodtest.BinIndex(entries))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	var order []string
	if err := x.Walk(func(key string, vals []kmod.BinValue) error {
		order = append(order, key)
		for _, v := range vals {
			got[key] = append(got[key], v.Value)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, entries) {
		t.Errorf("walk = %v, want %v", got, entries)
	}
	if want := []string{"", "ask", "ate", "on", "once", "one", "pci:v*d*sv*sd*bc01sc08i02*"}; !reflect.DeepEqual(order, want) {
		t.Errorf("walk order = %q, want %q", order, want)
	}
	for key, want := range entries {
		vals, ok, err := x.Lookup(key)
		if err != nil || !ok || vals[0].Value != want[0] {
			t.Errorf("Lookup(%q) = %v, %v, %v; want %q", key, vals, ok, err, want[0])
		}
	}
	for _, key := range []string{"a", "as", "asks", "o", "onc", "zzz", "pci:"} {
		if vals, ok, err := x.Lookup(key); ok || err != nil {
			t.Errorf("Lookup(%q) = %v, %v, %v; want not found", key, vals, ok, err)
		}
	}
}

func TestDepBinPaths(t *testing.T) {
	k := kmodtest.Debian("6.1.0-57-amd64")
	x, err := kmod.ParseBinIndex(kmodtest.DepBin(k.Dep))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := kmod.DepBinPaths(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(k.Dep) {
		t.Errorf("%d modules, want %d", len(paths), len(k.Dep))
	}
	if p := paths["nvme_core"]; !strings.HasPrefix(p, "kernel/drivers/nvme/host/nvme-core.ko") {
		t.Errorf("nvme_core -> %q", p)
	}
}

func TestBinIndexCorrupt(t *testing.T) {
	good := kmodtest.BinIndex(map[string][]string{"nvme": {"kernel/nvme.ko:"}, "nvme_core": {"kernel/nvme-core.ko:"}})
	be := binary.BigEndian
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"empty":     {},
		"short":     good[:11],
		"magic":     mut(func(b []byte) []byte { be.PutUint32(b, 0xB007FA57); return b }),
		"version 1": mut(func(b []byte) []byte { be.PutUint32(b[4:], 0x00010000); return b }),
		"root out":  mut(func(b []byte) []byte { be.PutUint32(b[8:], 0x80000000|uint32(len(b)+5)); return b }),
		"truncated": good[:len(good)-3],
	}
	for name, b := range cases {
		x, err := kmod.ParseBinIndex(b)
		if err == nil {
			err = x.Walk(func(string, []kmod.BinValue) error { return nil })
		}
		if !errors.Is(err, kmod.ErrBinIndexCorrupt) {
			t.Errorf("%s: err = %v, want ErrBinIndexCorrupt", name, err)
		}
	}
	// A child pointing back at the root is a loop, not a hang.
	loop := make([]byte, 12, 32)
	be.PutUint32(loop, kmod.BinIndexMagic)
	be.PutUint32(loop[4:], 0x00020001)
	be.PutUint32(loop[8:], 0x20000000|12)
	loop = append(loop, 'a', 'a', 0, 0, 0, 0)
	be.PutUint32(loop[14:], 0x20000000|12)
	x, err := kmod.ParseBinIndex(loop)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Walk(func(string, []kmod.BinValue) error { return nil }); !errors.Is(err, kmod.ErrBinIndexCorrupt) {
		t.Errorf("loop: err = %v", err)
	}
	if _, _, err := x.Lookup(strings.Repeat("a", 100)); err != nil {
		t.Errorf("loop lookup: %v (it ends with the key)", err)
	}
}

// TestRealDepBin reads the installed kernel's modules.dep.bin and checks it
// lists what the text modules.dep does.
func TestRealDepBin(t *testing.T) {
	dir := ""
	for _, v := range []string{"6.1.0-57-amd64", uname(t)} {
		if _, err := os.Stat(filepath.Join("/lib/modules", v, "modules.dep.bin")); err == nil {
			dir = filepath.Join("/lib/modules", v)
			break
		}
	}
	if dir == "" {
		t.Skip("no /lib/modules/VERSION/modules.dep.bin on this machine")
	}
	b, err := os.ReadFile(filepath.Join(dir, "modules.dep.bin"))
	if err != nil {
		t.Skip(err)
	}
	x, err := kmod.ParseBinIndex(b)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := kmod.DepBinPaths(x)
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(filepath.Join(dir, "modules.dep"))
	if err != nil {
		t.Skip(err)
	}
	n := 0
	for _, line := range strings.Split(string(text), "\n") {
		p, _, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		n++
		name := kmod.Normalize(filepath.Base(p))
		if paths[name] != p {
			t.Errorf("%s: modules.dep.bin says %q, modules.dep %q", name, paths[name], p)
		}
	}
	if n != len(paths) || n == 0 {
		t.Errorf("modules.dep.bin lists %d modules, modules.dep %d", len(paths), n)
	}
}

func uname(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func FuzzBinIndex(f *testing.F) {
	f.Add(kmodtest.BinIndex(map[string][]string{"ask": {"1"}, "ate": {"2"}, "once": {"4", "5"}}))
	f.Add(kmodtest.DepBin(kmodtest.Debian("6.1.0-57-amd64").Dep))
	f.Add(kmodtest.AliasBin(kmodtest.Debian("6.1.0-57-amd64").Alias))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := kmod.ParseBinIndex(b)
		if err != nil {
			return
		}
		n := 0
		_ = x.Walk(func(key string, vals []kmod.BinValue) error {
			if n++; n < 20 {
				if got, ok, err := x.Lookup(key); err == nil && (!ok || got[0] != vals[0]) {
					t.Errorf("Lookup(%q) = %v, %v; Walk found %v", key, got, ok, vals)
				}
			}
			return nil
		})
		_, _ = kmod.DepBinPaths(x)
		// issue 16 item 3: an index the whole-file check passes reads
		// whole, and its alias search never meets a bad node.
		if kmod.CheckBinIndex(x) == nil {
			if err := x.Walk(func(string, []kmod.BinValue) error { return nil }); err != nil {
				t.Fatalf("the check passed, Walk failed: %v", err)
			}
			for _, m := range []string{"ask", "a", "", realModalias} {
				if _, err := kmod.MatchAliases(x, m); err != nil {
					t.Fatalf("the check passed, matchAliases(%q) failed: %v", m, err)
				}
			}
		}
	})
}
