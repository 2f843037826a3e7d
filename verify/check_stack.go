package verify

import (
	"fmt"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Issue 12 item 4: what a stack layer's program needs beside it in an
// image, by generator, where a real boot fails without it.

// stackFile is one file a layer's program needs in the image: any of paths.
type stackFile struct {
	name  string
	paths []string
	pkg   string // the package that ships it, when not the program's own integration
}

// stackFiles are, per generator and program, the files found needed by
// real boots (scripts/e2e). initramfs-tools (Debian 12) has no script that
// activates LVM: only lvm2's udev rule 69-lvm.rules runs `lvm pvscan
// --cache -aay` for each PV udev sees, so without it no LV appears
// ("ALERT! /dev/mapper/... does not exist", nvme-lvm-no-rules). An lvm2
// activation script (scripts/local-top/lvm2 of lvm2 2.02, a local-block
// one as some derivatives ship) that runs `lvm vgchange -ay` does the same
// job, so it counts too: no real boot has shown an image with one failing.
//
// dracut (its 90lvm module) activates LVM only from its own udev rule
// 64-lvm.rules, which queues lvm_scan for each PV udev sees: real boots
// without it, with and without dracut's systemd modules, wait for the LV
// until dracut gives up, though lvm and lvm2's own rules are in the image
// (nvme-dracut-lvm-no-rules, nvme-dracut-nosd-lvm-no-rules).
var stackFiles = map[diagnose.Generator]map[string][]stackFile{
	diagnose.GeneratorInitramfsTools: {
		"lvm": {{name: "udev rule 69-lvm.rules (it activates the volume groups)",
			paths: append(udevRulePaths("69-lvm.rules"), "scripts/local-top/lvm2", "scripts/local-block/lvm2")}},
	},
	diagnose.GeneratorDracut: {
		"lvm": {{name: "dracut's udev rule 64-lvm.rules (it runs lvm_scan, which activates the volume groups)",
			paths: udevRulePaths("64-lvm.rules"), pkg: "dracut-core"}}, // its modules.d/90lvm
	},
}

// udevRulePaths are where udev reads a rules file in an image.
func udevRulePaths(name string) []string {
	return []string{"lib/udev/rules.d/" + name, "usr/lib/udev/rules.d/" + name, "etc/udev/rules.d/" + name}
}

// stackUserspace checks the files u's program needs beside it in img.
// In a dracut image it then checks that the command line lets dracut
// activate the layer (dracutActivation, check_stack_dracut.go).
func (c *checker) stackUserspace(img *initrd.Image, u rootdev.Userspace, bl bootLine, shown string) {
	gen := imageGenerator(img)
	if gen == diagnose.GeneratorDracut {
		defer c.dracutActivation(imageCmdline(img), u, bl, shown)
	}
	for _, f := range stackFiles[gen][u.Program] {
		if imageHasAny(img, f.paths...) {
			continue
		}
		pkg := f.pkg
		if pkg == "" {
			pkg = initramfsPackage(u.Program, gen)
		}
		c.rep.Add(Problem{Code: CodeUserspaceMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has %s but no %s, needed for %s", c.req.Version, shown, u.Program, f.name, u.Detail),
			Hint:    fmt.Sprintf("reinstall its initramfs integration (apt-get install --reinstall %s), then %s", pkg, c.fixHint()),
			Causes:  c.diagnosis().ImageCauses()})
	}
}
