package decomp

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strings"

	"github.com/ulikunitz/xz"
)

// xzMaxDict caps the LZMA2 dictionary a block may ask for (xz -9 and -9e
// use 64 MiB). Beyond it the member is unsupported (cannot-tell) rather
// than an allocation a header field decides.
const xzMaxDict = 64 << 20

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// newXZ decodes one xz stream. For the kernel, only streams with no check or
// CRC32 are accepted, as XZ Embedded does (Documentation/staging/xz.rst);
// for a userspace reader (OpenFile) any check is. The kernel's unxz (lib/decompress_unxz.c,
// xz_dec_run until XZ_STREAM_END) stops right after the stream footer;
// stream padding and further streams are left to unpack_to_rootfs (it skips
// zero bytes and starts a new member at the next magic). ulikunitz/xz in
// single-stream mode verifies block checks, the index and the footer, but
// reads on to insist on io.EOF after the footer, so xzStream walks the
// stream's structure (block headers, LZMA2 chunk headers, padding, checks,
// index, footer: the .xz format 1.x) and feeds it exactly the stream's
// bytes. The walk also refuses, before the decoder allocates anything, a
// block dictionary over xzMaxDict and filters the library lacks (BCJ,
// delta: the kernel may have them, so that is unsupported, not corrupt).
func newXZ(s *Source, forKernel bool) (io.Reader, error) {
	start := s.Offset()
	h, err := peekFull(s, 12, "xz stream header")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(h[:6], xzMagic) {
		return nil, corruptAt(start, "xz magic % x, want % x", h[:6], xzMagic)
	}
	if binary.LittleEndian.Uint32(h[8:12]) != crc32.ChecksumIEEE(h[6:8]) {
		return nil, corruptAt(start+8, "xz stream header CRC32 mismatch")
	}
	if h[6] != 0 || h[7]&0xf0 != 0 {
		return nil, corruptAt(start+6, "xz stream flags %02x %02x have reserved bits set", h[6], h[7])
	}
	if check := h[7] & 0x0f; forKernel && check > 1 {
		return nil, corruptAt(start+7, "xz check type %d (%s): the kernel's xz decoder (XZ Embedded) accepts only none or CRC32, so it will not unpack this member; compress with xz --check=crc32", check, xzCheckName(check))
	}
	w := &xzStream{s: s, check: xzCheckSize[h[7]&0x0f], left: 12, next: xzBlockOrIndex}
	// DictCap is a floor in ulikunitz/xz (it allocates the larger of it
	// and the block's dictionary): keep it at the minimum so memory
	// follows the member, whose dictionaries xzStream has capped.
	r, err := xz.ReaderConfig{SingleStream: true, DictCap: 4096}.NewReader(w)
	if err != nil {
		return nil, w.explain(err)
	}
	return &xzReader{r: r, w: w}, nil
}

func xzCheckName(id byte) string {
	switch id {
	case 4:
		return "CRC64, xz's default"
	case 10:
		return "SHA-256"
	}
	return "reserved"
}

// xzCheckSize is the size of a block's check field by check ID (xz format
// 2.1.1.2): none, CRC32, CRC64, SHA-256 and the reserved IDs' sizes.
var xzCheckSize = [16]int{0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64}

type xzReader struct {
	r io.Reader
	w *xzStream
}

func (x *xzReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if err == io.EOF && !x.w.end {
		return n, truncatedAt(x.w.s.Offset(), "xz decoder stopped before the stream footer")
	}
	if err != nil && err != io.EOF {
		err = x.w.explain(err)
	}
	return n, err
}

type xzState int

const (
	xzBlockOrIndex xzState = iota
	xzChunk                // next LZMA2 chunk header
	xzPadding              // block padding, then the check
	xzCheck
	xzRecords // index records left: xzStream.records
	xzFooter
	xzDone
)

