// Package checktest builds what verify.Check reads, for tests: initrd images
// (newc cpio archives, gzip-compressed or not) carrying kernel modules that
// are minimal but real ELF files with a .modinfo section, and fake /sys and
// /proc trees for a machine whose root is on a disk. Only tests import it; it
// writes under the directories it is given and nowhere else.
//
// Formats followed: the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst (newc headers,
// 4-byte alignment, TRAILER!!!), the ELF-64 object file format (a header,
// section data and a section header table with .shstrtab), and sysfs's layout
// of block devices (/sys/dev/block/MAJ:MIN links into /sys/devices).
package checktest

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// File is one cpio entry. Mode carries the type bits; 0 means a regular file
// 0644 (0755 when Exec).
type File struct {
	Path string
	Mode uint32
	Data []byte
	// Link makes a symbolic link to Link.
	Link string
	Exec bool
}

const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
)

// Cpio returns a newc archive of files, in order, with the parent
// directories of every path created first, ended by TRAILER!!!.
func Cpio(files []File) []byte {
	var b bytes.Buffer
	ino := uint32(1)
	dirs := map[string]bool{".": true}
	var add func(name string, mode uint32, data []byte)
	add = func(name string, mode uint32, data []byte) {
		if d := path.Dir(name); !dirs[d] {
			dirs[d] = true
			add(d, modeDir|0o755, nil)
		}
		if mode&0o170000 == modeDir {
			dirs[name] = true
		}
		nameZ := name + "\x00"
		fmt.Fprintf(&b, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nameZ), 0)
		ino++
		b.WriteString(nameZ)
		pad(&b)
		b.Write(data)
		pad(&b)
	}
	for _, f := range files {
		mode := f.Mode
		data := f.Data
		switch {
		case f.Link != "":
			mode, data = modeSymlink|0o777, []byte(f.Link)
		case mode == 0 && f.Exec:
			mode = modeRegular | 0o755
		case mode == 0:
			mode = modeRegular | 0o644
		}
		add(strings.TrimPrefix(path.Clean("/"+f.Path), "/"), mode, data)
	}
	add("TRAILER!!!", 0, nil)
	return b.Bytes()
}

func pad(b *bytes.Buffer) {
	for b.Len()%4 != 0 {
		b.WriteByte(0)
	}
}

