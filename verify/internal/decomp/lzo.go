package decomp

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

var lzopMagic = [9]byte{0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a}

// lzop header flags (lzop's conf.h).
const (
	lzopAdler32D = 0x0001
	lzopAdler32C = 0x0002
	lzopExtra    = 0x0040
	lzopCRC32D   = 0x0100
	lzopCRC32C   = 0x0200
	lzopFilter   = 0x0800
	lzopHCRC32   = 0x1000
)

// lzoBlockSize is LZO_BLOCK_SIZE in lib/decompress_unlzo.c: the largest
// uncompressed block the kernel accepts.
const lzoBlockSize = 256 << 10

// newLZO walks an lzop container as the kernel's unlzo
// (lib/decompress_unlzo.c) does: the header (parsed field by field the way
// parse_header does; the kernel skips the header checksum, this checks it),
// then blocks of uncompressed length, compressed length and one 4-byte
// checksum, until an uncompressed length of 0, which is consumed. The
// kernel skips exactly 4 checksum bytes per block, so a container whose
// flags ask for any other number (none, both adler32 and crc32, or
// checksums of the compressed data) is one the kernel misreads: corrupt.
// The checksum present is verified.
func newLZO(s *Source) (io.Reader, error) {
	start := s.Offset()
	// HEADER_SIZE_MAX: 9 + 7 + 1 + 8 + 8 + 4 + 1 + 255 + 4.
	h, err := s.Peek(297)
	if err != nil && err != io.EOF {
		return nil, &posError{off: start, err: err}
	}
	if len(h) < 9 || [9]byte(h[:9]) != lzopMagic {
		if len(h) < 9 {
			return nil, truncatedAt(start+int64(len(h)), "input ends inside the lzop magic")
		}
		return nil, corruptAt(start, "lzop magic % x, want % x", h[:9], lzopMagic[:])
	}
	short := func(what string) error {
		return truncatedAt(start+int64(len(h)), "input ends inside the lzop header (%s)", what)
	}
	if len(h) < 9+7+4 {
		return nil, short("version and flags")
	}
	version := binary.BigEndian.Uint16(h[9:])
	p := 9 + 7
	if version >= 0x0940 {
		p++ // level
	}
	if len(h) < p+4 {
		return nil, short("flags")
	}
	flags := binary.BigEndian.Uint32(h[p:])
	p += 4
	if flags&lzopFilter != 0 {
		p += 4
	}
	p += 8 // mode, mtime_low
	if version >= 0x0940 {
		p += 4 // mtime_high
	}
	if len(h) < p+1 {
		return nil, short("file name length")
	}
	nameLen := int(h[p])
	p += 1 + nameLen
	if len(h) < p+4 {
		return nil, short("file name and header checksum")
	}
	want := binary.BigEndian.Uint32(h[p:])
	var got uint32
	if flags&lzopHCRC32 != 0 {
		got = crc32.ChecksumIEEE(h[9:p])
	} else {
		got = adler32Sum(h[9:p])
	}
	if got != want {
		return nil, corruptAt(start+int64(p), "lzop header checksum %08x, computed %08x", want, got)
	}
	if flags&lzopExtra != 0 {
		return nil, corruptAt(start+16, "lzop header flags %#x have an extra field, which the kernel's unlzo does not skip", flags)
	}
	p += 4
	z := &lzoReader{s: s, flags: flags}
	if _, err := s.Discard(p); err != nil {
		return nil, err
	}
	return z, nil
}

type lzoReader struct {
	s     *Source
	flags uint32
	in    []byte
	blockOut
}

func (z *lzoReader) Read(p []byte) (int, error) {
	return z.read(p, z.block)
}

func (z *lzoReader) block() error {
	off := z.s.Offset()
	b, err := peekFull(z.s, 4, "lzop block's uncompressed length")
	if err != nil {
		return err
	}
	dst := binary.BigEndian.Uint32(b)
	if dst == 0 {
		z.s.Discard(4)
		z.done = true
		z.out, z.pos = z.out[:0], 0
		return nil
	}
	if dst > lzoBlockSize {
		return corruptAt(off, "lzop block of %d uncompressed bytes exceeds the kernel's %d-byte block size", dst, lzoBlockSize)
	}
	b, err = peekFull(z.s, 12, "lzop block header")
	if err != nil {
		return err
	}
	src := binary.BigEndian.Uint32(b[4:])
	sum := binary.BigEndian.Uint32(b[8:])
	if src == 0 || src > dst {
		return corruptAt(off+4, "lzop block of %d compressed bytes for %d uncompressed", src, dst)
	}
	// What lzop wrote for this block, and what the kernel will skip (4).
	nsum := 0
	dsum := z.flags & (lzopAdler32D | lzopCRC32D)
	if dsum != 0 {
		nsum++
	}
	if dsum == lzopAdler32D|lzopCRC32D {
		nsum++
	}
	if src < dst {
		if z.flags&lzopAdler32C != 0 {
			nsum++
		}
		if z.flags&lzopCRC32C != 0 {
			nsum++
		}
	}
	if nsum != 1 || dsum == 0 {
		return corruptAt(off, "lzop block with %d checksums (header flags %#x): the kernel's unlzo expects exactly one, of the uncompressed data (lzop's default adler32, or --crc32)", nsum, z.flags)
	}
	z.s.Discard(12)
	if cap(z.in) < int(src) {
		z.in = make([]byte, src)
	}
	z.in = z.in[:src]
	if n, err := io.ReadFull(z.s, z.in); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return truncatedAt(off+12+int64(n), "input ends inside an lzop block of %d compressed bytes starting at offset %d", src, off+12)
		}
		return &posError{off: off + 12 + int64(n), err: err}
	}
	if z.out == nil {
		z.out = make([]byte, lzoBlockSize)
	}
	z.out = z.out[:dst]
	if src == dst {
		copy(z.out, z.in) // stored block: the kernel copies it
	} else if at, err := lzo1xDecompress(z.in, z.out); err != nil {
		if errors.Is(err, errLZORLE) {
			return unsupportedAt(off+12, "%v", err)
		}
		return corruptAt(off+12+int64(at), "lzo block at offset %d: %v", off, err)
	}
	var got uint32
	if dsum == lzopAdler32D {
		got = adler32Sum(z.out)
	} else {
		got = crc32.ChecksumIEEE(z.out)
	}
	if got != sum {
		return corruptAt(off+8, "lzop block checksum %08x, computed %08x over its %d uncompressed bytes", sum, got, dst)
	}
	z.pos = 0
	return nil
}
