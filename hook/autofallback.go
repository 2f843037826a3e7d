package hook

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/bootentry"
)

// AutoFallback makes rep's fallback the default boot entry with
// grub-set-default, as AUTO_FALLBACK=yes asks. It is the only write
// boot-guard ever makes to the boot configuration, and it goes through
// GRUB's own tool (which edits /boot/grub/grubenv): boot-guard itself never
// writes under /boot. It acts only for GRUB with GRUB_DEFAULT=saved, where
// grub-set-default decides; otherwise it says what to change. The program is
// looked up in env's PATH (tests put a fake there); for a root other than /
// it gets --boot-directory=ROOT/boot. Callers never call it for --root (an
// image is not the machine being booted). It returns whether the default was
// changed.
func AutoFallback(ctx context.Context, out Printer, rep verify.AuditReport, env Env) bool {
	fb := rep.Fallback
	switch {
	case fb == nil:
		out.Line("AUTO_FALLBACK=yes: no bootable entry to fall back to; nothing changed")
		return false
	case rep.Loader != string(bootentry.LoaderGRUB) || len(fb.Argv) == 0 || fb.Argv[0] != "grub-set-default":
		out.Line("AUTO_FALLBACK=yes acts only for GRUB with GRUB_DEFAULT=saved; change the default by hand as above")
		return false
	}
	prog, err := lookPath(fb.Argv[0], env.Getenv("PATH"))
	if err != nil {
		out.Error("AUTO_FALLBACK=yes: %v; make %q the default by hand: %s", err, fb.Title, fb.Command)
		return false
	}
	argv := fb.Argv[1:]
	if env.Root != "" && env.Root != "/" {
		// A machine root that is not / (tests, a chroot the caller chose):
		// grub-set-default edits that root's grubenv.
		argv = append([]string{"--boot-directory=" + filepath.Join(env.Root, "boot")}, argv...)
	}
	cmd := exec.CommandContext(ctx, prog, argv...)
	cmd.Env = []string{"PATH=" + env.Getenv("PATH")}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		out.Error("AUTO_FALLBACK=yes: %s failed: %v: %s", fb.Command, err, strings.TrimSpace(stderr.String()))
		return false
	}
	out.Line("AUTO_FALLBACK=yes: ran %s: the next boots start %q (kernel %s); undo with grub-set-default 0 or another entry", fb.Command, fb.Title, fb.Version)
	return true
}

// lookPath finds prog in the directories of path (never the current
// directory).
func lookPath(prog, path string) (string, error) {
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, prog)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH=%s (is grub2-common installed?)", prog, path)
}
