package hook

import "strings"

func init() { Register("kernel-postinst", parsed("kernel-postinst", KernelPostinst)) }

// KernelPostinst parses a call of /etc/kernel/postinst.d/zz-boot-guard: run by
// run-parts from a kernel package's postinst with VERSION [IMAGE], after dkms
// and initramfs-tools or dracut (which sort before it) have built the modules
// and the initrd, and before zz-systemd-boot and zz-update-grub. Debian 13's
// linux-run-hooks and Ubuntu 26.04 pass /etc/kernel/postinst.d and
// /usr/share/kernel/postinst.d to one run-parts, which sorts both as one list
// by name; Ubuntu runs it from the kernel's dpkg trigger (README, "Where each
// release runs the hooks"). The maintainer script's own arguments are in
// DEB_MAINT_PARAMS: only
// "configure" installs a kernel (abort-upgrade and friends roll back, and
// must not be failed); an absent DEB_MAINT_PARAMS is a direct call, and acts.
func KernelPostinst(args []string, env Env) (Action, error) {
	const name = "kernel-postinst"
	if len(args) < 1 || len(args) > 2 || args[0] == "" {
		return Action{}, usage(name, "want VERSION [IMAGE], got %d arguments %q", len(args), args)
	}
	a := Action{Version: args[0]}
	if len(args) == 2 {
		a.Kernel = args[1]
	}
	if p := env.Getenv("DEB_MAINT_PARAMS"); strings.TrimSpace(p) != "" {
		if w := dpkgWords(p); w[0] != "configure" {
			a.Skip = "DEB_MAINT_PARAMS=" + p + ": not a configure"
			return a, nil
		}
	}
	if pkg := env.Getenv("DPKG_MAINTSCRIPT_PACKAGE"); pkg != "" {
		a.Notes = append(a.Notes, "called from "+pkg+"'s postinst: dpkg will leave "+pkg+" half-configured until this is fixed; after the fix run: dpkg --configure -a")
	}
	return a, nil
}
