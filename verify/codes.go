package verify

// Code classifies a Problem for machines: it is stable, the JSON "code" of a
// problem, and what dashboards, hooks and tests match on (never the message,
// which is for people and may change wording).
//
// Every code is documented in docs/json-schema.md (the "problem codes"
// table) and in doc/boot-guard.8.md (PROBLEM CODES); codes_test.go checks
// that the three lists agree and that every code is emitted somewhere.
type Code string

// The codes of Problem.Code, by where they arise: the kernel image and the
// initrd files, the image's contents, what the root device needs, and the
// audit of the boot menu.
const (
	// CodeNotChecked: the check did not run or was cut short: the version
	// names no kernel, or the check or the audit was interrupted.
	// Cannot-tell.
	CodeNotChecked Code = "not-checked"
	// CodeKernelMissing: the kernel image (/boot/vmlinuz-VERSION, or the
	// entry's) does not exist, is empty or is not a regular file
	// (unbootable), or cannot be read (cannot-tell).
	CodeKernelMissing Code = "kernel-missing"

	// CodeInitrdMissing: an initrd the check was given or the entry loads
	// does not exist; or the kernel has no initrd at all (none in /boot, or
	// an entry that loads none) and cannot mount root without one.
	// Unbootable.
	CodeInitrdMissing Code = "initrd-missing"
	// CodeNoInitrd: the kernel has no initrd and needs none: every driver
	// root needs is built in and the kernel resolves root= itself. A note.
	CodeNoInitrd Code = "no-initrd"
	// CodeInitrdEmpty: an initrd (or a UKI's .initrd section) is empty or
	// not a regular file. Unbootable.
	CodeInitrdEmpty Code = "initrd-empty"
	// CodeInitrdUnreadable: an initrd cannot be opened or read (most often:
	// not run as root). Cannot-tell.
	CodeInitrdUnreadable Code = "initrd-unreadable"
	// CodeInitrdTruncated: a segment of the initrd ends before its data
	// does. Unbootable.
	CodeInitrdTruncated Code = "initrd-truncated"
	// CodeInitrdCorrupt: a segment of the initrd does not decode (a bad
	// checksum, a broken cpio header). Unbootable.
	CodeInitrdCorrupt Code = "initrd-corrupt"
	// CodeInitrdUnsupported: a segment uses a compression boot-guard cannot
	// decode. Cannot-tell.
	CodeInitrdUnsupported Code = "initrd-unsupported"
	// CodeInitrdTooLarge: the initrd decompresses to more than boot-guard's
	// limit (a decompression bomb). Unbootable.
	CodeInitrdTooLarge Code = "initrd-too-large"

	// CodeInitMissing: the initrd has no /init, or its /init is not an
	// executable file, or cannot run: its #! interpreter, or the dynamic
	// loader or a library of it (or of an ELF /init), is missing.
	// Unbootable.
	CodeInitMissing Code = "init-missing"
	// CodeModuleMissing: the initrd lacks a module root needs, a module it
	// depends on, or every module of an essential softdep (crc32c for
	// ext4); or it carries the module but cannot load it (unreadable, not
	// in its modules.dep) alongside a missing softdep. Unbootable;
	// cannot-tell when the need is a guess (issue 12 item 4: an LVM
	// device's dm target guessed from its names).
	CodeModuleMissing Code = "module-missing"
	// CodeModuleWrong: the initrd carries a module root needs only for
	// another kernel, or one whose vermagic the kernel refuses: another
	// release, or another build configuration (SMP, preempt model,
	// mod_unload, modversions), compared as the kernel does with its own
	// in-tree modules' vermagic. Unbootable.
	CodeModuleWrong Code = "module-wrong-version"
	// CodeModuleNotInDep: the initrd carries every module root needs, but
	// modprobe in it cannot load one: its modules.dep is missing or does
	// not list it, or the module cannot be read; where libkmod loads the
	// modules, its modules.dep.bin does not list it at the file carried, or
	// modules.alias.bin is missing or corrupt. Unbootable.
	CodeModuleNotInDep Code = "module-not-in-modules-dep"
	// CodeModuleIndex: the kernel's module index (/lib/modules/VERSION)
	// cannot be read, or the dependencies of a module are unknown, or an
	// initrd's binary module index is too large to check (cannot-tell); `requirements` also notes a kernel without
	// modules.builtin.modinfo with it (bootable).
	CodeModuleIndex Code = "module-index"
	// CodeUserspaceMissing: the initrd lacks a program a layer of the root
	// stack needs (lvm, and for initramfs-tools the udev rule that runs
	// it, 69-lvm.rules; mdadm; for LUKS what its generator runs: cryptsetup
	// and the cryptroot script, cryptsetup and cryptroot-ask, or
	// systemd-cryptsetup and its generator), or, in an initramfs-tools or
	// dracut image, udevd or /sbin/modprobe or what one of them needs to
	// run (its dynamic loader, libkmod). Unbootable.
	CodeUserspaceMissing Code = "userspace-missing"
	// CodeCrypttabMissing: the initrd carries no crypttab entry for the
	// LUKS device root is on (where its generator reads one: initramfs-tools,
	// dracut with systemd when the command line names no rd.luks.uuid=), or
	// the entry for its mapping names another device than the one under
	// root (its LUKS UUID). Unbootable.
	CodeCrypttabMissing Code = "crypttab-missing"

	// CodeDevicesUnknown: what the root device needs cannot be established:
	// /sys and /proc cannot be read or describe a layer boot-guard does not
	// know, or (under --root) nothing describes the machine and no module
	// was named. Cannot-tell; a note (bootable) when nothing shows the
	// root's device and the named modules stand for it.
	CodeDevicesUnknown Code = "devices-unknown"
	// CodeModuleUnknown: a module asked for (--module, MODULES=, a stack
	// layer, the driver bound now, an essential softdep) is neither in the
	// kernel's modules.dep nor built in. Unbootable; cannot-tell for a dm
	// target boot-guard does not know or a guessed one (issue 12 item 4).
	CodeModuleUnknown Code = "module-unknown"
	// CodeFilesystemUnsupported: nothing in the kernel provides the root
	// filesystem's type. Unbootable.
	CodeFilesystemUnsupported Code = "filesystem-unsupported"
	// CodeDeviceUnclaimed: no module of the kernel claims the device nearest
	// the disk, and no loadable module drives it now (nothing, or a driver
	// built into the running kernel that its modules.builtin does not list,
	// or whose list cannot be read: CodeBuiltinDriverMissing otherwise). A
	// note: it changes no verdict.
	CodeDeviceUnclaimed Code = "device-unclaimed"
	// CodeSoftdepMissing: the initrd has no module for a softdep (a
	// modules.softdep "pre:" name) of a required module. modprobe goes on
	// without it, so it is a note, except for the softdeps root cannot
	// mount without (EssentialSoftdep): those are module-missing.
	CodeSoftdepMissing Code = "softdep-missing"

	// CodeRootMismatch: a boot entry's root= names another device than
	// this machine's root, or none that exists. Unbootable.
	CodeRootMismatch Code = "root-mismatch"
	// CodeRootUnchecked: a boot entry's root= could not be compared with
	// this machine's root (no root=, no udev links, NFS). Cannot-tell.
	CodeRootUnchecked Code = "root-unchecked"
	// CodeEntryNotLinux: a boot entry boots no Linux kernel (memtest,
	// chainloading another OS, firmware setup). Cannot-tell.
	CodeEntryNotLinux Code = "entry-not-linux"
	// CodeEntryUnresolved: a boot entry's path or kernel version cannot be
	// mapped to this machine (a GRUB variable in it). Cannot-tell.
	CodeEntryUnresolved Code = "entry-unresolved"
	// CodeNoBootLoader: no grub.cfg, BLS entry or UKI was found.
	// Cannot-tell.
	CodeNoBootLoader Code = "no-boot-loader"
	// CodeNoDefault: the menu has no entry the boot loader boots by default
	// that could be determined. Cannot-tell.
	CodeNoDefault Code = "no-default-entry"
	// CodeMenuUnreadable: the boot menu, or a part of it, cannot be read or
	// understood. Cannot-tell.
	CodeMenuUnreadable Code = "boot-menu-unreadable"

	// issue 11 items 3 and 6: the kernel's own configuration, and whether
	// the initrd fits in memory.

	// CodeKernelConfig: the kernel's config (/boot/config-VERSION, else
	// /usr/lib/modules/VERSION/config or the build tree's .config) is
	// missing or cannot be read, so what it decides was not checked (the
	// initrd's codecs, CONFIG_BLK_DEV_INITRD, module decompression). A note.
	CodeKernelConfig Code = "kernel-config"
	// CodeKernelInitrdDisabled: the kernel is built without
	// CONFIG_BLK_DEV_INITRD, so it ignores every initrd, and root cannot be
	// mounted without one. Unbootable.
	CodeKernelInitrdDisabled Code = "kernel-initrd-disabled"
	// CodeInitrdCodecUnsupported: a segment of the initrd is compressed
	// with a codec the kernel is built without (CONFIG_RD_<CODEC> not y):
	// the kernel prints "compression method X not configured" and unpacks
	// nothing from there on. Unbootable; a note when root needs no initrd.
	CodeInitrdCodecUnsupported Code = "initrd-codec-unsupported-by-kernel"
	// CodeModuleCompression: a module root needs is compressed (.ko.xz,
	// .ko.zst, .ko.gz) in a form neither the kernel
	// (CONFIG_MODULE_DECOMPRESS with its codec) nor the initrd's module
	// loader (libkmod built with that codec) can read: unbootable; or the
	// initrd's loader could not be examined: cannot-tell.
	CodeModuleCompression Code = "module-compression-unsupported"
	// CodeInitrdTooBigForMemory: the initrd, decompressed, next to its
	// compressed image and the room the boot needs, does not fit in this
	// machine's memory (MemTotal). Unbootable.
	CodeInitrdTooBigForMemory Code = "initrd-too-big-for-memory"
	// CodeInitrdLarge: the initrd decompresses to more than 256 MiB; the
	// note names its largest files (often modules with debug info). A
	// note.
	CodeInitrdLarge Code = "initrd-large"
)

