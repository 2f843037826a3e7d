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
// VERSION ENTRY_DIR". Only add is checked, and what is checked is what the
// plugins after it (90-loaderentry.install, 90-uki-copy.install) will
// install, as systemd 252 to 262 write them:
//
//   - KERNEL_INSTALL_IMAGE_TYPE=uki: IMAGE is itself a unified kernel image,
//     copied as it is: its sections are checked.
//   - KERNEL_INSTALL_LAYOUT=uki and a uki.efi in $KERNEL_INSTALL_STAGING_AREA
//     (60-ukify.install, or 50-dracut.install with uki_generator=dracut):
//     90-uki-copy.install installs that file: its sections are checked.
//   - else the initrds 90-loaderentry.install lists, in its order: the
//     staging area's microcode* files, the INITRD arguments, the staging
//     area's initrd* files (Debian 12's 85-initrd.install and systemd's
//     55-initrd.install link /boot/initrd.img-VERSION there, dracut's
//     50-dracut.install builds "initrd" there); none of them:
//     /boot/initrd.img-VERSION.
//
// Failure is exit 1: 77 would mean "skip the remaining plugins, success".
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
	if env.Getenv("KERNEL_INSTALL_IMAGE_TYPE") == "uki" {
		a.UKI = args[3]
		a.Notes = append(a.Notes, args[3]+" is a unified kernel image: rebuild it (or have it rebuilt) with the fixed initrd, then run kernel-install add again")
		return a, nil
	}
	staged := stagedFiles(env)
	if env.Getenv("KERNEL_INSTALL_LAYOUT") == "uki" {
		if p, ok := staged["uki.efi"]; ok {
			a.UKI = p
			a.Notes = append(a.Notes, "layout=uki: the image that boots is the UKI kernel-install builds from the kernel and the initrd generator's output; after fixing the generator's configuration, rebuild it with: kernel-install add "+a.Version+" /boot/vmlinuz-"+a.Version)
			return a, nil
		}
	}
	a.Initrds = append(a.Initrds, staged.with("microcode")...)
	a.Initrds = append(a.Initrds, args[4:]...)
	a.Initrds = append(a.Initrds, staged.with("initrd")...)
	if len(a.Initrds) == 0 {
		a.Initrds = nil
	}
	return a, nil
}

// staging maps the regular files in kernel-install's staging area, by name,
// to their paths.
type staging map[string]string

// stagedFiles lists $KERNEL_INSTALL_STAGING_AREA; nil when it is unset or
// cannot be read (then only the arguments and the defaults count).
func stagedFiles(env Env) staging {
	dir := env.Getenv("KERNEL_INSTALL_STAGING_AREA")
	if dir == "" {
		return nil
	}
	readDir := env.ReadDir
	if readDir == nil {
		readDir = os.ReadDir
	}
	ents, err := readDir(dir)
	if err != nil {
		return nil
	}
	s := staging{}
	for _, e := range ents {
		if !e.IsDir() {
			s[e.Name()] = filepath.Join(dir, e.Name())
		}
	}
	return s
}

// with returns the staged files whose names start with prefix, sorted as
// the shell's glob sorts them in the C locale.
func (s staging) with(prefix string) []string {
	var names []string
	for n := range s {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = s[n]
	}
	return out
}
