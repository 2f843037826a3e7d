package initrd

import (
	"bytes"
	"context"
	"reflect"
	"testing"
)

// FuzzRead feeds arbitrary bytes to the segment splitter and the cpio
// parser. Invariants: no panic; a byte slice never gives an error (there is
// no I/O to fail); segments and problems stay inside the input and their
// offsets only grow; reading stops at the first problem.
func FuzzRead(f *testing.F) {
	a := archive(dir("."), file("init", "#!/bin/sh\n"), symlink("bin", "usr/bin"), hardlink("h1", "", 5), hardlink("h2", "x", 5))
	f.Add(a)
	f.Add(crcArchive(file("c", "checksummed")))
	f.Add(cat(a, zeros(4), gz(f, a)))
	f.Add(cat(gz(f, a), zst(f, a), zeros(3)))
	f.Add(zst(f, cat(a, a)))
	f.Add(cat(a, xzc(f, a), lzmac(f, a), lz4c(f, a)))
	f.Add(archive(file("lib/modules/6.1/x.ko", string(elfModule("vermagic=6.1 ", "depends=")))))
	f.Add(archive(hardlink("lib/modules/6.1/ab.ko", "", 7), hardlink("lib/modules/6.1/c.ko", string(elfModule("vermagic=6.1 ", "depends=a")), 7), hardlink("lib/modules/6.1/de.ko.gz", "", 7)))
	f.Add([]byte("070701"))
	f.Add(append([]byte("070701"), bytes.Repeat([]byte("F"), 104)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		im, err := Read(context.Background(), bytes.NewReader(in), Options{MaxDecompressed: 4 << 20, Keep: func(string) bool { return true }})
		if err != nil {
			t.Fatalf("error from a byte slice: %v", err)
		}
		if im == nil {
			t.Fatal("nil image without an error")
		}
		// Choosing modules changes nothing but which .modinfo is read: a
		// chosen module reads as in a full read, or is an error (never a
		// different vermagic); a skipped one carries no modinfo and no error.
		even := func(name string) bool { return len(name)%2 == 0 }
		fim, err := Read(context.Background(), bytes.NewReader(in), Options{MaxDecompressed: 4 << 20, Keep: func(string) bool { return true }, Modinfo: even})
		if err != nil || !reflect.DeepEqual(fim.Problems, im.Problems) || !reflect.DeepEqual(fim.Entries, im.Entries) || len(fim.Modules) != len(im.Modules) {
			t.Fatalf("with Modinfo: err %v, problems %+v, %d modules; without: %+v, %d modules", err, fim.Problems, len(fim.Modules), im.Problems, len(im.Modules))
		}
		for i, m := range fim.Modules {
			full := im.Modules[i]
			switch {
			case m.Path != full.Path || m.Name != full.Name || m.KernelVersion != full.KernelVersion:
				t.Fatalf("module %d: %+v with Modinfo, %+v without", i, m, full)
			case !even(m.Name) && (!m.ModinfoSkipped || m.Err != nil || m.Vermagic != "" || m.Depends != nil):
				t.Fatalf("module %s not chosen: %+v", m.Name, m)
			case even(m.Name) && m.ModinfoSkipped:
				t.Fatalf("module %s chosen but skipped", m.Name)
			case even(m.Name) && m.Err == nil && (m.Vermagic != full.Vermagic || !reflect.DeepEqual(m.Depends, full.Depends)):
				t.Fatalf("module %s: %+v with Modinfo, %+v without", m.Name, m, full)
			}
		}
		n := int64(len(in))
		if im.Size > n {
			t.Fatalf("size %d beyond the input %d", im.Size, n)
		}
		if im.Whole() && im.Size != n {
			t.Fatalf("whole after reading %d of %d bytes", im.Size, n)
		}
		if len(im.Problems) > 1 {
			t.Fatalf("reading went on after a problem: %+v", im.Problems)
		}
		prev := int64(0)
		for i, s := range im.Segments {
			if s.Index != i || s.Offset < prev || s.End < s.Offset || s.End > n || s.CompressedSize != s.End-s.Offset {
				t.Fatalf("segment %d %+v (previous end %d, input %d)", i, s, prev, n)
			}
			prev = s.End
		}
		for _, p := range im.Problems {
			if p.Offset < 0 || p.Offset > n || p.Segment >= len(im.Segments) || p.Message == "" {
				t.Fatalf("problem %+v outside the input (%d bytes, %d segments)", p, n, len(im.Segments))
			}
		}
		last := map[int]int64{}
		for _, e := range im.Entries {
			if e.Segment < 0 || e.Segment >= len(im.Segments) {
				t.Fatalf("entry %+v in no segment", e)
			}
			s := im.Segments[e.Segment]
			if o, ok := last[e.Segment]; ok && e.Offset <= o {
				t.Fatalf("entry offsets go back: %d after %d", e.Offset, o)
			}
			last[e.Segment] = e.Offset
			if s.Compression == "none" && (e.Offset < s.Offset || e.Offset >= s.End) {
				t.Fatalf("entry %+v outside its segment %+v", e, s)
			}
			if int64(len(im.Files[e.Path])) > DefaultMaxFileSize {
				t.Fatalf("kept %d bytes of %s", len(im.Files[e.Path]), e.Path)
			}
		}
	})
}