// Issue 11 item 2: the kernel image's own headers (check_kernel.go).
const (
	// CodeKernelTruncated: the kernel image is shorter than its headers say
	// a boot loader reads (the bzImage setup header, the PE sections, the
	// zboot payload), or its gzip stream ends early or fails its checksum.
	// Unbootable. Only its Authenticode signature cut short: unbootable
	// under Secure Boot, cannot-tell when Secure Boot's state is unknown.
	CodeKernelTruncated Code = "kernel-truncated"
	// CodeKernelWrongArch: the kernel image is for another architecture
	// than the machine (the kernel package's, else dpkg's, else
	// boot-guard's own). Unbootable.
	CodeKernelWrongArch Code = "kernel-wrong-arch"
	// CodeKernelWrongVersion: the kernel image names another release than
	// its file name: it looks for its modules in /lib/modules/RELEASE, and
	// the initrd's modules, built for VERSION, do not load. Unbootable.
	CodeKernelWrongVersion Code = "kernel-wrong-version"
	// CodeKernelUnrecognized: the kernel image is not a format boot-guard
	// reads (bzImage, PE, EFI zboot, arm64 or RISC-V Image, gzip-compressed
	// Image), so whether it is whole and for this machine is unknown.
	// Cannot-tell.
	CodeKernelUnrecognized Code = "kernel-unrecognized"
)

