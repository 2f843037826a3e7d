package verify

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/boot-guard/boot-guard/verify/bootentry"
)

// useUKI points the check at the sections of the unified kernel image
// c.req.UKI (issue 14 item 1). Under kernel-install's layout=uki,
// 60-ukify.install (or dracut's 50-dracut.install with uki_generator=dracut)
// stages uki.efi and 90-uki-copy.install copies it to the ESP: the kernel,
// initrd and command line that boot are the ones inside it, not
// /boot/vmlinuz-VERSION and /boot/initrd.img-VERSION. The rules are the
// audit's for a UKI entry (verify/audit.go): the .initrd section is the
// initrd (none: the no-initrd rules), the .cmdline section the command
// line (empty: looked up as for any kernel), and the .linux section is the
// kernel image whose headers are checked. It returns false, with a
// problem, when the file cannot be read as a UKI.
func (c *checker) useUKI() bool {
	p := c.req.UKI
	u, err := bootentry.ReadUKI(p)
	if err != nil {
		pr := Problem{Code: CodeKernelUnrecognized, Verdict: CannotTell,
			Message: fmt.Sprintf("kernel %s: cannot read the unified kernel image %s: %v", c.req.Version, p, err),
			Hint:    fmt.Sprintf("rebuild it: kernel-install add %s /boot/vmlinuz-%s", c.req.Version, c.req.Version)}
		if errors.Is(err, fs.ErrNotExist) {
			pr.Code, pr.Verdict = CodeKernelMissing, Unbootable
		}
		c.rep.Add(pr)
		return false
	}
	c.req.Kernel, c.req.KernelSection = p, u.Linux
	c.req.Initrds, c.req.InitrdSection, c.req.NoInitrd = nil, u.Initrd, u.Initrd == nil
	if u.Cmdline != "" {
		c.req.Cmdline, c.req.CmdlineSource = u.Cmdline, p+" (.cmdline section)"
	}
	return true
}
