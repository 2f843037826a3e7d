package verify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"

	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/kimage"
)

// gzipKernelLimit caps what a gzip-compressed kernel image may decompress to
// while it is checked whole (arm64 Images are tens of MiB).
const gzipKernelLimit = 512 << 20

// kernelHeader checks what the kernel image's headers say: that the file
// holds every byte a boot loader reads, that it is for this machine's
// architecture and names the release it is installed as. p is the host path,
// shown the path for messages, size the file's size.
//
// Learned from real boots (scripts/e2e, Debian 12's signed 6.1 bzImage under
// QEMU): a cut inside the payload or the decompressor's data resets the
// machine before the kernel prints a line; a cut only into the Authenticode
// signature past the setup header's length boots when nothing verifies it; a
// file longer than its headers say boots. A cut only into the trailing zero
// padding and CRC also boots from QEMU's legacy loader, but a UEFI loader
// (which reads every PE section) and Secure Boot refuse it: boot-guard is
// stricter there (the e2e row is marked strict).
func (c *checker) kernelHeader(p, shown string, size int64) {
	v := c.req.Version
	f, err := os.Open(p)
	if err != nil {
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read the kernel image: %v", v, err),
			Hint:    "run boot-guard as root"})
		return
	}
	defer f.Close()
	var r io.ReaderAt = f
	if s := c.req.KernelSection; s != nil { // a UKI's .linux section
		r, size, shown = io.NewSectionReader(f, s.Offset, s.Size), s.Size, shown+" .linux section"
	}
	h, err := kimage.Read(r, size)
	if errors.Is(err, kimage.ErrUnrecognized) {
		c.rep.Add(Problem{Code: CodeKernelUnrecognized, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot tell whether the kernel image %s is whole and for this machine: %v", v, shown, err),
			Hint:    "check that it is a kernel (file " + shown + "); " + c.kernelHint()})
		return
	}
	if err != nil {
		c.rep.Add(Problem{Code: CodeKernelMissing, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read the kernel image %s: %v", v, shown, err),
			Hint:    "run boot-guard as root"})
		return
	}
	c.kernelArch(h, shown)
	c.banner = h.Banner
	if h.Release != "" && h.Release != v {
		c.rep.Add(Problem{Code: CodeKernelWrongVersion, Verdict: Unbootable,
			Message: fmt.Sprintf("kernel %s: the kernel image %s is kernel %s: it will look for its modules in /lib/modules/%s, and the initrd's, built for %s, do not load into it", v, shown, h.Release, h.Release, v),
			Hint:    c.kernelHint()})
	}
	c.kernelWhole(r, h, shown, size)
	if c.req.KernelSection == nil { // a UKI is signed as a whole; its .linux need not be
		c.kernelSignature(r, h, shown, size) // issue 13
	}
}

// kernelHint is the fix for a kernel image that is not what its package
// installed.
func (c *checker) kernelHint() string {
	return fmt.Sprintf("reinstall the kernel package: apt-get install --reinstall linux-image-%s", c.req.Version)
}

