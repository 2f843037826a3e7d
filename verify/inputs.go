package verify

import (
	"path/filepath"
	"slices"

	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/diagnose"
	"github.com/boot-guard/boot-guard/verify/kconfig"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/secureboot"
)

// defaultKernel is the kernel image Check reads for version when the
// request names none (a machine path).
func defaultKernel(version string) string { return "/boot/vmlinuz-" + version }

// defaultInitrd is the initrd Check reads for version when the request
// names none.
func defaultInitrd(version string) string { return "/boot/initrd.img-" + version }

// kernelCmdlineFile is the command line Check reads when no boot entry
// gives one (kernel-install's).
const kernelCmdlineFile = "/etc/kernel/cmdline"

// Inputs lists the files and directories on the host whose content Check(req)
// reads, as host paths under req.Root (missing ones included: a file
// appearing changes a verdict too). It is the list the check reads and must
// change with it: a cache of verdicts keyed by these files' identities (the
// APT hook's) is only as right as this list. Each reader Check calls lists
// its own, from the definitions it reads by:
//
//   - the kernel image and the initrds (kernelImage, initrdFiles); paths
//     inside an image (its modules.dep, crypttabPaths) change with the image;
//   - kmod.IndexFiles: the module index kmod.Load reads;
//   - kmod.ReferenceFiles: where Module.symvers is looked for (issue 12
//     item 1; the kernel's in-tree modules it also reads change with its
//     package, and so does its modules.dep, listed above);
//   - kconfig.Paths: where the kernel's config may be;
//   - modules.order and secureboot.DKMSKeyPaths: the kernel's built-in
//     key and the DKMS key (issue 13);
//   - when the request names no command line: bootentry.Inputs, what
//     bootentry.Scan reads for it, and /etc/kernel/cmdline;
//   - diagnose.Inputs: what diagnose.Inspect reads for a problem's causes
//     and fix;
//   - the root filesystem's init programs (checkInitArg, checkKernelInit):
//     the command line's init= and initFallbacks.
//
// Not listed, because they are no file's content under Root: /sys and
// /proc (the running machine; a cache of them must die with the boot), the
// live device-mapper tables read through Sys (issue 12 item 3), and
// /boot's free space with the size of its largest initrd (diagnose's
// low-space cause).
func Inputs(req Request) []string {
	root := req.Root
	if root == "" {
		root = "/"
	}
	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	var in []string
	if req.UKI != "" { // issue 14 item 1: it holds the kernel, initrd and command line
		in = append(in, req.UKI)
	}
	if req.Kernel != "" {
		in = append(in, req.Kernel)
	} else {
		in = append(in, at(defaultKernel(req.Version)))
	}
	switch {
	case req.NoInitrd:
	case req.InitrdSection != nil:
		in = append(in, req.InitrdSection.Path)
	case len(req.Initrds) > 0:
		in = append(in, req.Initrds...)
	default:
		in = append(in, at(defaultInitrd(req.Version)))
	}
	for _, p := range kmod.IndexFiles(req.Version) {
		in = append(in, at(p))
	}
	for _, p := range kmod.ReferenceFiles(req.Version) { // issue 12 item 1
		in = append(in, at(p))
	}
	for _, p := range kconfig.Paths(req.Version) { // issue 11 item 3
		in = append(in, at(p))
	}
	// issue 13: the in-tree modules that name the kernel's built-in key,
	// and the DKMS signing key (the in-tree modules change with the
	// kernel package, and with modules.dep).
	in = append(in, at("/lib/modules/"+req.Version+"/modules.order"))
	for _, p := range secureboot.DKMSKeyPaths {
		in = append(in, at(p))
	}
	if req.CmdlineSource == "" {
		in = append(in, bootentry.Inputs(root)...)
		in = append(in, at(kernelCmdlineFile))
	}
	in = append(in, diagnose.Inputs(root, req.Version)...)
	in = append(in, initInputs(req, root)...)
	seen := map[string]bool{}
	return slices.DeleteFunc(in, func(p string) bool {
		dup := seen[p]
		seen[p] = true
		return dup
	})
}

// initInputs are the init programs Check looks for in the root filesystem:
// init= of the command line it reads, and the fallbacks.
func initInputs(req Request, root string) []string {
	var in []string
	line, _ := (&checker{req: req, root: root}).cmdline()
	if prog, ok := cmdlineValue(line, "init"); ok {
		in = append(in, filepath.Join(root, filepath.FromSlash(prog)))
	}
	for _, p := range initFallbacks {
		in = append(in, filepath.Join(root, filepath.FromSlash(p)))
	}
	return in
}
