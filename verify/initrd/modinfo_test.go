package initrd

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

// allocated returns the bytes fn allocates on the heap.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// only chooses the named modules, and records every name it was asked about.
func only(asked *[]string, names ...string) func(string) bool {
	return func(name string) bool {
		*asked = append(*asked, name)
		return slices.Contains(names, name)
	}
}

func TestModinfoChosen(t *testing.T) {
	const v = "6.1.0-13-amd64"
	vm := v + " SMP preempt mod_unload modversions "
	nvme := elfModule("depends=nvme-core", "vermagic="+vm)
	core := elfModule("depends=", "vermagic="+vm)
	ext4 := elfModule("depends=mbcache,jbd2", "vermagic="+vm)
	d := "lib/modules/" + v + "/kernel/"
	img := zst(t, archive(
		file(d+"nvme.ko", string(nvme)),
		file(d+"nvme-core.ko.gz", string(gz(t, core))),
		file(d+"ext4.ko.zst", string(zst(t, ext4))),
		file(d+"broken.ko", "not an elf file"),
		file("usr/"+d+"liar.ko.xz", string(gz(t, ext4)))))
	var asked []string
	im := mustRead(t, img, Options{Modinfo: only(&asked, "nvme_core", "ext4")})
	wantWhole(t, im)
	ignoreReach(im.Modules)
	want := []Module{
		{Path: d + "nvme.ko", Name: "nvme", KernelVersion: v, ModinfoSkipped: true},
		{Path: d + "nvme-core.ko.gz", Name: "nvme_core", KernelVersion: v, Vermagic: vm},
		{Path: d + "ext4.ko.zst", Name: "ext4", KernelVersion: v, Vermagic: vm, Depends: []string{"mbcache", "jbd2"}},
		// A module not chosen is not judged: broken or not, it is skipped.
		{Path: d + "broken.ko", Name: "broken", KernelVersion: v, ModinfoSkipped: true},
		{Path: "usr/" + d + "liar.ko.xz", Name: "liar", KernelVersion: v, ModinfoSkipped: true},
	}
	if !reflect.DeepEqual(im.Modules, want) {
		t.Errorf("modules:\n got %+v\nwant %+v", im.Modules, want)
	}
	// The filter is asked with normalised names, about every module.
	slices.Sort(asked)
	asked = slices.Compact(asked)
	if w := []string{"broken", "ext4", "liar", "nvme", "nvme_core"}; !reflect.DeepEqual(asked, w) {
		t.Errorf("Modinfo asked about %q, want %q", asked, w)
	}

	// NoModinfo: every module listed, none read, none an error.
	im = mustRead(t, img, Options{Modinfo: NoModinfo})
	wantWhole(t, im)
	ignoreReach(im.Modules)
	if len(im.Modules) != len(want) {
		t.Fatalf("modules %+v", im.Modules)
	}
	for i, m := range im.Modules {
		w := Module{Path: want[i].Path, Name: want[i].Name, KernelVersion: v, ModinfoSkipped: true}
		if !reflect.DeepEqual(m, w) {
			t.Errorf("module %d: got %+v, want %+v", i, m, w)
		}
	}

	// nil reads them all, as before: the broken ones are errors.
	im = mustRead(t, img, Options{})
	for _, m := range im.Modules {
		if m.ModinfoSkipped {
			t.Errorf("module %s skipped with a nil Modinfo", m.Path)
		}
		if (m.Err != nil) != (m.Name == "broken" || m.Name == "liar") {
			t.Errorf("module %s: err %v", m.Path, m.Err)
		}
	}
}

// bigModules is an uncompressed archive of n modules of size bytes each
// (a real .modinfo, then zeros).
func bigModules(n, size int) []byte {
	var ents []ent
	for i := range n {
		mod := elfModule(fmt.Sprintf("vermagic=6.1.0-%d SMP ", i), "depends=")
		mod = append(mod, make([]byte, size-len(mod))...)
		ents = append(ents, file(fmt.Sprintf("lib/modules/6.1/kernel/m%03d.ko", i), string(mod)))
	}
	return archive(ents...)
}

