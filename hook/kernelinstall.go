package hook

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func init() { Register("kernel-install", parsed("kernel-install", KernelInstall)) }

// KernelInstall parses a call of /usr/lib/kernel/install.d/89-boot-guard.install
// by kernel-install(8): "add VERSION ENTRY_DIR IMAGE [INITRD...]" or "remove
// VERSION ENTRY_DIR". Only add is checked. The images are the INITRD
// arguments when given; else the initrd* files an earlier plugin put in
// $KERNEL_INSTALL_STAGING_AREA (Debian 12's 85-initrd.install links
// /boot/initrd.img-VERSION there, dracut's 50-dracut.install builds
// "initrd" there); else /boot/initrd.img-VERSION. Failure is exit 1: 77 would
// mean "skip the remaining plugins, success".
func KernelInstall(args []string, env Env) (Action, error) {
	const name = "kernel-install"
	if len(args) == 0 {
		return Action{}, usage(name, "want add VERSION ENTRY_DIR IMAGE [INITRD...] or remove VERSION ENTRY_DIR, got no arguments")
	}
	if args[0] != "add" {
		return Action{Skip: "verb " + args[0] + ": nothing to check"}, nil
	}
	if len(args) < 4 || args[1] == "" {
		return Action{}, usage(name, "add wants VERSION ENTRY_DIR IMAGE [INITRD...], got %q", args[1:])
	}
	a := Action{Version: args[1], Kernel: args[3]}
	if len(args) > 4 {
		a.Initrds = append([]string(nil), args[4:]...)
		return a, nil
	}
	if staging := env.Getenv("KERNEL_INSTALL_STAGING_AREA"); staging != "" {
		readDir := env.ReadDir
		if readDir == nil {
			readDir = os.ReadDir
		}
		if ents, err := readDir(staging); err == nil {
			var found []string
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "initrd") {
					found = append(found, filepath.Join(staging, e.Name()))
				}
			}
			sort.Strings(found)
			if len(found) > 0 {
				a.Initrds = found
				return a, nil
			}
		}
	}
	return a, nil
}