// xzStream is an io.Reader over exactly one xz stream of s.
type xzStream struct {
	s       *Source
	check   int   // bytes of each block's check field
	left    int64 // bytes left in the current piece
	next    xzState
	block   int64  // compressed bytes of the current block so far (header excluded)
	records uint64 // index records still to pass
	index   int64  // index bytes so far
	end     bool   // the footer was passed
	err     error  // sticky: io.EOF at the end, or the walker's error
}

// explain prefers the walker's own finding to what the decoder made of it,
// and marks what ulikunitz/xz cannot do as unsupported.
func (w *xzStream) explain(err error) error {
	if w.err != nil && w.err != io.EOF {
		return w.err
	}
	if strings.Contains(err.Error(), "unsupported filter") || strings.Contains(err.Error(), "invalid filter id") {
		return &unsupportedErr{err}
	}
	return err
}

type unsupportedErr struct{ err error }

func (e *unsupportedErr) Error() string { return "unsupported compressed data: " + e.err.Error() }
func (e *unsupportedErr) Unwrap() []error {
	return []error{ErrUnsupported, e.err}
}

// xzVarint reads an xz multibyte integer from b: value and length, or ok false
// when b ends first or the encoding is over 9 bytes or not minimal.
func xzVarint(b []byte) (v uint64, n int, ok bool) {
	for n < len(b) && n < 9 {
		c := b[n]
		v |= uint64(c&0x7f) << (7 * n)
		n++
		if c&0x80 == 0 {
			if c == 0 && n > 1 {
				return 0, 0, false
			}
			return v, n, true
		}
	}
	return 0, 0, false
}

// advance sets up the next piece by peeking at its header.
//
// It is one function, longer than the usual limit, on purpose: it is the
// stream walker's state machine, one case per xzState, each setting the
// length of the next piece and the state after it; kept whole, every
// transition of the xz container format is in one switch.
func (w *xzStream) advance() error {
	off := w.s.Offset()
	switch w.next {
	case xzBlockOrIndex:
		b, err := peekFull(w.s, 1, "xz block header or index")
		if err != nil {
			return err
		}
		if b[0] == 0 {
			b, err := w.s.Peek(10)
			if len(b) < 2 {
				return peekErr(w.s, err, "xz index")
			}
			count, n, ok := xzVarint(b[1:])
			if !ok {
				if len(b) < 10 && err != nil {
					return peekErr(w.s, err, "xz index")
				}
				return corruptAt(off+1, "xz index record count is not a valid multibyte integer")
			}
			w.records, w.index, w.left = count, int64(1+n), int64(1+n)
			w.next = xzRecords
			return nil
		}
		return w.blockHeader(off, int(b[0]))
	case xzChunk:
		b, err := peekFull(w.s, 1, "lzma2 chunk")
		if err != nil {
			return err
		}
		c := b[0]
		switch {
		case c == 0:
			w.left, w.next = 1, xzPadding
		case c == 1 || c == 2:
			b, err := peekFull(w.s, 3, "lzma2 chunk header")
			if err != nil {
				return err
			}
			w.left = 3 + int64(binary.BigEndian.Uint16(b[1:])) + 1
		case c < 0x80:
			return corruptAt(off, "lzma2 chunk control byte %#02x is invalid", c)
		default:
			hl := 5
			if c >= 0xc0 {
				hl = 6 // with a properties byte
			}
			b, err := peekFull(w.s, hl, "lzma2 chunk header")
			if err != nil {
				return err
			}
			w.left = int64(hl) + int64(binary.BigEndian.Uint16(b[3:])) + 1
		}
		w.block += w.left
	case xzPadding:
		w.left = (4 - w.block%4) % 4
		w.next = xzCheck
	case xzCheck:
		w.left = int64(w.check)
		w.next = xzBlockOrIndex
	case xzRecords:
		if w.records == 0 {
			w.left = (4-w.index%4)%4 + 4 // padding and CRC32
			w.next = xzFooter
			return nil
		}
		b, err := w.s.Peek(18)
		_, n1, ok1 := xzVarint(b)
		var n2 int
		var ok2 bool
		if ok1 {
			_, n2, ok2 = xzVarint(b[n1:])
		}
		if !ok1 || !ok2 {
			if len(b) < 18 && err != nil {
				return peekErr(w.s, err, "xz index record")
			}
			return corruptAt(off, "xz index record is not two valid multibyte integers")
		}
		w.records--
		w.left = int64(n1 + n2)
		w.index += w.left
	case xzFooter:
		w.left = 12
		w.next = xzDone
	case xzDone:
		w.end = true
		return io.EOF
	}
	return nil
}

