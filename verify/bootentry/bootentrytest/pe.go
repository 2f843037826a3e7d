// Package bootentrytest builds boot files for tests: unified kernel images
// as minimal PE files (debug/pe can read but not write them). Only tests
// import it; it builds bytes and writes nothing itself.
//
// Format followed: the PE/COFF specification (DOS header with e_lfanew at
// 0x3c, "PE\0\0", COFF file header, 40-byte section headers, raw data
// aligned to the 512-byte file alignment) and the UKI specification's
// section names (.linux, .initrd, .cmdline, .osrel, .uname).
package bootentrytest

import (
	"bytes"
	"encoding/binary"

	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

// Section is one PE section.
type Section struct {
	Name string
	Data []byte
}

const fileAlign = 512

// PE assembles a PE image holding sections, in order. Each section's
// virtual size is its data length and its raw size the data padded to 512
// bytes, as objcopy and ukify write them.
func PE(sections []Section) []byte {
	var buf bytes.Buffer
	dos := make([]byte, 0x40)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], 0x40)
	buf.Write(dos)
	buf.WriteString("PE\x00\x00")
	hdr := struct {
		Machine, NumberOfSections                       uint16
		TimeDateStamp, PointerToSymbolTable, NumSymbols uint32
		SizeOfOptionalHeader, Characteristics           uint16
	}{Machine: 0x8664, NumberOfSections: uint16(len(sections)), Characteristics: 0x0206}
	binary.Write(&buf, binary.LittleEndian, hdr)
	dataStart := (buf.Len() + 40*len(sections) + fileAlign - 1) / fileAlign * fileAlign
	off := dataStart
	for i, s := range sections {
		var name [8]byte
		copy(name[:], s.Name)
		raw := padded(len(s.Data))
		sh := struct {
			Name                                         [8]byte
			VirtualSize, VirtualAddress, SizeOfRawData   uint32
			PointerToRawData, PointerToRelocs, PtrLineNo uint32
			NumRelocs, NumLineNo                         uint16
			Characteristics                              uint32
		}{Name: name, VirtualSize: uint32(len(s.Data)), VirtualAddress: uint32(0x1000 * (i + 1)),
			SizeOfRawData: uint32(raw), PointerToRawData: uint32(off), Characteristics: 0x40000040}
		binary.Write(&buf, binary.LittleEndian, sh)
		off += raw
	}
	buf.Write(make([]byte, dataStart-buf.Len()))
	for _, s := range sections {
		buf.Write(s.Data)
		buf.Write(make([]byte, padded(len(s.Data))-len(s.Data)))
	}
	return buf.Bytes()
}

func padded(n int) int { return (n + fileAlign - 1) / fileAlign * fileAlign }

// UKI returns the sections of a unified kernel image for kernel version
// with the given command line; initrd nil leaves the .initrd section out.
// Its .linux section is a minimal bzImage of that version.
func UKI(version, cmdline string, initrd []byte) []Section {
	s := []Section{
		{".osrel", []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")},
		{".cmdline", []byte(cmdline + "\n\x00")},
		{".uname", []byte(version)},
		{".linux", kimagetest.BzImage(version)},
	}
	if initrd != nil {
		s = append(s, Section{".initrd", initrd})
	}
	return s
}
