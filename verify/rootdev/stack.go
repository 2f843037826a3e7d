package rootdev

import (
	"fmt"
	"strings"
)

// dmLayer is what a device-mapper device's dm/uuid prefix says about it: the
// uuid is set by the tool that made the mapping (cryptsetup, lvm, multipath,
// kpartx, dmraid), which prefixes it with its own name.
type dmLayer struct {
	label   string   // "LUKS", "LVM", ...
	modules []string // beyond dm_mod
	program string   // userspace the initrd needs, "" if none
}

func classifyDM(uuid, dmName string) dmLayer {
	switch {
	case strings.HasPrefix(uuid, "CRYPT-LUKS"):
		return dmLayer{label: "LUKS", modules: []string{"dm_crypt"}, program: "cryptsetup"}
	case strings.HasPrefix(uuid, "CRYPT-VERITY-"):
		return dmLayer{label: "dm-verity", modules: []string{"dm_verity"}}
	case strings.HasPrefix(uuid, "CRYPT-INTEGRITY-"), strings.HasPrefix(uuid, "CRYPT-SUBDEV-"):
		return dmLayer{label: "dm-integrity", modules: []string{"dm_integrity"}}
	case strings.HasPrefix(uuid, "CRYPT-"):
		// CRYPT-PLAIN-, CRYPT-TCRYPT-, CRYPT-BITLK-, CRYPT-FVAULT2-: all dm-crypt.
		return dmLayer{label: "dm-crypt", modules: []string{"dm_crypt"}, program: "cryptsetup"}
	case strings.HasPrefix(uuid, "LVM-"):
		l := dmLayer{label: "LVM", program: "lvm"}
		l.modules = lvmTargets(uuid, dmName)
		return l
	case strings.HasPrefix(uuid, "mpath-"):
		return dmLayer{label: "multipath", modules: []string{"dm_multipath"}, program: "multipath"}
	case strings.HasPrefix(uuid, "part") && strings.Contains(uuid, "-"):
		// kpartx's partitions of another dm device: "part1-mpath-...".
		return dmLayer{label: "dm partition"}
	case strings.HasPrefix(uuid, "DMRAID-"):
		return dmLayer{label: "dmraid", program: "dmraid"}
	}
	return dmLayer{label: "device-mapper"}
}

// lvmTargets guesses the dm target modules of an LVM device whose live
// table cannot be read (issue 12 item 4: the table decides when it can be
// read; dmtargets.go), best effort:
// lvm2 suffixes the uuid of a layer device with the layer's name ("-tpool",
// "-real", "-cow", "-vpool") and names hidden sub-LVs with a marker
// ("_rimage_0", "_mimage_0", "_corig", "_wcorig", "_vdata"). The module lands
// on the layer or sub-LV device, which sits under the LV that needs it. A
// plain linear LV needs only dm_mod.
func lvmTargets(uuid, dmName string) []string {
	suffix := ""
	if i := strings.LastIndexByte(uuid, '-'); i > len("LVM-") {
		suffix = uuid[i+1:]
	}
	switch suffix {
	case "tpool", "pool":
		return []string{"dm_thin_pool"}
	case "real", "cow":
		return []string{"dm_snapshot"}
	case "vpool":
		return []string{"dm_vdo"}
	}
	switch {
	case strings.Contains(dmName, "_rimage_"), strings.Contains(dmName, "_rmeta_"):
		return []string{"dm_raid"}
	case strings.Contains(dmName, "_mimage_"), strings.HasSuffix(dmName, "_mlog"):
		return []string{"dm_mirror"}
	case strings.HasSuffix(dmName, "_wcorig"):
		return []string{"dm_writecache"}
	case strings.HasSuffix(dmName, "_corig"), strings.HasSuffix(dmName, "_cdata"), strings.HasSuffix(dmName, "_cmeta"):
		return []string{"dm_cache"}
	case strings.HasSuffix(dmName, "_vdata"):
		return []string{"dm_vdo"}
	}
	return nil
}

// dm walks a device-mapper device and what is in its slaves/.
func (w *walker) dm(p, name string, above []label, target string, depth int) {
	dmName, _ := w.sys.readAttr(p + "/dm/name")
	uuid, _ := w.sys.readAttr(p + "/dm/uuid")
	layer := classifyDM(uuid, dmName)
	text := layer.label + " " + name
	if dmName != "" {
		text += " (" + dmName + ")"
	}
	chain := prepend(label{text: text, layer: true}, above)
	why := "needed by " + render("", chain, target)
	w.need(Need{Kind: NeedModule, Value: "dm_mod", Reason: why})
	w.dmTargetNeeds(p, name, layer, chain, target)
	switch {
	case layer.program == "cryptsetup":
		w.cryptUserspace(p, name, dmName, uuid, render("", chain, target))
	case layer.program != "":
		if w.userspace(layer.program, render("", chain, target), "") && layer.program == "lvm" {
			// The topmost LV, the one dracut's rd.lvm.lv= must name.
			u := &w.res.Userspace[len(w.res.Userspace)-1]
			u.VG, u.LV, _ = SplitLVMName(dmName)
		}
	}
	w.slaves(p, text, chain, target, depth)
}

