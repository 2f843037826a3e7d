package verify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Issue 12 item 4, dracut's paths: what of dracut's command line decides
// whether it activates LVM and assembles md arrays. Its 90lvm parse-lvm.sh
// removes the udev rule that runs lvm_scan when rd.lvm=0 is given, and
// lvm_scan activates only the VGs and LVs rd.lvm.vg=/rd.lvm.lv= name when
// any are named; with none named, a real boot shows it activates every VG
// (nvme-dracut-lvm-no-rdlvm boots: dracut 059's test for "none named" sees
// the space between the two lists and never fires), so no name is needed.
// Its 90mdraid parse-md.sh sets rd_NO_MD, which its udev rule obeys,
// unless rd.md.uuid= or rd.auto=1 is given (or with rd.md=0), and with
// rd.md.uuid= assembles only the arrays named. The command line is the
// kernel's and the image's own (etc/cmdline.d, where a hostonly build
// writes rd.lvm.lv= and rd.md.uuid=). Only the rows booted so far decide:
// nvme-dracut-lvm* and nvme-dracut-md boot with their names, and
// nvme-dracut-md-no-rdmd and nvme-dracut-nosd-md-no-rdmd, an md root with
// no rd.md.uuid= and no rd.auto=1, never assemble the array, with and
// without dracut's systemd modules: unbootable. What the sources alone say
// fails (names that leave root out, rd.lvm=0, rd.md=0) is cannot-tell.
// stackArgs are the rd.lvm and rd.md options of a command line
// (dracut.cmdline(7)).
type stackArgs struct {
	lvmOff, mdOff bool
	vgs, lvs      []string // rd.lvm.vg=, rd.lvm.lv= values
	mdUUIDs       []string // rd.md.uuid= values, as given
	auto          bool     // rd.auto=1
}

// parseStackArgs reads the rd.lvm and rd.md options of a command line, as
// parseLUKSArgs does the rd.luks ones.
func parseStackArgs(line string) stackArgs {
	var a stackArgs
	for _, w := range initrdWords(line) {
		k, v, hasV := strings.Cut(w, "=")
		switch k {
		case "rd.lvm":
			a.lvmOff = hasV && cmdlineFalse(v)
		case "rd_NO_LVM":
			a.lvmOff = true
		case "rd.lvm.vg", "rd_LVM_VG":
			a.vgs = append(a.vgs, v)
		case "rd.lvm.lv", "rd_LVM_LV":
			a.lvs = append(a.lvs, v)
		case "rd.md":
			a.mdOff = hasV && cmdlineFalse(v)
		case "rd_NO_MD":
			a.mdOff = true
		case "rd.md.uuid", "rd_MD_UUID":
			a.mdUUIDs = append(a.mdUUIDs, v)
		case "rd.auto":
			a.auto = !hasV || !cmdlineFalse(v)
		}
	}
	return a
}

// stackKeys are the command-line keys parseStackArgs reads.
var stackKeys = map[string]bool{
	"rd.lvm": true, "rd_NO_LVM": true, "rd.lvm.vg": true, "rd_LVM_VG": true, "rd.lvm.lv": true, "rd_LVM_LV": true,
	"rd.md": true, "rd_NO_MD": true, "rd.md.uuid": true, "rd_MD_UUID": true, "rd.auto": true,
}

// stackKey is what of cmdline decides dracutActivation, for audit's memo
// key (cmdlineKey).
func stackKey(cmdline string) string {
	return "stack=" + keyWords(cmdline, stackKeys)
}

// mdHex is an md UUID in any of its spellings (md/uuid's dashed form,
// mdadm's colon-separated words, dracut's rd.md.uuid= either way) as the
// 32 hex digits dracut's parse-md.sh compares.
func mdHex(id string) string {
	return strings.ToLower(strings.NewReplacer("-", "", ":", "").Replace(id))
}

