package decomp

import "io"

// lzma2 is the LZMA2 state of an xz block: the LZMA decoder and window, and
// the chunk being decoded. Chunks follow XZ Embedded (lib/xz/xz_dec_lzma2.c,
// xz_dec_lzma2_run): a control byte 0x00 ends the data; 0x01 and 0x02 are
// uncompressed chunks (0x01 resetting the dictionary); 0x80 and above are
// LZMA chunks whose bits 5-6 reset nothing, the state, the state with new
// properties, or all of it with the dictionary. The first chunk must reset
// the dictionary, and an LZMA chunk after a dictionary reset must carry
// properties. Each LZMA chunk starts the range decoder afresh and must end
// exactly at its packed size with the coder's code at 0, with no match
// left over, and never with an end marker.
type lzma2 struct {
	d             lzmaDec
	needDictReset bool
	needProps     bool
	packed        int   // the LZMA chunk's compressed bytes (its Source view: d.in)
	used          int   // bytes of the chunk consumed before d.in
	avail         int   // bytes of the chunk the Source had (less than packed: truncated)
	readErr       error // the Source's error behind a short chunk
	left          int   // bytes left in an uncompressed chunk
}

// startBlock readies the decoder for a block with dictionary size dict.
func (z *lzma2) startBlock(dict uint32) {
	d := &z.d
	if d.full != int(dict) || d.win == nil {
		d.win = make([]byte, min(int(dict), 64<<10))
		d.wpos = 0
	}
	d.full = int(dict)
	z.needDictReset, z.needProps = true, true
}

func (z *lzma2) dictReset() {
	z.d.have, z.d.total, z.d.prev = 0, 0, 0
	z.needDictReset = false
}

// chunk reads an LZMA2 chunk header and readies its data.
func (x *xzDec) chunk() error {
	z := &x.lz
	off := x.s.Offset()
	b, err := peekFull(x.s, 1, "lzma2 chunk")
	if err != nil {
		return err
	}
	c := b[0]
	switch {
	case c == 0:
		x.s.Discard(1)
		x.comp++
		return x.endBlock()
	case c == 1 || c == 2:
		h, err := peekFull(x.s, 3, "lzma2 chunk header")
		if err != nil {
			return err
		}
		if c == 1 {
			z.dictReset()
		} else if z.needDictReset {
			return corruptAt(off, "lzma2 chunk %#02x does not reset the dictionary, but it is the block's first", c)
		}
		z.left = (int(h[1])<<8 | int(h[2])) + 1
		x.s.Discard(3)
		x.comp += 3 + int64(z.left)
		x.state = xzCopy
		return nil
	case c < 0x80:
		return corruptAt(off, "lzma2 chunk control byte %#02x is invalid", c)
	}
	return x.lzmaChunk(off, c)
}

// lzmaChunk reads the header of an LZMA chunk with control byte c, applies
// its resets and starts the range decoder on its data.
func (x *xzDec) lzmaChunk(off int64, c byte) error {
	z := &x.lz
	hl := 5
	if c >= 0xc0 {
		hl = 6
	}
	h, err := peekFull(x.s, hl, "lzma2 chunk header")
	if err != nil {
		return err
	}
	if c >= 0xe0 {
		z.dictReset()
	} else if z.needDictReset {
		return corruptAt(off, "lzma2 chunk %#02x does not reset the dictionary, but it is the block's first", c)
	}
	d := &z.d
	switch {
	case c >= 0xc0:
		props := uint(h[5])
		if props >= 9*5*5 || props%9+props/9%5 > 4 {
			return corruptAt(off+5, "lzma2 properties byte %d (lc+lp over 4 or invalid)", props)
		}
		d.reset(props%9, props/9%5, props/45)
		z.needProps = false
	case z.needProps:
		return corruptAt(off, "lzma2 chunk %#02x carries no properties after a dictionary reset", c)
	case c >= 0xa0:
		d.reset(d.lc, d.lp, d.pb)
	}
	unpacked := (int(c&0x1f)<<16 | int(h[1])<<8 | int(h[2])) + 1
	z.packed = (int(h[3])<<8 | int(h[4])) + 1
	x.s.Discard(hl)
	x.comp += int64(hl + z.packed)
	if z.packed < 5 {
		return corruptAt(off+3, "lzma2 chunk of %d compressed bytes, shorter than the range coder's start", z.packed)
	}
	in, err := x.s.Peek(z.packed)
	z.used, z.avail, z.readErr = 0, len(in), nil
	if len(in) < z.packed && err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		z.readErr = err
	}
	d.in, d.ip, d.inEnd = in, 0, len(in)
	if len(in) < lzmaMaxStep {
		x.refill()
	}
	d.code = 0
	for _, b := range d.in[d.ip : d.ip+5] {
		d.code = d.code<<8 | uint32(b)
	}
	d.ip += 5
	d.rng = 0xFFFFFFFF
	d.stop = d.total + uint64(unpacked)
	d.done = false
	if d.ip > d.inEnd {
		x.overread()
		return d.inErr
	}
	x.state = xzLZMA
	return nil
}