// SplitLVMName splits a device-mapper name lvm2 made, "VG-LV", at its one
// single dash: lvm2 doubles every dash inside either name ("my--vg-root"
// is VG "my-vg", LV "root"), as `dmsetup splitname` undoes. ok is false
// when there is no single dash.
func SplitLVMName(dmName string) (vg, lv string, ok bool) {
	for i := 0; i < len(dmName); i++ {
		if dmName[i] != '-' {
			continue
		}
		if i+1 < len(dmName) && dmName[i+1] == '-' {
			i++ // a doubled dash, part of a name
			continue
		}
		undo := func(s string) string { return strings.ReplaceAll(s, "--", "-") }
		return undo(dmName[:i]), undo(dmName[i+1:]), i > 0 && i+1 < len(dmName)
	}
	return "", "", false
}

// dmTargetNeeds records the modules of the dm device's live table (issue 12
// item 4), and those its dm/uuid names for certain (dm_crypt for a LUKS
// mapping). Without the table, an LVM device's modules are guessed from
// its names: such needs carry Guess, and a note says the table was not read.
func (w *walker) dmTargetNeeds(p, name string, layer dmLayer, chain []label, target string) {
	why := "needed by " + render("", chain, target)
	table, err := w.dmTable(p)
	if err == nil {
		for _, n := range tableNeeds(table) {
			w.need(Need{Kind: NeedModule, Value: n.module, Guess: n.guess,
				Reason: "needed by dm target " + n.target + " of " + render("", chain, target)})
		}
	}
	guess := ""
	if layer.label == "LVM" {
		if err == nil {
			return // the table, not the names
		}
		guess = fmt.Sprintf("guessed from the LVM names of %s: its table could not be read (%v)", name, err)
		w.note("the live table of %s cannot be read (%v): its dm targets were guessed from its LVM names (%s)", name, err, render("", chain, target))
	}
	for _, m := range layer.modules {
		w.need(Need{Kind: NeedModule, Value: m, Reason: why, Guess: guess})
	}
}

// cryptUserspace records a dm-crypt mapping's userspace need with what
// names its device: the LUKS UUID from dm/uuid, its major:minor and the
// devices under it (issue 12 item 3).
func (w *walker) cryptUserspace(p, name, dmName, uuid, detail string) {
	for _, u := range w.res.Userspace {
		if u.Program == "cryptsetup" && u.CryptName == dmName {
			return
		}
	}
	u := Userspace{Program: "cryptsetup", Detail: detail, CryptName: dmName, Device: name, LUKSUUID: luksUUID(uuid)}
	u.MajMin, _ = w.sys.readAttr(p + "/dev")
	u.Under, _, _ = w.sys.readDirNames(p + "/slaves")
	w.res.Userspace = append(w.res.Userspace, u)
}

