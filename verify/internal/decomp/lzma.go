package decomp

import (
	"encoding/binary"
	"io"
)

// lzmaMaxWindow caps the history buffer a legacy .lzma member may ask for:
// the smaller of its dictionary and uncompressed sizes, as the kernel
// allocates. 64 MiB is the dictionary of lzma -9; more is reported as
// unsupported (cannot-tell) rather than allocated.
const lzmaMaxWindow = 64 << 20

// newLZMA decodes a legacy .lzma (LZMA_Alone) member the way the kernel's
// unlzma (lib/decompress_unlzma.c) does, with a range decoder of its own
// rather than a library one, because where the member ends is a property
// of the decoder: the kernel normalizes the range coder before each bit,
// never after the last one, and reports as consumed exactly the bytes it
// fetched. The member is the 13-byte header (properties, dictionary size,
// uncompressed size, or all ones for unknown) and the range-coded data up
// to the point where the uncompressed size is reached or the end marker
// (distance 0xFFFFFFFF) is decoded. The format has no checksum.
func newLZMA(s *Source) (io.Reader, error) {
	start := s.Offset()
	h, err := peekFull(s, 13, "lzma header")
	if err != nil {
		return nil, err
	}
	props := int(h[0])
	if props >= 9*5*5 {
		return nil, corruptAt(start, "lzma properties byte %d (the kernel accepts below 225)", props)
	}
	dict := binary.LittleEndian.Uint32(h[1:5])
	size := binary.LittleEndian.Uint64(h[5:13])
	if dict == 0 {
		dict = 1
	}
	window := uint64(dict)
	if size < window {
		window = size
	}
	if window > lzmaMaxWindow {
		return nil, unsupportedAt(start+1, "lzma window of %d bytes exceeds the %d-byte limit this checker decodes with", window, lzmaMaxWindow)
	}
	if window == 0 {
		window = 1
	}
	lc := props % 9
	props /= 9
	lp := props % 5
	pb := props / 5
	s.Discard(13)
	d := &lzmaDec{
		s: s, lc: uint(lc), lp: uint(lp), pb: uint(pb),
		dict: dict, size: size,
		win:  make([]byte, min(window, 64<<10)),
		full: int(window),
		lit:  make([]uint16, 0x300<<(lc+lp)),
		rep:  [4]uint32{1, 1, 1, 1},
	}
	d.initProbs()
	// rc_init_code: five bytes into code (the kernel ignores that the
	// first is always 0).
	d.rng = 0xFFFFFFFF
	for i := 0; i < 5; i++ {
		b, err := d.next()
		if err != nil {
			return nil, err
		}
		d.code = d.code<<8 | uint32(b)
	}
	return d, nil
}

type lzmaDec struct {
	s          *Source
	lc, lp, pb uint
	dict       uint32
	size       uint64 // uncompressed size; all ones = until the end marker

	rng, code uint32

	win  []byte // history: grows to full, then circular
	full int    // min(dict, size): the kernel's buffer size
	wpos int    // next write index in win
	pos  uint64 // bytes decoded
	prev byte

	state   int
	rep     [4]uint32
	pending int // bytes of the current match still to copy
	done    bool
	err     error

	isMatch    [lzmaStates][lzmaPosStates]uint16
	isRep      [lzmaStates]uint16
	isRepG0    [lzmaStates]uint16
	isRepG1    [lzmaStates]uint16
	isRepG2    [lzmaStates]uint16
	isRep0Long [lzmaStates][lzmaPosStates]uint16
	posSlot    [4][64]uint16
	specPos    [115]uint16 // LZMA_NUM_FULL_DISTANCES - LZMA_END_POS_MODEL_INDEX + 1
	align      [16]uint16
	lenDec     lzmaLen
	repLenDec  lzmaLen
	lit        []uint16
}

func (d *lzmaDec) old(dist uint32) byte {
	i := d.wpos - int(dist)
	if i < 0 {
		i += len(d.win)
	}
	return d.win[i]
}

func (d *lzmaDec) put(b byte) {
	d.win[d.wpos] = b
	d.wpos++
	if d.wpos == len(d.win) {
		if len(d.win) < d.full {
			// Still linear: grow rather than wrap, so memory follows the
			// output until it reaches the window.
			d.win = append(d.win, make([]byte, min(len(d.win), d.full-len(d.win)))...)
		} else {
			d.wpos = 0
		}
	}
	d.prev = b
	d.pos++
}

// Read decodes into p. A match longer than what is left of p is finished on
// the next call.
func (d *lzmaDec) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if d.err != nil {
			return n, d.err
		}
		if d.pending > 0 {
			if d.pos >= d.size {
				d.pending = 0
				continue
			}
			b := d.old(d.rep[0])
			d.put(b)
			p[n] = b
			n++
			d.pending--
			continue
		}
		if d.done || d.pos >= d.size {
			d.done = true
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		lit, isLit, err := d.step()
		if err != nil {
			d.err = err
			return n, err
		}
		if isLit {
			d.put(lit)
			p[n] = lit
			n++
		}
	}
	return n, nil
}

