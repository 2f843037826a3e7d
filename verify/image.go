package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/initrd"
)

// What ls and inspect render of an image, named here so that commands read
// images through verify alone.
type (
	Image        = initrd.Image
	ImageEntry   = initrd.Entry
	ImageSegment = initrd.Segment
	ImageModule  = initrd.Module
	ImageIssue   = initrd.Problem
)

// ImageProblem is the one rule for an integrity problem of an initrd
// (initrd.Problem.Kind): the Problem it is, with its code and verdict set
// (the caller words the message). A compression boot-guard cannot decode is
// cannot-tell (initrd-unsupported); a cut, corrupt or oversized image is
// unbootable (initrd-truncated, initrd-corrupt, initrd-too-large), as the
// kernel stops unpacking at the first problem.
func ImageProblem(p initrd.Problem) Problem {
	switch p.Kind {
	case initrd.Truncated:
		return Problem{Code: CodeInitrdTruncated, Verdict: Unbootable}
	case initrd.Unsupported:
		return Problem{Code: CodeInitrdUnsupported, Verdict: CannotTell}
	case initrd.TooLarge:
		return Problem{Code: CodeInitrdTooLarge, Verdict: Unbootable}
	}
	return Problem{Code: CodeInitrdCorrupt, Verdict: Unbootable}
}

// ImageVerdict is the verdict on an image by itself: the worst over its
// problems (ImageProblem), Bootable when it is whole.
func ImageVerdict(im *Image) Verdict {
	v := Bootable
	for _, p := range im.Problems {
		v = Worst(v, ImageProblem(p).Verdict)
	}
	return v
}

// ImageFile is what WalkImage read of one image file.
type ImageFile struct {
	Image   *Image
	Verdict Verdict // ImageVerdict
	Entries int     // entries walked
	// Kernel is the kernel the image is for: the one its
	// lib/modules/VERSION directories name, else the one its file name
	// names (Debian's initrd.img-VERSION, dracut's initramfs-VERSION.img),
	// else "".
	Kernel string
	// generator made the image, as its files say (diagnose.ImageGenerator).
	generator diagnose.Generator
}

// WalkImage reads the file at path as one image (not a concatenation),
// calling each, when not nil, for every entry in archive order. modinfo
// says whether to read the modules' .modinfo (inspect shows them; ls does
// not, and reading them was most of its time). The error is opening the
// file (as os.Open words it) or reading it ("PATH: ..."), or each's.
func WalkImage(ctx context.Context, path string, modinfo bool, each func(ImageEntry) error) (ImageFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return ImageFile{}, err
	}
	defer f.Close()
	// inspect lists vermagic and depends only (issue 16 item 2).
	opts := initrd.Options{ModinfoOnly: true}
	if !modinfo {
		opts.Modinfo = initrd.NoModinfo
	}
	var out ImageFile
	dirs, marks := map[string]bool{}, map[string]bool{}
	im, err := initrd.Walk(ctx, f, opts, func(e initrd.Entry) error {
		out.Entries++
		if v := modulesDirVersion(e.Path); v != "" {
			dirs[v] = true
		}
		if diagnose.IsImageMark(e.Path) {
			marks[e.Path] = true
		}
		if each != nil {
			return each(e)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("%s: %w", path, err)
	}
	out.Image, out.Verdict, out.Kernel = im, ImageVerdict(im), imageKernel(path, dirs)
	out.generator = diagnose.ImageGenerator(func(p string) bool { return marks[p] })
	return out, nil
}

// modulesDirVersion returns the VERSION of a lib/modules/VERSION (or
// usr/lib/modules/VERSION) path, "" for any other path.
func modulesDirVersion(p string) string {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "./"), "usr/")
	rest, ok := strings.CutPrefix(p, "lib/modules/")
	if !ok {
		return ""
	}
	if v, _, _ := strings.Cut(rest, "/"); v != "." && v != ".." {
		return v
	}
	return ""
}

// imageKernel names the kernel an image is for: the one kernel its
// modules' directories (dirs) name, else the one its file name names.
func imageKernel(path string, dirs map[string]bool) string {
	if len(dirs) == 1 {
		for v := range dirs {
			return v
		}
	}
	base := filepath.Base(path)
	if v, ok := strings.CutPrefix(base, "initrd.img-"); ok && v != "" {
		return strings.TrimSuffix(v, ".new")
	}
	if v, ok := strings.CutPrefix(base, "initramfs-"); ok && strings.HasSuffix(v, ".img") && len(v) > len(".img") {
		return strings.TrimSuffix(v, ".img")
	}
	return ""
}

// ImageFixHint is the fix for the broken image img on the system under
// root: diagnose's FixCommand for the generator that made it (else the one
// the system's kernel hooks run), the one command verify names too, for
// img.Kernel ("" when unknown).
func ImageFixHint(root string, img ImageFile) string {
	version := img.Kernel
	f := diagnose.Findings{Version: version, Generator: diagnose.GeneratorOf(root, img.generator)}
	if version == "" {
		return "rebuild it with " + f.FixCommand() + "; ls /lib/modules lists the installed kernels"
	}
	return "rebuild it: " + f.FixCommand()
}
