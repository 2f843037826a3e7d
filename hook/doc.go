// Package hook speaks the protocols by which package managers and boot tools
// call boot-guard, and turns a verdict into the exit code each caller needs.
//
// It owns: the configuration file /etc/default/boot-guard (parsed, never
// sourced) and the BOOT_GUARD override; one file per protocol, each a pure
// function of (arguments, environment lookup) to an Action; the policy that
// maps a verdict to an exit code (MODE, CANNOT_TELL, BOOT_GUARD); and the
// messages a person reads at 2 a.m. Protocols register themselves by name
// (Register), so a new hook point is one new file.
//
// It never reads stdin, never prints anything but stderr lines (every one
// prefixed "boot-guard:"; output.go states the rules and holds every output
// helper), never prints JSON, and never reads the real / behind the caller's
// back: roots, /sys and /proc come in through Env. The files it writes are
// the APT hook's cache (aptcache.go) and METRICS_FILE (metrics.go), each
// replaced through internal/atomicfile, under the lock /run/boot-guard/lock
// (LockWrites); AUTO_FALLBACK=yes (autofallback.go) runs grub-set-default,
// the only change it makes to the boot configuration. Every hook's check is
// bounded in time (bounded.go: TIMEOUT, then cannot-tell and CANNOT_TELL).
//
// Specs followed: the Debian kernel handbook's chapter on kernel hooks
// (/etc/kernel/{preinst,postinst,prerm}.d, run-parts with VERSION and IMAGE,
// DEB_MAINT_PARAMS), kernel-install(8) (plugins called with add VERSION
// ENTRY_DIR IMAGE [INITRD...] or remove VERSION ENTRY_DIR, the staging area in
// $KERNEL_INSTALL_STAGING_AREA, exit 77 meaning "skip the rest, success"), and
// initramfs-tools(7)/update-initramfs(8) (post-update.d hooks called with
// VERSION and the image path).
package hook
