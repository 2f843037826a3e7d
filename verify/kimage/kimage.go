// Package kimage reads a kernel image's headers, as a boot loader does before
// it loads the image: which format it is (an x86 bzImage, an EFI zboot
// wrapper, an arm64 or RISC-V Image, a PE application, a gzip-compressed
// Image), which architecture it is for, how many bytes of the file a loader
// reads (so a file cut short shows), and, for a bzImage, the kernel release
// it carries.
//
// It reads only headers, at bounded offsets and sizes (never a whole image
// into memory), through an io.ReaderAt and the file's size, so a truncated
// or hostile file gives an answer or ErrUnrecognized, never a crash.
package kimage

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Format is a kernel image's container.
type Format string

// The formats Read recognizes.
const (
	// BzImage is the x86 boot protocol's image (Documentation/arch/x86/boot.rst),
	// with or without a PE header for the EFI stub.
	BzImage Format = "bzImage"
	// Zboot is the EFI zboot wrapper (drivers/firmware/efi/libstub/zboot-header.S):
	// "MZ", "zimg", a compressed payload.
	Zboot Format = "EFI zboot"
	// Arm64Image is the arm64 Image (Documentation/arch/arm64/booting.rst),
	// with or without a PE header for the EFI stub.
	Arm64Image Format = "arm64 Image"
	// RiscvImage is the RISC-V Image (Documentation/arch/riscv/boot-image-header.rst).
	RiscvImage Format = "RISC-V Image"
	// PE is any other PE/COFF application.
	PE Format = "PE"
	// Gzip is a gzip-compressed raw Image (Image.gz, as Ubuntu's arm64
	// vmlinuz): its header is read from the first decompressed bytes.
	// Debian 12's arm64 vmlinuz is not compressed: it is an Arm64Image
	// with its PE header, signed (seen in scripts/e2e/arm64.sh).
	Gzip Format = "gzip-compressed Image"
)

// ErrUnrecognized: the file is none of the formats above.
var ErrUnrecognized = errors.New("not a bzImage, PE or arm64 Image")

// Header is what a kernel image's headers say.
type Header struct {
	Format Format
	// Arch is the architecture family the kernel runs on: "x86" (amd64 and
	// i386), "arm64", "arm", "riscv64", "loong64"; "" when the headers do
	// not say.
	Arch string
	// Length is how many bytes of the file a loader reads: a file shorter
	// than Length is cut short. 0 when the format does not say (a raw Image
	// without a PE header, a gzip stream).
	Length int64
	// LengthFrom says which fields gave Length, for messages.
	LengthFrom string
	// SignatureEnd is where the Authenticode signature (the PE certificate
	// table) ends, past Length; 0 when the image is not signed. Secure Boot
	// verifies it; nothing else reads it.
	SignatureEnd int64
	// SignatureOffset is where the certificate table starts (when
	// SignatureEnd is set): its WIN_CERTIFICATE entries lie from there to
	// SignatureEnd.
	SignatureOffset int64
	// Release is the kernel release a bzImage names (its version string's
	// first word, as uname -r prints it); "" when unknown.
	Release string
	// Banner is a bzImage's whole version string ("6.1.0-57-amd64
	// (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian
	// 6.1.192-3 ..."): who built it; "" when unknown.
	Banner string
	// Compression is a zboot payload's compression ("gzip", "zstd", ...).
	Compression string
}

// headLen is how much of the file's start Read looks at first: every fixed
// header field of every format lies in it.
const headLen = 4096

// ReadFile reads the headers of the kernel image at path.
func ReadFile(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Header{}, err
	}
	return Read(f, st.Size())
}

// Read reads the headers of a kernel image of size bytes. It returns an error
// wrapping ErrUnrecognized when the file is none of the known formats, or the
// read error.
func Read(r io.ReaderAt, size int64) (Header, error) {
	head, err := readAt(r, 0, min(size, headLen))
	if err != nil {
		return Header{}, err
	}
	switch {
	case isBzImage(head):
		return bzImage(r, size, head)
	case len(head) >= 8 && string(head[:2]) == "MZ" && string(head[4:8]) == "zimg":
		return zboot(r, size, head)
	case len(head) >= 0x40 && string(head[0x38:0x3c]) == "ARM\x64":
		return withPE(r, size, head, Header{Format: Arm64Image, Arch: "arm64"})
	case len(head) >= 0x40 && string(head[0x30:0x38]) == "RISCV\x00\x00\x00" && string(head[0x38:0x3c]) == "RSC\x05":
		return withPE(r, size, head, Header{Format: RiscvImage, Arch: "riscv64"})
	case len(head) >= 0x40 && string(head[:2]) == "MZ":
		h, err := withPE(r, size, head, Header{Format: PE})
		if err == nil && h.Arch == "" && h.Length == 0 {
			return Header{}, fmt.Errorf("an MZ file without a PE header: %w", ErrUnrecognized)
		}
		return h, err
	case len(head) >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8:
		return gzipImage(r, size)
	}
	return Header{}, ErrUnrecognized
}

// readAt reads n bytes at off; a short file gives what there is.
func readAt(r io.ReaderAt, off, n int64) ([]byte, error) {
	if n <= 0 {
		return nil, nil
	}
	b := make([]byte, n)
	got, err := r.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %d bytes at offset %d: %w", n, off, err)
	}
	return b[:got], nil
}

func u16(b []byte, off int) uint32 { return uint32(binary.LittleEndian.Uint16(b[off:])) }
func u32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }

