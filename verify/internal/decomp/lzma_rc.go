package decomp

import "io"

// The range decoder and the probability model of the legacy .lzma decoder:
// the kernel's rc_* functions (lib/decompress_unlzma.c) and the adaptive
// bit probabilities they update. lzma.go holds the decoder proper.

const (
	lzmaStates    = 12
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

func (d *lzmaDec) initProbs() {
	const half = 1 << 10
	fill := func(p []uint16) {
		for i := range p {
			p[i] = half
		}
	}
	for i := range d.isMatch {
		fill(d.isMatch[i][:])
		fill(d.isRep0Long[i][:])
	}
	fill(d.isRep[:])
	fill(d.isRepG0[:])
	fill(d.isRepG1[:])
	fill(d.isRepG2[:])
	for i := range d.posSlot {
		fill(d.posSlot[i][:])
	}
	fill(d.specPos[:])
	fill(d.align[:])
	for _, l := range []*lzmaLen{&d.lenDec, &d.repLenDec} {
		l.choice, l.choice2 = half, half
		for i := range l.low {
			fill(l.low[i][:])
			fill(l.mid[i][:])
		}
		fill(l.high[:])
	}
	fill(d.lit)
}

// next fetches one input byte (rc_read's job); the end of input inside
// the member is a truncation.
func (d *lzmaDec) next() (byte, error) {
	b, err := d.s.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, truncatedAt(d.s.Offset(), "input ends inside lzma data after %d decoded bytes", d.pos)
		}
		return 0, &posError{off: d.s.Offset(), err: err}
	}
	return b, nil
}

// normalize is rc_normalize: before each bit, never after the last.
func (d *lzmaDec) normalize() error {
	if d.rng < 1<<24 {
		b, err := d.next()
		if err != nil {
			return err
		}
		d.rng <<= 8
		d.code = d.code<<8 | uint32(b)
	}
	return nil
}

func (d *lzmaDec) bit(p *uint16) (uint32, error) {
	if err := d.normalize(); err != nil {
		return 0, err
	}
	bound := uint32(*p) * (d.rng >> 11)
	if d.code < bound {
		d.rng = bound
		*p += (2048 - *p) >> 5
		return 0, nil
	}
	d.rng -= bound
	d.code -= bound
	*p -= *p >> 5
	return 1, nil
}

func (d *lzmaDec) direct() (uint32, error) {
	if err := d.normalize(); err != nil {
		return 0, err
	}
	d.rng >>= 1
	if d.code >= d.rng {
		d.code -= d.rng
		return 1, nil
	}
	return 0, nil
}

// tree decodes n bits MSB first over probs (index 1 .. 1<<n - 1).
func (d *lzmaDec) tree(probs []uint16, n uint) (uint32, error) {
	m := uint32(1)
	for i := uint(0); i < n; i++ {
		b, err := d.bit(&probs[m])
		if err != nil {
			return 0, err
		}
		m = m<<1 | b
	}
	return m - 1<<n, nil
}

func (d *lzmaDec) length(l *lzmaLen, posState uint32) (uint32, error) {
	b, err := d.bit(&l.choice)
	if err != nil {
		return 0, err
	}
	if b == 0 {
		return d.tree(l.low[posState][:], 3)
	}
	if b, err = d.bit(&l.choice2); err != nil {
		return 0, err
	}
	if b == 0 {
		v, err := d.tree(l.mid[posState][:], 3)
		return v + 8, err
	}
	v, err := d.tree(l.high[:], 8)
	return v + 16, err
}
