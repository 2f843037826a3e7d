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
		if d.inEnd-d.ip >= lzmaMaxStep {
			d.symbols(limit, d.inEnd-lzmaMaxStep)
			continue
		}
		// The input's last bytes: one symbol at a time (symbols stops
		// after the first that consumes a byte), each checked for
		// reading past the end into the zero padding.
		d.symbols(limit, d.ip)
		if d.ip > d.inEnd {
			d.overread()
		}
	}
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
