package decomp

// The range decoder, the probability model and the history window of the
// LZMA decoder shared by legacy .lzma members (lzma.go) and LZMA2 chunks
// (lzma2.go). lzma_fast.go decodes the symbols, lzma_dec.go drives it.
//
// Speed is the point of this file's shape: the range decoder reads its input
// from a slice (a view of the Source's buffer) rather than calling a reader
// per byte, its bit decoders are small enough for the compiler to inline
// into symbols' loop, and matches are copied inside the window with copy
// when they do not overlap. What is consumed is committed to the Source
// only as far as the decoder fetched, so where a member ends is unchanged:
// the kernel's rule (normalize before each bit, never after the last) is
// rcBit's and rcNorm's.

// LZMA has 12 states; the models indexed by state have 16 slots so that
// state&15 indexes them without a bounds check in the hot loop (fast).
const (
	lzmaStates    = 16
	lzmaPosStates = 1 << 4
)

// lzmaLen is the probability model of one length decoder (matches' or
// repeated matches').
type lzmaLen struct {
	choice, choice2 uint16
	low             [lzmaPosStates][8]uint16
	mid             [lzmaPosStates][8]uint16
	high            [256]uint16
}

// lzmaProbs is LZMA's adaptive model, reset as a whole (LZMA2 state resets).
type lzmaProbs struct {
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
}

// reset sets the model, the state and the repeated distances to their
// initial values, with literal coder properties lc and lp.
func (d *lzmaDec) reset(lc, lp, pb uint) {
	const half = 1 << 10
	d.lc, d.lp, d.pb = lc, lp, pb
	d.lit = d.lit[:0x300<<(lc+lp)]
	for i := range d.lit {
		d.lit[i] = half
	}
	p := &d.probs
	fill := func(s []uint16) {
		for i := range s {
			s[i] = half
		}
	}
	for i := range p.isMatch {
		fill(p.isMatch[i][:])
		fill(p.isRep0Long[i][:])
	}
	fill(p.isRep[:])
	fill(p.isRepG0[:])
	fill(p.isRepG1[:])
	fill(p.isRepG2[:])
	for i := range p.posSlot {
		fill(p.posSlot[i][:])
	}
	fill(p.specPos[:])
	fill(p.align[:])
	for _, l := range []*lzmaLen{&p.lenDec, &p.repLenDec} {
		l.choice, l.choice2 = half, half
		for i := range l.low {
			fill(l.low[i][:])
			fill(l.mid[i][:])
		}
		fill(l.high[:])
	}
	d.state = 0
	d.rep = [4]uint32{1, 1, 1, 1}
	d.pending = 0
}

// lzmaMaxStep bounds the input bytes one symbol (a step) can fetch: at most
// 48 bits (isMatch, isRep, a length of 10 bits, a 6-bit slot, 26 direct and
// 4 align bits), at most one byte each. The owner's refill keeps that many
// in d.in ahead of d.ip before each step, so a symbol never reads past
// d.in; near the end of the input it pads a copy with zeros, and a step
// that read into the padding (d.ip > d.inEnd) ran past the input.
const lzmaMaxStep = 64

// rcBit decodes one bit with probability *p, normalizing first
// (rc_normalize before each bit, never after the last), on local copies of
// the range decoder's registers, which the compiler keeps in registers
// within symbols' loop; for the bits whose value is predictable (isMatch,
// isRep, ...), as a branch.
func rcBit(p *uint16, rng, code uint32, in []byte, ip int) (uint32, uint32, uint32, int) {
	if rng < 1<<24 {
		rng <<= 8
		code = code<<8 | uint32(in[ip])
		ip++
	}
	bound := uint32(*p) * (rng >> 11)
	if code < bound {
		*p += (2048 - *p) >> 5
		return 0, bound, code, ip
	}
	*p -= *p >> 5
	return 1, rng - bound, code - bound, ip
}

// copyMatch copies up to k bytes of the pending match at distance rep0 into
// the window (the caller keeps wpos+k within the window).
func (d *lzmaDec) copyMatch(k int) {
	dist := int(d.rep[0])
	src := d.wpos - dist
	if src < 0 {
		src += len(d.win)
	}
	w := d.win
	switch {
	case src+k > len(w): // the match wraps around the window's end
		for i := 0; i < k; i++ {
			w[d.wpos+i] = w[src]
			src++
			if src == len(w) {
				src = 0
			}
		}
	case dist >= k && k >= 16:
		copy(w[d.wpos:d.wpos+k], w[src:src+k])
	default: // overlapping or short: byte by byte, as LZ77 means it
		dst := w[d.wpos : d.wpos+k]
		from := w[src : src+k]
		for i := range dst {
			dst[i] = from[i]
		}
	}
	d.wpos += k
	d.total += uint64(k)
	d.have = min(d.have+k, d.full)
	d.prev = d.win[d.wpos-1]
	d.pending -= k
}

// makeRoom readies the window for more output once all of it up to wpos
// has been handed out: it grows while below full (memory follows the output
// until it reaches the window), then wraps.
func (d *lzmaDec) makeRoom() {
	if d.wpos < len(d.win) {
		return
	}
	if len(d.win) < d.full {
		d.win = append(d.win, make([]byte, min(len(d.win), d.full-len(d.win)))...)
		return
	}
	d.wpos = 0
}

// rcNorm is the range decoder's normalization (rc_normalize): before each
// bit, never after the last.
func rcNorm(rng, code uint32, in []byte, ip int) (uint32, uint32, int) {
	if rng < 1<<24 {
		rng <<= 8
		code = code<<8 | uint32(in[ip])
		ip++
	}
	return rng, code, ip
}

// rcBitNB decodes one bit with probability *p after rcNorm, without a
// branch on the bit: masks select the new range, code and probability.
// The bits of literals and of bit trees are close to random, so a branch
// would mispredict often. For bit 0, p + (2048-p)>>5 equals
// p - (p-2017)>>5 with an arithmetic shift; for bit 1 it is p - p>>5.
func rcBitNB(p *uint16, rng, code uint32) (uint32, uint32, uint32) {
	prob := uint32(*p)
	bound := prob * (rng >> 11)
	var b uint32
	if code >= bound {
		b = 1
	}
	zero := b - 1 // all ones for bit 0
	*p = uint16(int32(prob) - (int32(prob)+int32(zero)&-2017)>>5)
	return b, bound&zero | (rng-bound)&^zero, code - bound&^zero
}
