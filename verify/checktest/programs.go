package checktest

import (
	"bytes"
	"encoding/binary"

	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// ProgramELF returns a minimal x86-64 executable whose PT_INTERP is interp
// and whose .dynamic section lists needed (DT_NEEDED, names in .dynstr), as
// a dynamically linked program's are; interp "" and no needed give a static
// one. It has no code: only the headers debug/elf and ld.so read.
func ProgramELF(interp string, needed []string) []byte {
	le := binary.LittleEndian
	dynstr := []byte{0}
	var dyn bytes.Buffer
	for _, n := range needed {
		binary.Write(&dyn, le, [2]uint64{1, uint64(len(dynstr))}) // DT_NEEDED
		dynstr = append(append(dynstr, n...), 0)
	}
	binary.Write(&dyn, le, [2]uint64{0, 0}) // DT_NULL
	shstr := []byte("\x00.interp\x00.dynstr\x00.dynamic\x00.shstrtab\x00")
	const ehsize, phentsize, shentsize = 64, 56, 64
	interpZ := []byte(interp + "\x00")
	interpOff := uint64(ehsize + phentsize)
	dynstrOff := interpOff + uint64(len(interpZ))
	dynOff := (dynstrOff + uint64(len(dynstr)) + 7) &^ 7
	shstrOff := dynOff + uint64(dyn.Len())
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	binary.Write(&b, le, struct {
		Type, Machine       uint16
		Version             uint32
		Entry, Phoff, Shoff uint64
		Flags               uint32
		Ehsize, Phentsize   uint16
		Phnum, Shentsize    uint16
		Shnum, Shstrndx     uint16
	}{2, 62, 1, 0, ehsize, shOff, 0, ehsize, phentsize, 1, shentsize, 5, 4})
	phType := uint32(3) // PT_INTERP
	if interp == "" {
		phType = 4 // PT_NOTE: nothing
	}
	binary.Write(&b, le, struct {
		Type, Flags                           uint32
		Off, Vaddr, Paddr, Filesz, Memsz, Alg uint64
	}{phType, 4, interpOff, interpOff, interpOff, uint64(len(interpZ)), uint64(len(interpZ)), 1})
	b.Write(interpZ)
	b.Write(dynstr)
	b.Write(make([]byte, int(dynOff)-b.Len()))
	b.Write(dyn.Bytes())
	b.Write(shstr)
	b.Write(make([]byte, int(shOff)-b.Len()))
	type sh struct {
		Name, Type             uint32
		Flags, Addr, Off, Size uint64
		Link, Info             uint32
		Addralign, Entsize     uint64
	}
	for _, s := range []sh{
		{},
		{1, 1, 2, interpOff, interpOff, uint64(len(interpZ)), 0, 0, 1, 0}, // .interp PROGBITS
		{9, 3, 2, dynstrOff, dynstrOff, uint64(len(dynstr)), 0, 0, 1, 0},  // .dynstr STRTAB
		{17, 6, 3, dynOff, dynOff, uint64(dyn.Len()), 2, 0, 8, 16},        // .dynamic DYNAMIC -> .dynstr
		{26, 3, 0, 0, shstrOff, uint64(len(shstr)), 0, 0, 1, 0},           // .shstrtab
	} {
		if interp == "" && len(needed) == 0 && s.Type == 6 {
			s.Type = 1 // static: no .dynamic
		}
		binary.Write(&b, le, s)
	}
	return b.Bytes()
}

// InitramfsTools returns the files that make an Initrd an initramfs-tools
// image with its module loader, as Debian 12's mkinitramfs lays them out:
// its scripts and configuration, udevd and kmod (dynamic programs) with
// their loader and libraries, and libkmod's modules.dep.bin (listing
// modules) and modules.alias.bin for kernel version.
func InitramfsTools(version string, modules []Module) []File {
	var dep []string
	for _, m := range modules {
		if m.Version == "" || m.Version == version {
			dep = append(dep, m.Path+":")
		}
	}
	dir := "usr/lib/modules/" + version + "/"
	ld := "/lib64/ld-linux-x86-64.so.2"
	return []File{
		{Path: "scripts/functions", Data: []byte("# initramfs-tools\n")},
		{Path: "conf/initramfs.conf", Data: []byte("MODULES=most\n")},
		{Path: "usr/bin/udevadm", Data: ProgramELF(ld, []string{"libkmod.so.2", "libc.so.6"}), Exec: true},
		{Path: "usr/lib/systemd/systemd-udevd", Link: "../../bin/udevadm"},
		{Path: "usr/bin/kmod", Data: ProgramELF(ld, []string{"libkmod.so.2", "libc.so.6"}), Exec: true},
		{Path: "usr/sbin/modprobe", Link: "../bin/kmod"},
		{Path: "usr/lib/x86_64-linux-gnu/libkmod.so.2", Data: ProgramELF("", nil)},
		{Path: "usr/lib/x86_64-linux-gnu/libc.so.6", Data: ProgramELF("", nil)},
		{Path: "usr/lib64/ld-linux-x86-64.so.2", Data: ProgramELF("", nil)},
		{Path: "lib64", Link: "usr/lib64"},
		{Path: dir + "modules.dep.bin", Data: kmodtest.DepBin(dep)},
		{Path: dir + "modules.alias.bin", Data: kmodtest.BinIndex(map[string][]string{"pci:v*d*sv*sd*bc01sc08i02*": {"nvme"}})},
	}
}

// Dracut returns the files that make an Initrd a dracut image with its
// module loader (issue 12 item 3): InitramfsTools' programs and indexes,
// dracut's marks (usr/lib/dracut, etc/initrd-release) instead of
// initramfs-tools', and with systemd, usr/lib/systemd/systemd (dracut's
// systemd module), which changes how it unlocks LUKS.
func Dracut(version string, modules []Module, systemd bool) []File {
	var out []File
	for _, f := range InitramfsTools(version, modules) {
		if f.Path != "scripts/functions" && f.Path != "conf/initramfs.conf" {
			out = append(out, f)
		}
	}
	out = append(out,
		File{Path: "usr/lib/dracut/modules.txt", Data: []byte("base\nkernel-modules\n")},
		File{Path: "usr/lib/dracut-lib.sh", Data: []byte("# dracut-lib\n")},
		File{Path: "usr/lib/initrd-release", Data: []byte("NAME=dracut\n")},
		File{Path: "etc/initrd-release", Link: "../usr/lib/initrd-release"})
	if systemd {
		out = append(out, File{Path: "usr/lib/systemd/systemd", Data: ProgramELF("/lib64/ld-linux-x86-64.so.2", []string{"libc.so.6"}), Exec: true})
	}
	return out
}
