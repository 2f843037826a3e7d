package kmod_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// hideAliasBin hides every modules.alias.bin of a root: Load then reads
// modules.alias, as before issue 16 item 3.
type hideAliasBin struct{ fs.FS }

func (h hideAliasBin) Open(name string) (fs.File, error) {
	if path := filepath.Base(name); path == "modules.alias.bin" {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return h.FS.Open(name)
}

// loadBoth loads root's index of version from modules.alias.bin and, with
// the .bin hidden, from modules.alias.
func loadBoth(t *testing.T, root fs.FS, version string) (bin, text *kmod.Index) {
	t.Helper()
	bin, err := kmod.Load(root, version)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if used, why := kmod.AliasesFromBin(bin); !used {
		t.Fatalf("Load did not use modules.alias.bin: %v", why)
	}
	text, err = kmod.Load(hideAliasBin{root}, version)
	if err != nil {
		t.Fatalf("Load without modules.alias.bin: %v", err)
	}
	if used, _ := kmod.AliasesFromBin(text); used {
		t.Fatal("Load used a hidden modules.alias.bin")
	}
	return bin, text
}

// sameAnswers fails when bin and text answer a modalias differently.
func sameAnswers(t *testing.T, bin, text *kmod.Index, modaliases []string) {
	t.Helper()
	bad := 0
	for _, m := range modaliases {
		if a, b := bin.Alias(m), text.Alias(m); !reflect.DeepEqual(a, b) {
			if bad++; bad <= 10 {
				t.Errorf("Alias(%q): modules.alias.bin gives %v, modules.alias %v", m, a, b)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d modaliases in all are answered differently", bad)
	}
}

func TestAliasBinAnswersAsText(t *testing.T) {
	k := kmodtest.Debian(v)
	k.AliasBin = true
	k.Alias = append(k.Alias,
		"usb:v*p*d*dc*dsc*dp*ic08isc06ip50in* usb_storage",
		"of:N*T*Cvirtio,mmio virtio_blk",
		"pci:v0000[18]0[0-9A-F][0-9A-F]d*sv*sd*bc01sc0[!0]i* ahci",
		"scsi:t-0x0[0-4]* sd_mod",
		"platform:foo?bar nvme",
		"fs-ext4 ext4", // listed twice, as a module with two MODULE_ALIAS does
	)
	bin, text := loadBoth(t, kmodtest.FS(k), v)
	queries := []string{
		realModalias, "virtio:d00000002v00001AF4", "fs-ext4", "fs_ext4", "fs-ext", "fs-ext44",
		"usb:v0781p5581d0100dc00dsc00dp00ic08isc06ip50in00", "of:NvirtioTmmioCvirtio,mmio",
		"pci:v00001000d00000001sv0sd0bc01sc06i01", "pci:v00008000d00000001sv0sd0bc01sc00i01",
		"scsi:t-0x00", "scsi:t-0x05", "scsi:t-0x04", "platform:fooXbar", "platform:foobar",
		"crypto-crc32c", "", "*", "pci:v*", "[", "a\\", "devname:loop-control", "block-major-7-3",
	}
	for _, l := range k.Alias { // every pattern as a modalias, and a word of it
		p, _, _ := strings.Cut(l, " ")
		queries = append(queries, p, strings.ReplaceAll(p, "*", "0"), p[:len(p)/2])
	}
	sameAnswers(t, bin, text, queries)
	if got := bin.Alias("scsi:t-0x03"); !reflect.DeepEqual(got, []string{"sd_mod"}) {
		t.Errorf("Alias(scsi:t-0x03) = %v, want [sd_mod]", got)
	}
	if got := bin.Alias("devname:loop-control"); !reflect.DeepEqual(got, []string{"loop"}) {
		t.Errorf("a built-in module's alias (modules.builtin.modinfo): %v, want [loop]", got)
	}
}

// Random patterns and modaliases over the bytes that matter to a glob:
// the trie's search finds what trying every pattern finds.
func TestAliasBinRandomPatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 3))
	atoms := []string{"a", "b", "-", "_", ":", "*", "?", "[ab]", "[!a]", "[a-b]", "[-a]", "\\a", "\\*"}
	word := func(n int, glob bool) string {
		var b strings.Builder
		for range 1 + rng.IntN(n) {
			a := atoms[rng.IntN(len(atoms))]
			if !glob {
				a = a[len(a)-1:] // "[ab]" -> "]": keep to plain bytes
				if a == "]" || a == "*" || a == "?" {
					a = "a"
				}
			}
			b.WriteString(a)
		}
		return b.String()
	}
	for round := range 20 {
		k := kmodtest.Kernel{Version: v, AliasBin: true, Builtin: []string{}}
		for i := range 40 {
			m := fmt.Sprintf("m%d", i)
			k.Dep = append(k.Dep, "kernel/"+m+".ko:")
			k.Alias = append(k.Alias, word(7, true)+" "+m)
		}
		bin, text := loadBoth(t, kmodtest.FS(k), v)
		var queries []string
		for range 400 {
			queries = append(queries, word(8, false))
		}
		for _, l := range k.Alias {
			p, _, _ := strings.Cut(l, " ")
			queries = append(queries, p)
		}
		t.Run(fmt.Sprint(round), func(t *testing.T) { sameAnswers(t, bin, text, queries) })
	}
}

