package checktest

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// SymVersion is one __versions entry of a module: the CRC it was built
// against for symbol Name.
type SymVersion struct {
	Name string
	CRC  uint32
}

// VersionedModule describes a module built with CONFIG_MODVERSIONS (issue 12
// item 1): its .modinfo, its __versions entries and the symbols it imports.
type VersionedModule struct {
	Name, Vermagic string
	Depends        []string
	// Versions are the __versions entries; NoVersions leaves the section
	// out (a module built without modversions).
	Versions   []SymVersion
	NoVersions bool
	// Imports are the module's undefined symbols (.symtab); Exports the
	// symbols it exports with their CRCs (__kcrctab, __crc_NAME symbols).
	Imports []string
	Exports []SymVersion
}

// ELF returns the module as a minimal ELF-64 relocatable object:
// .modinfo, __versions (SHF_ALLOC, as modpost writes it), .symtab with
// Imports undefined and a __crc_NAME per export, .strtab, __kcrctab and
// .shstrtab.
func (m VersionedModule) ELF() []byte {
	le := binary.LittleEndian
	modinfo := []byte("license=GPL\x00name=" + m.Name + "\x00depends=" + strings.Join(m.Depends, ",") + "\x00vermagic=" + m.Vermagic + "\x00")
	var vers bytes.Buffer
	for _, v := range m.Versions {
		e := make([]byte, 64)
		le.PutUint64(e, uint64(v.CRC))
		copy(e[8:63], v.Name)
		vers.Write(e)
	}
	symtab, strtab, kcrctab := m.symbols()
	type section struct {
		name       string
		typ        uint32
		flags      uint64
		data       []byte
		link, info uint32
		entsize    uint64
	}
	secs := []section{
		{name: ".modinfo", typ: 1, data: modinfo},
		{name: ".symtab", typ: 2, data: symtab, link: 3, info: 1, entsize: 24},
		{name: ".strtab", typ: 3, data: strtab},
		{name: "__kcrctab", typ: 1, flags: 2, data: kcrctab},
	}
	if !m.NoVersions {
		secs = append(secs, section{name: "__versions", typ: 1, flags: 2, data: vers.Bytes()}) // SHF_ALLOC
	}
	shstr := []byte{0}
	names := make([]uint32, len(secs)+1)
	for i, s := range secs {
		names[i] = uint32(len(shstr))
		shstr = append(append(shstr, s.name...), 0)
	}
	names[len(secs)] = uint32(len(shstr))
	shstr = append(shstr, ".shstrtab\x00"...)
	secs = append(secs, section{name: ".shstrtab", typ: 3, data: shstr})

	var body bytes.Buffer
	body.Write(make([]byte, 64))
	offs := make([]uint64, len(secs))
	for i, s := range secs {
		for body.Len()%8 != 0 {
			body.WriteByte(0)
		}
		offs[i] = uint64(body.Len())
		body.Write(s.data)
	}
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}
	shOff := uint64(body.Len())
	body.Write(make([]byte, 64)) // section 0
	for i, s := range secs {
		for _, v := range []any{names[i], s.typ, s.flags, uint64(0), offs[i], uint64(len(s.data)), s.link, s.info, uint64(8), s.entsize} {
			binary.Write(&body, le, v)
		}
	}
	out := body.Bytes()
	var h bytes.Buffer
	h.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	h.Write(make([]byte, 8))
	for _, v := range []any{uint16(1), uint16(62), uint32(1), uint64(0), uint64(0), shOff, uint32(0),
		uint16(64), uint16(0), uint16(0), uint16(64), uint16(len(secs) + 1), uint16(len(secs))} {
		binary.Write(&h, le, v) // ET_REL, EM_X86_64; .shstrtab is the last section
	}
	copy(out, h.Bytes())
	return out
}

// symbols returns the module's .symtab, its .strtab and its __kcrctab: a
// local __crc_NAME symbol per export at its CRC's offset in __kcrctab
// (section 4, as ELF lays them out), then each import undefined.
func (m VersionedModule) symbols() (symtab, strtab, kcrctab []byte) {
	le := binary.LittleEndian
	strtab = []byte{0}
	symtab = make([]byte, 24) // the null symbol
	addSym := func(name string, info byte, shndx uint16, value uint64) {
		sym := make([]byte, 24)
		le.PutUint32(sym, uint32(len(strtab)))
		sym[4] = info
		le.PutUint16(sym[6:], shndx)
		le.PutUint64(sym[8:], value)
		symtab = append(symtab, sym...)
		strtab = append(append(strtab, name...), 0)
	}
	for i, e := range m.Exports {
		addSym("__crc_"+e.Name, 0, 4, uint64(4*i)) // STB_LOCAL in __kcrctab, section 4
		kcrctab = le.AppendUint32(kcrctab, e.CRC)
	}
	for _, s := range m.Imports {
		addSym(s, 0x10, 0, 0) // STB_GLOBAL, STT_NOTYPE, SHN_UNDEF
	}
	return symtab, strtab, kcrctab
}
