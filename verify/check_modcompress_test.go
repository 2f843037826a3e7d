package verify_test

import (
	"path"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// gzModulesImage is an initrd whose modules for root are .ko.gz (listed so
// in its modules.dep), with extra files (the module loader and libraries).
func gzModulesImage(t *testing.T, f fixture, extra ...checktest.File) []byte {
	t.Helper()
	files := []checktest.File{{Path: "init", Data: []byte("#!/bin/sh\n"), Exec: true}}
	var dep strings.Builder
	for _, m := range f.modules(t, rootNeeds) {
		name := strings.TrimSuffix(path.Base(m.Path), ".ko")
		elf := checktest.ModuleELF(name, kv+" SMP preempt mod_unload modversions ", nil)
		files = append(files, checktest.File{Path: "usr/lib/modules/" + kv + "/" + m.Path + ".gz", Data: checktest.Gzip(elf)})
		dep.WriteString(m.Path + ".gz:\n")
	}
	files = append(files, checktest.File{Path: "usr/lib/modules/" + kv + "/modules.dep", Data: []byte(dep.String())},
		checktest.File{Path: "lib", Link: "usr/lib"}, checktest.File{Path: "sbin", Link: "usr/sbin"})
	return checktest.Gzip(checktest.Cpio(append(files, extra...)))
}

func kmodBinary(needed ...string) checktest.File {
	return checktest.File{Path: "usr/bin/kmod", Data: checktest.DynamicELF(needed...), Exec: true}
}

func lib(name string) checktest.File {
	return checktest.File{Path: "usr/lib/x86_64-linux-gnu/" + name, Data: []byte("\x7fELF library")}
}

func TestModuleCompression(t *testing.T) {
	cases := []struct {
		name    string
		config  []string
		files   []checktest.File
		verdict verify.Verdict
		in      []string
	}{
		{"kmod with zlib", nil, []checktest.File{kmodBinary("libz.so.1", "libc.so.6"), lib("libz.so.1")}, verify.Bootable, nil},
		{"udev's libkmod with zlib", nil, []checktest.File{kmodBinary("libc.so.6"),
			{Path: "usr/lib/x86_64-linux-gnu/libkmod.so.2.4.0", Data: checktest.DynamicELF("libz.so.1")}, lib("libz.so.1")}, verify.Bootable, nil},
		{"kmod without zlib (Debian 12's: xz and zstd only)", nil,
			[]checktest.File{kmodBinary("libzstd.so.1", "liblzma.so.5", "libc.so.6"), lib("libzstd.so.1"), lib("liblzma.so.5")},
			verify.Unbootable, []string{"ext4", "nvme_core, nvme gzip-compressed", "CONFIG_MODULE_DECOMPRESS absent", "CONFIG_MODULE_COMPRESS_GZIP not set", "usr/bin/kmod is not built with libz.so.1"}},
		{"kmod with zlib, the library left out", nil, []checktest.File{kmodBinary("libz.so.1")},
			verify.Unbootable, []string{"built with libz.so.1, but the initrd lacks that library"}},
		{"the kernel decompresses gzip", []string{"CONFIG_MODULE_DECOMPRESS=y", "CONFIG_MODULE_COMPRESS_GZIP=y", "# CONFIG_MODULE_COMPRESS_NONE is not set"},
			[]checktest.File{kmodBinary("libc.so.6")}, verify.Bootable, nil},
		{"the kernel decompresses xz only", []string{"CONFIG_MODULE_DECOMPRESS=y", "CONFIG_MODULE_COMPRESS_XZ=y"},
			[]checktest.File{kmodBinary("libc.so.6")}, verify.Unbootable, []string{"CONFIG_MODULE_DECOMPRESS =y"}},
		{"static kmod", nil, []checktest.File{kmodBinary()}, verify.CannotTell, []string{"whether the initrd's module loader can is unknown", "statically linked"}},
		{"no kmod at all", nil, nil, verify.CannotTell, []string{"no kmod or libkmod"}},
		{"kmod is not ELF", nil, []checktest.File{{Path: "usr/bin/kmod", Data: []byte("#!/bin/sh\n"), Exec: true}}, verify.CannotTell, []string{"not an ELF file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.writeConfig(t, debianConfigWith(tc.config...)...)
			checktest.WriteFile(t, f.root+"/boot/initrd.img-"+kv, gzModulesImage(t, f, tc.files...))
			k := check(t, f.request())
			if k.Verdict != tc.verdict {
				t.Fatalf("verdict %v, want %v: %+v", k.Verdict, tc.verdict, k.Problems)
			}
			if tc.verdict == verify.Bootable {
				if len(k.Problems) != 0 {
					t.Fatalf("problems: %+v", k.Problems)
				}
				return
			}
			onlyCode(t, k, verify.CodeModuleCompression, tc.verdict, tc.in...)
		})
	}
}
