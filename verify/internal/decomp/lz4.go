package decomp

import (
	"encoding/binary"
	"io"

	"github.com/pierrec/lz4/v4"
)

const (
	lz4LegacyMagic = 0x184C2102
	// lz4LegacyBlock is the uncompressed size of every legacy block but
	// the last (lz4 -l); the kernel decodes each into an 8 MiB buffer.
	lz4LegacyBlock = 8 << 20
)

// lz4MaxCompressed is LZ4_COMPRESSBOUND(8 MiB): no legacy block is larger.
var lz4MaxCompressed = lz4.CompressBlockBound(lz4LegacyBlock)

// newLZ4 walks an lz4 legacy member as the kernel's unlz4
// (lib/decompress_unlz4.c) does when the whole image is in memory: the
// magic, then 4-byte little-endian block sizes each followed by that many
// bytes of one lz4 block. A repeated magic is skipped. The member ends,
// without consuming it, at a zero size word, when fewer than 4 bytes are
// left, or at the end of input. Every other word is a block size, so a
// legacy member must be followed by zero padding or the end of the image:
// a cpio header right after it would be taken for a block.
func newLZ4(s *Source) (io.Reader, error) {
	start := s.Offset()
	b, err := peekFull(s, 4, "lz4 legacy magic")
	if err != nil {
		return nil, err
	}
	if m := binary.LittleEndian.Uint32(b); m != lz4LegacyMagic {
		return nil, corruptAt(start, "lz4 legacy magic %08x, want %08x", m, uint32(lz4LegacyMagic))
	}
	if _, err := s.Discard(4); err != nil {
		return nil, err
	}
	return &lz4Reader{s: s}, nil
}

type lz4Reader struct {
	s  *Source
	in []byte // one compressed block
	blockOut
}

func (z *lz4Reader) Read(p []byte) (int, error) {
	return z.read(p, z.block)
}

// block reads and decodes the next block, or marks the end.
func (z *lz4Reader) block() error {
	for {
		off := z.s.Offset()
		b, err := z.s.Peek(4)
		if err != nil && err != io.EOF {
			return &posError{off: off, err: err}
		}
		if len(b) < 4 {
			// Fewer than 4 bytes left: the kernel ends the member here.
			z.done = true
			z.out, z.pos = z.out[:0], 0
			return nil
		}
		size := binary.LittleEndian.Uint32(b)
		if size == lz4LegacyMagic {
			z.s.Discard(4)
			continue
		}
		if size == 0 {
			z.done = true
			z.out, z.pos = z.out[:0], 0
			return nil
		}
		if int64(size) > int64(lz4MaxCompressed) {
			return corruptAt(off, "lz4 legacy block size %d exceeds the %d-byte bound of an 8 MiB block (a legacy lz4 member must be followed by zero padding or the end of the image: the kernel reads the next word as a block size)", size, lz4MaxCompressed)
		}
		z.s.Discard(4)
		if cap(z.in) < int(size) {
			z.in = make([]byte, size)
		}
		z.in = z.in[:size]
		if n, err := io.ReadFull(z.s, z.in); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return truncatedAt(off+4+int64(n), "input ends inside an lz4 block of %d bytes starting at offset %d", size, off+4)
			}
			return &posError{off: off + 4 + int64(n), err: err}
		}
		// An lz4 block expands at most 255-fold (a length byte of 255 per
		// input byte), so a small block never needs the full 8 MiB.
		need := min(lz4LegacyBlock, 255*int(size)+64)
		if cap(z.out) < need {
			z.out = make([]byte, need)
		}
		n, err := lz4.UncompressBlock(z.in, z.out[:need])
		if err != nil {
			return corruptAt(off, "lz4 block of %d bytes: %v", size, err)
		}
		z.out, z.pos = z.out[:n], 0
		if n > 0 {
			return nil
		}
	}
}
