package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Issue 12 item 3: how each generator's image unlocks a LUKS root, learned
// from their sources:
//
//   - initramfs-tools with cryptsetup-initramfs: scripts/local-top/cryptroot
//     runs cryptsetup for each line of cryptroot/crypttab, which the hook
//     copies from /etc/crypttab for the devices root (and resume) need
//     (older releases: conf/conf.d/cryptroot); the cryptopts= boot argument
//     can name the device instead. Nothing else unlocks.
//   - dracut without systemd (90crypt): parse-crypt.sh writes a udev rule
//     that runs cryptroot-ask (cryptsetup) for each rd.luks.uuid= (or
//     partuuid, serial) of the command line, the image's etc/cmdline.d
//     included (hostonly dracut writes rd.luks.uuid there), or, with
//     rd.auto=1, for every LUKS device; its etc/crypttab gives options only.
//     rd.luks=0 turns it off.
//   - dracut with systemd: systemd-cryptsetup-generator makes a
//     systemd-cryptsetup@ unit for each line of the image's etc/crypttab
//     and each rd.luks.uuid= / rd.luks.name= of the kernel's command line
//     (when any is given, crypttab lines for other UUIDs are ignored;
//     rd.luks.crypttab=0 ignores the crypttab, rd.luks=0 turns it all off);
//     parse-crypt.sh's udev rule starts the unit for an rd.luks.uuid= of
//     etc/cmdline.d, and with rd.auto=1 crypt-run-generator adds every LUKS
//     device. No cryptsetup program, and the crypttab is optional.
//
// Whatever unlocks it must name the LUKS device really under root: its
// UUID, which cryptsetup records in the mapping's dm/uuid.

// cryptMech is the way an image unlocks LUKS.
type cryptMech int

const (
	mechUnknown cryptMech = iota // a hand-made image: a program and a crypttab entry
	mechInitramfsTools
	mechDracut
	mechDracutSystemd
)

func (m cryptMech) String() string {
	return [...]string{"the initrd", "initramfs-tools' cryptroot", "dracut's crypt module (without systemd)", "dracut's systemd-cryptsetup"}[m]
}

// cryptProgram is a file an unlocking mechanism runs; any of paths will do.
type cryptProgram struct {
	name  string
	paths []string
}

var (
	cryptsetupProgram = cryptProgram{"cryptsetup", []string{"sbin/cryptsetup", "usr/sbin/cryptsetup", "bin/cryptsetup", "usr/bin/cryptsetup"}}
	systemdCryptsetup = cryptProgram{"systemd-cryptsetup", []string{"usr/lib/systemd/systemd-cryptsetup", "lib/systemd/systemd-cryptsetup", "usr/bin/systemd-cryptsetup"}}
	cryptPrograms     = map[cryptMech][]cryptProgram{
		mechUnknown:        {cryptsetupProgram},
		mechInitramfsTools: {cryptsetupProgram, {"scripts/local-top/cryptroot (the cryptroot script)", []string{"scripts/local-top/cryptroot"}}},
		mechDracut:         {cryptsetupProgram, {"cryptroot-ask", []string{"sbin/cryptroot-ask", "usr/sbin/cryptroot-ask"}}},
		mechDracutSystemd: {systemdCryptsetup, {"systemd-cryptsetup-generator", []string{
			"usr/lib/systemd/system-generators/systemd-cryptsetup-generator", "lib/systemd/system-generators/systemd-cryptsetup-generator"}}},
	}
)

// imageCryptMech tells how img unlocks LUKS. A hand-made image (no
// generator's marks) with systemd-cryptsetup and no cryptsetup is taken
// as systemd's.
func imageCryptMech(img *initrd.Image) cryptMech {
	hasSystemd := imageHasAny(img, "usr/lib/systemd/systemd", "lib/systemd/systemd")
	switch imageGenerator(img) {
	case diagnose.GeneratorInitramfsTools:
		return mechInitramfsTools
	case diagnose.GeneratorDracut:
		if hasSystemd {
			return mechDracutSystemd
		}
		return mechDracut
	}
	if !imageHasAny(img, cryptsetupProgram.paths...) && imageHasAny(img, systemdCryptsetup.paths...) {
		return mechDracutSystemd
	}
	return mechUnknown
}

// imageHasAny reports whether img has a file (not a directory) at any of paths.
func imageHasAny(img *initrd.Image, paths ...string) bool {
	for _, p := range paths {
		if _, ok := resolve(img, p); ok {
			return true
		}
	}
	return false
}