// offset is the absolute offset of the decoder's next input byte.
func (x *xzDec) offset() int64 {
	z := &x.lz
	return x.s.Offset() + int64(z.used+min(z.d.ip, z.d.inEnd))
}

// refill moves the last bytes of a chunk (fewer than lzmaMaxStep) into the
// decoder's zero-padded tail, so a step never reads past them unchecked.
func (x *xzDec) refill() {
	d := &x.lz.d
	if d.ip == 0 && len(d.in) == len(d.tail) && &d.in[0] == &d.tail[0] {
		return // already the tail: the padding catches an over-read
	}
	rest := d.in[min(d.ip, d.inEnd):d.inEnd]
	x.lz.used += min(d.ip, d.inEnd)
	var t [len(d.tail)]byte
	copy(t[:], rest)
	d.tail = t
	d.in, d.ip, d.inEnd = d.tail[:], 0, len(rest)
}

// overread reports a step that read past the chunk's bytes: past its packed
// size (corrupt) or past the end of the input (truncated).
func (x *xzDec) overread() {
	z := &x.lz
	off := x.offset()
	switch {
	case z.readErr != nil:
		z.d.inErr = &posError{off: off, err: z.readErr}
	case z.avail < z.packed:
		z.d.inErr = truncatedAt(off, "input ends inside an lzma2 chunk")
	default:
		z.d.inErr = corruptAt(off, "lzma2 chunk's data runs past its %d compressed bytes", z.packed)
	}
}

// lzmaData decodes the current LZMA chunk into p.
func (x *xzDec) lzmaData(p []byte) (int, error) {
	z := &x.lz
	d := &z.d
	d.makeRoom()
	start := d.wpos
	d.decode(min(len(d.win), start+len(p)))
	n := copy(p, d.win[start:d.wpos])
	switch {
	case d.inErr != nil:
		return n, d.inErr
	case d.err != nil:
		return n, d.err
	case d.done:
		return n, corruptAt(x.offset(), "lzma2 chunk holds an end marker")
	case d.total < d.stop:
		return n, nil
	}
	// XZ Embedded normalizes the range decoder after each run (lzma_main),
	// so a chunk's last byte is consumed even when no bit needed it.
	if d.rng < 1<<24 {
		if d.ip >= len(d.in) {
			x.refill()
		}
		d.rng <<= 8
		d.code = d.code<<8 | uint32(d.in[d.ip])
		d.ip++
		if d.ip > d.inEnd {
			x.overread()
			return n, d.inErr
		}
	}
	used := z.used + d.ip
	if d.pending > 0 || used != z.packed || d.code != 0 {
		return n, corruptAt(x.offset(), "lzma2 chunk ends after %d of its %d compressed bytes (range coder code %#x, %d bytes of a match left)", used, z.packed, d.code, d.pending)
	}
	x.s.Discard(z.packed)
	d.in, d.ip, d.inEnd = nil, 0, 0
	x.state = xzChunk
	return n, nil
}

// copyData copies the current uncompressed chunk into the window and p.
func (x *xzDec) copyData(p []byte) (int, error) {
	z := &x.lz
	d := &z.d
	d.makeRoom()
	k := min(z.left, len(d.win)-d.wpos, len(p))
	k, err := x.s.Read(d.win[d.wpos : d.wpos+k])
	if k > 0 {
		copy(p, d.win[d.wpos:d.wpos+k])
		d.wpos += k
		d.total += uint64(k)
		d.have = min(d.have+k, d.full)
		d.prev = d.win[d.wpos-1]
		z.left -= k
	}
	if err != nil {
		if err == io.EOF {
			return k, truncatedAt(x.s.Offset(), "input ends inside an uncompressed lzma2 chunk")
		}
		return k, &posError{off: x.s.Offset(), err: err}
	}
	if z.left == 0 {
		x.state = xzChunk
	}
	return k, nil
}
