package decomp

import (
	"bytes"
	"encoding/binary"
	"hash"
	"hash/crc32"
	"io"
)

// xzDec decodes one xz stream (the .xz format 1.x) after its header, which
// newXZ checked: blocks (header, LZMA2 data, padding, check), the index and
// the footer. What it verifies is what XZ Embedded (lib/xz/xz_dec_stream.c)
// verifies: header CRC32s, the sizes a block header declares, zero padding,
// each block's check, the index against the blocks (count, unpadded and
// uncompressed sizes, by running sums and a CRC32 over the records, as
// XZ Embedded keeps them, so memory does not grow with the block count), the
// index CRC32, and the footer (CRC32, backward size, flags, magic). It stops
// right after the footer.
//
// It replaces ulikunitz/xz, whose LZMA2 decoder allocated for every
// operation (461,834 allocations for a 4 MiB member) and cost 2.1x `xz -dc`
// on Debian 12's xz image, against this package's LZMA decoder, which the
// legacy .lzma members use too.
type xzDec struct {
	s         *Source
	flags     [2]byte // stream flags, for the footer
	check     byte
	forKernel bool
	hash      hash.Hash // of the block's uncompressed data; nil for check none

	state xzState
	err   error // sticky: io.EOF after the footer, or the error

	// The current block.
	hdrSize      int64
	wantComp     int64 // declared compressed size, or -1
	wantUncomp   int64 // declared uncompressed size, or -1
	comp, uncomp int64 // so far

	blocks, index xzSums // the blocks seen, the index's records
	indexSize     int64  // bytes of the index, for the footer

	lz lzma2
}

type xzState int

const (
	xzBlockOrIndex xzState = iota
	xzChunk                // next LZMA2 chunk header
	xzLZMA                 // inside an LZMA chunk
	xzCopy                 // inside an uncompressed chunk
	xzDone
)

// xzSums sums index records (unpadded size, uncompressed size) as XZ
// Embedded's xz_dec_hash does: two sums and a CRC32 over the pairs.
type xzSums struct {
	count            uint64
	unpadded, uncomp uint64
	crc              uint32
}

func (h *xzSums) add(unpadded, uncomp uint64) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], unpadded)
	binary.LittleEndian.PutUint64(b[8:], uncomp)
	h.count++
	h.unpadded += unpadded
	h.uncomp += uncomp
	h.crc = crc32.Update(h.crc, crc32.IEEETable, b[:])
}

func (x *xzDec) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && x.err == nil {
		var k int
		var err error
		switch x.state {
		case xzBlockOrIndex:
			err = x.blockOrIndex()
		case xzChunk:
			err = x.chunk()
		case xzLZMA:
			k, err = x.lzmaData(p[n:])
		case xzCopy:
			k, err = x.copyData(p[n:])
		case xzDone:
			err = io.EOF
		}
		if k > 0 && x.hash != nil {
			x.hash.Write(p[n : n+k])
		}
		n += k
		x.uncomp += int64(k)
		if err != nil {
			x.err = err
		}
	}
	if n > 0 && x.err == io.EOF {
		return n, nil
	}
	return n, x.err
}

// blockOrIndex reads a block header, or the index and footer.
func (x *xzDec) blockOrIndex() error {
	off := x.s.Offset()
	b, err := peekFull(x.s, 1, "xz block header or index")
	if err != nil {
		return err
	}
	if b[0] == 0 {
		if err := x.readIndex(); err != nil {
			return err
		}
		if err := x.footer(); err != nil {
			return err
		}
		x.state = xzDone
		return io.EOF
	}
	size := (int(b[0]) + 1) * 4
	h, err := peekFull(x.s, size, "xz block header")
	if err != nil {
		return err
	}
	dict, err := x.blockHeader(off, h)
	if err != nil {
		return err
	}
	x.s.Discard(size)
	x.hdrSize = int64(size)
	x.comp, x.uncomp = 0, 0
	if x.hash != nil {
		x.hash.Reset()
	}
	x.lz.startBlock(dict)
	x.state = xzChunk
	return nil
}