// A modules.alias.bin that is not whole and sound is not used: the
// answers are modules.alias's, never an empty or partial trie's.
func TestAliasBinCorruptFallsBackToText(t *testing.T) {
	k := kmodtest.Debian(v)
	k.AliasBin = true
	good := kmodtest.AliasBin(k.Alias)
	p := "lib/modules/" + v + "/modules.alias.bin"
	cases := map[string][]byte{
		"empty":      {},
		"truncated":  good[:len(good)-7],
		"bad magic":  append([]byte{0}, good[1:]...),
		"root loops": loopRoot(good),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			fsys := kmodtest.FS(k)
			fsys[p] = &fstest.MapFile{Data: data}
			ix, err := kmod.Load(fsys, v)
			if err != nil {
				t.Fatal(err)
			}
			used, why := kmod.AliasesFromBin(ix)
			if used || !errors.Is(why, kmod.ErrBinIndexCorrupt) {
				t.Fatalf("used %v, why %v: want modules.alias read instead, for a corrupt .bin", used, why)
			}
			if got := ix.Alias(realModalias); !reflect.DeepEqual(got, []string{"nvme"}) {
				t.Errorf("Alias = %v, want [nvme] from modules.alias", got)
			}
		})
	}
	// Every byte of the file flipped, every cut: Load never fails for it
	// nor panics, and never uses a cut file (a flipped byte inside a key
	// or a module name reads as another name: no check can tell).
	for i := range good {
		fsys := kmodtest.FS(k)
		b := append([]byte(nil), good...)
		b[i] ^= 0xff
		fsys[p] = &fstest.MapFile{Data: b}
		if _, err := kmod.Load(fsys, v); err != nil {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
		fsys[p] = &fstest.MapFile{Data: good[:i]}
		ix, err := kmod.Load(fsys, v)
		if err != nil {
			t.Fatalf("cut at %d: %v", i, err)
		}
		if used, _ := kmod.AliasesFromBin(ix); used {
			t.Fatalf("cut at %d of %d: the .bin was used", i, len(good))
		}
	}
}

// loopRoot makes the root's first child point back at the root.
func loopRoot(good []byte) []byte {
	b := append([]byte(nil), good...)
	root := uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	pos := int(root & 0x0FFFFFFF)
	if root&0x80000000 != 0 { // skip the prefix
		for b[pos] != 0 {
			pos++
		}
		pos++
	}
	if root&0x20000000 == 0 {
		panic("root has no children")
	}
	first := pos + 2
	for j := first; j < first+4*(int(b[pos+1])-int(b[pos])+1); j += 4 {
		if b[j]|b[j+1]|b[j+2]|b[j+3] != 0 {
			copy(b[j:], b[8:12])
			return b
		}
	}
	panic("no child")
}

// modules.alias stays required with its .bin there, as before: depmod
// writes both, and a tree without the text file was not made by it.
func TestAliasBinWithoutText(t *testing.T) {
	k := kmodtest.Debian(v)
	k.AliasBin = true
	fsys := kmodtest.FS(k)
	delete(fsys, "lib/modules/"+v+"/modules.alias")
	if _, err := kmod.Load(fsys, v); !errors.Is(err, kmod.ErrNoIndex) {
		t.Fatalf("Load = %v, want ErrNoIndex", err)
	}
}

// On every real index (this machine's /lib/modules, and the trees named
// in BG_KMOD_ROOTS, colon-separated filesystem roots): the .bin holds the
// same (pattern, module) pairs as modules.alias, and both answer a
// quarter of the patterns, every modalias of this machine's devices and a few real ones
// alike.
func TestAliasBinRealIndexes(t *testing.T) {
	roots := []string{"/"}
	if e := os.Getenv("BG_KMOD_ROOTS"); e != "" {
		roots = append(roots, strings.Split(e, ":")...)
	}
	sysAliases := deviceModaliases()
	n := 0
	for _, r := range roots {
		bins, _ := filepath.Glob(filepath.Join(r, "lib/modules/*/modules.alias.bin"))
		for _, b := range bins {
			ver := filepath.Base(filepath.Dir(b))
			n++
			t.Run(r+":"+ver, func(t *testing.T) {
				root := os.DirFS(r)
				bin, text := loadBoth(t, root, ver)
				data, err := os.ReadFile(b)
				if err != nil {
					t.Fatal(err)
				}
				x, err := kmod.ParseBinIndex(data)
				if err != nil {
					t.Fatal(err)
				}
				queries := append([]string{realModalias, "fs-ext4", "scsi:t-0x00", "crypto-aes"}, sysAliases...)
				pairs := map[string]bool{}
				if err := x.Walk(func(key string, vals []kmod.BinValue) error {
					for _, v := range vals {
						pairs[key+" "+v.Value] = true
					}
					if len(pairs)%4 == 0 { // a sample keeps the test short
						queries = append(queries, key, strings.ReplaceAll(key, "*", "0"))
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				textPairs := map[string]bool{}
				alias, err := fs.ReadFile(root, bin.Dir()+"/modules.alias")
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range strings.Split(string(alias), "\n") {
					if f := strings.Fields(l); len(f) == 3 && f[0] == "alias" {
						textPairs[kmod.NormalizeAlias(f[1])+" "+f[2]] = true
					}
				}
				if !reflect.DeepEqual(pairs, textPairs) {
					t.Errorf("modules.alias.bin holds %d (pattern, module) pairs, modules.alias %d, not the same", len(pairs), len(textPairs))
				}
				sameAnswers(t, bin, text, queries)
				t.Logf("%d pairs, %d modaliases answered alike", len(pairs), len(queries))
			})
		}
	}
	if n == 0 {
		t.Skip("no lib/modules/*/modules.alias.bin here")
	}
}

// deviceModaliases are the modaliases of this machine's devices.
func deviceModaliases() []string {
	var out []string
	_ = filepath.WalkDir("/sys/devices", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "modalias" && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				out = append(out, strings.TrimSpace(string(b)))
			}
		}
		return nil
	})
	slices.Sort(out)
	return slices.Compact(out)
}