// Issue 11 item 5: the command line and the initrd's modprobe configuration.
const (
	// CodeModuleBlacklisted: a module root needs will not load:
	// module_blacklist= on the command line names it or a module it
	// depends on (the kernel refuses them), or it is loaded by alias (a
	// device driver by udev, a filesystem by fs-TYPE) and
	// modprobe.blacklist= or a blacklist line in the initrd's modprobe.d
	// names it. Unbootable; cannot-tell when a modprobe.d file cannot be
	// read, or a blacklist names a module named outright (--module, a stack
	// layer) that initramfs-tools' conf/modules does not load by name.
	CodeModuleBlacklisted Code = "module-blacklisted"
	// CodeModuleInstallCommand: an install line in the initrd's modprobe.d
	// runs a command instead of loading a module root needs (or one it
	// depends on): unbootable when the command does not load it
	// (/bin/false, /bin/true), cannot-tell when boot-guard cannot tell.
	CodeModuleInstallCommand Code = "module-install-command"
	// CodeInitProgramMissing: rdinit= names no executable file in the
	// initrd (the kernel then mounts root itself: unbootable unless it can),
	// or init= names none in the root filesystem (the initramfs falls back
	// to /sbin/init and the like: a note; with none of them, unbootable).
	CodeInitProgramMissing Code = "init-program-missing"
	// CodeCmdlineNotTheBootLoaders: the command line came from
	// /proc/cmdline, and the running kernel was not started by a boot
	// loader that reads /boot (no BOOT_IMAGE=: a hypervisor's direct kernel
	// boot, kexec, a container), so it says nothing of the next boot's; the
	// command-line checks are skipped. A note.
	CodeCmdlineNotTheBootLoaders Code = "cmdline-not-the-boot-loaders"
	// CodeCmdlineUnreadable: no boot entry gives the kernel's command line
	// and /etc/kernel/cmdline exists but cannot be read (an I/O error), so
	// the line the next boot gets is unknown and the command-line checks
	// are skipped (issue 17 item 3). Cannot-tell.
	CodeCmdlineUnreadable Code = "cmdline-unreadable"
)