// blockHeader checks a block header h (xz format 3.1) and returns its LZMA2
// dictionary size, recording the sizes it declares.
func (x *xzDec) blockHeader(off int64, h []byte) (uint32, error) {
	size := len(h)
	if binary.LittleEndian.Uint32(h[size-4:]) != crc32.ChecksumIEEE(h[:size-4]) {
		return 0, corruptAt(off, "xz block header CRC32 mismatch")
	}
	flags := h[1]
	if flags&0x3c != 0 {
		return 0, corruptAt(off+1, "xz block flags %#02x have reserved bits set", flags)
	}
	p := 2
	body := h[:size-4]
	x.wantComp, x.wantUncomp = -1, -1
	for i, want := range []*int64{&x.wantComp, &x.wantUncomp} {
		if flags&(0x40<<i) != 0 {
			v, n, ok := xzVarint(body[p:])
			if !ok || v == 0 && i == 0 || v > 1<<62 {
				return 0, corruptAt(off+int64(p), "xz block header size field is not a valid multibyte integer")
			}
			*want = int64(v)
			p += n
		}
	}
	nf := int(flags&3) + 1
	var dict uint32
	for i := 0; i < nf; i++ {
		id, n, ok := xzVarint(body[p:])
		if !ok {
			return 0, corruptAt(off+int64(p), "xz filter ID is not a valid multibyte integer")
		}
		p += n
		psize, n, ok := xzVarint(body[p:])
		if !ok || psize > uint64(len(body)-p-n) {
			return 0, corruptAt(off+int64(p), "xz filter properties size is invalid")
		}
		p += n
		props := body[p : p+int(psize)]
		p += int(psize)
		if id != 0x21 || nf != 1 {
			return 0, unsupportedAt(off, "xz filter chain with filter %#x (BCJ or delta): this checker decodes plain LZMA2 only", id)
		}
		if psize != 1 || props[0] > 40 {
			return 0, corruptAt(off+int64(p)-int64(psize), "xz LZMA2 filter properties % x", props)
		}
		d := uint64(props[0])
		size := uint64(2|d&1) << (d/2 + 11)
		if d == 40 {
			size = 1<<32 - 1
		}
		if size > xzMaxDict {
			return 0, unsupportedAt(off, "xz dictionary of %d bytes exceeds the %d-byte limit this checker decodes with", size, xzMaxDict)
		}
		dict = uint32(size)
	}
	if bytes.ContainsFunc(body[p:], func(r rune) bool { return r != 0 }) {
		return 0, corruptAt(off+int64(p), "xz block header padding is not zero")
	}
	return dict, nil
}

// endBlock checks what follows the last LZMA2 chunk: the sizes the header
// declared, zero padding and the check; and counts the block for the index.
func (x *xzDec) endBlock() error {
	off := x.s.Offset()
	if x.wantComp >= 0 && x.wantComp != x.comp || x.wantUncomp >= 0 && x.wantUncomp != x.uncomp {
		return corruptAt(off, "xz block holds %d compressed and %d uncompressed bytes, its header says %d and %d", x.comp, x.uncomp, x.wantComp, x.wantUncomp)
	}
	pad := int((4 - x.comp%4) % 4)
	cs := xzCheckSize[x.check]
	b, err := peekFull(x.s, pad+cs, "xz block padding and check")
	if err != nil {
		return err
	}
	for i := 0; i < pad; i++ {
		if b[i] != 0 {
			return corruptAt(off+int64(i), "xz block padding is not zero")
		}
	}
	if x.hash != nil {
		want := b[pad : pad+cs]
		var sum []byte
		switch x.check {
		case 1: // stored little-endian, hash/crc32 sums big-endian
			sum = binary.LittleEndian.AppendUint32(nil, x.hash.(hash.Hash32).Sum32())
		case 4:
			sum = binary.LittleEndian.AppendUint64(nil, x.hash.(hash.Hash64).Sum64())
		default:
			sum = x.hash.Sum(nil)
		}
		if !bytes.Equal(sum, want) {
			return corruptAt(off+int64(pad), "xz block check (%s) does not match the decoded data", xzCheckName(x.check))
		}
	}
	x.s.Discard(pad + cs)
	x.blocks.add(uint64(x.hdrSize+x.comp)+uint64(cs), uint64(x.uncomp))
	x.state = xzBlockOrIndex
	return nil
}

