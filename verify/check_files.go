package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
)

// kernelImage checks that the kernel image exists and is not empty, then
// what its headers say (kernelHeader).
func (c *checker) kernelImage() {
	p := c.req.Kernel
	shown := p
	if p == "" {
		shown = defaultKernel(c.req.Version)
		p = c.hostPath(shown)
	}
	st, err := os.Stat(p)
	switch {
	case err == nil && st.Mode().IsRegular() && st.Size() > 0:
		c.kernelHeader(p, shown, st.Size())
	case err == nil:
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: the kernel image %s is empty or not a regular file", c.req.Version, shown),
			Hint:    fmt.Sprintf("reinstall the kernel package: apt-get install --reinstall linux-image-%s", c.req.Version)})
	case errors.Is(err, fs.ErrNotExist):
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: the kernel image %s does not exist", c.req.Version, shown),
			Hint:    fmt.Sprintf("reinstall the kernel package: apt-get install --reinstall linux-image-%s", c.req.Version),
			Causes:  c.diagnosis().ImageCauses()})
	default:
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read the kernel image: %v", c.req.Version, err)})
	}
}

// initrdFiles resolves the images to check, records them in the report and
// checks each exists and is not empty. It returns false when there is no
// initrd at all: the default /boot/initrd.img-VERSION does not exist (then
// the no-initrd rules apply). An image the caller named that is missing, or
// a present but empty one, is a problem and returns true.
func (c *checker) initrdFiles() bool {
	if c.req.NoInitrd {
		return false
	}
	if s := c.req.InitrdSection; s != nil {
		c.rep.Initrds = append(c.rep.Initrds, fmt.Sprintf("%s (.initrd section, %d bytes at offset %d)", s.Path, s.Size, s.Offset))
		if s.Size == 0 {
			c.initrdProblem(CodeInitrdEmpty, s.Path+" .initrd section", "is empty (0 bytes)")
			return true
		}
		c.initrds = append(c.initrds, s.Path)
		return true
	}
	paths := c.req.Initrds
	defaulted := len(paths) == 0
	if defaulted {
		paths = []string{c.hostPath(defaultInitrd(c.req.Version))}
	}
	for _, p := range paths {
		shown := p
		if defaulted {
			shown = defaultInitrd(c.req.Version)
		}
		st, err := os.Stat(p) // follows symlinks, as boot loaders and kernel-install do
		if errors.Is(err, fs.ErrNotExist) && defaulted {
			return false
		}
		c.rep.Initrds = append(c.rep.Initrds, shown)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.initrdProblem(CodeInitrdMissing, shown, "does not exist")
		case err != nil:
			c.rep.Add(Problem{Code: CodeInitrdUnreadable, Verdict: CannotTell,
				Message: fmt.Sprintf("kernel %s: cannot read initrd %s: %v", c.req.Version, shown, err),
				Hint:    "run boot-guard as root"})
		case !st.Mode().IsRegular():
			c.initrdProblem(CodeInitrdEmpty, shown, "is not a regular file")
		case st.Size() == 0:
			c.initrdProblem(CodeInitrdEmpty, shown, "is empty (0 bytes)")
		default:
			c.initrds = append(c.initrds, p)
		}
	}
	return true
}

// initrdProblem records a missing, empty or broken image with its causes and fix.
func (c *checker) initrdProblem(code Code, shown, what string) {
	c.rep.Add(Problem{Code: code, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: initrd %s %s", c.req.Version, shown, what),
		Hint:    c.fixHint(), Fix: c.fixHint(),
		Causes: c.diagnosis().ImageCauses(),
	})
}

// readImages reads the initrd images together; nil when they could not be
// read at all. Integrity problems become problems of the report. Only the
// .modinfo of the modules inImage looks up is read (n.modinfo).
func (c *checker) readImages(n needs) *initrd.Image {
	depFile := "lib/modules/" + c.req.Version + "/modules.dep"
	keep := func(p string) bool {
		if p == depFile || isLoaderFile(p) || isModprobeConf(p) || keepProgram(p, c.req.Version) || isImageCmdline(p) {
			return true
		}
		for _, k := range crypttabPaths {
			if p == k {
				return true
			}
		}
		return false
	}
	var img *initrd.Image
	var err error
	if s := c.req.InitrdSection; s != nil {
		// A UKI's .initrd section (the audit's UKI path) is read whole.
		img, err = readSection(c.ctx, s, initrd.Options{Keep: keep})
	} else {
		img, err = initrd.ReadFiles(c.ctx, c.initrds, initrd.Options{Keep: keep, Modinfo: c.modinfoFor(n)})
	}
	if err != nil {
		c.rep.Add(Problem{Code: CodeInitrdUnreadable, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read initrd %s: %v", c.req.Version, strings.Join(c.rep.Initrds, " + "), err),
			Hint:    "run boot-guard as root"})
		return nil
	}
	c.imageGen = diagnose.ImageGenerator(func(p string) bool { _, ok := img.Has(p); return ok })
	for _, p := range img.Problems {
		pr := ImageProblem(p)
		pr.Message = fmt.Sprintf("kernel %s: initrd %s is not whole: %s", c.req.Version, strings.Join(c.rep.Initrds, " + "), p.Message)
		if pr.Verdict == Unbootable {
			pr.Hint, pr.Fix = c.fixHint(), c.fixHint()
			pr.Causes = c.diagnosis().ImageCauses()
		} else {
			pr.Hint = "boot-guard cannot decode this compression; check the image by booting it, or rebuild it with COMPRESS=zstd (initramfs-tools) or --compress=zstd (dracut)"
		}
		c.rep.Add(pr)
	}
	return img
}
