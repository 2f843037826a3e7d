package initrd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"testing"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
	"github.com/boot-guard/boot-guard/verify/internal/modelf"
)

// bulky is a module whose .modinfo comes first and n bytes of code after
// it, as in a real module, where .modinfo lies in the first tenth or so.
func bulky(n int, kv ...string) []byte {
	return cat(elfModule(kv...), benchArchive(n)[:n])
}

// TestModinfoOnlyStopsEarly: a .ko.xz and a .ko.zst are decoded only as far
// as their .modinfo strings, and read the same vermagic and depends as the
// whole module does.
func TestModinfoOnlyStopsEarly(t *testing.T) {
	mod := bulky(512<<10, "license=GPL", "depends=mbcache,jbd2", "intree=Y", "name=ext4", "vermagic=6.12.0 SMP preempt mod_unload ", "alias=fs-ext4")
	want, err := modelf.Parse(mod, modelf.Want{})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"ext4.ko.xz": xzc(t, mod), "ext4.ko.zst": zst(t, mod), "ext4.ko.gz": gz(t, mod), "ext4.ko": mod} {
		fs := &decomp.Files{}
		res, buf := readModinfoOnly(name, data, nil, fs)
		fs.Close()
		if res.err != nil {
			t.Fatalf("%s: %v", name, res.err)
		}
		if !maps.Equal(res.info.Modinfo, want.Modinfo) {
			t.Errorf("%s: modinfo %q, want %q", name, res.info.Modinfo, want.Modinfo)
		}
		if name != "ext4.ko" && len(buf) > 128<<10 {
			t.Errorf("%s: decoded %d of %d bytes, want it to stop soon after .modinfo", name, len(buf), len(mod))
		}
	}
}

// TestModinfoOnlyMatchesWhole: every module shape the tests build reads
// the same through ModinfoOnly as read whole, including ones where the
// strings give no vermagic-and-depends run (decoded whole, then modelf).
func TestModinfoOnlyMatchesWhole(t *testing.T) {
	for _, kv := range [][]string{
		{"vermagic=6.1 SMP ", "depends="},
		{"depends=a,b", "vermagic=6.1"},
		{"vermagic=6.1"},                             // no depends: decoded whole
		{"depends=x"},                                // no vermagic
		{"depends=a", "vermagic=6.1", "depends=b"},   // first wins, as modelf says
		{"vermagic=bad\x01value", "depends=a"},       // not text: decoded whole
		{"license=GPL", "depends=", "vermagic=6.1 "}, //
	} {
		mod := bulky(64<<10, kv...)
		want, err := modelf.Parse(mod, modelf.Want{})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := readModinfoOnly("m.ko.xz", xzc(t, mod), nil, &decomp.Files{})
		if res.err != nil || !maps.Equal(res.info.Modinfo, want.Modinfo) {
			t.Errorf("%q: got %+v (%v), want %q", kv, res.info, res.err, want.Modinfo)
		}
	}
}

// TestModinfoScan: a "vermagic=" outside a run with depends is passed over,
// a run cut by the end of the prefix waits for more, and non-ELF data is
// left to modelf.
func TestModinfoScan(t *testing.T) {
	data := []byte("\x7fELF\x02\x01\x00\x00vermagic=decoy\x00\x01\x02\x00license=GPL\x00depends=a,b\x00vermagic=6.1 SMP\x00name=m")
	var sc modinfoScan
	if kv := sc.find(data); kv != nil {
		t.Fatalf("run cut short: got %q, want nil until it ends", kv)
	}
	data = append(data, "\x00\x00\x00\x01"...)
	kv := sc.find(data)
	want := map[string]string{"license": "GPL", "depends": "a,b", "vermagic": "6.1 SMP", "name": "m"}
	if !maps.Equal(kv, want) {
		t.Fatalf("got %q, want %q", kv, want)
	}
	var sc2 modinfoScan
	if kv := sc2.find(data[4:]); kv != nil {
		t.Errorf("not ELF: got %q, want nil", kv)
	}
}

// TestModinfoOnlyErrors: a module cut before its .modinfo is an error, as
// read whole; one damaged only past it reads without one (documented in
// Options.ModinfoOnly).
func TestModinfoOnlyErrors(t *testing.T) {
	mod := bulky(64<<10, "depends=", "vermagic=6.1 ")
	z := xzc(t, mod)
	res, _ := readModinfoOnly("m.ko.xz", z[:40], nil, &decomp.Files{})
	if res.err == nil || !errors.Is(res.err, io.ErrUnexpectedEOF) {
		t.Errorf("cut at 40 bytes: err %v, want unexpected EOF", res.err)
	}
	res, _ = readModinfoOnly("m.ko.xz", z[:len(z)-100], nil, &decomp.Files{})
	if res.err != nil || res.info.Modinfo["vermagic"] != "6.1 " {
		t.Errorf("cut near its end: %+v, want .modinfo read", res)
	}
}

// TestModinfoOnlyImage: Read with ModinfoOnly lists what Read does, for
// compressed modules of every kind, leaving the whole-module facts empty.
func TestModinfoOnlyImage(t *testing.T) {
	mod := bulky(64<<10, "depends=b", "vermagic=6.1 SMP ")
	d := "lib/modules/6.1/kernel/"
	img := zst(t, archive(file(d+"a.ko.xz", string(xzc(t, mod))), file(d+"b.ko.zst", string(zst(t, mod))),
		file(d+"c.ko.gz", string(gz(t, mod))), file(d+"d.ko", string(mod))))
	whole, err := Read(context.Background(), bytes.NewReader(img), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(context.Background(), bytes.NewReader(img), Options{ModinfoOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range got.Modules {
		w := whole.Modules[i]
		if m.Vermagic != w.Vermagic || len(m.Depends) != 1 || m.Depends[0] != w.Depends[0] || m.Err != nil {
			t.Errorf("%s: %+v, want %+v", m.Path, m, w)
		}
		if m.Tail != nil || m.Size != 0 && m.Name != "d" {
			t.Errorf("%s: size %d, tail %d bytes: want none kept", m.Path, m.Size, len(m.Tail))
		}
	}
}

// TestModinfoScanGrowing: "vermagic=" not right after a NUL is passed
// over, and a prefix that grows a byte at a time finds what the whole
// does, whatever the step (issue 16 item 2: the search looks for
// "vermagic=" and checks the NUL before it).
func TestModinfoScanGrowing(t *testing.T) {
	data := []byte("\x7fELF\x02\x01Xvermagic=no\x00\x00\x01vermagic\x00=x\x00license=GPL\x00depends=\x00vermagic=6.12 SMP\x00name=m\x00\x00\x01\x02")
	want := map[string]string{"license": "GPL", "depends": "", "vermagic": "6.12 SMP", "name": "m"}
	for step := 1; step <= 9; step++ {
		var sc modinfoScan
		var kv map[string]string
		for n := step; kv == nil && n <= len(data)+step; n += step {
			kv = sc.find(data[:min(n, len(data))])
		}
		if !maps.Equal(kv, want) {
			t.Fatalf("step %d: got %q, want %q", step, kv, want)
		}
	}
}