// readIndex reads the index (xz format 4) and compares it with the blocks.
func (x *xzDec) readIndex() error {
	start := x.s.Offset()
	crc := crc32.NewIEEE()
	take := func(n int) {
		b, _ := x.s.Peek(n)
		crc.Write(b)
		x.s.Discard(n)
	}
	varint := func(what string) (uint64, error) {
		b, err := x.s.Peek(10)
		v, n, ok := xzVarint(b)
		if !ok {
			if len(b) < 10 && err != nil {
				return 0, peekErr(x.s, err, "xz index")
			}
			return 0, corruptAt(x.s.Offset(), "xz index %s is not a valid multibyte integer", what)
		}
		take(n)
		return v, nil
	}
	take(1)
	count, err := varint("record count")
	if err != nil {
		return err
	}
	if count != x.blocks.count {
		return corruptAt(start, "xz index lists %d blocks, the stream holds %d", count, x.blocks.count)
	}
	for i := uint64(0); i < count; i++ {
		unpadded, err := varint("unpadded size")
		if err != nil {
			return err
		}
		uncomp, err := varint("uncompressed size")
		if err != nil {
			return err
		}
		x.index.add(unpadded, uncomp)
	}
	if x.index != x.blocks {
		return corruptAt(start, "xz index does not match the blocks' sizes")
	}
	pad := int((4 - (x.s.Offset()-start)%4) % 4)
	b, err := peekFull(x.s, pad+4, "xz index padding and CRC32")
	if err != nil {
		return err
	}
	if !bytes.Equal(b[:pad], make([]byte, pad)) {
		return corruptAt(x.s.Offset(), "xz index padding is not zero")
	}
	crc.Write(b[:pad])
	if binary.LittleEndian.Uint32(b[pad:]) != crc.Sum32() {
		return corruptAt(x.s.Offset()+int64(pad), "xz index CRC32 mismatch")
	}
	x.s.Discard(pad + 4)
	x.indexSize = x.s.Offset() - start
	return nil
}

// footer checks the stream footer (xz format 2.1.2) and consumes it.
func (x *xzDec) footer() error {
	off := x.s.Offset()
	f, err := peekFull(x.s, 12, "xz stream footer")
	if err != nil {
		return err
	}
	switch {
	case binary.LittleEndian.Uint32(f[:4]) != crc32.ChecksumIEEE(f[4:10]):
		return corruptAt(off, "xz stream footer CRC32 mismatch")
	case (int64(binary.LittleEndian.Uint32(f[4:8]))+1)*4 != x.indexSize:
		return corruptAt(off+4, "xz stream footer's backward size does not match the %d-byte index", x.indexSize)
	case f[8] != x.flags[0] || f[9] != x.flags[1]:
		return corruptAt(off+8, "xz stream footer flags differ from the header's")
	case f[10] != 'Y' || f[11] != 'Z':
		return corruptAt(off+10, "xz stream footer magic % x, want 59 5a", f[10:12])
	}
	x.s.Discard(12)
	return nil
}

// peekErr turns a short Peek into a truncation or the reader's error.
func peekErr(s *Source, err error, what string) error {
	if err == nil || err == io.EOF {
		return truncatedAt(s.Offset(), "input ends inside the %s", what)
	}
	return &posError{off: s.Offset(), err: err}
}
