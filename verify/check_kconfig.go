package verify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kconfig"
)

// rdOption is the option that builds the kernel's decompressor for an
// initrd codec (usr/Kconfig: RD_<CODEC> selects DECOMPRESS_<CODEC>, which
// lib/decompress.c's decompress_method looks up by the segment's magic).
var rdOption = map[string]string{
	"gzip": "RD_GZIP", "bzip2": "RD_BZIP2", "lzma": "RD_LZMA", "xz": "RD_XZ",
	"lzo": "RD_LZO", "lz4": "RD_LZ4", "zstd": "RD_ZSTD",
}

// kernelConfig reads the kernel's config once, into c.kcfg; when there is
// none or it cannot be read, c.kcfgErr says why.
func (c *checker) kernelConfig() {
	cfg, err := kconfig.Read(c.root, c.req.Version)
	if err != nil {
		c.kcfgErr = err
		return
	}
	c.kcfg = &cfg
}

// initrdIgnored reports whether the kernel is built without
// CONFIG_BLK_DEV_INITRD: it then never looks at an initrd (init/Makefile
// builds noinitramfs.c instead of initramfs.c), and boots as with none.
func (c *checker) initrdIgnored() bool {
	if c.kcfg == nil || c.kcfg.Enabled("BLK_DEV_INITRD") {
		return false
	}
	c.initrdOff = fmt.Sprintf("its config %s has CONFIG_BLK_DEV_INITRD %s, so the kernel ignores initrd %s",
		c.kcfg.Path, optionState(*c.kcfg, "BLK_DEV_INITRD"), strings.Join(c.rep.Initrds, " + "))
	return true
}

// optionState says how a config sets an option, for a message.
func optionState(cfg kconfig.Config, name string) string {
	v, ok := cfg.Value(name)
	switch {
	case !ok:
		return "absent"
	case v == "n":
		return "not set"
	}
	return "=" + v
}

// kernelDecodes reports whether the kernel can decompress an initrd
// segment compressed with codec, and the option that decides it.
func kernelDecodes(cfg kconfig.Config, codec string) (ok bool, option string) {
	opt, known := rdOption[codec]
	if !known {
		return true, "" // "none", or a codec boot-guard reports apart
	}
	return cfg.Enabled(opt) || cfg.Enabled("DECOMPRESS_"+strings.TrimPrefix(opt, "RD_")), opt
}

// kernelConfigRules applies what the kernel's config decides about the
// image it will unpack: its codecs and its modules' compression. Without a
// config it notes what was not checked.
func (c *checker) kernelConfigRules(img *initrd.Image, n needs) {
	if c.kcfg == nil {
		c.noConfigNote(img)
		return
	}
	c.initrdCodecs(img, n)
	c.moduleCompression(img)
}

// initrdCodecs checks that the kernel decompresses every compressed segment.
// init/initramfs.c's unpack_to_rootfs stops at the first segment whose
// codec is not built in ("compression method X not configured"): the
// segments before it are unpacked, none after. Root then mounts only as
// with no initrd at all (when nothing unpacked provides /init).
func (c *checker) initrdCodecs(img *initrd.Image, n needs) {
	for _, s := range img.Segments {
		ok, opt := kernelDecodes(*c.kcfg, s.Compression)
		if ok {
			continue
		}
		where := fmt.Sprintf("segment %d of initrd %s (%s, at offset %d)", s.Index, strings.Join(c.rep.Initrds, " + "), s.Compression, s.Offset)
		msg := fmt.Sprintf("kernel %s cannot decompress %s: its config %s has CONFIG_%s %s, so the kernel prints \"Initramfs unpacking failed: compression method %s not configured\" and unpacks nothing from there on",
			c.req.Version, where, c.kcfg.Path, opt, optionState(*c.kcfg, opt), s.Compression)
		hint := fmt.Sprintf("rebuild the initrd with a compression the kernel has (initramfs-tools: COMPRESS= in /etc/initramfs-tools/initramfs.conf; dracut: --compress), or build the kernel with CONFIG_%s=y", opt)
		why, _, _, _ := c.noInitrdWhy(n)
		if len(why) == 0 && !initBefore(img, s.Index) {
			c.rep.Add(Problem{Code: CodeInitrdCodecUnsupported, Verdict: Bootable, Hint: hint,
				Message: msg + "; root needs no initrd, so the kernel mounts it itself"})
			return
		}
		c.rep.Add(Problem{Code: CodeInitrdCodecUnsupported, Verdict: Unbootable, Hint: hint, Message: msg})
		return
	}
}

// initBefore reports whether a segment before index holds /init (then it
// runs, from a partial image).
func initBefore(img *initrd.Image, index int) bool {
	for _, e := range img.Entries {
		if e.Segment < index && e.Path == "init" {
			return true
		}
	}
	return false
}

// noConfigNote says what could not be checked without the kernel's config.
// A note, not cannot-tell: every distribution kernel ships its config (a
// Debian linux-image package installs /boot/config-VERSION), and one without
// is a kernel built and copied by hand; the options it would decide
// (CONFIG_BLK_DEV_INITRD, every CONFIG_RD_*) are on in the kernel's
// defconfig and every distribution's, so their absence is not presumed.
func (c *checker) noConfigNote(img *initrd.Image) {
	var unchecked []string
	seen := map[string]bool{}
	for _, s := range img.Segments {
		if opt, ok := rdOption[s.Compression]; ok && !seen[opt] {
			seen[opt] = true
			unchecked = append(unchecked, fmt.Sprintf("CONFIG_%s (the initrd is %s-compressed)", opt, s.Compression))
		}
	}
	unchecked = append(unchecked, "CONFIG_BLK_DEV_INITRD (the kernel reads an initrd at all)")
	if codecs := compressedModuleCodecs(img, c.req.Version); len(codecs) > 0 {
		unchecked = append(unchecked, "CONFIG_MODULE_DECOMPRESS (its modules are "+strings.Join(codecs, ", ")+"-compressed)")
	}
	what := fmt.Sprintf("its config cannot be read (%v)", c.kcfgErr)
	if errors.Is(c.kcfgErr, kconfig.ErrNotFound) {
		what = "it has no config (" + strings.Join(kconfig.Paths(c.req.Version), ", ") + ")"
	}
	c.rep.Add(Problem{Code: CodeKernelConfig, Verdict: Bootable,
		Message: fmt.Sprintf("kernel %s: %s, so these were not checked: %s", c.req.Version, what, strings.Join(unchecked, "; ")),
		Hint:    "a distribution kernel ships its config as /boot/config-VERSION; for a kernel built by hand, install it with make install (or copy .config there)"})
}
