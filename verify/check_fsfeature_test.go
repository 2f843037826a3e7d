package verify_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// Issue 12 item 5: a btrfs root's checksum algorithm is a module the
// initrd must carry. Debian 12's kernel: xxhash_generic and blake2b_generic
// are modules, sha256_generic is built in (kmodtest.Debian has it).

// btrfsFixture is newFixture with the hash modules in the index and / a
// btrfs on nvme0n1p2 whose /sys/fs/btrfs/UUID/checksum says checksum.
func btrfsFixture(t *testing.T, checksum string) fixture {
	t.Helper()
	root := t.TempDir()
	k := kmodtest.Debian(kv)
	k.Dep = append(k.Dep, "kernel/crypto/xxhash_generic.ko:", "kernel/crypto/blake2b_generic.ko:")
	k.Alias = append(k.Alias, "crypto-xxhash64 xxhash_generic", "xxhash64 xxhash_generic",
		"crypto-blake2b-256 blake2b_generic", "blake2b-256 blake2b_generic")
	k.WriteDir(t, root)
	checktest.WriteFile(t, filepath.Join(root, "etc/kernel/postinst.d/initramfs-tools"), []byte("#!/bin/sh\n"))
	ix, err := kmod.Load(os.DirFS(root), kv)
	if err != nil {
		t.Fatal(err)
	}
	m := checktest.BtrfsMachine(t, checksum, false)
	return fixture{root: root, ix: ix, m: m}
}

func TestCheckBtrfsChecksum(t *testing.T) {
	base := []string{"nvme", "btrfs", "crc32c_generic"}
	cases := []struct {
		name, checksum string
		drop           []string // modules of base's closure left out (its softdeps bring every hash)
		want           verify.Verdict
		in             string // the unbootable problem's message carries it
	}{
		{"crc32c", "crc32c (crc32c-intel)", []string{"xxhash_generic", "blake2b_generic"}, verify.Bootable, ""},
		{"xxhash64 carried", "xxhash64 (xxhash64-generic)", []string{"blake2b_generic"}, verify.Bootable, ""},
		{"xxhash64 missing", "xxhash64 (xxhash64-generic)", []string{"xxhash_generic"}, verify.Unbootable,
			"lacks module xxhash_generic; needed for checksum algorithm xxhash64 of btrfs " + checktest.BtrfsFSID + ", mounted at /"},
		{"sha256 built in", "sha256 (sha256-avx2)", []string{"xxhash_generic", "blake2b_generic"}, verify.Bootable, ""},
		{"blake2b carried", "blake2b (blake2b-256-generic)", []string{"xxhash_generic"}, verify.Bootable, ""},
		{"blake2b missing", "blake2b (blake2b-256-generic)", []string{"blake2b_generic"}, verify.Unbootable, "lacks module blake2b_generic"},
		{"unknown algorithm", "whirlpool (whirlpool-generic)", nil, verify.Unbootable, "has no module for crypto-whirlpool"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := btrfsFixture(t, tc.checksum)
			checktest.Initrd{Version: kv, Modules: f.modules(t, base, tc.drop...)}.Write(t, f.root)
			k := check(t, f.request())
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
			if tc.want == verify.Bootable {
				return
			}
			var msgs []string
			for _, p := range k.Problems {
				msgs = append(msgs, p.Message+" | "+p.Hint)
				// The need reports the checksum's module, not a softdep note
				// saying modprobe goes on without it.
				if p.Code == verify.CodeSoftdepMissing && strings.Contains(p.Message, tc.drop[0]) {
					t.Errorf("softdep note for the checksum's module: %s", p.Message)
				}
			}
			if all := strings.Join(msgs, "\n"); !strings.Contains(all, tc.in) {
				t.Errorf("problems lack %q:\n%s", tc.in, all)
			}
		})
	}
}
