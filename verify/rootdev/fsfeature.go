package rootdev

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// Issue 12 item 5: what a filesystem's own features ask of the kernel when
// it mounts, beyond its module.

// btrfsCsumDrivers are the crypto API names btrfs asks for, keyed by the
// algorithm name /sys/fs/btrfs/UUID/checksum shows first (fs/btrfs/ctree.c,
// btrfs_csums[]: only blake2b is asked for by another name). An algorithm
// not listed is asked for by its own name.
var btrfsCsumDrivers = map[string]string{"blake2b": "blake2b-256"}

// btrfsChecksum records the checksum algorithm of btrfs uuid, mounted at
// target: btrfs_init_csum_hash asks the crypto API for it at mount time and
// the mount fails without it ("error allocating xxhash64 hash for
// checksum"). The attribute is "xxhash64 (xxhash64-generic)": the
// algorithm, then the running kernel's implementation, which another kernel
// need not share. A kernel without the attribute (before Linux 5.5) knows
// crc32c only, which btrfs's own softdep asks for: nothing to add.
func (w *walker) btrfsChecksum(uuid, target string) {
	attr := "fs/btrfs/" + uuid + "/checksum"
	s, err := w.sys.readAttr(attr)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		w.unknown("the checksum algorithm of btrfs %s at %s is unknown (%v): the crypto module it needs was not checked", uuid, target, err)
		return
	}
	alg, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	if alg == "" || strings.ContainsAny(alg, "/\x00") {
		w.unknown("the checksum algorithm of btrfs %s at %s is unknown (%s says %q): the crypto module it needs was not checked", uuid, target, w.sys.show(attr), s)
		return
	}
	name := alg
	if d, ok := btrfsCsumDrivers[alg]; ok {
		name = d
	}
	w.need(Need{Kind: NeedCrypto, Value: name,
		Reason: fmt.Sprintf("checksum algorithm %s of btrfs %s, mounted at %s", alg, uuid, target)})
}