// blockHeader checks a block header (xz format 3.1) and makes it the piece.
func (w *xzStream) blockHeader(off int64, sizeByte int) error {
	size := (sizeByte + 1) * 4
	h, err := peekFull(w.s, size, "xz block header")
	if err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(h[size-4:]) != crc32.ChecksumIEEE(h[:size-4]) {
		return corruptAt(off, "xz block header CRC32 mismatch")
	}
	flags := h[1]
	if flags&0x3c != 0 {
		return corruptAt(off+1, "xz block flags %#02x have reserved bits set", flags)
	}
	p := 2
	body := h[:size-4]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			_, n, ok := xzVarint(body[p:])
			if !ok {
				return corruptAt(off+int64(p), "xz block header size field is not a valid multibyte integer")
			}
			p += n
		}
	}
	nf := int(flags&3) + 1
	for i := 0; i < nf; i++ {
		id, n, ok := xzVarint(body[p:])
		if !ok {
			return corruptAt(off+int64(p), "xz filter ID is not a valid multibyte integer")
		}
		p += n
		psize, n, ok := xzVarint(body[p:])
		if !ok || psize > uint64(len(body)-p-n) {
			return corruptAt(off+int64(p), "xz filter properties size is invalid")
		}
		p += n
		props := body[p : p+int(psize)]
		p += int(psize)
		if id != 0x21 || nf != 1 {
			return unsupportedAt(off, "xz filter chain with filter %#x (BCJ or delta): this checker decodes plain LZMA2 only", id)
		}
		if psize != 1 || props[0] > 40 {
			return corruptAt(off+int64(p)-int64(psize), "xz LZMA2 filter properties % x", props)
		}
		d := uint64(props[0])
		dict := uint64(2|d&1) << (d/2 + 11)
		if d == 40 {
			dict = 1<<32 - 1
		}
		if dict > xzMaxDict {
			return unsupportedAt(off, "xz dictionary of %d bytes exceeds the %d-byte limit this checker decodes with", dict, xzMaxDict)
		}
	}
	w.left = int64(size)
	w.block = 0
	w.next = xzChunk
	return nil
}

// peekErr turns a short Peek into a truncation or the reader's error.
func peekErr(s *Source, err error, what string) error {
	if err == nil || err == io.EOF {
		return truncatedAt(s.Offset(), "input ends inside the %s", what)
	}
	return &posError{off: s.Offset(), err: err}
}

func (w *xzStream) Read(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	for w.left == 0 {
		if err := w.advance(); err != nil {
			w.err = err
			return 0, err
		}
	}
	if int64(len(p)) > w.left {
		p = p[:w.left]
	}
	n, err := w.s.Read(p)
	w.left -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = truncatedAt(w.s.Offset(), "input ends inside an xz stream")
		}
		w.err = err
	}
	return n, err
}

// ReadByte spares ulikunitz/xz its one-byte Read wrapper.
func (w *xzStream) ReadByte() (byte, error) {
	var b [1]byte
	if w.err == nil && w.left > 0 {
		c, err := w.s.ReadByte()
		if err == nil {
			w.left--
			return c, nil
		}
		if err == io.EOF {
			err = truncatedAt(w.s.Offset(), "input ends inside an xz stream")
		}
		w.err = err
		return 0, err
	}
	if _, err := w.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}
