// Package kconfig reads a kernel's build configuration: the .config that
// Kconfig writes and Debian installs as /boot/config-VERSION (also shipped as
// /usr/lib/modules/VERSION/config, and left in a build tree as
// lib/modules/VERSION/build/.config). It owns the file's format — one
// CONFIG_NAME=VALUE per line, "# CONFIG_NAME is not set" for an unset bool,
// other comments and blank lines ignored — and where the file of a kernel
// version is found. What the options mean for a boot is verify's to decide.
//
// The reader is bounded (MaxSize bytes, MaxLine bytes per line) and safe on
// hostile input: a line it does not understand is skipped and counted, never
// a crash. It reads only under the root it is handed and never writes.
package kconfig
