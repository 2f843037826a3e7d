// Package kmod reads one kernel's module index: the files depmod(8) writes
// under lib/modules/VERSION (modules.dep, modules.alias, modules.softdep) and
// the ones the kernel build installs next to them (modules.builtin,
// modules.builtin.modinfo). It answers what kmod's modprobe would: which
// module a modalias or a name means, whether it is built in, where its file is,
// what must be loaded before it (Deps: modules.dep, a load fails without
// them) and what modprobe loads first when it can (Softdeps: modules.softdep,
// whose load errors libkmod ignores).
//
// It follows kmod's rules: module names compare with '-' and '_' equal and
// without the .ko, .ko.gz, .ko.xz or .ko.zst suffix (modname_normalize); alias
// patterns are fnmatch(3) globs (*, ?, [...], backslash escapes, no special
// meaning for '/' or a leading '.'), matched after the same '-'/'_' folding
// kmod applies outside brackets (alias_normalize); the format of each file is
// the one depmod(8) and the kernel's scripts/Makefile.modinst write, described
// in depmod(8) and modules.dep(5). Load reads the text files, but for
// modules.alias: its aliases are looked up in modules.alias.bin, the trie
// libkmod itself reads, when that reads whole and sound (aliasbin.go; the
// text file otherwise, with the same answers). The binary *.bin indexes
// (modules.dep.bin, modules.alias.bin) are read by ParseBinIndex
// (binindex.go, the trie format of libkmod's libkmod-index.c), also for what
// an initrd's own libkmod will find. IndexFiles lists the files Load reads,
// from the table Load reads them by.
//
// Reference (reference.go, issue 12 item 1) answers what the kernel's own
// build records of a module it loads: its vermagic and the CRC of each
// symbol it exports, from Module.symvers (the kernel's headers) and its
// in-tree modules under kernel/ (read with verify/internal/modelf, the
// module ELF reader initrd shares).
//
// kmod reads only what it is handed: a filesystem root as an fs.FS (the host's
// "/" through os.DirFS, a chroot, or a fstest.MapFS in tests). It never loads
// modules, never runs depmod or modprobe, never writes, and never imports
// boot-guard's other packages but the shared readers under verify/internal.
// Configuration under /etc/modprobe.d (blacklists, extra softdeps) is not
// read.
package kmod
