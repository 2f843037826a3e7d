// Package kimagetest builds minimal kernel images for tests: an x86 bzImage
// with its setup header and version string, with or without a signed PE
// header, an arm64 Image with its EFI stub's PE header, and an EFI zboot
// wrapper. They carry the headers boot loaders read (Documentation/arch/x86/
// boot.rst, Documentation/arch/arm64/booting.rst, the PE/COFF format,
// drivers/firmware/efi/libstub/zboot-header.S) and zeros where code would
// be. Only tests import it.
package kimagetest

import "encoding/binary"

// BzImage is an x86 bzImage of 1 setup sector and 2 paragraphs: 1056 bytes,
// naming release in its kernel_version string.
func BzImage(release string) []byte {
	b := make([]byte, 1056)
	b[0x1f1] = 1                                          // setup_sects
	binary.LittleEndian.PutUint32(b[0x1f4:], 2)           // syssize, in 16-byte units
	binary.LittleEndian.PutUint16(b[0x1fe:], 0xaa55)      // boot_flag
	copy(b[0x202:], "HdrS")                               // header
	binary.LittleEndian.PutUint16(b[0x206:], 0x020f)      // version
	binary.LittleEndian.PutUint16(b[0x20e:], 0x300-0x200) // kernel_version, minus 0x200
	copy(b[0x300:], release+" (test@example.org) #1 SMP\x00")
	return b
}

// SignedBzImage is BzImage with a PE header (machine x86-64, one .text
// section to the setup header's end) and an Authenticode certificate table
// of sig bytes appended, as Debian's signed kernels are.
func SignedBzImage(release string, sig int) []byte {
	b := BzImage(release)
	copy(b, "MZ")
	pe(b, 0x8664, []section{{".text", 0x400, uint32(len(b) - 0x400)}}, uint32(len(b)), uint32(sig))
	return append(b, make([]byte, sig)...)
}

// Arm64Image is an arm64 Image with its EFI stub: "MZ", the Image header
// (image_size, the "ARM\x64" magic), a PE header for machine with one .text
// section to the end of its 8192 bytes.
func Arm64Image(machine uint16) []byte {
	b := make([]byte, 8192)
	copy(b, "MZ")
	binary.LittleEndian.PutUint64(b[0x10:], 3<<20) // image_size, with its bss
	copy(b[0x38:], "ARM\x64")
	pe(b, machine, []section{{".text", 0x1000, 0x1000}}, 0, 0)
	return b
}

// SignedArm64Image is Arm64Image with an Authenticode certificate table of
// sig bytes appended, as Debian 12's arm64 vmlinuz is: an uncompressed Image
// whose PE header the signing tool extended (seen in scripts/e2e/arm64.sh:
// linux-image-6.1.0-57-arm64's vmlinuz is 32956352 bytes, its last PE
// section ends at 32954880, its signature at the file's end).
func SignedArm64Image(machine uint16, sig int) []byte {
	b := Arm64Image(machine)
	pe(b, machine, []section{{".text", 0x1000, 0x1000}}, uint32(len(b)), uint32(sig))
	return append(b, make([]byte, sig)...)
}

// Zboot is an EFI zboot image for machine whose payload, compressed with
// comp ("gzip", "zstd"), lies at 0x1000 for 0x800 bytes; the PE .text
// section covers the file's 8192 bytes.
func Zboot(machine uint16, comp string) []byte {
	b := make([]byte, 8192)
	copy(b, "MZ")
	copy(b[4:], "zimg")
	binary.LittleEndian.PutUint32(b[8:], 0x1000)
	binary.LittleEndian.PutUint32(b[12:], 0x800)
	copy(b[24:0x37], comp)
	copy(b[0x38:], "\xcd\x23\x82\x81") // LINUX_PE_MAGIC
	pe(b, machine, []section{{".text", 0x1000, 0x1000}}, 0, 0)
	return b
}

type section struct {
	name          string
	rawPtr, rawSz uint32
}

// pe writes a PE32+ header at 0x40 into b (e_lfanew at 0x3c): machine, the
// sections, and the certificate table (data directory 4) when certSize > 0.
func pe(b []byte, machine uint16, secs []section, certOff, certSize uint32) {
	le := binary.LittleEndian
	const at = 0x40
	le.PutUint32(b[0x3c:], at)
	copy(b[at:], "PE\x00\x00")
	le.PutUint16(b[at+4:], machine)
	le.PutUint16(b[at+6:], uint16(len(secs)))
	const optSize = 112 + 6*8
	le.PutUint16(b[at+20:], optSize)
	opt := at + 24
	le.PutUint16(b[opt:], 0x20b)
	le.PutUint32(b[opt+56:], 1<<20) // SizeOfImage
	le.PutUint32(b[opt+60:], 0x200) // SizeOfHeaders
	le.PutUint32(b[opt+108:], 6)    // NumberOfRvaAndSizes
	le.PutUint32(b[opt+112+32:], certOff)
	le.PutUint32(b[opt+112+36:], certSize)
	for i, s := range secs {
		h := b[opt+optSize+40*i:]
		copy(h, s.name)
		le.PutUint32(h[8:], s.rawSz)
		le.PutUint32(h[16:], s.rawSz)
		le.PutUint32(h[20:], s.rawPtr)
	}
}