// kernelWhole reports an image shorter than its headers say, or a gzip stream
// that does not decompress whole.
func (c *checker) kernelWhole(r io.ReaderAt, h kimage.Header, shown string, size int64) {
	v := c.req.Version
	truncated := func(verdict Verdict, what string) {
		pr := Problem{Code: CodeKernelTruncated, Verdict: verdict,
			Message: fmt.Sprintf("kernel %s: the kernel image %s (%s) is cut short: %s", v, shown, h.Format, what),
			Hint:    c.kernelHint(), Fix: c.kernelHint()}
		if verdict == Unbootable {
			pr.Causes = c.diagnosis().ImageCauses()
		}
		c.rep.Add(pr)
	}
	switch {
	case h.Length > size:
		truncated(Unbootable, fmt.Sprintf("it is %d bytes, but %s says a boot loader reads %d bytes (the file ends %d bytes early, at offset %d)",
			size, h.LengthFrom, h.Length, h.Length-size, size))
	case h.SignatureEnd > size:
		st := c.secureBootState()
		sb, known := st.Enforcing(), st.Known
		what := fmt.Sprintf("its Authenticode signature ends at offset %d, past the end of the file (%d bytes)", h.SignatureEnd, size)
		switch {
		case known && sb:
			truncated(Unbootable, what+", and Secure Boot is on: the shim refuses it")
		case h.Arch == "arm64":
			// issue 14 item 5: an arm64 kernel under UEFI is loaded by the
			// firmware's LoadImage, which fails on it even with Secure Boot off.
			c.arm64SignatureCut(truncated, what)
		case !known:
			truncated(CannotTell, what+": Secure Boot refuses it, and whether Secure Boot is on is unknown here")
		}
	case h.Format == kimage.Gzip:
		err := kimage.GzipWhole(io.NewSectionReader(r, 0, size), gzipKernelLimit)
		if err != nil {
			truncated(Unbootable, fmt.Sprintf("its gzip stream does not decompress whole: %v", err))
		}
	case h.Length == 0:
		c.rep.Add(Problem{Code: CodeKernelUnrecognized, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot tell whether the kernel image %s is whole: a %s without a PE header does not say its length", v, shown, h.Format)})
	}
}

// arm64SignatureCut judges an arm64 kernel whose signature is cut short.
// Learned from real boots (scripts/e2e/arm64.sh, Debian 12's signed arm64
// Image under qemu-system-aarch64): through UEFI (qemu-efi-aarch64's EDK2,
// Secure Boot off) the firmware stops with a Synchronous Exception before
// the EFI stub prints a line, as it does for an image cut inside its
// sections; the same bytes with the PE certificate-table entry zeroed boot,
// and so does the cut image loaded without UEFI (QEMU's direct Image boot).
// A UEFI machine's next boot goes through UEFI too; a machine booted
// otherwise (U-Boot's booti, a direct load) ignores the PE header.
func (c *checker) arm64SignatureCut(truncated func(Verdict, string), what string) {
	uefi, known := uefiBooted(c.req.Sys)
	switch {
	case !known:
		truncated(CannotTell, what+": a UEFI firmware's loader fails on it, and whether this machine boots through UEFI is unknown here")
	case uefi:
		truncated(Unbootable, what+": this machine boots through UEFI, whose loader (EDK2) fails on an image whose PE header points past the file's end, even with Secure Boot off")
	}
}

// uefiBooted says whether the running machine booted through UEFI: the kernel
// shows /sys/firmware/efi then. known is false without /sys.
func uefiBooted(sys fs.FS) (uefi, known bool) {
	if sys == nil {
		return false, false
	}
	_, err := fs.Stat(sys, "firmware/efi")
	switch {
	case err == nil:
		return true, true
	case errors.Is(err, fs.ErrNotExist):
		return false, true
	}
	return false, false
}

// kernelArch reports a kernel for another architecture than the machine.
func (c *checker) kernelArch(h kimage.Header, shown string) {
	if h.Arch == "" {
		return
	}
	arch, source := machineArch(c.root, c.req.Version)
	want := archFamily(arch)
	if want == "" || want == h.Arch {
		return
	}
	c.rep.Add(Problem{Code: CodeKernelWrongArch, Verdict: Unbootable,
		Message: fmt.Sprintf("kernel %s: the kernel image %s is a %s kernel (%s), but this machine is %s (%s)", c.req.Version, shown, h.Arch, h.Format, arch, source),
		Hint:    c.kernelHint() + ":" + arch})
}

// machineArch is the Debian architecture the kernel must run on, and where
// it was read: the kernel package's Architecture in dpkg's status (under
// --root, the image being built is for that), else dpkg's own (the native
// architecture), else boot-guard's.
func machineArch(root, version string) (arch, source string) {
	want := []string{"linux-image-" + version, "linux-image-" + version + "-unsigned", "linux-image-unsigned-" + version, "dpkg"}
	pkgs := diagnose.PackageArchitectures(root, want...)
	for _, p := range want {
		if a := pkgs[p]; a != "" && a != "all" {
			return a, fmt.Sprintf("the Architecture of package %s in /%s", p, diagnose.DpkgStatus)
		}
	}
	a := runtime.GOARCH
	if a == "386" {
		a = "i386"
	}
	return a, "boot-guard's own architecture: dpkg's status names none"
}

// archFamily maps a Debian (or Go) architecture to the family of kernels it
// boots: an amd64 kernel boots i386 userspace too (Debian ships one for
// i386). "" for an architecture boot-guard cannot compare.
func archFamily(arch string) string {
	switch arch {
	case "amd64", "i386", "x32", "386":
		return "x86"
	case "arm64":
		return "arm64"
	case "armhf", "armel", "arm":
		return "arm"
	case "riscv64":
		return "riscv64"
	case "loong64":
		return "loong64"
	}
	return ""
}
