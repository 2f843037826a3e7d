package rootdev

import (
	"os"
	"testing"
)

// BenchmarkDiscoverLive walks this machine's real /sys and /proc.
func BenchmarkDiscoverLive(b *testing.B) {
	sys, proc := os.DirFS("/sys"), os.DirFS("/proc")
	if _, err := os.Stat("/sys/dev/block"); err != nil {
		b.Skipf("no /sys/dev/block: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Discover(sys, proc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiscoverLUKSOnLVMOnNVMe walks a fake three-layer stack.
func BenchmarkDiscoverLUKSOnLVMOnNVMe(b *testing.B) {
	f := newFakeSysTB(b)
	disk := f.disk(f.nvme("0000:02:00.0", "nvme0"), "nvme0n1", "259:0")
	p3 := f.partition(disk, "nvme0n1p3", "259:3")
	crypt := f.dm("dm-0", "254:0", "nvme0n1p3_crypt", "CRYPT-LUKS2-0d7c-nvme0n1p3_crypt", p3)
	f.dm("dm-1", "254:1", "vg-root", "LVM-abc", crypt)
	f.mountinfo(rootLine(27, "254:1", "/", "ext4", "/dev/mapper/vg-root"))
	sys, proc := os.DirFS(f.sys), os.DirFS(f.proc)
	b.ReportAllocs()
	for b.Loop() {
		res, err := Discover(sys, proc)
		if err != nil || len(res.Unknown) != 0 {
			b.Fatal(err, res.Unknown)
		}
	}
}