// imageCmdline is the command line dracut's scripts read besides the
// kernel's: etc/cmdline.d/*.conf and etc/cmdline in the image.
func imageCmdline(img *initrd.Image) string {
	var names []string
	for p := range img.Files {
		if isImageCmdline(p) {
			names = append(names, p)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, p := range names {
		if data, ok := img.File(p); ok {
			b.Write(data)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// isImageCmdline reports whether p is a file of dracut's command line in
// the image, which readImages keeps.
func isImageCmdline(p string) bool {
	return p == "etc/cmdline" || strings.HasPrefix(p, "etc/cmdline.d/") && strings.HasSuffix(p, ".conf")
}

// checkCrypt checks that the image can unlock the dm-crypt mapping u root
// is on: the programs its generator runs, then what names the device.
func (c *checker) checkCrypt(img *initrd.Image, u rootdev.Userspace, bl bootLine, shown string) {
	mech := imageCryptMech(img)
	for _, p := range cryptPrograms[mech] {
		if imageHasAny(img, p.paths...) {
			continue
		}
		pkg := map[cryptMech]string{mechDracut: "cryptsetup", mechDracutSystemd: "systemd-cryptsetup (Debian 13 and later; part of systemd before)"}[mech]
		if pkg == "" {
			pkg = initramfsPackage("cryptsetup", c.diagnosis().Generator)
		}
		c.rep.Add(Problem{Code: CodeUserspaceMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has no %s, needed for %s", c.req.Version, shown, p.name, u.Detail),
			Hint:    fmt.Sprintf("install its initramfs integration (apt-get install %s), then %s", pkg, c.fixHint()),
			Causes: append([]string{fmt.Sprintf("no initramfs hook put %s in the image: package %s is not installed, or the image was built before it was", p.name, pkg)},
				c.diagnosis().ImageCauses()...)})
		return
	}
	if u.CryptName == "" {
		return
	}
	var entries []crypttabEntry
	for _, p := range crypttabPaths {
		if b, ok := img.File(p); ok {
			entries = append(entries, parseCrypttab(b)...)
		}
	}
	switch mech {
	case mechDracut, mechDracutSystemd:
		c.cryptDracut(u, mech, entries, bl, parseLUKSArgs(imageCmdline(img)), shown)
	default:
		if mech == mechInitramfsTools {
			if opts, ok := cryptoptsEntries(bl.line); ok {
				entries = opts
			}
		}
		c.cryptEntries(u, mech, entries, bl, shown)
	}
}

// cryptEntries requires a crypttab entry that unlocks u (initramfs-tools'
// cryptroot, a hand-made image). When root= names the mapping itself
// (/dev/mapper/NAME), the entry must also map it under that name: cryptroot
// unlocks each entry under the entry's own name, and the kernel's root=
// device would never appear (a real boot: "ALERT! /dev/mapper/NAME does not
// exist").
func (c *checker) cryptEntries(u rootdev.Userspace, mech cryptMech, entries []crypttabEntry, bl bootLine, shown string) {
	root, _ := cmdlineValue(bl.line, "root")
	byName := root == "/dev/mapper/"+u.CryptName
	var wrong, renamed []string
	for _, e := range entries {
		switch entryUnlocks(e, u) {
		case namesIt:
			if !byName || e.name == u.CryptName {
				return
			}
			renamed = append(renamed, e.name+" "+e.source)
		case namesOther:
			wrong = append(wrong, e.name+" "+e.source)
		}
	}
	if len(renamed) > 0 && len(wrong) == 0 {
		c.rep.Add(Problem{Code: CodeCrypttabMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s unlocks the LUKS device under %s by another name (%s), but root=%s (command line from %s) waits for that name, needed for %s",
				c.req.Version, shown, u.CryptName, strings.Join(renamed, "; "), root, bl.source, u.Detail),
			Hint:   fmt.Sprintf("name the crypttab line (or cryptopts= target=) %s, or give root= the filesystem's UUID=, then %s", u.CryptName, c.fixHint()),
			Causes: []string{fmt.Sprintf("%s maps each entry under the entry's own name, so /dev/mapper/%s never appears", mech, u.CryptName)}})
		return
	}
	extra := ""
	if _, ok := cryptoptsEntries(bl.line); ok && mech == mechInitramfsTools {
		extra = " (cryptopts= on the command line replaces the image's crypttab: only its entries count)"
	}
	c.crypttabMissing(u, mech, wrong, extra, shown)
}

// crypttabMissing reports that nothing in the image names u's device.
func (c *checker) crypttabMissing(u rootdev.Userspace, mech cryptMech, wrong []string, extra, shown string) {
	dev := u.CryptName
	if u.LUKSUUID != "" {
		dev += " (LUKS UUID " + u.LUKSUUID + ")"
	}
	msg := fmt.Sprintf("kernel %s: initrd %s carries no crypttab entry for %s (looked in %s)%s, needed for %s", c.req.Version, shown, dev, strings.Join(crypttabPaths, ", "), extra, u.Detail)
	cause := fmt.Sprintf("/etc/crypttab has no line for %s, or the image was built before it had one: %s cannot unlock root without it", u.CryptName, mech)
	if len(wrong) > 0 {
		msg = fmt.Sprintf("kernel %s: initrd %s has a crypttab entry for %s, but it names another device (%s)%s, needed for %s", c.req.Version, shown, dev, strings.Join(wrong, "; "), extra, u.Detail)
		cause = fmt.Sprintf("/etc/crypttab's line for %s names another device than the one under root, or the image was built before it was corrected: %s would wait for that device", u.CryptName, mech)
	}
	hint := fmt.Sprintf("add %s to /etc/crypttab, then %s", u.CryptName, c.fixHint())
	if u.LUKSUUID != "" {
		hint = fmt.Sprintf("add \"%s UUID=%s none luks\" to /etc/crypttab, then %s", u.CryptName, u.LUKSUUID, c.fixHint())
	}
	c.rep.Add(Problem{Code: CodeCrypttabMissing, Verdict: Unbootable, Message: msg, Hint: hint, Causes: []string{cause}})
}

// cryptDracut applies dracut's rules: the kernel's command line (bl) and
// the image's own (etc/cmdline.d: imageArgs), then the crypttab.
func (c *checker) cryptDracut(u rootdev.Userspace, mech cryptMech, entries []crypttabEntry, bl bootLine, imageArgs luksArgs, shown string) {
	systemd := mech == mechDracutSystemd
	kern := parseLUKSArgs(bl.line)
	if kern.off || imageArgs.off {
		c.luksCmdline(u, "rd.luks=0 turns LUKS off: "+mech.String()+" unlocks no device", bl, shown)
		return
	}
	if kern.auto || imageArgs.auto || kern.other || imageArgs.other {
		return // every LUKS device, or one named in a way not compared
	}
	if u.LUKSUUID == "" {
		return // plain, TCRYPT, BitLocker: named only by a crypttab or the command line, not compared here
	}
	// The kernel's rd.luks.uuid (and, for systemd, rd.luks.name) options.
	kernIDs := kern.uuids
	if systemd {
		kernIDs = append(slices.Clone(kernIDs), kern.nameUUIDs...)
	}
	if uuidNamed(kernIDs, u.LUKSUUID, !systemd) || uuidNamed(imageArgs.uuids, u.LUKSUUID, !systemd) {
		return
	}
	if systemd && !kern.noCrypttab {
		var wrong []string
		for _, e := range entries {
			switch entryUnlocks(e, u) {
			case namesIt:
				if len(kernIDs) == 0 {
					return
				}
			case namesOther:
				wrong = append(wrong, e.name+" "+e.source)
			}
		}
		if len(kernIDs) == 0 {
			if !bl.known() {
				c.luksCmdline(u, "no line of the image's etc/crypttab names it", bl, shown)
				return
			}
			c.crypttabMissing(u, mech, wrong, ", and the command line has no rd.luks.uuid= for it (nor rd.auto=1)", shown)
			return
		}
	}
	all := append(append([]string{}, kernIDs...), imageArgs.uuids...)
	if len(all) > 0 {
		c.luksCmdline(u, fmt.Sprintf("rd.luks.uuid= names only %s: %s unlocks only the devices it names", strings.Join(all, " "), mech), bl, shown)
		return
	}
	why := "the command line has no rd.luks.uuid= for it, nor rd.auto=1: " + mech.String() + " unlocks only the devices rd.luks.uuid= names (its crypttab gives their options), or every LUKS device with rd.auto=1"
	if systemd {
		why = "the command line has no rd.luks.uuid= for it, the image's etc/crypttab no line (rd.luks.crypttab=0 ignores it), and there is no rd.auto=1"
	}
	c.luksCmdline(u, why, bl, shown)
}

// luksCmdline reports that the command line keeps the image from
// unlocking u.
// When the command line the kernel will get is unknown, that is
// cannot-tell: an rd.luks.uuid= on it would unlock the device.
func (c *checker) luksCmdline(u rootdev.Userspace, why string, bl bootLine, shown string) {
	p := Problem{Code: CodeLUKSNotNamed, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: initrd %s will not unlock %s (LUKS UUID %s): %s (command line from %s), needed for %s", c.req.Version, shown, u.CryptName, u.LUKSUUID, why, bl.source, u.Detail),
		Hint:    fmt.Sprintf("add rd.luks.uuid=%s to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub; or /etc/kernel/cmdline), or, with no rd.luks.uuid= there at all, its line to /etc/crypttab; then %s", u.LUKSUUID, c.fixHint())}
	if !bl.known() {
		p.Verdict = CannotTell
		p.Message = fmt.Sprintf("kernel %s: initrd %s names %s (LUKS UUID %s) nowhere, and the command line the kernel will get is unknown, so whether an rd.luks.uuid= on it unlocks root was not checked (%s), needed for %s", c.req.Version, shown, u.CryptName, u.LUKSUUID, why, u.Detail)
		p.Hint = "put the command line the boot loader passes in /etc/kernel/cmdline to have it checked"
	}
	c.rep.Add(p)
}

// known reports whether the command line the kernel will get is known:
// from a boot entry, /etc/kernel/cmdline, or /proc/cmdline of a boot a
// boot loader started.
func (bl bootLine) known() bool {
	return bl.source != "" && (bl.line != "" || bl.source != "/proc/cmdline")
}
