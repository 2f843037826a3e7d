package verify

import (
	"testing"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// TestNeedsModinfo: Check reads the .modinfo of exactly the modules it may
// look up: each alternative of each need with its modules.dep closure, and
// the modules of their softdeps with theirs; none other.
func TestNeedsModinfo(t *testing.T) {
	const v = "6.1.0-18-amd64"
	ix, err := kmod.Load(kmodtest.FS(kmodtest.Debian(v)), v)
	if err != nil {
		t.Fatal(err)
	}
	n := needs{ix: ix, known: true, list: []need{
		{alts: []string{"nvme"}, reason: "disk"},
		{alts: []string{"ext4"}, reason: "filesystem"},
	}}
	choose := n.modinfo()
	for _, name := range []string{
		"nvme", "nvme_core", "nvme-core", "t10_pi", "crc_t10dif", "crct10dif_common", // nvme's closure
		"crct10dif_generic",                                                  // softdep crct10dif of crc_t10dif
		"ext4", "jbd2", "mbcache", "crc16", "crc32c_generic", "crc32c_intel", // ext4, its closure, softdep crc32c
	} {
		if !choose(name) {
			t.Errorf("%s not chosen", name)
		}
	}
	for _, name := range []string{"ahci", "libata", "virtio_blk", "xfs", "dm_mod", "btrfs", "nosuch"} {
		if choose(name) {
			t.Errorf("%s chosen: no need asks for it", name)
		}
	}
	// Every alternative of a need counts: the check tries each.
	n.list = []need{{alts: []string{"virtio_blk", "nosuch", "ahci"}}}
	choose = n.modinfo()
	for _, name := range []string{"virtio_blk", "virtio", "virtio_ring", "ahci", "libahci", "scsi_mod", "nosuch"} {
		if !choose(name) {
			t.Errorf("alternative's %s not chosen", name)
		}
	}
	if choose("nvme") {
		t.Error("nvme chosen: no need asks for it")
	}
	// Without a module index the check looks nothing up.
	if (needs{}).modinfo()("nvme") {
		t.Error("a module chosen without a module index")
	}
}
