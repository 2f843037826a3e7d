package decomp

// bzipLookBits: codes up to this length decode with one table lookup;
// longer ones (up to 20 bits) walk the canonical code's lengths.
const bzipLookBits = 10

// bzipHuff is one of a block's coding tables, a canonical Huffman code:
// codes are handed out in order of length, then of symbol.
type bzipHuff struct {
	table  [1 << bzipLookBits]uint16 // symbol<<5 | length; length 0: none that short
	first  [bzip2MaxCodeLen + 1]int32
	count  [bzip2MaxCodeLen + 1]int32
	offset [bzip2MaxCodeLen + 1]int32 // index in syms of each length's first symbol
	syms   [bzip2MaxAlpha]uint16
	maxLen int
}

// build makes the code from each symbol's length (1-20). A set of lengths
// that asks for more codes than the bits allow is corrupt; one that leaves
// codes unused is kept, and an unused pattern is an error when read.
func (h *bzipHuff) build(lens []uint8) bool {
	h.count = [bzip2MaxCodeLen + 1]int32{}
	h.maxLen = 0
	for _, l := range lens {
		h.count[l]++
		h.maxLen = max(h.maxLen, int(l))
	}
	code, idx := int32(0), int32(0)
	for l := 1; l <= bzip2MaxCodeLen; l++ {
		h.first[l], h.offset[l] = code, idx
		code += h.count[l]
		idx += h.count[l]
		if code > 1<<l {
			return false
		}
		code <<= 1
	}
	next := h.offset
	for sym, l := range lens {
		h.syms[next[l]] = uint16(sym)
		next[l]++
	}
	h.table = [1 << bzipLookBits]uint16{}
	for l := 1; l <= min(h.maxLen, bzipLookBits); l++ {
		for i := int32(0); i < h.count[l]; i++ {
			e := h.syms[h.offset[l]+i]<<5 | uint16(l)
			base := int(h.first[l]+i) << (bzipLookBits - l)
			for j := range 1 << (bzipLookBits - l) {
				h.table[base+j] = e
			}
		}
	}
	return true
}

// decode reads one symbol; the caller has made at least 20 bits available.
func (h *bzipHuff) decode(z *bzip2Reader) (int, bool) {
	v := uint32(z.bits>>(z.nbits-bzip2MaxCodeLen)) & (1<<bzip2MaxCodeLen - 1)
	if e := h.table[v>>(bzip2MaxCodeLen-bzipLookBits)]; e&31 != 0 {
		z.nbits -= uint(e & 31)
		return int(e >> 5), true
	}
	for l := bzipLookBits + 1; l <= h.maxLen; l++ {
		d := int32(v>>(bzip2MaxCodeLen-l)) - h.first[l]
		if d >= 0 && d < h.count[l] {
			z.nbits -= uint(l)
			return int(h.syms[h.offset[l]+d]), true
		}
	}
	return 0, false
}

