package kmod_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kmod"
)

// realVersions lists the kernels with a module index on this machine.
func realVersions(tb testing.TB) []string {
	tb.Helper()
	deps, _ := filepath.Glob("/lib/modules/*/modules.dep")
	if len(deps) == 0 {
		tb.Skip("no /lib/modules/*/modules.dep on this machine: install a kernel (apt-get install linux-image-amd64) to run this against a real index")
	}
	var out []string
	for _, d := range deps {
		out = append(out, filepath.Base(filepath.Dir(d)))
	}
	return out
}

// realModalias is the modalias of an Intel NVMe SSD (Optane 660p) as sysfs
// shows it.
const realModalias = "pci:v00008086d0000F1A5sv00008086sd0000390Abc01sc08i02"

// TestLiveIndex loads every real module index on the machine and checks what
// any Debian amd64 kernel must answer.
func TestLiveIndex(t *testing.T) {
	root := os.DirFS("/")
	for _, ver := range realVersions(t) {
		t.Run(ver, func(t *testing.T) {
			ix, err := kmod.Load(root, ver)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			t.Logf("%s: %d modules (loadable and built in), optional files missing: %v", ix.Dir(), len(ix.Names()), ix.Missing())
			if got := ix.Alias(realModalias); !slices.Contains(got, "nvme") {
				t.Fatalf("Alias(%s) = %v, want nvme among them", realModalias, got)
			}
			for _, tc := range []struct{ modalias, want string }{
				{"virtio:d00000002v00001AF4", "virtio_blk"},
				{"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00", "virtio_pci"},
				{"scsi:t-0x00", "sd_mod"},
				{"fs-ext4", "ext4"},
				{"fs-xfs", "xfs"},
			} {
				if got := ix.Alias(tc.modalias); !slices.Contains(got, tc.want) {
					t.Errorf("Alias(%s) = %v, want %s among them", tc.modalias, got, tc.want)
				}
			}
			cl, err := ix.Closure("nvme")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(cl, "nvme_core") || cl[len(cl)-1] != "nvme" {
				t.Fatalf("Closure(nvme) = %v, want nvme_core before nvme", cl)
			}
			for _, n := range cl {
				m, _ := ix.Module(n)
				if m.Builtin {
					continue
				}
				if _, err := fs.Stat(root, ix.Dir()+"/"+m.Path); err != nil {
					t.Errorf("%s: its file: %v", n, err)
				}
			}
		})
	}
}

// BenchmarkLoad measures reading a real index (about 30,000 lines on Debian
// 12) and BenchmarkAlias a dozen lookups in it.
func BenchmarkLoad(b *testing.B) {
	ver := realVersions(b)[0]
	root := os.DirFS("/")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kmod.Load(root, ver); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAlias(b *testing.B) {
	ver := realVersions(b)[0]
	ix, err := kmod.Load(os.DirFS("/"), ver)
	if err != nil {
		b.Fatal(err)
	}
	modaliases := []string{
		realModalias,
		"pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01",
		"pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00",
		"virtio:d00000002v00001AF4",
		"virtio:d00000008v00001AF4",
		"scsi:t-0x00",
		"pci:v00008086d00000F14sv00000000sd00000000bc08sc05i01",
		"mmc:block",
		"xen:vbd",
		"fs-ext4",
		"pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00",
		"acpi:PNP0A03:",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range modaliases {
			ix.Alias(m)
		}
	}
}
