package verify

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
)

// moduleCodec names a module file's compression by its suffix, as kmod and
// the kernel's scripts/Makefile.modinst name them; "" for a plain .ko.
func moduleCodec(p string) string {
	switch {
	case strings.HasSuffix(p, ".ko.xz"):
		return "xz"
	case strings.HasSuffix(p, ".ko.zst"):
		return "zstd"
	case strings.HasSuffix(p, ".ko.gz"):
		return "gzip"
	}
	return ""
}

// codecSoname is the library libkmod decompresses each module codec with
// (kmod's configure --with-xz, --with-zstd, --with-zlib).
var codecSoname = map[string]string{"xz": "liblzma.so.5", "zstd": "libzstd.so.1", "gzip": "libz.so.1"}

// isLoaderFile says whether an image path is a module loader whose build
// decides which compressed modules it reads: kmod (modprobe, insmod) and
// libkmod (udev's kmod builtin). readImages keeps their contents.
func isLoaderFile(p string) bool {
	b := path.Base(p)
	return b == "kmod" || strings.HasPrefix(b, "libkmod.so")
}

// compressedModuleCodecs lists the codecs of the image's modules for
// kernel v, sorted.
func compressedModuleCodecs(img *initrd.Image, v string) []string {
	var out []string
	for _, m := range img.Modules {
		if cd := moduleCodec(m.Path); cd != "" && m.KernelVersion == v && !slices.Contains(out, cd) {
			out = append(out, cd)
		}
	}
	slices.Sort(out)
	return out
}

// moduleCompression checks that each required module the image carries
// compressed can be decompressed by someone: the kernel
// (CONFIG_MODULE_DECOMPRESS with CONFIG_MODULE_COMPRESS_<CODEC>:
// kernel/module/decompress.c builds that one codec) or the initrd's module
// loader (libkmod built with the codec's library). One problem per codec.
func (c *checker) moduleCompression(img *initrd.Image) {
	inImage := map[string]string{} // module name -> its path in the image
	for _, m := range img.Modules {
		if m.KernelVersion == c.req.Version {
			inImage[m.Name] = m.Path
		}
	}
	byCodec := map[string][]string{}
	var codecs []string
	for _, r := range c.rep.Requirements {
		p, ok := inImage[strings.ReplaceAll(r.Module, "-", "_")]
		cd := moduleCodec(p)
		if r.Status != StatusInInitrd || !ok || cd == "" {
			continue
		}
		if byCodec[cd] == nil {
			codecs = append(codecs, cd)
		}
		byCodec[cd] = append(byCodec[cd], r.Module)
	}
	slices.Sort(codecs)
	for _, cd := range codecs {
		opt := "MODULE_COMPRESS_" + strings.ToUpper(cd)
		if c.kcfg.Enabled("MODULE_DECOMPRESS") && c.kcfg.Enabled(opt) {
			continue
		}
		reads, detail := loaderReads(img, cd)
		if reads == loaderCan {
			continue
		}
		kernelSays := fmt.Sprintf("the kernel cannot (its config %s has CONFIG_MODULE_DECOMPRESS %s and CONFIG_%s %s)",
			c.kcfg.Path, optionState(*c.kcfg, "MODULE_DECOMPRESS"), opt, optionState(*c.kcfg, opt))
		p := Problem{Code: CodeModuleCompression, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: initrd %s carries %s %s-compressed, and nothing at boot can decompress them: %s, and %s",
				c.req.Version, strings.Join(c.rep.Initrds, " + "), strings.Join(byCodec[cd], ", "), cd, kernelSays, detail),
			Hint: fmt.Sprintf("install the modules uncompressed (or with a compression the initrd's kmod reads) and rebuild the initrd, or build the kernel with CONFIG_MODULE_DECOMPRESS=y and CONFIG_%s=y", opt)}
		if reads == loaderUnknown {
			p.Verdict = CannotTell
			p.Message = fmt.Sprintf("kernel %s: initrd %s carries %s %s-compressed; %s, and whether the initrd's module loader can is unknown: %s",
				c.req.Version, strings.Join(c.rep.Initrds, " + "), strings.Join(byCodec[cd], ", "), cd, kernelSays, detail)
		}
		c.rep.Add(p)
	}
}

type loaderAnswer int

const (
	loaderUnknown loaderAnswer = iota
	loaderCan
	loaderCannot
)

// loaderReads decides whether a module loader in the image (kmod, or
// libkmod for udev) decompresses codec: it must be built with the codec's
// library (a DT_NEEDED entry, or the library's name for dlopen(3) as kmod
// 34 does) and that library must be in the image. It is conservative:
// a loader that cannot be examined, or a static one, is unknown. detail
// says why, for a message.
func loaderReads(img *initrd.Image, codec string) (loaderAnswer, string) {
	soname := codecSoname[codec]
	var paths []string
	for p := range img.Files {
		if isLoaderFile(p) {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	if len(paths) == 0 {
		return loaderUnknown, "the initrd has no kmod or libkmod that boot-guard could read"
	}
	var why []string
	answer := loaderCannot
	for _, p := range paths {
		uses, dirs, err := elfUses(img.Files[p], soname)
		switch {
		case err != nil:
			answer = loaderUnknown
			why = append(why, fmt.Sprintf("its %s cannot be examined (%v)", p, err))
		case uses && libPresent(img, soname, dirs):
			return loaderCan, ""
		case uses:
			why = append(why, fmt.Sprintf("its %s is built with %s, but the initrd lacks that library", p, soname))
		default:
			why = append(why, fmt.Sprintf("its %s is not built with %s", p, soname))
		}
	}
	return answer, "the initrd's loader cannot: " + strings.Join(why, "; ")
}

// elfUses reports whether the dynamic ELF file data needs or names
// library soname, and the directories its libraries are looked up in
// (elfDeps reads it, as for checkPrograms). A file that is not ELF, or is
// static (no DT_NEEDED at all: it may carry the codec inside), is an
// error: it cannot tell.
func elfUses(data []byte, soname string) (uses bool, dirs []string, err error) {
	_, needed, runpath, err := elfDeps(data)
	if err != nil {
		return false, nil, fmt.Errorf("not an ELF file: %w", err)
	}
	if len(needed) == 0 {
		return false, nil, fmt.Errorf("statically linked")
	}
	uses = slices.Contains(needed, soname) || bytes.Contains(data, []byte(soname+"\x00"))
	return uses, append(runpath, libDirs...), nil
}
