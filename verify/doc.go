// Package verify decides whether a kernel will mount its root filesystem at the
// next boot: it owns the verdict (bootable, unbootable, cannot-tell), the report
// with its requirements and problems, and the check that combines the leaf
// packages below it.
//
// Each Problem carries a Code (codes.go): the stable classification machines
// and the hooks match on, each documented in docs/json-schema.md and
// boot-guard(8). Check reads the kernel image (check_files.go, its headers in
// check_kernel.go) and the initrd files (check_files.go), establishes what
// root needs (check_needs.go), and checks the image's modules (check_modules.go, modules.go), its /init and
// userspace (check_userspace.go, and per generator check_stack.go), or the no-initrd rules with the command
// line (check_cmdline.go); what the kernel's own config allows (its initrd
// codecs and module decompression: check_kconfig.go, check_modcompress.go)
// and whether the unpacked initrd fits in memory (check_size.go); what
// Secure Boot will refuse: whether the kernel will enforce module
// signatures, the kernel image's Authenticode signature
// (check_secureboot.go), and the signatures of the image's modules against
// the keys the kernel trusts (check_modsig.go).
//
// It also owns every other domain rule the CLI and the hooks need, so that
// they only parse flags and render: what a kernel's root requires
// (Requirements, requirements*.go), which kernels are installed and in
// which order (InstalledKernels, kernels.go), what an image's problems mean
// and the command that rebuilds it (ImageProblem, ImageVerdict, WalkImage,
// image.go), and the files a check reads (Inputs, inputs.go), which key the
// APT hook's cache.
//
// The leaf packages each own one job and never import each other:
//   - initrd: reads initrd images the way the kernel's init/initramfs.c
//     unpacks them (segments, compressions, cpio, integrity).
//   - kmod: reads one kernel's module index under /lib/modules/VERSION.
//   - rootdev: walks /proc/self/mountinfo and /sys to find what the root
//     device is made of (buses, drivers, modaliases, dm/md layers).
//   - bootentry: reads what the boot loader will offer (grub.cfg, BLS, UKI).
//   - kimage: reads a kernel image's headers (bzImage, PE, EFI zboot, arm64
//     Image): its format, architecture and the length a boot loader reads.
//   - kconfig: reads a kernel's build configuration (/boot/config-VERSION).
//   - secureboot: reads the machine's Secure Boot state (efivarfs,
//     lockdown), module signatures and their signers, the MOK lists and
//     db, and a kernel image's Authenticode signer.
//   - diagnose: finds the likely cause of a bad initrd on the machine (a
//     failed DKMS build, a half-configured package, a full /boot) and the
//     command that fixes it for the generator in use.
//
// verify/internal holds what leaves share: decomp (every decompressor, with
// its bounds), mounts (mountinfo and fstab), and rootpath (paths of the
// checked system mapped under its root as a chroot would: ".." and absolute
// links never lead out of it).
//
// Check and Audit stop at their next step when their context ends (a time
// bound, a signal: the report says which) and record the step they are in
// (Progress, progress.go), so that a caller that must give up on a read
// nothing can interrupt can say what it was waiting for.
//
// checktest builds fixtures for Check (initrds, ELF modules, fake /sys and
// /proc); only tests import it.
//
// verify never prints, never exits, never writes under /boot or /lib/modules,
// and reads the machine only through the roots and fs.FS values it is handed.
package verify