// Issue 12 item 3: dm-crypt, as each generator unlocks it (check_crypt.go).
const (
	// CodeLUKSNotNamed: the initrd would not unlock the LUKS device under
	// root because the command line keeps it from doing so (rd.luks=0,
	// rd.luks.uuid= naming only other devices), or, in a dracut image,
	// nothing names that device (no rd.luks.uuid= for it on the command
	// line or in the image's etc/cmdline.d, no crypttab line systemd
	// reads, no rd.auto=1). Unbootable; cannot-tell when the command line
	// the kernel will get is unknown.
	CodeLUKSNotNamed Code = "luks-device-not-named"
)

// Issue 12 item 4: LVM and md RAID, as dracut activates them
// (check_stack_dracut.go).
const (
	// CodeStackNotNamed: a dracut image's command line keeps it from
	// activating the LVM volume or assembling the md array root is on, as
	// dracut's sources read: rd.lvm.vg=/rd.lvm.lv= (rd.md.uuid=) naming
	// only others, rd.lvm=0 (rd.md=0), or for md no rd.md.uuid= on the
	// kernel's command line or in the image's etc/cmdline.d and no
	// rd.auto=1 (with no names dracut activates every VG: a real boot).
	// Unbootable for an md root with no rd.md.uuid= (real boots never
	// assemble it); cannot-tell for the rest, which no real boot has shown.
	CodeStackNotNamed Code = "stack-not-named"
)

// Issue 13: Secure Boot and module signatures (check_secureboot.go,
// check_modsig.go).
const (
	// CodeKernelUnsigned: the kernel image carries no Authenticode
	// signature (or one that cannot be read) and Secure Boot is on: shim
	// refuses it. Unbootable; cannot-tell when the signature cannot be
	// read, or when whether Secure Boot is on is unknown.
	CodeKernelUnsigned Code = "kernel-unsigned"
	// CodeModuleUnsigned: a module root needs carries no signature (or one
	// that is not PKCS#7) and the kernel will enforce module signatures:
	// "Loading of unsigned module is rejected". Unbootable; cannot-tell
	// when whether signatures will be enforced is unknown; a note for a
	// module of the initrd root does not need.
	CodeModuleUnsigned Code = "module-unsigned"
	// CodeModuleSignerUntrusted: a module root needs is signed by a key
	// the kernel will not trust (not its built-in key, not enrolled in
	// MOK or db, or revoked by MokListXRT or dbx) and it will enforce
	// module signatures. Unbootable; cannot-tell when the keys it trusts,
	// or whether it enforces, are not all known; a note for a module of
	// the initrd root does not need.
	CodeModuleSignerUntrusted Code = "module-signer-untrusted"
	// CodeModuleSignatureMalformed: a module root needs ends with a
	// signature whose struct module_signature is malformed: the kernel
	// refuses it even when signatures are not enforced (-EBADMSG).
	// Unbootable; cannot-tell when its PKCS#7 message does not parse
	// here (the kernel's parser may differ).
	CodeModuleSignatureMalformed Code = "module-signature-malformed"
)

// Issue 12 items 1 and 2: whether the kernel really loads a module, and
// drivers built into the running kernel.
const (
	// CodeModuleSymbolVersion: a module root needs, built with
	// CONFIG_MODVERSIONS, records in its __versions a CRC for a symbol it
	// imports that is not the kernel's (Module.symvers, else the kernel's
	// in-tree modules): it was built against another build of the kernel,
	// and the kernel refuses it ("disagrees about version of symbol"); or
	// it has no entry for a symbol it imports, which Debian's kernel refuses
	// ("no symbol version"), or no __versions at all on a kernel without
	// CONFIG_MODULE_FORCE_LOAD. Unbootable; cannot-tell when nothing of the
	// kernel records the CRC of a symbol it imports, or a symbol has no
	// entry on a kernel not known to be Debian's (mainline only warns).
	CodeModuleSymbolVersion Code = "module-symbol-version"
	// CodeBuiltinDriverMissing: a device under root is driven now by a
	// driver built into the running kernel (its modules.builtin lists it),
	// and the kernel checked neither builds that driver in nor has a
	// module that claims the device or is called so. Unbootable;
	// cannot-tell when the kernel has no modules.builtin.modinfo.
	CodeBuiltinDriverMissing Code = "builtin-driver-missing"
)
