package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// needCrypto resolves an algorithm the root mount asks the crypto API for
// (issue 12 item 5: a btrfs's checksum), as the kernel loads it: crypto/
// api.c's crypto_larval_lookup asks modprobe for "crypto-NAME" when no
// registered algorithm has that name, so any module with that alias, or a
// built-in driver declaring it, satisfies it. A real boot without it fails
// the mount ("BTRFS error ... error allocating xxhash64 hash for
// checksum"): the initrd must carry it, as it must the filesystem's module.
//
// crc32c is not asked for here: btrfs's own softdep crypto-crc32c is that
// rule (essentialSoftdeps), and libcrc32c, which btrfs needs, asks for it too.
func (r *resolver) needCrypto(d rootdev.Need) {
	if kmod.Normalize(d.Value) == "crc32c" {
		return
	}
	if mods := r.ix.Alias("crypto-" + d.Value); len(mods) > 0 {
		r.add(d, mods, "")
		return
	}
	v := r.ix.Version()
	p := Problem{Code: CodeModuleUnknown, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s has no module for crypto-%s, neither loadable nor built in: the mount asks the kernel for %s and fails without it (%s)", v, d.Value, d.Value, d.Reason),
		Hint:    fmt.Sprintf("check its configuration: grep -i %s /boot/config-%s", strings.SplitN(d.Value, "-", 2)[0], v)}
	if r.missingModinfo() {
		p.Verdict = CannotTell
		p.Message += "; " + r.ix.Dir() + "/modules.builtin.modinfo is missing, so built-in ones are unknown"
	}
	r.problem(p)
}

// satisfiedBy reports whether one of mods satisfies a need of n: a softdep
// of those modules is then the need's to report (issue 12 item 5: btrfs's
// softdep xxhash64 is the need of a btrfs whose checksum is xxhash64), not
// a note that modprobe goes on without it.
func (n needs) satisfiedBy(mods []string) bool {
	for _, nd := range n.list {
		for _, a := range nd.alts {
			if slices.Contains(mods, a) {
				return true
			}
		}
	}
	return false
}
