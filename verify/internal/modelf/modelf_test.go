package modelf_test

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/internal/modelf"
)

func TestParseVersioned(t *testing.T) {
	m := checktest.VersionedModule{Name: "nvme", Vermagic: "6.1.0-57-amd64 SMP preempt mod_unload modversions ",
		Versions: []checktest.SymVersion{{Name: "module_layout", CRC: 0x1234}, {Name: "nvme_init_ctrl", CRC: 0xdeadbeef}},
		Imports:  []string{"nvme_init_ctrl", "_printk"}}
	info, err := modelf.Parse(m.ELF(), modelf.Want{Versions: true, Symbols: true})
	if err != nil {
		t.Fatal(err)
	}
	if info.Modinfo["vermagic"] != m.Vermagic || !info.HasVersions {
		t.Fatalf("modinfo %v, has versions %v", info.Modinfo, info.HasVersions)
	}
	want := []modelf.Version{{Name: "module_layout", CRC: 0x1234}, {Name: "nvme_init_ctrl", CRC: 0xdeadbeef}}
	if !reflect.DeepEqual(info.Versions, want) {
		t.Errorf("versions %v, want %v", info.Versions, want)
	}
	if !reflect.DeepEqual(info.Undefined, []string{"nvme_init_ctrl", "_printk"}) {
		t.Errorf("undefined %v", info.Undefined)
	}
	m.NoVersions = true
	info, err = modelf.Parse(m.ELF(), modelf.Want{Versions: true})
	if err != nil || info.HasVersions || info.Versions != nil || info.Undefined != nil {
		t.Fatalf("without __versions: %+v, %v", info, err)
	}
}

func TestParseVersionsEntries(t *testing.T) {
	b := make([]byte, 128)
	binary.BigEndian.PutUint32(b, 0xcafe)
	copy(b[4:], "sym32")
	copy(b[64+4:], bytes.Repeat([]byte{'x'}, 60)) // a name filling its field, unterminated
	v, err := modelf.ParseVersions(b, binary.BigEndian, false)
	if err != nil || len(v) != 2 || v[0] != (modelf.Version{Name: "sym32", CRC: 0xcafe}) || len(v[1].Name) != 60 {
		t.Fatalf("%v, %v", v, err)
	}
	if _, err := modelf.ParseVersions(b[:100], binary.LittleEndian, true); err == nil {
		t.Fatal("no error for a partial entry")
	}
}

// TestParseHostile: every truncation of a versioned module gives an error or
// the right answer, never a panic.
func TestParseHostile(t *testing.T) {
	m := checktest.VersionedModule{Name: "x", Vermagic: "6.1 SMP ", Versions: []checktest.SymVersion{{Name: "a", CRC: 1}}, Imports: []string{"a"}}
	good := m.ELF()
	for cut := 0; cut < len(good); cut++ {
		info, err := modelf.Parse(good[:cut], modelf.Want{Versions: true, Symbols: true})
		if err == nil && info.Modinfo["vermagic"] != "6.1 SMP " {
			t.Fatalf("cut %d: %+v", cut, info)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(checktest.VersionedModule{Name: "x", Vermagic: "6.1 SMP ", Versions: []checktest.SymVersion{{Name: "a", CRC: 1}}, Imports: []string{"a", "b"}}.ELF())
	f.Add(checktest.ModuleELF("y", "6.1 SMP ", []string{"z"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := modelf.Parse(data, modelf.Want{Versions: true, Symbols: true})
		if err == nil && info.Modinfo == nil {
			t.Fatal("no error and no .modinfo")
		}
	})
}

func FuzzParseVersions(f *testing.F) {
	f.Add(make([]byte, 64), true)
	f.Add(append([]byte{1, 2, 3, 4}, []byte("sym\x00")...), false)
	f.Fuzz(func(t *testing.T, data []byte, is64 bool) {
		v, err := modelf.ParseVersions(data, binary.LittleEndian, is64)
		if err == nil && len(v) != len(data)/modelf.VersionEntrySize {
			t.Fatalf("%d entries from %d bytes", len(v), len(data))
		}
		for _, e := range v {
			if len(e.Name) > modelf.VersionEntrySize {
				t.Fatalf("name of %d bytes", len(e.Name))
			}
		}
	})
}
