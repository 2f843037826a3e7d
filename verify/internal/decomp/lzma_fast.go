package decomp

// lzmaLitNext is the state after a literal, by state (LZMA's
// state < 4 ? 0 : state < 10 ? state-3 : state-6).
var lzmaLitNext = [lzmaStates]uint8{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 4, 5}

// symbols is the LZMA decoder proper (decode's hot loop): it decodes
// symbols (literals, whole matches, the end marker) while ip <= inLimit and
// the output has room before limit and stop, following the kernel's unlzma
// loop body (lib/decompress_unlzma.c) and XZ Embedded's lzma_main: one pass
// through LZMA's decision tree (isMatch, isRep, isRepG0, isRep0Long,
// isRepG1, isRepG2) per symbol, each branch updating the state and the rep
// distances in the same order, the range decoder normalized before each
// bit and never after the last. A match cut by limit or stop is left in
// pending for copyMatch. decode gives it inLimit so that a symbol never
// reads past the input unchecked: lzmaMaxStep real bytes ahead, or, near
// the end, one symbol into the zero padding, which decode then checks.
//
// It is one long function on purpose (the exception to the 80-line rule):
// the range decoder's registers (rng, code, ip), the window position and
// the LZMA state live in local variables across the whole symbol, which
// the compiler keeps in registers only within one function; split into
// calls (bit, tree, length, distance, literal), every bit stored and
// reloaded them (a store-to-load chain on the critical path), which made
// that decoder cost 1.4x-1.6x the xz and lzma CLIs' CPU time.
func (d *lzmaDec) symbols(limit, inLimit int) {
	p := &d.probs
	in := d.in
	win, wpos := d.win, d.wpos
	outEnd := min(limit, len(win))
	if left := d.stop - d.total; left < uint64(outEnd-wpos) {
		outEnd = wpos + int(left)
	}
	rng, code, ip := d.rng, d.code, d.ip
	state := d.state
	rep0, rep1, rep2, rep3 := d.rep[0], d.rep[1], d.rep[2], d.rep[3]
	have, full, total, prev := d.have, d.full, d.total, d.prev
	lit := d.lit
	lc, litShift := d.lc, 8-d.lc
	lpMask, pbMask := uint32(1)<<d.lp-1, uint32(1)<<d.pb-1
	bad, pending := false, 0
	var b uint32
	for wpos < outEnd && ip <= inLimit {
		posState := uint32(total) & pbMask & 15
		b, rng, code, ip = rcBit(&p.isMatch[state&15][posState], rng, code, in, ip)
		if b == 0 { // literal
			if state >= 7 && (rep0 == 0 || uint64(rep0) > uint64(have)) {
				bad = true
				break
			}
			base := 0x300 * ((uint32(total)&lpMask)<<lc + uint32(prev)>>litShift)
			probs := (*[0x300]uint16)(lit[base:])
			// After a match the literal is coded against the byte at
			// rep0 (off 0x100) until the first bit that differs (off 0):
			// one loop, as liblzma's rc_matched_literal, with no branch
			// on the bits (rcBitNB).
			m, match, off := uint32(1), uint32(0), uint32(0)
			if state >= 7 {
				src := wpos - int(rep0)
				if src < 0 {
					src += len(win)
				}
				match, off = uint32(win[src]), 0x100
			}
			for m < 0x100 {
				match <<= 1
				mbit := match & off
				rng, code, ip = rcNorm(rng, code, in, ip)
				b, rng, code = rcBitNB(&probs[off+mbit+m], rng, code)
				m = m<<1 | b
				off &= mbit ^ (b - 1)
			}
			state = int(lzmaLitNext[state&15])
			prev = byte(m)
			win[wpos] = prev
			wpos++
			total++
			if have < full {
				have++
			}
			continue
		}
		var l *lzmaLen
		isNew := false
		b, rng, code, ip = rcBit(&p.isRep[state&15], rng, code, in, ip)
		if b == 0 { // a match with a new distance
			rep3, rep2, rep1 = rep2, rep1, rep0
			l, isNew = &p.lenDec, true
		} else {
			l = &p.repLenDec
			b, rng, code, ip = rcBit(&p.isRepG0[state&15], rng, code, in, ip)
			if b == 0 {
				b, rng, code, ip = rcBit(&p.isRep0Long[state&15][posState], rng, code, in, ip)
				if b == 0 { // short rep: one byte at rep0
					state = 9 + 2*(state/7)
					l = nil
				}
			} else {
				var dist uint32
				b, rng, code, ip = rcBit(&p.isRepG1[state&15], rng, code, in, ip)
				if b == 0 {
					dist = rep1
				} else {
					b, rng, code, ip = rcBit(&p.isRepG2[state&15], rng, code, in, ip)
					if b == 0 {
						dist = rep2
					} else {
						dist = rep3
						rep3 = rep2
					}
					rep2 = rep1
				}
				rep1 = rep0
				rep0 = dist
			}
			if l != nil {
				state = 8 + 3*(state/7)
			}
		}
		k := 1 // a short rep
		if l != nil {
			// The length: choice bits, then a 3-bit tree (low or mid, by
			// posState) or the 8-bit high tree.
			var n uint32
			t := &l.low[posState]
			b, rng, code, ip = rcBit(&l.choice, rng, code, in, ip)
			if b != 0 {
				t, n = &l.mid[posState], 8
				b, rng, code, ip = rcBit(&l.choice2, rng, code, in, ip)
			}
			if b == 0 {
				m := uint32(1)
				for range 3 {
					rng, code, ip = rcNorm(rng, code, in, ip)
					b, rng, code = rcBitNB(&t[m&7], rng, code)
					m = m<<1 | b
				}
				n += m - 8
			} else {
				m := uint32(1)
				for range 8 {
					rng, code, ip = rcNorm(rng, code, in, ip)
					b, rng, code = rcBitNB(&l.high[m&0xff], rng, code)
					m = m<<1 | b
				}
				n = m - 256 + 16
			}
			if isNew {
				state = 7 + 3*(state/7)
				// The distance: a 6-bit slot, then for slots 4 and up
				// reverse-tree bits (slots 4-13) or direct bits and 4
				// align bits.
				t := &p.posSlot[min(n, 3)&3]
				m := uint32(1)
				for range 6 {
					rng, code, ip = rcNorm(rng, code, in, ip)
					b, rng, code = rcBitNB(&t[m&63], rng, code)
					m = m<<1 | b
				}
				dist := m - 64
				if slot := dist; slot >= 4 {
					nbits := slot>>1 - 1
					dist = 2 | slot&1
					var probs []uint16
					base := 0
					if slot < 14 { // reverse tree from specPos[dist-slot-1+1]
						dist <<= nbits
						base = int(dist) - int(slot) - 1
						probs = p.specPos[:]
					} else {
						for range nbits - 4 {
							if rng < 1<<24 {
								rng <<= 8
								code = code<<8 | uint32(in[ip])
								ip++
							}
							rng >>= 1
							code -= rng
							t := 0 - code>>31 // all ones when code was below rng: bit 0
							code += rng & t
							dist = dist<<1 + t + 1
						}
						dist <<= 4
						nbits = 4
						probs = p.align[:]
					}
					m := uint32(1)
					for i := range nbits {
						rng, code, ip = rcNorm(rng, code, in, ip)
						b, rng, code = rcBitNB(&probs[base+int(m)], rng, code)
						m = m<<1 | b
						dist |= b << i
					}
				}
				dist++
				if dist == 0 { // 0xFFFFFFFF + 1: the end marker
					d.done = true
					break
				}
				rep0 = dist
			}
			k = int(n) + 2
		}
		if rep0 == 0 || uint64(rep0) > uint64(have) {
			bad = true
			break
		}
		// The match: k bytes at distance rep0, as many as fit.
		if room := outEnd - wpos; k > room {
			pending, k = k-room, room
		}
		dist := int(rep0)
		src := wpos - dist
		switch {
		case src < 0 && src+len(win)+k > len(win): // wraps around the window's end
			src += len(win)
			for i := range k {
				win[wpos+i] = win[src]
				src++
				if src == len(win) {
					src = 0
				}
			}
		case src < 0 || dist >= k: // no overlap (or the old copy ahead of wpos)
			if src < 0 {
				src += len(win)
			}
			if k <= 16 {
				dst, from := win[wpos:wpos+k], win[src:src+k]
				for i := range dst {
					dst[i] = from[i]
				}
			} else {
				copy(win[wpos:wpos+k], win[src:src+k])
			}
		case dist >= 8: // overlapping: copy what is there, doubling
			for i := 0; i < k; {
				i += copy(win[wpos+i:wpos+k], win[src:wpos+i])
			}
		default: // overlapping and short: byte by byte, as LZ77 means it
			dst, from := win[wpos:wpos+k], win[src:src+k]
			for i := range dst {
				dst[i] = from[i]
			}
		}
		wpos += k
		total += uint64(k)
		have = min(have+k, full)
		prev = win[wpos-1]
		if pending > 0 {
			break
		}
	}
	d.rng, d.code, d.ip = rng, code, ip
	d.wpos, d.have, d.total, d.prev = wpos, have, total, prev
	d.state, d.rep = state, [4]uint32{rep0, rep1, rep2, rep3}
	d.pending = pending
	if bad {
		d.checkDist(rep0)
	}
}
