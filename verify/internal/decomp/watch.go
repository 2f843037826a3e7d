package decomp

import "io"

// endWatch reads from a Source for a library decoder that would read past
// its member's end (compress/bzip2 looks for a concatenated stream, and
// bzip2 blocks cannot be walked without decoding them). It watches the bytes
// as they pass and, once they end with the format's end-of-member structure,
// returns io.EOF, so the decoder finishes cleanly and the Source stays on
// the first byte after the member. A false match inside member data would
// need the 48-bit end-of-stream magic to line up at the right bit offset;
// the decoder then sees a truncated member and reports an error, never a
// wrong success.
type endWatch struct {
	s     *Source
	ended bool
	// last holds the last 16 bytes consumed, most recent in the low byte.
	hi, lo uint64
	n      int64 // bytes consumed
	atEnd  func(w *endWatch) bool
}

func (w *endWatch) push(b byte) {
	w.hi = w.hi<<8 | w.lo>>56
	w.lo = w.lo<<8 | uint64(b)
	w.n++
	if w.atEnd(w) {
		w.ended = true
	}
}

func (w *endWatch) ReadByte() (byte, error) {
	if w.ended {
		return 0, io.EOF
	}
	b, err := w.s.ReadByte()
	if err != nil {
		return 0, err
	}
	w.push(b)
	return b, nil
}

// Read hands out bytes one structure-check at a time: the check runs after
// every byte, so a read never crosses the member's end.
func (w *endWatch) Read(p []byte) (int, error) {
	if w.ended {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	avail, err := w.s.Peek(min(len(p), 4096))
	if len(avail) == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	n := 0
	for n < len(avail) && !w.ended {
		w.push(avail[n])
		n++
	}
	copy(p, avail[:n])
	w.s.Discard(n)
	return n, nil
}

// bzip2EOS is the bzip2 end-of-stream magic (sqrt(pi)), 48 bits.
const bzip2EOS = 0x177245385090

// bzip2AtEnd: the bytes so far end with the end-of-stream magic and the
// 32-bit combined CRC, followed by fewer than 8 padding bits.
func bzip2AtEnd(w *endWatch) bool {
	if w.n < 4+10 { // "BZh9" and the 80 bits of magic and CRC
		return false
	}
	for pad := uint(0); pad < 8; pad++ {
		k := pad + 32
		v := (w.lo>>k | w.hi<<(64-k)) & (1<<48 - 1)
		if v == bzip2EOS {
			return true
		}
	}
	return false
}

// watchedReader is a library decoder reading through an endWatch. Its io.EOF
// counts only once the watch has seen the member's end: a library that takes
// the end of input at a structure boundary for the end of the member (as
// a library may do at a block boundary) must not pass a truncated member.
type watchedReader struct {
	r        io.Reader
	w        *endWatch
	classify func(error) error
	what     string
}

func (x *watchedReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if err == io.EOF && !x.w.ended {
		return n, truncatedAt(x.w.s.Offset(), "input ends before the %s", x.what)
	}
	if err != nil && err != io.EOF && x.classify != nil {
		err = x.classify(err)
	}
	return n, err
}
