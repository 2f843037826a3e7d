package decomp

// lzmaDec decodes LZMA symbols into a history window; it serves legacy .lzma
// members (lzma.go, whose rules follow the kernel's lib/decompress_unlzma.c)
// and the LZMA chunks of xz's LZMA2 (lzma2.go, following XZ Embedded,
// lib/xz/xz_dec_lzma2.c). Its input is a slice its owner refills (refill).
type lzmaDec struct {
	lc, lp, pb uint

	// Range decoder: input in[ip:inEnd], refilled by the owner's refill
	// to hold lzmaMaxStep bytes (or the rest of the input, then padded).
	rng, code uint32
	in        []byte
	ip        int
	inEnd     int
	refill    func() // see lzmaMaxStep
	overread  func() // sets inErr: a step read past inEnd
	inErr     error  // the input ended or was over-read (sticky)
	tail      [2 * lzmaMaxStep]byte

	win   []byte // history: grows to full, then circular
	full  int    // the window's size (legacy: min(dict, size); LZMA2: dict)
	wpos  int    // next write index in win
	have  int    // bytes a distance may reach: min(bytes since a dictionary reset, full)
	total uint64 // bytes decoded since the start (legacy) or the dictionary reset (LZMA2)
	stop  uint64 // decode no further than total == stop
	prev  byte

	state   int
	rep     [4]uint32 // distances, 1-based
	pending int       // bytes of the current match still to copy
	done    bool      // end marker decoded
	err     error     // corrupt data found (sticky)
	errOff  func() int64

	probs lzmaProbs
	lit   []uint16
}

// decode decodes into the window until wpos reaches limit, total reaches
// stop, the end marker, or an error (d.err or d.inErr). A match cut by stop
// stays pending (the owner decides what that means).
func (d *lzmaDec) decode(limit int) {
	for d.wpos < limit && d.err == nil && d.inErr == nil {
		if d.pending > 0 {
			k := min(d.pending, limit-d.wpos)
			if left := d.stop - d.total; uint64(k) > left {
				k = int(left)
			}
			if k == 0 {
				return
			}
			d.copyMatch(k)
			continue
		}
		if d.done || d.total >= d.stop {
			return
		}
		if len(d.in)-d.ip < lzmaMaxStep {
			d.refill()
		}
		d.step()
		if d.ip > d.inEnd {
			d.overread()
		}
	}
}

// step decodes one literal (into the window), or one match (left in
// pending), or the end marker (done), following the kernel's unlzma loop
// body.
//
// It is one function, longer than the usual limit, on purpose: it is the
// decoder's state machine, one pass through LZMA's decision tree (isMatch,
// isRep, isRepG0, isRep0Long, isRepG1, isRepG2), each branch updating state
// and the rep distances as the kernel's loop body does, in the same order;
// kept whole it can be read side by side with that loop.
func (d *lzmaDec) step() {
	p := &d.probs
	posState := uint32(d.total) & (1<<d.pb - 1)
	if d.bit(&p.isMatch[d.state][posState]) == 0 {
		d.literal()
		return
	}
	var l uint32
	if d.bit(&p.isRep[d.state]) == 0 { // a new distance follows the length
		d.rep[3], d.rep[2], d.rep[1] = d.rep[2], d.rep[1], d.rep[0]
		if d.state < 7 {
			d.state = 0
		} else {
			d.state = 3
		}
		l = d.length(&p.lenDec, posState)
		d.state += 7
		d.distance(l)
		if d.done || d.err != nil {
			return
		}
	} else {
		if d.bit(&p.isRepG0[d.state]) == 0 {
			if d.bit(&p.isRep0Long[d.state][posState]) == 0 { // short rep: one byte at rep0
				if d.state < 7 {
					d.state = 9
				} else {
					d.state = 11
				}
				if d.checkDist(d.rep[0]) {
					d.pending = 1
				}
				return
			}
		} else {
			var dist uint32
			if d.bit(&p.isRepG1[d.state]) == 0 {
				dist = d.rep[1]
			} else {
				if d.bit(&p.isRepG2[d.state]) == 0 {
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
		l = d.length(&p.repLenDec, posState)
		if !d.checkDist(d.rep[0]) {
			return
		}
	}
	d.pending = int(l) + 2
}

// checkDist refuses a distance reaching before the start of the output (or
// of the dictionary, after an LZMA2 dictionary reset) or beyond the window
// (the kernel checks new distances; a repeated one before any output would
// read its uninitialised buffer). It reports whether dist is good.
func (d *lzmaDec) checkDist(dist uint32) bool {
	if dist == 0 || uint64(dist) > uint64(d.have) {
		if d.err == nil && d.inErr == nil {
			d.err = corruptAt(d.errOff(), "lzma match distance %d with %d bytes in the dictionary (window %d)", dist, d.have, d.full)
		}
		return false
	}
	return true
}

// distance decodes a new rep0 for a match of length code l; distance
// 0xFFFFFFFF is the end marker.
func (d *lzmaDec) distance(l uint32) {
	p := &d.probs
	slot := d.tree(p.posSlot[min(l, 3)][:], 6)
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
			probs = p.specPos[:]
		} else {
			for i := uint32(0); i < nbits-4; i++ {
				dist = dist<<1 | d.direct()
			}
			dist <<= 4
			nbits = 4
			probs = p.align[:]
		}
		m := uint32(1)
		for i := uint32(0); i < nbits; i++ {
			b := d.bit(&probs[base+int(m)])
			m = m<<1 | b
			dist |= b << i
		}
	}
	dist++
	if dist == 0 { // 0xFFFFFFFF + 1: the end marker
		d.done = true
		return
	}
	d.rep[0] = dist
	d.checkDist(dist)
}

func (d *lzmaDec) literal() {
	base := 0x300 * int((uint32(d.total)&(1<<d.lp-1))<<d.lc+uint32(d.prev)>>(8-d.lc))
	probs := d.lit[base : base+0x300]
	m := uint32(1)
	if d.state >= 7 && !d.checkDist(d.rep[0]) {
		return
	}
	rng, code, in, ip := d.rng, d.code, d.in, d.ip
	var b uint32
	if d.state >= 7 {
		match := uint32(d.old(d.rep[0]))
		for m < 0x100 {
			match <<= 1
			mbit := match & 0x100
			b, rng, code, ip = rcBit(&probs[0x100+mbit+m], rng, code, in, ip)
			m = m<<1 | b
			if b != mbit>>8 {
				break
			}
		}
	}
	for m < 0x100 {
		b, rng, code, ip = rcBit(&probs[m&0xff], rng, code, in, ip)
		m = m<<1 | b
	}
	d.rng, d.code, d.ip = rng, code, ip
	switch {
	case d.state < 4:
		d.state = 0
	case d.state < 10:
		d.state -= 3
	default:
		d.state -= 6
	}
	d.put(byte(m))
}
