package decomp

// adler32Sum is hash/adler32's checksum of p (lzop's default block check),
// eight bytes a step: over eight bytes s1 gains their sum and s2 gains 8*s1
// plus the bytes weighted 8 down to 1, which is what eight single steps
// add, with the bytes' products free of the s1 chain. hash/adler32 adds
// one byte after the other and was 15% of an lzop member's decoding.
func adler32Sum(p []byte) uint32 {
	const (
		mod  = 65521
		nmax = 5552 // most bytes before s2 could pass 2^32 (zlib's NMAX)
	)
	s1, s2 := uint32(1), uint32(0)
	for len(p) > 0 {
		q := p[:min(len(p), nmax)]
		p = p[len(q):]
		for len(q) >= 8 {
			b0, b1, b2, b3 := uint32(q[0]), uint32(q[1]), uint32(q[2]), uint32(q[3])
			b4, b5, b6, b7 := uint32(q[4]), uint32(q[5]), uint32(q[6]), uint32(q[7])
			s2 += 8*s1 + 8*b0 + 7*b1 + 6*b2 + 5*b3 + 4*b4 + 3*b5 + 2*b6 + b7
			s1 += b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7
			q = q[8:]
		}
		for _, b := range q {
			s1 += uint32(b)
			s2 += s1
		}
		s1 %= mod
		s2 %= mod
	}
	return s2<<16 | s1
}