// TestSkippedModulesAreNotBuffered reads 8 modules of 2 MiB: skipped, they
// cost no buffer; chosen, one scratch buffer serves them all, instead of a
// buffer per module grown by append.
func TestSkippedModulesAreNotBuffered(t *testing.T) {
	const n, size = 8, 2 << 20
	img := bigModules(n, size)
	read := func(opt Options) (im *Image) {
		var err error
		im, err = Read(context.Background(), bytes.NewReader(img), opt)
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	var im *Image
	skipped := allocated(func() { im = read(Options{Modinfo: NoModinfo}) })
	wantWhole(t, im)
	if len(im.Modules) != n || !im.Modules[0].ModinfoSkipped {
		t.Fatalf("modules %+v", im.Modules)
	}
	if skipped > 512<<10 {
		t.Errorf("reading %d skipped modules of %d bytes allocated %d bytes; want no buffer for their data", n, size, skipped)
	}
	chosen := allocated(func() { im = read(Options{}) })
	for i, m := range im.Modules {
		if m.Err != nil || m.Vermagic != fmt.Sprintf("6.1.0-%d SMP ", i) {
			t.Fatalf("module %d: %+v", i, m)
		}
	}
	// One buffer per .modinfo worker and one for the walk, each of at
	// most twice the largest module (doubling from 64 KiB, capped at the
	// filesize), not n of them.
	bufs := min(runtime.GOMAXPROCS(0), maxModWorkers) + 1
	if chosen > uint64(bufs)*2*size {
		t.Errorf("reading %d chosen modules of %d bytes allocated %d bytes; want one reused buffer", n, size, chosen)
	}
	t.Logf("%d modules of %d bytes: %d bytes allocated skipped, %d read", n, size, skipped, chosen)

	// The number of allocations of a skipped module does not depend on
	// its size.
	small, large := bigModules(4, 64<<10), bigModules(4, 1<<20)
	a := testing.AllocsPerRun(3, func() { Read(context.Background(), bytes.NewReader(small), Options{Modinfo: NoModinfo}) })
	b := testing.AllocsPerRun(3, func() { Read(context.Background(), bytes.NewReader(large), Options{Modinfo: NoModinfo}) })
	if b > a {
		t.Errorf("skipped modules: %v allocations at 64 KiB each, %v at 1 MiB each", a, b)
	}
	t.Logf("skipped modules: %v allocations at 64 KiB each, %v at 1 MiB each", a, b)
}

// TestCompressedModulesShareScratch reads 32 .ko.gz modules that decompress
// to 1 MiB each: the decompressed bytes go into one reused buffer per
// .modinfo worker.
func TestCompressedModulesShareScratch(t *testing.T) {
	const n, size = 32, 1 << 20
	var ents []ent
	for i := range n {
		mod := elfModule(fmt.Sprintf("vermagic=6.1.0-%d SMP ", i), "depends=a-b")
		mod = append(mod, make([]byte, size-len(mod))...)
		ents = append(ents, file(fmt.Sprintf("lib/modules/6.1/kernel/m%03d.ko.gz", i), string(gz(t, mod))))
	}
	img := archive(ents...)
	var im *Image
	got := allocated(func() { im = mustRead(t, img, Options{}) })
	wantWhole(t, im)
	for i, m := range im.Modules {
		if m.Err != nil || m.Vermagic != fmt.Sprintf("6.1.0-%d SMP ", i) || !reflect.DeepEqual(m.Depends, []string{"a_b"}) {
			t.Fatalf("module %d: %+v", i, m)
		}
	}
	// io.ReadAll per module allocated more than n*size; one scratch per
	// .modinfo worker, grown by doubling past 1 MiB, costs up to 4 MiB
	// each, plus gzip's state per module.
	bufs := min(runtime.GOMAXPROCS(0), maxModWorkers)
	if got > uint64(bufs)*4*size+n*128<<10 && !raceEnabled {
		t.Errorf("reading %d modules decompressing to %d bytes allocated %d bytes; want one reused buffer", n, size, got)
	}
	t.Logf("%d .ko.gz of %d bytes decompressed: %d bytes allocated", n, size, got)
}

// TestHardLinkedModulesChosen: with a filter, a hard-link group's .modinfo
// is still read from the member carrying the data, whenever a member that
// is chosen has come or may still come.
func TestHardLinkedModulesChosen(t *testing.T) {
	const dir = "usr/lib/modules/6.1.0-9-amd64/kernel/crypto/"
	mod := string(elfModule("vermagic=6.1.0-9-amd64 SMP preempt mod_unload modversions ", "depends="))
	lied := func(name, data string, ino, nlink uint32) ent {
		e := hardlink(name, data, ino)
		e.nlink = nlink
		return e
	}
	cases := []struct {
		name   string
		img    []byte
		choose []string
		read   []string // module paths whose .modinfo must be read
		skip   []string // module paths that must be skipped
		broken []string // chosen module paths that must be an error
	}{
		{"data on a non-module last member", archive(
			hardlink(dir+"crct10dif_common.ko", "", 5),
			hardlink(dir+"crct10dif_common.ko.dpkg-new", "", 5),
			hardlink(dir+"crct10dif_common.ko.dpkg-tmp", mod, 5)),
			[]string{"crct10dif_common"}, []string{dir + "crct10dif_common.ko"}, nil, nil},
		{"the same, not chosen", archive(
			hardlink(dir+"crct10dif_common.ko", "", 5),
			hardlink(dir+"crct10dif_common.ko.dpkg-tmp", mod, 5)),
			nil, nil, []string{dir + "crct10dif_common.ko"}, nil},
		{"data first, the chosen link after", archive(
			hardlink(dir+"a.ko", mod, 6),
			hardlink(dir+"b.ko", "", 6)),
			[]string{"b"}, []string{dir + "b.ko"}, []string{dir + "a.ko"}, nil},
		{"data on the last, the first chosen", archive(
			hardlink(dir+"a.ko", "", 8),
			hardlink(dir+"b.ko", mod, 8)),
			[]string{"a"}, []string{dir + "a.ko"}, []string{dir + "b.ko"}, nil},
		{"nlink said no more links: a late chosen link is an error, not a pass", archive(
			lied(dir+"a.ko", "", 9, 2),
			lied(dir+"b.ko", mod, 9, 2),
			lied(dir+"c.ko", "", 9, 2)),
			[]string{"c"}, nil, []string{dir + "a.ko", dir + "b.ko"}, []string{dir + "c.ko"}},
		{"an empty group, chosen, is broken", archive(
			hardlink(dir+"e.ko", "", 11),
			hardlink(dir+"f.ko", "", 11)),
			[]string{"e"}, nil, []string{dir + "f.ko"}, []string{dir + "e.ko"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var asked []string
			im := mustRead(t, tc.img, Options{Modinfo: only(&asked, tc.choose...)})
			wantWhole(t, im)
			got := map[string]Module{}
			for _, m := range im.Modules {
				got[m.Path] = m
			}
			if n := len(tc.read) + len(tc.skip) + len(tc.broken); len(got) != n {
				t.Errorf("modules %+v, want %d", im.Modules, n)
			}
			for _, p := range tc.read {
				if m := got[p]; m.Err != nil || m.ModinfoSkipped || m.Vermagic == "" || m.KernelVersion != "6.1.0-9-amd64" {
					t.Errorf("module %s: %+v, want its .modinfo read from the group's data", p, m)
				}
			}
			for _, p := range tc.skip {
				if m := got[p]; m.Err != nil || !m.ModinfoSkipped || m.Vermagic != "" || m.Name == "" {
					t.Errorf("module %s: %+v, want it listed and skipped", p, m)
				}
			}
			for _, p := range tc.broken {
				if m := got[p]; m.Err == nil || m.ModinfoSkipped || m.Vermagic != "" {
					t.Errorf("module %s: %+v, want an error", p, m)
				}
			}
		})
	}
}

// TestEmptyLinkGroupsInOrder: modules of groups that never carried data
// are recorded at the trailer in the order their groups came, every time.
func TestEmptyLinkGroupsInOrder(t *testing.T) {
	var ents []ent
	var want []string
	for i := range 8 {
		p := fmt.Sprintf("lib/modules/6.1/m%d.ko", i)
		ents = append(ents, hardlink(p, "", uint32(100+i)))
		want = append(want, p)
	}
	img := archive(ents...)
	for range 20 {
		im := mustRead(t, img, Options{Modinfo: NoModinfo})
		wantWhole(t, im)
		var got []string
		for _, m := range im.Modules {
			got = append(got, m.Path)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("modules %v, want %v", got, want)
		}
	}
}
