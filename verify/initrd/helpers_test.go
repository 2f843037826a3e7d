package initrd

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// ent is one cpio entry for the fixture builder.
type ent struct {
	name  string
	mode  uint32
	data  string
	ino   uint32
	nlink uint32
}

func dir(name string) ent         { return ent{name: name, mode: ModeDir | 0o755} }
func file(name, data string) ent  { return ent{name: name, mode: ModeRegular | 0o644, data: data} }
func symlink(name, to string) ent { return ent{name: name, mode: ModeSymlink | 0o777, data: to} }
func chardev(name string) ent     { return ent{name: name, mode: ModeChar | 0o600} }
func trailerEnt() ent             { return ent{name: trailer} }
func hardlink(name, data string, ino uint32) ent {
	return ent{name: name, mode: ModeRegular | 0o755, data: data, ino: ino, nlink: 2}
}

// rawHeader returns a 110-byte header with the given magic and fields.
func rawHeader(magic string, h header) []byte {
	var b bytes.Buffer
	b.WriteString(magic)
	for _, v := range h.fields() {
		fmt.Fprintf(&b, "%08X", *v)
	}
	return b.Bytes()
}

// fieldOffset is the offset in a header of the field named name.
func fieldOffset(name string) int {
	i := slices.Index(fieldNames[:], name)
	if i < 0 {
		panic("no header field " + name)
	}
	return 6 + 8*i
}

// rawEntry returns one entry: header, name with NUL and padding, data and
// padding, with filesize and namesize taken from the data and name.
func rawEntry(magic string, e ent) []byte {
	var sum uint32
	for i := 0; i < len(e.data); i++ {
		sum += uint32(e.data[i])
	}
	h := header{Ino: e.ino, Mode: e.mode, Nlink: max(e.nlink, 1), FileSize: uint32(len(e.data)), NameSize: uint32(len(e.name) + 1)}
	if magic == magicCRC {
		h.Check = sum
	}
	b := rawHeader(magic, h)
	b = append(b, e.name...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b = append(b, e.data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// archive returns a newc archive of ents followed by TRAILER!!!.
func archive(ents ...ent) []byte { return archiveOf(magicNewc, ents...) }

// crcArchive returns a 070702 archive with correct checksums.
func crcArchive(ents ...ent) []byte { return archiveOf(magicCRC, ents...) }

func archiveOf(magic string, ents ...ent) []byte {
	var b []byte
	for _, e := range ents {
		b = append(b, rawEntry(magic, e)...)
	}
	return append(b, rawEntry(magic, trailerEnt())...)
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	return compress(t, &out, w, b)
}

// compress writes b through the encoder w, closes it and returns what it
// wrote to out; an encoder error fails the test.
func compress(t testing.TB, out *bytes.Buffer, w io.WriteCloser, b []byte) []byte {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func zst(t testing.TB, b []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func zeros(n int) []byte { return make([]byte, n) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// elfModule assembles a minimal little-endian ELF64 relocatable file with a
// .modinfo section holding the given key=value strings (debug/elf cannot
// write ELF, so the bytes are laid out here by hand).
func elfModule(kv ...string) []byte {
	var modinfo []byte
	for _, s := range kv {
		modinfo = append(modinfo, s...)
		modinfo = append(modinfo, 0)
	}
	shstrtab := []byte("\x00.modinfo\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	modOff := uint64(ehsize)
	strOff := modOff + uint64(len(modinfo))
	shOff := (strOff + uint64(len(shstrtab)) + 7) &^ 7

	var b bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { binary.Write(&b, le, v) }
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	w(uint16(elf1Rel))
	w(uint16(62)) // EM_X86_64
	w(uint32(1))
	w(uint64(0)) // entry
	w(uint64(0)) // phoff
	w(shOff)     // shoff
	w(uint32(0)) // flags
	w(uint16(ehsize))
	w(uint16(0)) // phentsize
	w(uint16(0)) // phnum
	w(uint16(shentsize))
	w(uint16(3)) // shnum
	w(uint16(2)) // shstrndx
	b.Write(modinfo)
	b.Write(shstrtab)
	for uint64(b.Len()) < shOff {
		b.WriteByte(0)
	}
	sh := func(name, typ uint32, flags, off, size, align uint64) {
		w(name)
		w(typ)
		w(flags)
		w(uint64(0)) // addr
		w(off)
		w(size)
		w(uint32(0)) // link
		w(uint32(0)) // info
		w(align)
		w(uint64(0)) // entsize
	}
	sh(0, 0, 0, 0, 0, 0)
	sh(1, 1, 2, modOff, uint64(len(modinfo)), 1)   // .modinfo: PROGBITS, ALLOC
	sh(10, 3, 0, strOff, uint64(len(shstrtab)), 1) // .shstrtab: STRTAB
	return b.Bytes()
}

const elf1Rel = 1

// ignoreReach clears Module.Unreachable, for tests about something else
// whose fixtures leave directories out, the decoded Size and Tail
// (TestModuleTail checks them) and Sum (TestModules does).
func ignoreReach(mods []Module) {
	for i := range mods {
		mods[i].Unreachable = ""
		mods[i].Size, mods[i].Tail, mods[i].Sum = 0, nil, [32]byte{}
	}
}