// dracutActivation checks that a dracut image's command line lets it
// activate the LVM volume or md array u is for.
func (c *checker) dracutActivation(imgLine string, u rootdev.Userspace, bl bootLine, shown string) {
	kern, own := parseStackArgs(bl.line), parseStackArgs(imgLine)
	auto := kern.auto || own.auto
	switch u.Program {
	case "lvm":
		vgs, lvs := slices.Concat(kern.vgs, own.vgs), slices.Concat(kern.lvs, own.lvs)
		what := "logical volume " + u.VG + "/" + u.LV
		if u.VG == "" {
			what = "the logical volume root is on"
		}
		switch {
		case kern.lvmOff || own.lvmOff:
			c.stackCmdline(u, what, "rd.lvm=0 turns LVM off: dracut activates no volume group", CannotTell, bl, shown)
		case len(vgs)+len(lvs) > 0 && u.VG != "" && !lvmNamed(vgs, lvs, u.VG, u.LV):
			c.stackCmdline(u, what, fmt.Sprintf("rd.lvm.vg=/rd.lvm.lv= name only %s: dracut activates only those", strings.Join(slices.Concat(vgs, lvs), " ")), CannotTell, bl, shown)
		}
	case "mdadm":
		ids := slices.Concat(kern.mdUUIDs, own.mdUUIDs)
		what := "md array " + u.MDUUID
		if u.MDUUID == "" {
			what = "the md array root is on"
		}
		switch {
		case kern.mdOff || own.mdOff:
			c.stackCmdline(u, what, "rd.md=0 turns md RAID off: dracut assembles no array", CannotTell, bl, shown)
		case len(ids) == 0 && !auto:
			c.stackCmdline(u, what, "the command line has no rd.md.uuid= (nor rd.auto=1): dracut's mdraid module then assembles nothing", Unbootable, bl, shown)
		case len(ids) > 0 && u.MDUUID != "" && !mdNamed(ids, u.MDUUID):
			c.stackCmdline(u, what, fmt.Sprintf("rd.md.uuid= names only %s: dracut assembles only those", strings.Join(ids, " ")), CannotTell, bl, shown)
		}
	}
}

// lvmNamed reports whether rd.lvm.vg= values vgs or rd.lvm.lv= values lvs
// name VG vg or LV vg/lv (lvm_scan runs vgchange -ay VGS, lvchange -ay LVS).
func lvmNamed(vgs, lvs []string, vg, lv string) bool {
	for _, v := range vgs {
		if strings.TrimPrefix(strings.Trim(v, "/"), "dev/") == vg {
			return true
		}
	}
	for _, l := range lvs {
		if strings.TrimPrefix(strings.Trim(l, "/"), "dev/") == vg+"/"+lv {
			return true
		}
	}
	return false
}

// mdNamed reports whether any rd.md.uuid= value names md UUID id.
func mdNamed(ids []string, id string) bool {
	for _, v := range ids {
		if mdHex(v) == mdHex(id) {
			return true
		}
	}
	return false
}

// stackCmdline reports that the command line keeps a dracut image from
// activating u's layer: v is Unbootable where a real boot showed it, else
// CannotTell (dracut's sources alone say so). When the line the kernel will
// get is unknown, it is cannot-tell and says so: an rd.lvm.lv= or
// rd.md.uuid= on it would do.
func (c *checker) stackCmdline(u rootdev.Userspace, what, why string, v Verdict, bl bootLine, shown string) {
	arg := "rd.lvm.lv=" + u.VG + "/" + u.LV
	if u.Program == "mdadm" {
		arg = "rd.md.uuid=" + u.MDUUID
	}
	if strings.HasSuffix(arg, "=") || arg == "rd.lvm.lv=/" {
		arg = map[string]string{"lvm": "rd.lvm.lv=VG/LV", "mdadm": "rd.md.uuid=UUID"}[u.Program]
	}
	p := Problem{Code: CodeStackNotNamed, Verdict: v,
		Message: fmt.Sprintf("kernel %s: initrd %s (dracut) will not activate %s: %s (command line from %s), needed for %s", c.req.Version, shown, what, why, bl.source, u.Detail),
		Hint:    fmt.Sprintf("add %s to the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub; or /etc/kernel/cmdline), or rebuild the initrd hostonly (dracut --hostonly --hostonly-cmdline writes it into the image); then %s", arg, c.fixHint())}
	if !bl.known() {
		p.Message = fmt.Sprintf("kernel %s: initrd %s (dracut) names %s nowhere, and the command line the kernel will get is unknown, so whether it activates root was not checked (%s), needed for %s", c.req.Version, shown, what, why, u.Detail)
		p.Hint = "put the command line the boot loader passes in /etc/kernel/cmdline to have it checked"
		p.Verdict = CannotTell
	}
	c.rep.Add(p)
}