// Gzip compresses b as one gzip member.
func Gzip(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// ModuleELF returns a minimal ELF-64 relocatable object whose .modinfo
// section says vermagic and depends, as a kernel module's does.
func ModuleELF(name, vermagic string, depends []string) []byte {
	modinfo := []byte("license=GPL\x00name=" + name + "\x00depends=" + strings.Join(depends, ",") + "\x00vermagic=" + vermagic + "\x00")
	shstr := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	modOff := uint64(ehsize)
	strOff := modOff + uint64(len(modinfo))
	shOff := (strOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	binary.Write(&b, le, uint16(1))  // ET_REL
	binary.Write(&b, le, uint16(62)) // EM_X86_64
	binary.Write(&b, le, uint32(1))  // EV_CURRENT
	binary.Write(&b, le, uint64(0))  // entry
	binary.Write(&b, le, uint64(0))  // phoff
	binary.Write(&b, le, shOff)      // shoff
	binary.Write(&b, le, uint32(0))  // flags
	binary.Write(&b, le, uint16(ehsize))
	binary.Write(&b, le, uint16(0)) // phentsize
	binary.Write(&b, le, uint16(0)) // phnum
	binary.Write(&b, le, uint16(shentsize))
	binary.Write(&b, le, uint16(3)) // shnum
	binary.Write(&b, le, uint16(2)) // shstrndx
	b.Write(modinfo)
	b.Write(shstr)
	for uint64(b.Len()) < shOff {
		b.WriteByte(0)
	}
	sh := func(name, typ uint32, off, size uint64) {
		binary.Write(&b, le, name)
		binary.Write(&b, le, typ)
		binary.Write(&b, le, uint64(0)) // flags
		binary.Write(&b, le, uint64(0)) // addr
		binary.Write(&b, le, off)
		binary.Write(&b, le, size)
		binary.Write(&b, le, uint32(0)) // link
		binary.Write(&b, le, uint32(0)) // info
		binary.Write(&b, le, uint64(1)) // addralign
		binary.Write(&b, le, uint64(0)) // entsize
	}
	sh(0, 0, 0, 0)
	sh(1, 1, modOff, uint64(len(modinfo))) // .modinfo, SHT_PROGBITS
	sh(10, 3, strOff, uint64(len(shstr)))  // .shstrtab, SHT_STRTAB
	return b.Bytes()
}

// DynamicELF returns a minimal ELF-64 shared object whose dynamic section
// needs the libraries named (DT_NEEDED), as a dynamically linked kmod or
// libkmod's does; none makes a file with an empty dynamic section (static).
func DynamicELF(needed ...string) []byte {
	dynstr := []byte{0}
	var dyn []uint64
	for _, n := range needed {
		dyn = append(dyn, 1, uint64(len(dynstr))) // DT_NEEDED
		dynstr = append(append(dynstr, n...), 0)
	}
	dyn = append(dyn, 0, 0) // DT_NULL
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	strOff := uint64(ehsize)
	dynOff := (strOff + uint64(len(dynstr)) + 7) &^ 7
	shstrOff := dynOff + uint64(len(dyn))*8
	shOff := (shstrOff + uint64(len(shstr)) + 7) &^ 7
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	for _, v := range []any{uint16(3), uint16(62), uint32(1), uint64(0), uint64(0), shOff, uint32(0),
		uint16(ehsize), uint16(0), uint16(0), uint16(shentsize), uint16(4), uint16(3)} {
		binary.Write(&b, le, v) // ET_DYN, EM_X86_64, ..., 4 sections, .shstrtab is 3
	}
	pad := func(to uint64) {
		for uint64(b.Len()) < to {
			b.WriteByte(0)
		}
	}
	b.Write(dynstr)
	pad(dynOff)
	binary.Write(&b, le, dyn)
	b.Write(shstr)
	pad(shOff)
	sh := func(name, typ uint32, off, size uint64, link uint32, entsize uint64) {
		for _, v := range []any{name, typ, uint64(0), uint64(0), off, size, link, uint32(0), uint64(8), entsize} {
			binary.Write(&b, le, v)
		}
	}
	sh(0, 0, 0, 0, 0, 0)
	sh(1, 3, strOff, uint64(len(dynstr)), 0, 0)   // .dynstr, SHT_STRTAB
	sh(9, 6, dynOff, uint64(len(dyn))*8, 1, 16)   // .dynamic, SHT_DYNAMIC, linked to .dynstr
	sh(18, 3, shstrOff, uint64(len(shstr)), 0, 0) // .shstrtab
	return b.Bytes()
}

// Module is one module file to put in an initrd.
type Module struct {
	// Path is relative to lib/modules/VERSION, as modules.dep names it:
	// "kernel/drivers/nvme/host/nvme.ko".
	Path string
	// Vermagic defaults to "VERSION SMP preempt mod_unload modversions".
	Vermagic string
	// Version is the lib/modules/ directory it goes in; "" means the
	// image's version.
	Version string
	// Data, when set, is the module file (a VersionedModule's ELF);
	// Vermagic is then unused.
	Data []byte
}

// Initrd describes an initramfs-tools-like image.
type Initrd struct {
	Version string
	Modules []Module
	// NoInit leaves /init out; InitNotExec makes it not executable.
	NoInit, InitNotExec bool
	// NoModulesDep leaves lib/modules/VERSION/modules.dep out; Unlisted
	// modules (by path) are left out of it.
	NoModulesDep bool
	Unlisted     []string
	Extra        []File
	// Raw leaves the archive uncompressed (default gzip).
	Raw bool
	// Sign, when set, is applied to each module's bytes (by its Path):
	// issue 13's tests append signatures with it.
	Sign func(path string, module []byte) []byte
}

// Build returns the image's bytes.
func (in Initrd) Build() []byte {
	var files []File
	if !in.NoInit {
		files = append(files, File{Path: "init", Data: []byte("#!/bin/sh\nexec /sbin/init\n"), Exec: !in.InitNotExec})
	}
	files = append(files, File{Path: "bin/sh", Data: []byte("ELF busybox"), Exec: true})
	unlisted := map[string]bool{}
	for _, u := range in.Unlisted {
		unlisted[u] = true
	}
	var dep strings.Builder
	for _, m := range in.Modules {
		v := m.Version
		if v == "" {
			v = in.Version
		}
		vm := m.Vermagic
		if vm == "" {
			vm = v + " SMP preempt mod_unload modversions "
		}
		name := strings.TrimSuffix(path.Base(m.Path), ".ko")
		data := m.Data
		if data == nil {
			data = ModuleELF(name, vm, nil)
		}
		if in.Sign != nil {
			data = in.Sign(m.Path, data)
		}
		files = append(files, File{Path: "usr/lib/modules/" + v + "/" + m.Path, Data: data})
		if v == in.Version && !unlisted[m.Path] {
			dep.WriteString(m.Path + ":\n")
		}
	}
	if !in.NoModulesDep {
		files = append(files, File{Path: "usr/lib/modules/" + in.Version + "/modules.dep", Data: []byte(dep.String())})
	}
	files = append(files, File{Path: "lib", Link: "usr/lib"}, File{Path: "sbin", Link: "usr/sbin"})
	files = append(files, in.Extra...)
	a := Cpio(files)
	if in.Raw {
		return a
	}
	return Gzip(a)
}

// Write writes the image to root/boot/initrd.img-VERSION and returns its path.
func (in Initrd) Write(t testing.TB, root string) string {
	t.Helper()
	p := filepath.Join(root, "boot", "initrd.img-"+in.Version)
	WriteFile(t, p, in.Build())
	return p
}

// WriteFile writes data to p, creating directories.
func WriteFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Machine is a fake running machine: its /sys and /proc directories.
type Machine struct {
	Sys, Proc string
	t         testing.TB
}

// NVMeMachine makes /sys and /proc for a machine whose / is ext4 on
// nvme0n1p2, an NVMe disk on PCI 0000:02:00.0 driven by the nvme module.
func NVMeMachine(t testing.TB) Machine {
	t.Helper()
	m := nvme(t)
	m.mountinfo("259:2", "/dev/nvme0n1p2")
	return m
}

// LUKSUUID is the LUKS UUID of LUKSMachine's device, as blkid shows it.
const LUKSUUID = "01234567-89ab-cdef-0123-456789abcdef"

// LUKSMachine makes /sys and /proc for a machine whose / is ext4 on the
// LUKS2 mapping dmName (dm-0, 254:0) over nvme0n1p2, as NVMeMachine's disk,
// its LUKS UUID LUKSUUID.
func LUKSMachine(t testing.TB, dmName string) Machine {
	t.Helper()
	m := nvme(t)
	dm := "devices/virtual/block/dm-0"
	m.file(dm+"/dev", "254:0\n")
	m.file(dm+"/dm/name", dmName+"\n")
	m.file(dm+"/dm/uuid", "CRYPT-LUKS2-0123456789abcdef0123456789abcdef-"+dmName+"\n")
	m.link(dm+"/subsystem", "class/block")
	m.link(dm+"/slaves/nvme0n1p2", "devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2")
	m.link("dev/block/254:0", dm)
	m.link("class/block/dm-0", dm)
	m.mountinfo("254:0", "/dev/mapper/"+dmName)
	return m
}

// LVMMachine makes /sys and /proc for a machine whose / is ext4 on the
// LVM thin LV vg-root (dm-1, 254:1) in the pool vg-pool-tpool (dm-0,
// 254:0) over nvme0n1p2, as NVMeMachine's disk (issue 12 item 4). Its live
// tables are LVMThinTables (hand them in with DMTables).
func LVMMachine(t testing.TB) Machine {
	t.Helper()
	m := nvme(t)
	for _, d := range []struct{ dev, majMin, name, uuid, under string }{
		{"dm-0", "254:0", "vg-pool-tpool", "LVM-9c3Fh2kQ0aZ8Y4mX1nB7vC5dE6fG2hJ3kL9pQ0rS1tU2vW3xY4zA5bC6dE7fG8h-tpool", "devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2"},
		{"dm-1", "254:1", "vg-root", "LVM-9c3Fh2kQ0aZ8Y4mX1nB7vC5dE6fG2hJ3kL9pQ0rS1tU2vW3xY4zA5bC6dE7fG8i", "devices/virtual/block/dm-0"},
	} {
		p := "devices/virtual/block/" + d.dev
		m.file(p+"/dev", d.majMin+"\n")
		m.file(p+"/dm/name", d.name+"\n")
		m.file(p+"/dm/uuid", d.uuid+"\n")
		m.link(p+"/subsystem", "class/block")
		m.link(p+"/slaves/"+path.Base(d.under), d.under)
		m.link("dev/block/"+d.majMin, p)
		m.link("class/block/"+d.dev, p)
	}
	m.mountinfo("254:1", "/dev/mapper/vg-root")
	return m
}

// MDUUID is the array UUID of MDMachine's md0, as md/uuid shows it.
const MDUUID = "8e2ec0de-b007-4a11-9e2e-0000000000a1"

// MDMachine makes /sys and /proc for a machine whose / is ext4 on the md
// RAID1 array md0 (9:0, metadata 1.0, UUID MDUUID) over nvme0n1p2, as
// NVMeMachine's disk (issue 12 item 4).
func MDMachine(t testing.TB) Machine {
	t.Helper()
	m := nvme(t)
	md := "devices/virtual/block/md0"
	m.file(md+"/dev", "9:0\n")
	m.file(md+"/md/level", "raid1\n")
	m.file(md+"/md/metadata_version", "1.0\n")
	m.file(md+"/md/uuid", MDUUID+"\n")
	m.link(md+"/subsystem", "class/block")
	m.link(md+"/slaves/nvme0n1p2", "devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p2")
	m.link("dev/block/9:0", md)
	m.link("class/block/md0", md)
	m.mountinfo("9:0", "/dev/md0")
	return m
}

// LVMThinTables are LVMMachine's live tables, as `dmsetup table` prints them.
var LVMThinTables = map[string]string{
	"254:0": "0 2097152 thin-pool 254:2 254:3 128 0 0\n",
	"254:1": "0 4194304 thin 254:0 1\n",
}

// nvme makes the NVMe disk of NVMeMachine, without a mount table.
func nvme(t testing.TB) Machine {
	t.Helper()
	dir := t.TempDir()
	m := Machine{Sys: filepath.Join(dir, "sys"), Proc: filepath.Join(dir, "proc"), t: t}
	pci := "devices/pci0000:00/0000:00:1d.0/0000:02:00.0"
	m.file(pci+"/modalias", "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02\n")
	m.link(pci+"/subsystem", "bus/pci")
	m.link(pci+"/driver", "bus/pci/drivers/nvme")
	m.link("bus/pci/drivers/nvme/module", "module/nvme")
	m.mkdir("module/nvme")
	ctrl := pci + "/nvme/nvme0"
	m.link(ctrl+"/subsystem", "class/nvme")
	m.file(ctrl+"/dev", "240:0\n")
	disk := ctrl + "/nvme0n1"
	m.file(disk+"/dev", "259:0\n")
	m.link(disk+"/subsystem", "class/block")
	m.mkdir(disk + "/slaves")
	part := disk + "/nvme0n1p2"
	m.file(part+"/dev", "259:2\n")
	m.file(part+"/partition", "2\n")
	m.link(part+"/subsystem", "class/block")
	m.link("dev/block/259:0", disk)
	m.link("dev/block/259:2", part)
	m.link("class/block/nvme0n1", disk)
	m.link("class/block/nvme0n1p2", part)
	WriteFile(t, filepath.Join(m.Proc, "cmdline"), []byte("BOOT_IMAGE=/boot/vmlinuz root=UUID=1234 ro quiet\n"))
	return m
}

// mountinfo writes /proc/self/mountinfo with / on majmin from source.
func (m Machine) mountinfo(majmin, source string) {
	WriteFile(m.t, filepath.Join(m.Proc, "self", "mountinfo"),
		[]byte("22 1 "+majmin+" / / rw,relatime shared:1 - ext4 "+source+" rw,errors=remount-ro\n"+
			"23 22 0:21 / /proc rw,nosuid shared:2 - proc proc rw\n"))
}

func (m Machine) mkdir(rel string) {
	m.t.Helper()
	if err := os.MkdirAll(filepath.Join(m.Sys, rel), 0o755); err != nil {
		m.t.Fatal(err)
	}
}

func (m Machine) file(rel, content string) {
	m.t.Helper()
	WriteFile(m.t, filepath.Join(m.Sys, rel), []byte(content))
}

// link makes sys/rel a relative symlink to sys/target, as sysfs does.
func (m Machine) link(rel, target string) {
	m.t.Helper()
	m.mkdir(path.Dir(rel))
	m.mkdir(target)
	to, err := filepath.Rel(filepath.Join(m.Sys, path.Dir(rel)), filepath.Join(m.Sys, target))
	if err != nil {
		m.t.Fatal(err)
	}
	if err := os.Symlink(to, filepath.Join(m.Sys, rel)); err != nil {
		m.t.Fatal(err)
	}
}

// SortedPaths returns the keys of m sorted (for stable fixtures).
func SortedPaths(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DMTables is a /sys directory that also gives device-mapper tables, as
// rootdev.TableReader reads them: tables by major:minor, in `dmsetup
// table` form; a device not in it is an error.
func DMTables(sys string, tables map[string]string) fs.FS {
	return dmTables{sysFS: os.DirFS(sys).(sysFS), tables: tables}
}

type sysFS interface {
	fs.ReadLinkFS
	fs.ReadDirFS
	fs.ReadFileFS
	fs.StatFS
}

type dmTables struct {
	sysFS
	tables map[string]string
}

func (d dmTables) DMTable(majMin string) (string, error) {
	t, ok := d.tables[majMin]
	if !ok {
		return "", fmt.Errorf("DM_TABLE_STATUS of %s: no such device", majMin)
	}
	return t, nil
}
