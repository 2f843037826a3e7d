package verify

import (
	"fmt"
	"path"
	"strings"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Paths in the image whose contents the check reads.
var crypttabPaths = []string{
	"cryptroot/crypttab",    // initramfs-tools (cryptsetup-initramfs)
	"conf/conf.d/cryptroot", // initramfs-tools, older cryptsetup
	"etc/crypttab",          // dracut
}

// checkInit checks that the image has an executable /init, the program the
// kernel runs (rdinit= defaults to /init); without it the kernel falls back
// to mounting root itself, which an initramfs-built system never expects.
func (c *checker) checkInit(img *initrd.Image) {
	e, ok := img.Has("init")
	for hops := 0; ok && e.IsSymlink() && hops < 40; hops++ {
		target := e.Link
		if !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(e.Path), target)
		}
		e, ok = img.Has(target)
	}
	shown := strings.Join(c.rep.Initrds, " + ")
	switch {
	case !ok:
		if !img.Whole() {
			return // already reported broken; /init may lie after the break
		}
		c.rep.Add(Problem{Code: CodeInitMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has no /init: the kernel would not run the initramfs", c.req.Version, shown),
			Hint:    c.fixHint(), Fix: c.fixHint(),
			Causes: c.diagnosis().ImageCauses()})
	case !e.IsRegular() || e.Mode&0o111 == 0:
		c.rep.Add(Problem{Code: CodeInitMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has /init (%s, mode %o) but it is not an executable file", c.req.Version, shown, e.Path, e.Mode),
			Hint:    c.fixHint(), Fix: c.fixHint()})
	}
}

// userspaceDirs are where initramfs-tools and dracut put the programs.
var userspaceDirs = []string{"sbin", "usr/sbin", "bin", "usr/bin"}

// checkUserspace checks the stack layers' programs and, for dm-crypt, that
// the image can unlock the mapping (checkCrypt, check_crypt.go).
func (c *checker) checkUserspace(img *initrd.Image, us []rootdev.Userspace, bl bootLine, shown string) {
	for _, u := range us {
		if u.Program == "cryptsetup" {
			c.checkCrypt(img, u, bl, shown)
			continue
		}
		found := false
		for _, d := range userspaceDirs {
			if e, ok := img.Has(d + "/" + u.Program); ok && !e.IsDir() {
				found = true
				break
			}
		}
		if found {
			c.stackUserspace(img, u, bl, shown) // issue 12 item 4: check_stack.go
			continue
		}
		pkg := initramfsPackage(u.Program, c.diagnosis().Generator)
		c.rep.Add(Problem{Code: CodeUserspaceMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s has no %s, needed for %s", c.req.Version, shown, u.Program, u.Detail),
			Hint:    fmt.Sprintf("install its initramfs integration (apt-get install %s), then %s", pkg, c.fixHint()),
			Causes: append([]string{fmt.Sprintf("no initramfs hook put %s in the image: package %s is not installed, or the image was built before it was", u.Program, pkg)},
				c.diagnosis().ImageCauses()...)})
	}
}

// initramfsPackage names the Debian package that puts program in the initrd.
func initramfsPackage(program string, g diagnose.Generator) string {
	if g == diagnose.GeneratorDracut {
		return map[string]string{"cryptsetup": "cryptsetup", "lvm": "lvm2", "mdadm": "mdadm", "mdmon": "mdadm"}[program]
	}
	return map[string]string{"cryptsetup": "cryptsetup-initramfs", "lvm": "lvm2", "mdadm": "mdadm", "mdmon": "mdadm"}[program]
}