// luksUUID returns the LUKS UUID a dm/uuid "CRYPT-LUKS1-HEX32-name" or
// "CRYPT-LUKS2-..." records (cryptsetup's lib/setup.c writes it without
// dashes), dashed as blkid and udev show it; "" for anything else.
func luksUUID(dmUUID string) string {
	rest, ok := strings.CutPrefix(dmUUID, "CRYPT-LUKS1-")
	if !ok {
		rest, ok = strings.CutPrefix(dmUUID, "CRYPT-LUKS2-")
	}
	if !ok || len(rest) < 32 {
		return ""
	}
	h := strings.ToLower(rest[:32])
	for _, r := range h {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// mdLevels are the md/level values with a RAID personality module. The need
// is the name the kernel itself asks modprobe for when it starts the array
// (drivers/md/md.c: request_module("md-%s", level)), an alias every
// personality module declares: md-raid1 is raid1, md-raid5 is raid456, and
// md-linear is linear or md-linear, whichever the kernel has.
var mdLevels = map[string]bool{
	"linear": true, "raid0": true, "raid1": true, "raid10": true,
	"raid4": true, "raid5": true, "raid6": true, "multipath": true,
}

// md walks an md RAID device and its member devices in slaves/.
func (w *walker) md(p, name string, above []label, target string, depth int) {
	level, err := w.sys.readAttr(p + "/md/level")
	text := "md " + name
	if err == nil && level != "" {
		text = strings.ToUpper(level) + " " + name
		if level == "linear" || level == "container" {
			text = "md " + level + " " + name
		}
	}
	chain := prepend(label{text: text, layer: true}, above)
	why := "needed by " + render("", chain, target)
	w.need(Need{Kind: NeedModule, Value: "md_mod", Reason: why})
	switch {
	case mdLevels[level]:
		w.need(Need{Kind: NeedModule, Value: "md-" + level, Reason: why})
	case level == "container":
		// External metadata (IMSM, DDF): the container needs no personality.
	case err != nil:
		w.unknown("cannot read %v: the RAID personality module was not required (%s)", err, render("", chain, target))
	default:
		w.unknown("%s has md/level %q, which boot-guard does not know: its RAID personality module was not required (%s)", name, clip(level), render("", chain, target))
	}
	if w.userspace("mdadm", render("", chain, target), "") {
		// The topmost array's UUID, which dracut's rd.md.uuid= must name
		// (md/uuid: Linux 5.11 and later; else unknown).
		if id, err := w.sys.readAttr(p + "/md/uuid"); err == nil {
			w.res.Userspace[len(w.res.Userspace)-1].MDUUID = strings.ToLower(clip(id))
		}
	}
	// Issue 12 item 4: an array with external metadata (IMSM, DDF: md/
	// metadata_version "external:imsm", "external:/md127/0") is kept up by
	// mdmon, which mdadm starts from the initrd; without it the array stays
	// read-only (auto-read-only) and the first write hangs.
	if mv, err := w.sys.readAttr(p + "/md/metadata_version"); err == nil && strings.HasPrefix(mv, "external:") {
		w.userspace("mdmon", fmt.Sprintf("%s (metadata %s)", render("", chain, target), clip(mv)), "")
	}
	w.slaves(p, text, chain, target, depth)
}

// slaves walks every device in p/slaves/.
func (w *walker) slaves(p, text string, chain []label, target string, depth int) {
	names, truncated, err := w.sys.readDirNames(p + "/slaves")
	if err != nil || len(names) == 0 {
		why := w.sys.show(p+"/slaves") + " is empty"
		if err != nil {
			why = "cannot read " + err.Error()
		}
		w.unknown("%s shows no device under it (%s): what is under it was not walked (%s)", text, why, render("", chain, target))
		return
	}
	if truncated {
		w.unknown("%s has more than %d devices in %s: only the first were walked", text, maxDirEntries, w.sys.show(p+"/slaves"))
	}
	for _, s := range names {
		child, err := w.sys.resolve(p + "/slaves/" + s)
		if err != nil {
			w.unknown("cannot follow %v: that part of %s was not walked", err, render("", chain, target))
			continue
		}
		w.block(child, chain, target, depth+1)
	}
}

// btrfs walks every member device of the btrfs filesystem mounted by e. Its
// major:minor in mountinfo is an anonymous device (0:NN), so the members come
// from /sys/fs/btrfs/UUID/devices/, the filesystem being the one whose
// members include the mount source (or the only one there is).
func (w *walker) btrfs(e mountinfoEntry) {
	t := e.MountPoint
	uuids, _, err := w.sys.readDirNames("fs/btrfs")
	if err != nil {
		w.unknown("%s is btrfs on %s (anonymous device %s) and %v: its member devices were not walked", t, e.Source, e.majMin(), err)
		return
	}
	src := strings.TrimPrefix(e.Source, "/dev/")
	mapper, isMapper := strings.CutPrefix(src, "mapper/")
	var candidates []string
	match := ""
	for _, u := range uuids {
		if u == "features" || !w.sys.isDir("fs/btrfs/"+u+"/devices") {
			continue
		}
		candidates = append(candidates, u)
		members, _, err := w.sys.readDirNames("fs/btrfs/" + u + "/devices")
		if err != nil {
			continue
		}
		for _, m := range members {
			if m == src {
				match = u
			} else if isMapper {
				if n, err := w.sys.readAttr("fs/btrfs/" + u + "/devices/" + m + "/dm/name"); err == nil && n == mapper {
					match = u
				}
			}
		}
	}
	if match == "" && len(candidates) == 1 {
		match = candidates[0]
	}
	if match == "" {
		w.unknown("%s is btrfs on %s (anonymous device %s), and no filesystem in /sys/fs/btrfs (%d there) lists it among its devices: its member devices were not walked", t, e.Source, e.majMin(), len(candidates))
		return
	}
	dir := "fs/btrfs/" + match + "/devices"
	members, truncated, err := w.sys.readDirNames(dir)
	if err != nil || len(members) == 0 {
		w.unknown("%s is btrfs %s with no devices listed in %s: its member devices were not walked", t, match, w.sys.show(dir))
		return
	}
	if truncated {
		w.unknown("btrfs %s has more than %d devices in %s: only the first were walked", match, maxDirEntries, w.sys.show(dir))
	}
	w.btrfsChecksum(match, t) // issue 12 item 5
	var above []label
	if len(members) > 1 {
		above = []label{{text: fmt.Sprintf("btrfs %s (%d devices)", match, len(members)), layer: true}}
	}
	for _, m := range members {
		p, err := w.sys.resolve(dir + "/" + m)
		if err != nil {
			w.unknown("cannot follow %v: that member of the btrfs at %s was not walked", err, t)
			continue
		}
		w.block(p, above, t, 0)
	}
}
