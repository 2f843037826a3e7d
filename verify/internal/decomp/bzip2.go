package decomp

import (
	"errors"
	"fmt"
	"io"
)

// bzip2 stream structure (the format bzip2 1.0 writes and the kernel's
// lib/decompress_bunzip2.c reads): "BZh" and a level '1'-'9' (blocks of at
// most level*100000 bytes before the final run-length stage), then blocks,
// each a 48-bit magic (pi), the block's CRC and its Huffman-coded
// Burrows-Wheeler transform, then a 48-bit end-of-stream magic (sqrt(pi))
// and the combined CRC, padded with zero to seven bits to a byte.
const (
	bzip2BlockMagic = 0x314159265359
	bzip2EOS        = 0x177245385090
	bzip2MaxGroups  = 6
	bzip2GroupSize  = 50 // symbols coded by one selected table
	bzip2MaxCodeLen = 20
	bzip2MaxAlpha   = 258 // 256 byte values in MTF order, RUNA/RUNB, EOB
	bzip2MaxSel     = 1<<15 - 1
)

// newBzip2 decodes one bzip2 stream with this package's decoder, which
// checks every block CRC and the combined stream CRC. The kernel's bunzip2
// reads bits a byte at a time and stops after the end-of-stream marker's
// CRC, so the member ends at the byte holding that CRC's last bit: the
// decoder reads input bytes only as it needs their bits (see fill for the
// one place it reads ahead) and leaves the Source on the next byte.
func newBzip2(s *Source) (io.Reader, error) {
	start := s.Offset()
	h, err := peekFull(s, 4, "bzip2 header")
	if err != nil {
		return nil, err
	}
	if h[0] != 'B' || h[1] != 'Z' || h[2] != 'h' || h[3] < '1' || h[3] > '9' {
		return nil, corruptAt(start, "bzip2 header %q, want \"BZh1\" to \"BZh9\"", h)
	}
	z := &bzip2Reader{s: s, maxBlock: int(h[3]-'0') * 100000}
	s.Discard(4)
	return z, nil
}

type bzip2Reader struct {
	s        *Source
	bits     uint64 // unread bits are the low nbits, oldest first
	nbits    uint
	maxBlock int
	err      error // sticky
	done     bool

	tt   []uint32   // block symbols, then the inverse BWT's links
	huff []bzipHuff // one per coding table of the block
	sel  []uint8    // coding table of each group of 50 symbols

	inBlock   bool
	blockOff  int64 // offset of the block's magic, for errors
	wantCRC   uint32
	crc       uint32 // running CRC of the block's output
	streamCRC uint32
	// inverse BWT and final run-length state: the next link, links left,
	// the last byte and how many times in a row it came, bytes to repeat.
	tPos   uint32
	left   int
	last   int
	runLen int
	rep    int
}

// need makes at least n (at most 56) bits available, reading only the
// bytes it must.
func (z *bzip2Reader) need(n uint, what string) error {
	for z.nbits < n {
		b, err := z.s.ReadByte()
		if err != nil {
			if err == io.EOF {
				return truncatedAt(z.s.Offset(), "input ends inside the bzip2 %s", what)
			}
			return &posError{off: z.s.Offset(), err: fmt.Errorf("reading bzip2 %s: %w", what, err)}
		}
		z.bits = z.bits<<8 | uint64(b)
		z.nbits += 8
	}
	return nil
}

func (z *bzip2Reader) getBits(n uint, what string) (uint32, error) {
	if err := z.need(n, what); err != nil {
		return 0, err
	}
	z.nbits -= n
	return uint32(z.bits>>z.nbits) & (1<<n - 1), nil
}

// fill reads ahead up to 64 bits, stopping quietly at the end of input. It
// is called only before a Huffman symbol, and every symbol is followed by at
// least 80 more bits of its stream (the end-of-stream magic and CRC), so it
// never reads past the member.
func (z *bzip2Reader) fill() {
	for z.nbits <= 56 {
		b, err := z.s.ReadByte()
		if err != nil {
			return
		}
		z.bits = z.bits<<8 | uint64(b)
		z.nbits += 8
	}
}

