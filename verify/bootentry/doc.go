// Package bootentry reads what the boot loader will offer at the next boot:
// GRUB's menu in /boot/grub/grub.cfg (menu entries, submenus, the default from
// grub.cfg, /etc/default/grub's GRUB_DEFAULT and grubenv's saved_entry and
// next_entry), Boot Loader Specification type #1 entries (loader/entries/*.conf
// under /boot, /efi and /boot/efi, with loader/loader.conf's default) and
// type #2 unified kernel images (EFI/Linux/*.efi, PE files with .linux,
// .initrd, .cmdline, .osrel and .uname sections, read with debug/pe). It also
// says whether an entry's root= names this machine's root filesystem.
//
// It owns the parsing and path mapping only: every path it returns is a path
// on the host (under the root it was given), ready for the verifier. It never
// verifies an initrd itself, never writes anything, never runs a program and
// reads the machine only through the root directory, /dev directory and fs.FS
// values it is handed. Inputs lists the files Scan reads, from the same
// constants the readers open.
//
// Specs followed: GRUB's manual (sections "Shell-like scripting", "Simple
// configuration" for GRUB_DEFAULT, "Environment block"), the output of Debian
// 12's grub-mkconfig (/etc/grub.d/10_linux), the UAPI Boot Loader
// Specification (type #1 and #2 entries, sorting) and systemd-boot(7) for
// loader.conf and the LoaderEntryDefault EFI variable.
package bootentry
