package rootdev

import (
	"errors"
	"strconv"
	"strings"
)

// Issue 12 item 4: the modules a device-mapper device's live table needs.
// Loading a table, the kernel asks modprobe for each target it does not
// have yet as "dm-TARGET" (drivers/md/dm-target.c, get_target_type), which
// names the module (dm-thin-pool, dm-raid) or one of its aliases
// (dm-snapshot-origin). The table is read through a TableReader (the
// DM_TABLE_STATUS ioctl); without one the targets of an LVM device are
// guessed from its names (lvmTargets) and the needs say so.

// dmCoreTargets are registered by dm-mod itself (drivers/md/dm.c _inits:
// dm_target_init, dm_linear_init, dm_stripe_init): nothing beyond dm_mod.
var dmCoreTargets = map[string]bool{"linear": true, "striped": true, "error": true}

// dmKnownTargets are the targets whose module the kernel's "dm-TARGET"
// request finds (Linux 6.1 to 6.18: the module's name or alias).
var dmKnownTargets = map[string]bool{
	"thin": true, "thin-pool": true, "raid": true, "mirror": true, "cache": true,
	"snapshot": true, "snapshot-origin": true, "snapshot-merge": true,
	"writecache": true, "vdo": true, "integrity": true, "crypt": true, "verity": true,
	"multipath": true, "zero": true, "era": true, "zoned": true, "clone": true,
	"delay": true, "flakey": true, "dust": true, "ebs": true, "log-writes": true,
	"switch": true, "unstriped": true,
}

// dmTargetModule is the module a known target needs: "dm-TARGET", except
// "thin", registered by dm-thin-pool, which has no dm-thin alias (lvm2
// loads the pool's module first).
func dmTargetModule(target string) string {
	if target == "thin" {
		return "dm-thin-pool"
	}
	return "dm-" + target
}

// dmRaidLevels are the md personalities a raid target's raid type needs:
// dm-raid runs an md array of that level, and md_run asks modprobe for
// "md-level-N" (drivers/md/md.c); dm-raid's own dependencies bring only
// raid456.
var dmRaidLevels = map[string]string{
	"raid0": "md-level-0", "raid1": "md-level-1", "raid10": "md-level-10",
	"raid4": "md-level-4", "raid5_la": "md-level-5", "raid5_ra": "md-level-5",
	"raid5_ls": "md-level-5", "raid5_rs": "md-level-5", "raid5_n": "md-level-5",
	"raid6_zr": "md-level-6", "raid6_nr": "md-level-6", "raid6_nc": "md-level-6",
	"raid6_n_6": "md-level-6", "raid6_la_6": "md-level-6", "raid6_ra_6": "md-level-6",
	"raid6_ls_6": "md-level-6", "raid6_rs_6": "md-level-6",
}

// tableNeed is one module a table needs: the name the kernel asks
// modprobe for, the target it is for, and, for a target boot-guard does
// not know, why lacking it is a guess.
type tableNeed struct {
	module, target, guess string
}

// errNoTables: the /sys given cannot read device-mapper tables.
var errNoTables = errors.New("the device-mapper tables cannot be read here (boot-guard reads them through /dev/mapper/control, as root)")

// maxTableLines bounds the targets read from one table.
const maxTableLines = 4096

// tableNeeds returns what the table (`dmsetup table` text) needs beyond
// dm_mod, each module once, in the order the table names them.
func tableNeeds(table string) []tableNeed {
	var out []tableNeed
	add := func(n tableNeed) {
		for _, have := range out {
			if have.module == n.module {
				return
			}
		}
		out = append(out, n)
	}
	for i, line := range strings.Split(table, "\n") {
		if i >= maxTableLines {
			break
		}
		f := strings.Fields(line)
		if len(f) < 3 || dmCoreTargets[f[2]] {
			continue
		}
		t, params := f[2], f[3:]
		if dmKnownTargets[t] {
			add(tableNeed{module: dmTargetModule(t), target: t})
		} else {
			add(tableNeed{module: "dm-" + clip(t), target: t,
				guess: "target " + clip(t) + " is not one boot-guard knows: the kernel asks for dm-" + clip(t) + ", but another module may register it"})
		}
		switch t {
		case "raid":
			if len(params) > 0 && dmRaidLevels[params[0]] != "" {
				add(tableNeed{module: dmRaidLevels[params[0]], target: t + " " + params[0]})
			}
		case "cache":
			if p := cachePolicy(params); p != "" {
				// dm-cache-policy.c: request_module("dm-cache-%s", name).
				add(tableNeed{module: "dm-cache-" + p, target: t + " policy " + p})
			}
		case "mirror":
			// dm-log.c: request_module("dm-log-%s", name); core and
			// disk are dm-log's own, a dependency of dm-mirror.
			if len(params) > 0 && params[0] != "core" && params[0] != "disk" {
				add(tableNeed{module: "dm-log-" + clip(params[0]), target: t + " log " + clip(params[0])})
			}
		}
	}
	return out
}

// cachePolicy returns the policy of a cache target's parameters:
// "METADATA CACHE ORIGIN BLOCKSIZE #FEATURES FEATURE... POLICY #ARGS ..."
// (Documentation/admin-guide/device-mapper/cache.rst); "" if unreadable.
func cachePolicy(params []string) string {
	if len(params) < 6 {
		return ""
	}
	n, err := strconv.Atoi(params[4])
	if err != nil || n < 0 || n > len(params)-6 {
		return ""
	}
	p := params[5+n]
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return p
}

// dmTable reads the live table of the dm device at p.
func (w *walker) dmTable(p string) (string, error) {
	if w.tables == nil {
		return "", errNoTables
	}
	majMin, err := w.sys.readAttr(p + "/dev")
	if err != nil {
		return "", err
	}
	return w.tables.DMTable(majMin)
}