func (z *bzip2Reader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			return 0, z.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if z.inBlock {
			if n := z.emit(p); n > 0 {
				return n, nil
			}
			z.endBlock()
			continue
		}
		if z.done {
			return 0, io.EOF
		}
		z.err = z.nextBlock()
	}
}

// nextBlock reads a block's magic and CRC and decodes its symbols, or reads
// the end-of-stream marker and checks the combined CRC.
func (z *bzip2Reader) nextBlock() error {
	off := z.s.Offset()
	hi, err := z.getBits(24, "block magic")
	if err != nil {
		return err
	}
	lo, err := z.getBits(24, "block magic")
	if err != nil {
		return err
	}
	magic := uint64(hi)<<24 | uint64(lo)
	if magic != bzip2BlockMagic && magic != bzip2EOS {
		return corruptAt(off, "bzip2 block magic %012x, want %012x (a block) or %012x (end of stream)", magic, uint64(bzip2BlockMagic), uint64(bzip2EOS))
	}
	crc, err := z.getBits(32, "CRC")
	if err != nil {
		return err
	}
	if magic == bzip2EOS {
		if crc != z.streamCRC {
			return corruptAt(off, "bzip2 stream CRC %08x, computed %08x", crc, z.streamCRC)
		}
		z.done = true // the remaining nbits (< 8) are the padding
		return nil
	}
	z.blockOff, z.wantCRC = off, crc
	if err := z.readBlock(); err != nil {
		return err
	}
	z.inBlock, z.crc = true, 0xffffffff
	z.last, z.runLen, z.rep = -1, 0, 0
	return nil
}

// endBlock checks the finished block's CRC and folds it into the stream's.
func (z *bzip2Reader) endBlock() {
	z.inBlock = false
	got := ^z.crc
	if got != z.wantCRC {
		z.err = corruptAt(z.blockOff, "bzip2 block CRC %08x, computed %08x", z.wantCRC, got)
		return
	}
	z.streamCRC = (z.streamCRC<<1 | z.streamCRC>>31) ^ got
}

// emit undoes the BWT and the final run-length stage (four equal bytes are
// followed by a count of 0-255 more) into p, returning 0 once the block has
// no more output. It is the decoder's innermost loop.
func (z *bzip2Reader) emit(p []byte) int {
	tt := z.tt
	tPos, left, last, runLen, rep := z.tPos, z.left, z.last, z.runLen, z.rep
	n := 0
	for n < len(p) {
		if rep > 0 {
			k := min(rep, len(p)-n)
			b := byte(last)
			for i := range p[n : n+k] {
				p[n+i] = b
			}
			n += k
			rep -= k
			continue
		}
		if left == 0 {
			break
		}
		t := tt[tPos]
		b := int(t & 0xff)
		tPos = t >> 8
		left--
		if runLen == 4 {
			rep, runLen = b, 0
			continue
		}
		if b == last {
			runLen++
		} else {
			last, runLen = b, 1
		}
		p[n] = byte(b)
		n++
	}
	z.tPos, z.left, z.last, z.runLen, z.rep = tPos, left, last, runLen, rep
	z.crc = bzip2CRC(z.crc, p[:n])
	return n
}

// bzip2CRCTables are slicing-by-4 tables: [0] advances the CRC by one
// byte, [k] by one byte followed by k zero bytes.
var bzip2CRCTables = func() (t [4][256]uint32) {
	for i := range t[0] {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 4; k++ {
		for i := range t[k] {
			c := t[k-1][i]
			t[k][i] = c<<8 ^ t[0][c>>24]
		}
	}
	return t
}()

// bzip2CRC is bzip2's CRC-32: the IEEE polynomial, most significant bit
// first (hash/crc32 has only the reflected form), four bytes a step.
func bzip2CRC(crc uint32, p []byte) uint32 {
	t := &bzip2CRCTables
	for len(p) >= 4 {
		crc ^= uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
		crc = t[3][crc>>24] ^ t[2][crc>>16&0xff] ^ t[1][crc>>8&0xff] ^ t[0][crc&0xff]
		p = p[4:]
	}
	for _, b := range p {
		crc = crc<<8 ^ t[0][byte(crc>>24)^b]
	}
	return crc
}

var errBzip2Code = errors.New("bit pattern that is no code of the block's Huffman table")