// readBlock reads a block's tables (the randomised bit, the BWT's start,
// the bytes in use, the coding tables and their selectors), decodes its
// symbols (MTF indexes and runs of the front byte) into tt and links tt
// for the inverse BWT. The checks follow what the kernel's bunzip2 refuses.
//
// It is one function, longer than the usual limit, on purpose: it is a
// decoder reading one structure field after field, in the format's order.
func (z *bzip2Reader) readBlock() error {
	off := z.blockOff
	rnd, err := z.getBits(1, "block header")
	if err != nil {
		return err
	}
	if rnd != 0 {
		return corruptAt(off, "bzip2 randomised block (written by bzip2 0.9.0 or older), which the kernel's bunzip2 refuses")
	}
	origPtr, err := z.getBits(24, "block header")
	if err != nil {
		return err
	}
	// The byte values in use: 16 flags for 16 ranges, then 16 per range.
	var seq [256]byte
	nInUse := 0
	ranges, err := z.getBits(16, "byte map")
	if err != nil {
		return err
	}
	for i := 0; i < 16; i++ {
		if ranges&(0x8000>>i) == 0 {
			continue
		}
		m, err := z.getBits(16, "byte map")
		if err != nil {
			return err
		}
		for j := 0; j < 16; j++ {
			if m&(0x8000>>j) != 0 {
				seq[nInUse] = byte(i*16 + j)
				nInUse++
			}
		}
	}
	if nInUse == 0 {
		return corruptAt(off, "bzip2 block uses no byte values")
	}
	alpha := nInUse + 2
	ng, err := z.getBits(3, "table count")
	if err != nil {
		return err
	}
	nSel, err := z.getBits(15, "selector count")
	if err != nil {
		return err
	}
	if ng < 2 || ng > bzip2MaxGroups || nSel == 0 {
		return corruptAt(off, "bzip2 block with %d coding tables and %d selectors", ng, nSel)
	}
	groups := int(ng)
	// Selectors, move-to-front coded in unary.
	mtfG := [bzip2MaxGroups]uint8{0, 1, 2, 3, 4, 5}
	z.sel = z.sel[:0]
	for range nSel {
		j := 0
		for {
			b, err := z.getBits(1, "selectors")
			if err != nil {
				return err
			}
			if b == 0 {
				break
			}
			if j++; j >= groups {
				return corruptAt(off, "bzip2 selector beyond its %d coding tables", groups)
			}
		}
		v := mtfG[j]
		copy(mtfG[1:j+1], mtfG[:j])
		mtfG[0] = v
		z.sel = append(z.sel, v)
	}
	// Code lengths: a 5-bit start, then per symbol a delta walk.
	if cap(z.huff) < groups {
		z.huff = make([]bzipHuff, bzip2MaxGroups)
	}
	z.huff = z.huff[:groups]
	var lens [bzip2MaxAlpha]uint8
	for g := range z.huff {
		l, err := z.getBits(5, "code lengths")
		if err != nil {
			return err
		}
		for s := 0; s < alpha; s++ {
			for {
				if l < 1 || l > bzip2MaxCodeLen {
					return corruptAt(off, "bzip2 code length %d, want 1 to %d", int32(l), bzip2MaxCodeLen)
				}
				b, err := z.getBits(2, "code lengths")
				if err != nil {
					return err
				}
				if b&2 == 0 {
					z.nbits++ // a 0: the walk ends; the second bit is the next's
					break
				}
				l += 1 - (b&1)*2
			}
			lens[s] = uint8(l)
		}
		if !z.huff[g].build(lens[:alpha]) {
			return corruptAt(off, "bzip2 code lengths of table %d ask for more codes than there are", g)
		}
	}
	// Symbols: MTF indexes (1..nInUse-1 as sym-1), runs of the front byte
	// in bijective base 2 (RUNA 1, RUNB 2 at each digit), EOB.
	if z.tt == nil {
		z.tt = make([]uint32, z.maxBlock)
	}
	tt := z.tt
	var counts [256]int
	n, run, runBit := 0, 0, 1
	eob := nInUse + 1
	var h *bzipHuff
	left, selIdx := 0, 0
	for {
		if left == 0 {
			if selIdx >= len(z.sel) {
				return corruptAt(off, "bzip2 block runs past its %d selectors", len(z.sel))
			}
			if int(z.sel[selIdx]) >= groups {
				return corruptAt(off, "bzip2 selector for table %d of %d", z.sel[selIdx], groups)
			}
			h = &z.huff[z.sel[selIdx]]
			selIdx++
			left = bzip2GroupSize
		}
		left--
		if z.nbits < bzip2MaxCodeLen {
			z.fill()
			if z.nbits < bzip2MaxCodeLen {
				return truncatedAt(z.s.Offset(), "input ends inside a bzip2 block's data")
			}
		}
		sym, ok := h.decode(z)
		if !ok {
			return corruptAt(z.s.Offset(), "%v", errBzip2Code)
		}
		if sym <= 1 {
			run += runBit << sym
			runBit <<= 1
			if run > z.maxBlock {
				return corruptAt(off, "bzip2 run longer than the %d-byte block", z.maxBlock)
			}
			continue
		}
		if run > 0 {
			if run > z.maxBlock-n {
				return corruptAt(off, "bzip2 block longer than the header's %d bytes", z.maxBlock)
			}
			b := seq[0]
			counts[b] += run
			for i := range tt[n : n+run] {
				tt[n+i] = uint32(b)
			}
			n += run
			run, runBit = 0, 1
		}
		if sym == eob {
			break
		}
		if n >= z.maxBlock {
			return corruptAt(off, "bzip2 block longer than the header's %d bytes", z.maxBlock)
		}
		k := sym - 1
		b := seq[k]
		copy(seq[1:k+1], seq[:k])
		seq[0] = b
		tt[n] = uint32(b)
		counts[b]++
		n++
	}
	if int(origPtr) >= n {
		return corruptAt(off, "bzip2 BWT start %d in a block of %d bytes", origPtr, n)
	}
	// Inverse BWT: link each position to the next in output order.
	var cum [256]uint32
	sum := uint32(0)
	for b, c := range counts {
		cum[b] = sum
		sum += uint32(c)
	}
	for i := 0; i < n; i++ {
		b := byte(tt[i])
		tt[cum[b]] |= uint32(i) << 8
		cum[b]++
	}
	z.tPos, z.left = tt[origPtr]>>8, n
	return nil
}