// step decodes one literal, or one match (left in pending), or the end
// marker (done), following the kernel's unlzma loop body.
//
// It is one function, longer than the usual limit, on purpose: it is the
// decoder's state machine, one pass through LZMA's decision tree (isMatch,
// isRep, isRepG0, isRep0Long, isRepG1, isRepG2), each branch updating state
// and the rep distances as the kernel's loop body does, in the same order;
// kept whole it can be read side by side with that loop.
func (d *lzmaDec) step() (byte, bool, error) {
	posState := uint32(d.pos) & (1<<d.pb - 1)
	b, err := d.bit(&d.isMatch[d.state][posState])
	if err != nil {
		return 0, false, err
	}
	if b == 0 {
		return d.literal()
	}
	var l uint32
	if b, err = d.bit(&d.isRep[d.state]); err != nil {
		return 0, false, err
	}
	if b == 0 { // a new distance follows the length
		d.rep[3], d.rep[2], d.rep[1] = d.rep[2], d.rep[1], d.rep[0]
		if d.state < 7 {
			d.state = 0
		} else {
			d.state = 3
		}
		if l, err = d.length(&d.lenDec, posState); err != nil {
			return 0, false, err
		}
		d.state += 7
		if err := d.distance(l); err != nil {
			return 0, false, err
		}
		if d.done {
			return 0, false, nil
		}
	} else {
		if b, err = d.bit(&d.isRepG0[d.state]); err != nil {
			return 0, false, err
		}
		if b == 0 {
			if b, err = d.bit(&d.isRep0Long[d.state][posState]); err != nil {
				return 0, false, err
			}
			if b == 0 { // short rep: one byte at rep0
				if d.state < 7 {
					d.state = 9
				} else {
					d.state = 11
				}
				if err := d.checkDist(d.rep[0]); err != nil {
					return 0, false, err
				}
				d.pending = 1
				return 0, false, nil
			}
		} else {
			var dist uint32
			if b, err = d.bit(&d.isRepG1[d.state]); err != nil {
				return 0, false, err
			}
			if b == 0 {
				dist = d.rep[1]
			} else {
				if b, err = d.bit(&d.isRepG2[d.state]); err != nil {
					return 0, false, err
				}
				if b == 0 {
					dist = d.rep[2]
				} else {
					dist = d.rep[3]
					d.rep[3] = d.rep[2]
				}
				d.rep[2] = d.rep[1]
			}
			d.rep[1] = d.rep[0]
			d.rep[0] = dist
		}
		if d.state < 7 {
			d.state = 8
		} else {
			d.state = 11
		}
		if l, err = d.length(&d.repLenDec, posState); err != nil {
			return 0, false, err
		}
		if err := d.checkDist(d.rep[0]); err != nil {
			return 0, false, err
		}
	}
	d.pending = int(l) + 2
	return 0, false, nil
}

// checkDist refuses a distance reaching before the start of the output or
// beyond the dictionary (the kernel checks new distances; a repeated one
// before any output would read its uninitialised buffer).
func (d *lzmaDec) checkDist(dist uint32) error {
	if dist == 0 || dist > d.dict || uint64(dist) > d.pos || int64(dist) > int64(d.full) {
		return corruptAt(d.s.Offset(), "lzma match distance %d with %d bytes decoded (dictionary %d)", dist, d.pos, d.dict)
	}
	return nil
}

// distance decodes a new rep0 for a match of length code l; distance
// 0xFFFFFFFF is the end marker.
func (d *lzmaDec) distance(l uint32) error {
	lenState := min(l, 3)
	slot, err := d.tree(d.posSlot[lenState][:], 6)
	if err != nil {
		return err
	}
	var dist uint32
	if slot < 4 {
		dist = slot
	} else {
		nbits := slot>>1 - 1
		dist = 2 | slot&1
		// The reverse bit tree reads probs[base+m], m from 1: for slots
		// 4 to 13 base is dist - slot - 1 (as low as -1) into specPos.
		var probs []uint16
		base := 0
		if slot < 14 {
			dist <<= nbits
			base = int(dist) - int(slot) - 1
			probs = d.specPos[:]
		} else {
			for i := uint32(0); i < nbits-4; i++ {
				b, err := d.direct()
				if err != nil {
					return err
				}
				dist = dist<<1 | b
			}
			dist <<= 4
			nbits = 4
			probs = d.align[:]
		}
		m := uint32(1)
		for i := uint32(0); i < nbits; i++ {
			b, err := d.bit(&probs[base+int(m)])
			if err != nil {
				return err
			}
			m = m<<1 | b
			dist |= b << i
		}
	}
	dist++
	if dist == 0 { // 0xFFFFFFFF + 1: the end marker
		d.done = true
		return nil
	}
	d.rep[0] = dist
	return d.checkDist(dist)
}

func (d *lzmaDec) literal() (byte, bool, error) {
	base := 0x300 * int((uint32(d.pos)&(1<<d.lp-1))<<d.lc+uint32(d.prev)>>(8-d.lc))
	probs := d.lit[base : base+0x300]
	m := uint32(1)
	if d.state >= 7 {
		if err := d.checkDist(d.rep[0]); err != nil {
			return 0, false, err
		}
		match := uint32(d.old(d.rep[0]))
		for m < 0x100 {
			match <<= 1
			mbit := match & 0x100
			b, err := d.bit(&probs[0x100+mbit+m])
			if err != nil {
				return 0, false, err
			}
			m = m<<1 | b
			if (b == 1) != (mbit != 0) {
				break
			}
		}
	}
	for m < 0x100 {
		b, err := d.bit(&probs[m])
		if err != nil {
			return 0, false, err
		}
		m = m<<1 | b
	}
	switch {
	case d.state < 4:
		d.state = 0
	case d.state < 10:
		d.state -= 3
	default:
		d.state -= 6
	}
	return byte(m), true, nil
}
