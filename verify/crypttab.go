package verify

import (
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Issue 12 item 3: what names the device under a dm-crypt mapping, in the
// two forms an initramfs reads: a crypttab line and the command line's
// rd.luks options.

// crypttabEntry is one line of a crypttab: "NAME SOURCE [KEY [OPTIONS]]"
// (crypttab(5)), or of initramfs-tools' older conf/conf.d/cryptroot,
// "target=NAME,source=SOURCE,key=KEY,OPTIONS".
type crypttabEntry struct {
	name, source string
}

// maxCrypttabEntries bounds what parseCrypttab returns: a crypttab is a
// handful of lines; a file of millions is not one.
const maxCrypttabEntries = 4096

// parseCrypttab reads the entries of a crypttab, skipping comments, blank
// lines and lines without a source. It never fails: a line it cannot read
// names nothing.
func parseCrypttab(b []byte) []crypttabEntry {
	var out []crypttabEntry
	for _, line := range strings.Split(string(b), "\n") {
		if len(out) == maxCrypttabEntries {
			break
		}
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if strings.HasPrefix(f[0], "target=") {
			if e, ok := parseCryptopts(f[0]); ok {
				out = append(out, e)
			}
			continue
		}
		if len(f) < 2 {
			continue
		}
		out = append(out, crypttabEntry{name: f[0], source: f[1]})
	}
	return out
}

// parseCryptopts reads "target=NAME,source=SOURCE,key=...": a line of
// conf/conf.d/cryptroot, or the value of the cryptopts= boot argument
// initramfs-tools' cryptroot script also reads.
func parseCryptopts(s string) (crypttabEntry, bool) {
	var e crypttabEntry
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "target":
			e.name = v
		case "source":
			e.source = v
		}
	}
	return e, e.source != ""
}

// cryptoptsEntries reads the cryptopts= words of a command line as
// initramfs-tools' cryptroot script does: when there is any, even an empty
// one, it rewrites cryptroot/crypttab from them alone (one entry for each
// with a source=, the target defaulting to "cryptroot"), so the image's
// own entries are not used. ok is false when there is none.
func cryptoptsEntries(line string) (entries []crypttabEntry, ok bool) {
	for _, w := range strings.Fields(line) {
		v, found := strings.CutPrefix(w, "cryptopts=")
		if !found {
			continue
		}
		ok = true
		if e, valid := parseCryptopts(v); valid && len(entries) < maxCrypttabEntries {
			if e.name == "" {
				e.name = "cryptroot"
			}
			entries = append(entries, e)
		}
	}
	return entries, ok
}

// naming is what a crypttab source or an rd.luks option says of a device.
type naming int

const (
	namesUnknown naming = iota // names it some way boot-guard cannot compare (PARTUUID=, LABEL=, by-id)
	namesIt                    // names the device under the mapping
	namesOther                 // names another device
)

// sourceNames says whether a crypttab source names u's device: by its LUKS
// UUID (UUID=, /dev/disk/by-uuid/), or by the kernel name of the device
// under it (/dev/NAME). A /dev/NAME that is not that device's name now is
// unknown, not another: kernel names can change from one boot to the next.
func sourceNames(src string, u rootdev.Userspace) naming {
	uuid, ok := strings.CutPrefix(src, "UUID=")
	if !ok {
		uuid, ok = strings.CutPrefix(src, "/dev/disk/by-uuid/")
	}
	if ok {
		switch {
		case u.LUKSUUID == "":
			return namesUnknown
		case sameUUID(uuid, u.LUKSUUID):
			return namesIt
		}
		return namesOther
	}
	if name, ok := strings.CutPrefix(src, "/dev/"); ok {
		for _, d := range u.Under {
			if name == d {
				return namesIt
			}
		}
	}
	return namesUnknown
}

// sameUUID compares two UUIDs as udev's by-uuid names and cryptsetup's
// dm/uuid write them: case and dashes aside.
func sameUUID(a, b string) bool {
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }
	return a != "" && norm(a) == norm(b)
}

// entryUnlocks says whether crypttab entry e unlocks u: its source names
// u's device, or names it some way boot-guard cannot compare under the
// mapping's own name.
func entryUnlocks(e crypttabEntry, u rootdev.Userspace) naming {
	switch sourceNames(e.source, u) {
	case namesIt:
		return namesIt
	case namesOther:
		if e.name == u.CryptName {
			return namesOther
		}
	default:
		if e.name == u.CryptName {
			return namesIt
		}
	}
	return namesUnknown
}

