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
	m := &lzmaMember{s: s, size: size}
	d := &m.d
	d.win = make([]byte, min(window, 64<<10))
	d.full = int(window)
	d.stop = size
	d.lit = make([]uint16, 0x300<<(lc+lp))
	d.refill = m.refill
	d.overread = m.overread
	d.errOff = m.offset
	d.reset(uint(lc), uint(lp), uint(pb))
	// rc_init_code: five bytes into code (the kernel ignores that the
	// first is always 0).
	m.refill()
	for _, b := range d.in[:5] {
		d.code = d.code<<8 | uint32(b)
	}
	d.ip = 5
	d.rng = 0xFFFFFFFF
	if d.ip > d.inEnd {
		m.overread()
		return nil, d.inErr
	}
	return m, nil
}

// lzmaMember is a legacy .lzma member: the decoder reads a view of the
// Source's buffer and commits what it fetched before each refill and after
// each Read, so the Source always stands on the byte the kernel would.
type lzmaMember struct {
	s       *Source
	d       lzmaDec
	size    uint64 // uncompressed size; all ones = until the end marker
	readErr error  // the Source's error behind the end of the input
}

// offset is the absolute offset of the decoder's next input byte.
func (m *lzmaMember) offset() int64 {
	return m.s.Offset() + int64(min(m.d.ip, m.d.inEnd))
}

// commit consumes from the Source what the decoder fetched.
func (m *lzmaMember) commit() {
	if k := min(m.d.ip, m.d.inEnd); k > 0 {
		m.s.Discard(k)
		m.d.in = m.d.in[k:]
		m.d.ip -= k
		m.d.inEnd -= k
	}
}

// refill is rc_read's job: the next input bytes, at least lzmaMaxStep of
// them or all that is left (then in a zero-padded copy).
func (m *lzmaMember) refill() {
	d := &m.d
	m.commit()
	b, err := m.s.Peek(sourceBufSize)
	d.ip, d.inEnd = 0, len(b)
	if len(b) >= lzmaMaxStep {
		d.in = b
		return
	}
	d.tail = [len(d.tail)]byte{}
	copy(d.tail[:], b)
	d.in = d.tail[:]
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		m.readErr = err
	}
}

// overread reports a step that needed bytes past the end of the input.
func (m *lzmaMember) overread() {
	d := &m.d
	m.commit()
	if m.readErr != nil {
		d.inErr = &posError{off: m.s.Offset(), err: m.readErr}
		return
	}
	d.inErr = truncatedAt(m.s.Offset(), "input ends inside lzma data after %d decoded bytes", d.total)
}

// Read decodes into p. A match longer than what is left of p is finished on
// the next call.
func (m *lzmaMember) Read(p []byte) (int, error) {
	d := &m.d
	n := 0
	for n < len(p) {
		d.makeRoom()
		start := d.wpos
		d.decode(min(len(d.win), start+len(p)-n))
		if d.inErr != nil {
			return n, d.inErr
		}
		if d.err != nil {
			m.commit()
			return n, d.err
		}
		n += copy(p[n:], d.win[start:d.wpos])
		if d.done || d.total >= m.size {
			d.pending = 0 // a match cut by the header's size ends there
			d.done = true
			m.commit()
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
	}
	m.commit()
	return n, nil
}
