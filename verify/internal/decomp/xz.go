package decomp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
)

// xzMaxDict caps the LZMA2 dictionary a block may ask for (xz -9 and -9e
// use 64 MiB). Beyond it the member is unsupported (cannot-tell) rather
// than an allocation a header field decides.
const xzMaxDict = 64 << 20

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// newXZ decodes one xz stream. For the kernel, only streams with no check or
// CRC32 are accepted, as XZ Embedded does (Documentation/staging/xz.rst);
// for a userspace reader (OpenFile) any check is. The kernel's unxz (lib/decompress_unxz.c,
// xz_dec_run until XZ_STREAM_END) stops right after the stream footer;
// stream padding and further streams are left to unpack_to_rootfs (it skips
// zero bytes and starts a new member at the next magic).
// xzDec (xz_dec.go) walks the stream's structure (block headers, LZMA2
// chunks, padding, checks, index, footer: the .xz format 1.x) and decodes
// the LZMA2 chunks with this package's LZMA decoder, checking what XZ
// Embedded checks. It refuses, before allocating anything, a block
// dictionary over xzMaxDict, and filters it lacks (BCJ, delta: the kernel
// may have them, so that is unsupported, not corrupt).
func newXZ(s *Source, forKernel bool, fs *Files) (io.Reader, error) {
	start := s.Offset()
	h, err := peekFull(s, 12, "xz stream header")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(h[:6], xzMagic) {
		return nil, corruptAt(start, "xz magic % x, want % x", h[:6], xzMagic)
	}
	if binary.LittleEndian.Uint32(h[8:12]) != crc32.ChecksumIEEE(h[6:8]) {
		return nil, corruptAt(start+8, "xz stream header CRC32 mismatch")
	}
	if h[6] != 0 || h[7]&0xf0 != 0 {
		return nil, corruptAt(start+6, "xz stream flags %02x %02x have reserved bits set", h[6], h[7])
	}
	if check := h[7] & 0x0f; forKernel && check > 1 {
		return nil, corruptAt(start+7, "xz check type %d (%s): the kernel's xz decoder (XZ Embedded) accepts only none or CRC32, so it will not unpack this member; compress with xz --check=crc32", check, xzCheckName(check))
	}
	var x *xzDec
	if fs != nil && fs.xz != nil {
		// The last member's decoder: its window and literal model are
		// kept; startBlock and the chunks' resets set every field that
		// matters.
		x = fs.xz
		d := x.lz.d
		*x = xzDec{}
		x.lz.d.win, x.lz.d.full, x.lz.d.lit = d.win, d.full, d.lit
	} else {
		x = &xzDec{}
		x.lz.d.lit = make([]uint16, 0x300<<4) // LZMA2: lc+lp at most 4
	}
	if fs != nil {
		fs.xz = x
	}
	x.s, x.flags, x.check, x.forKernel = s, [2]byte{h[6], h[7]}, h[7]&0x0f, forKernel
	if x.hash, err = xzHash(x.check); err != nil {
		return nil, &posError{off: start + 7, err: err}
	}
	s.Discard(12)
	x.lz.d.refill = x.refill
	x.lz.d.overread = x.overread
	x.lz.d.errOff = x.offset
	return x, nil
}

func xzCheckName(id byte) string {
	switch id {
	case 4:
		return "CRC64, xz's default"
	case 10:
		return "SHA-256"
	}
	return "reserved"
}

// xzCheckSize is the size of a block's check field by check ID (xz format
// 2.1.1.2): none, CRC32, CRC64, SHA-256 and the reserved IDs' sizes.
var xzCheckSize = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

// xzVarint reads an xz multibyte integer from b: value and length, or ok false
// when b ends first or the encoding is over 9 bytes or not minimal.
func xzVarint(b []byte) (v uint64, n int, ok bool) {
	for n < len(b) && n < 9 {
		c := b[n]
		v |= uint64(c&0x7f) << (7 * n)
		n++
		if c&0x80 == 0 {
			if c == 0 && n > 1 {
				return 0, 0, false
			}
			return v, n, true
		}
	}
	return 0, 0, false
}

// xzHash returns the hash of a block's check field for check ID id: nil
// for none; CRC32, CRC64 and SHA-256 are known, the reserved IDs are not.
func xzHash(id byte) (hash.Hash, error) {
	switch id {
	case 0:
		return nil, nil
	case 1:
		return crc32.NewIEEE(), nil
	case 4:
		return crc64.New(crc64.MakeTable(crc64.ECMA)), nil
	case 10:
		return sha256.New(), nil
	}
	return nil, fmt.Errorf("%w: xz check type %d is reserved", ErrUnsupported, id)
}