// luksArgs are the rd.luks options of a command line (dracut's
// dracut.cmdline(7), systemd-cryptsetup-generator(8)).
type luksArgs struct {
	off bool // rd.luks=0 (or rd_NO_LUKS): no LUKS device is unlocked
	// uuids are rd.luks.uuid= values, "luks-" and all; nameUUIDs the UUIDs
	// of rd.luks.name=UUID=NAME (systemd: it implies rd.luks.uuid=UUID).
	uuids, nameUUIDs []string
	// other: rd.luks.partuuid= or rd.luks.serial= (dracut), which name the
	// device in ways boot-guard does not compare.
	other bool
	// auto: rd.auto=1, dracut's unlocking of every LUKS device.
	auto bool
	// noCrypttab: rd.luks.crypttab=0, systemd's ignoring of the crypttab.
	noCrypttab bool
}

// cmdlineFalse is a false boolean as dracut's getargbool and systemd's
// parse_boolean read it.
func cmdlineFalse(v string) bool {
	switch strings.ToLower(v) {
	case "0", "no", "n", "off", "false", "f":
		return true
	}
	return false
}

// initrdWords are the words of a kernel command line the initramfs reads:
// those before "--", after which the words are init's.
func initrdWords(line string) []string {
	w := strings.Fields(line)
	if i := slices.Index(w, "--"); i >= 0 {
		return w[:i]
	}
	return w
}

// parseLUKSArgs reads the rd.luks options of a command line.
func parseLUKSArgs(line string) luksArgs {
	var a luksArgs
	for _, w := range initrdWords(line) {
		k, v, hasV := strings.Cut(w, "=")
		switch k {
		case "rd.luks", "luks":
			a.off = hasV && cmdlineFalse(v)
		case "rd_NO_LUKS":
			a.off = true
		case "rd.luks.uuid", "rd_LUKS_UUID", "luks.uuid":
			a.uuids = append(a.uuids, v)
		case "rd.luks.name", "luks.name":
			if u, _, ok := strings.Cut(v, "="); ok {
				a.nameUUIDs = append(a.nameUUIDs, u)
			}
		case "rd.luks.partuuid", "rd_LUKS_PARTUUID", "rd.luks.serial", "rd_LUKS_SERIAL":
			a.other = true
		case "rd.auto":
			a.auto = !hasV || !cmdlineFalse(v)
		case "rd.luks.crypttab", "luks.crypttab":
			a.noCrypttab = hasV && cmdlineFalse(v)
		}
	}
	return a
}

// luksKeys are the command-line keys checkCrypt reads (parseLUKSArgs, and
// initramfs-tools' cryptopts=).
var luksKeys = map[string]bool{
	"rd.luks": true, "luks": true, "rd_NO_LUKS": true, "rd.luks.uuid": true, "rd_LUKS_UUID": true, "luks.uuid": true,
	"rd.luks.name": true, "luks.name": true, "rd.luks.partuuid": true, "rd_LUKS_PARTUUID": true, "rd.luks.serial": true,
	"rd_LUKS_SERIAL": true, "rd.auto": true, "rd.luks.crypttab": true, "luks.crypttab": true, "cryptopts": true,
}

// luksKey is what of cmdline decides checkCrypt: its words with those keys,
// in order, for audit's memo key (cmdlineKey).
func luksKey(cmdline string) string {
	return "luks=" + keyWords(cmdline, luksKeys)
}

// keyWords are the words of cmdline before "--" whose keys are in keys, in
// order, space-separated.
func keyWords(cmdline string, keys map[string]bool) string {
	var words []string
	for _, w := range initrdWords(cmdline) {
		if k, _, _ := strings.Cut(w, "="); keys[k] {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// luksID is an rd.luks.uuid value without its "luks-" and "keysource:"
// prefixes, as dracut's parse-crypt.sh and systemd's generator strip them.
func luksID(v string) string {
	v = strings.TrimPrefix(v, "keysource:")
	return strings.TrimPrefix(strings.TrimPrefix(v, "luks-"), "LUKS-")
}

// uuidNamed says whether any of ids names LUKS UUID uuid: exactly (systemd
// waits for /dev/disk/by-uuid/ID), or, with substr, as a part of it
// (dracut's udev rule matches ID_FS_UUID=="*ID*").
func uuidNamed(ids []string, uuid string, substr bool) bool {
	for _, id := range ids {
		id = luksID(id)
		if id == "" || uuid == "" {
			continue
		}
		if sameUUID(id, uuid) || substr && strings.Contains(uuid, strings.ToLower(id)) {
			return true
		}
	}
	return false
}