// The x86 setup header's fields (Documentation/arch/x86/boot.rst).
const (
	offSetupSects = 0x1f1
	offSyssize    = 0x1f4
	offBootFlag   = 0x1fe
	offHdrS       = 0x202
	offVersion    = 0x206
	offKernelVer  = 0x20e
	hdrEnd        = 0x210
)

func isBzImage(head []byte) bool {
	return len(head) >= hdrEnd && u16(head, offBootFlag) == 0xaa55 && string(head[offHdrS:offHdrS+4]) == "HdrS"
}

// bzImage reads the setup header: a loader reads the setup sectors, then
// syssize 16-byte paragraphs of protected-mode code.
func bzImage(r io.ReaderAt, size int64, head []byte) (Header, error) {
	h := Header{Format: BzImage, Arch: "x86"}
	proto := u16(head, offVersion)
	sects := uint32(head[offSetupSects])
	if sects == 0 {
		sects = 4
	}
	sys := u32(head, offSyssize)
	if proto < 0x204 {
		sys &= 0xffff // syssize was 16 bits before protocol 2.04
	}
	h.Length = int64(sects+1)*512 + int64(sys)*16
	h.LengthFrom = fmt.Sprintf("its setup header: (setup_sects %d + 1) * 512 + syssize %d * 16", sects, sys)
	if kv := u16(head, offKernelVer); kv != 0 && proto >= 0x200 {
		s, err := readAt(r, int64(kv)+0x200, 256)
		if err != nil {
			return Header{}, err
		}
		if i := bytes.IndexByte(s, 0); i >= 0 {
			if f := strings.Fields(string(s[:i])); len(f) > 0 {
				h.Release, h.Banner = f[0], strings.Join(f, " ")
			}
		}
	}
	if len(head) >= 0x40 && string(head[:2]) == "MZ" {
		p, err := readPE(r, size, head)
		if err != nil {
			return Header{}, err
		}
		h.SignatureEnd, h.SignatureOffset = p.sigEnd, p.sigOff
	}
	return h, nil
}

// zboot reads the EFI zboot header: "MZ", "zimg", the payload's offset and
// size, its compression as a C string; then the PE header.
func zboot(r io.ReaderAt, size int64, head []byte) (Header, error) {
	h := Header{Format: Zboot}
	if len(head) < 0x40 {
		return Header{Format: Zboot, Length: 0x40, LengthFrom: "the zboot header (64 bytes)"}, nil
	}
	off, n := int64(u32(head, 8)), int64(u32(head, 12))
	comp := head[24:0x38]
	if i := bytes.IndexByte(comp, 0); i >= 0 {
		comp = comp[:i]
	}
	h.Compression = string(comp)
	h, err := withPE(r, size, head, h)
	if err != nil {
		return Header{}, err
	}
	if end := off + n; end > h.Length {
		h.Length = end
		h.LengthFrom = fmt.Sprintf("its zboot header: payload offset %d + size %d", off, n)
	}
	return h, nil
}

// withPE completes h from the PE header the MZ stub at the file's start
// points to, when there is one.
func withPE(r io.ReaderAt, size int64, head []byte, h Header) (Header, error) {
	if string(head[:2]) != "MZ" {
		return h, nil // a raw Image without the EFI stub: no length is written down
	}
	p, err := readPE(r, size, head)
	if err != nil {
		return Header{}, err
	}
	if a := machineArch(p.machine); a != "" {
		if h.Arch != "" && h.Arch != a {
			return Header{}, fmt.Errorf("a %s whose PE header says machine %#04x: %w", h.Format, p.machine, ErrUnrecognized)
		}
		h.Arch = a
	}
	h.Length, h.LengthFrom, h.SignatureEnd, h.SignatureOffset = p.length, p.lengthFrom, p.sigEnd, p.sigOff
	return h, nil
}

// machineArch maps a PE machine type to an architecture family.
func machineArch(m uint32) string {
	switch m {
	case 0x8664, 0x14c:
		return "x86"
	case 0xaa64:
		return "arm64"
	case 0x1c0, 0x1c2, 0x1c4:
		return "arm"
	case 0x5064:
		return "riscv64"
	case 0x6264:
		return "loong64"
	}
	return ""
}

// gzipImage decompresses the first bytes of a gzip stream and reads the Image
// header there. Whether the stream is whole only decompressing all of it
// tells (GzipWhole).
func gzipImage(r io.ReaderAt, size int64) (Header, error) {
	zr, err := gzip.NewReader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return Header{}, fmt.Errorf("a gzip stream whose header does not read (%v): %w", err, ErrUnrecognized)
	}
	defer zr.Close()
	b := make([]byte, 0x40)
	if _, err := io.ReadFull(zr, b); err != nil {
		return Header{}, fmt.Errorf("a gzip stream that does not decompress to a kernel header (%v): %w", err, ErrUnrecognized)
	}
	h := Header{Format: Gzip}
	switch {
	case string(b[0x38:0x3c]) == "ARM\x64":
		h.Arch = "arm64"
	case string(b[0x30:0x38]) == "RISCV\x00\x00\x00":
		h.Arch = "riscv64"
	default:
		return Header{}, fmt.Errorf("a gzip stream that holds no arm64 or RISC-V Image: %w", ErrUnrecognized)
	}
	return h, nil
}

// GzipWhole decompresses a whole gzip stream, discarding the output (memory
// stays bounded; at most limit bytes are decompressed), and returns an error
// when it ends early or its checksum or length does not match: what a boot
// loader's gunzip would find.
func GzipWhole(r io.Reader, limit int64) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	defer zr.Close()
	zr.Multistream(false)
	n, err := io.Copy(io.Discard, io.LimitReader(zr, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("it decompresses to more than %d bytes", limit)
	}
	return nil
}
