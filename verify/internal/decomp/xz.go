package decomp

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strings"

	"github.com/ulikunitz/xz"
)

// xzMaxDict caps the LZMA2 dictionary a member may ask for (xz -9 and -9e
// use 64 MiB). Beyond it the member is unsupported (cannot-tell) rather
// than an allocation a header field decides.
const xzMaxDict = 64 << 20

var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0}

// newXZ decodes one xz stream with ulikunitz/xz (single-stream mode), which
// verifies each block's check, the index and the footer. The kernel's unxz
// (lib/decompress_unxz.c, xz_dec_run until XZ_STREAM_END) stops right after
// the stream footer; stream padding and further streams are left to
// unpack_to_rootfs (it skips zero bytes and starts a new member at the next
// magic). The library reads through an endWatch that says io.EOF right after
// the footer, which single-stream mode requires.
func newXZ(s *Source) (io.Reader, error) {
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
	flags := [2]byte{h[6], h[7]} // h is only valid until the next Peek
	if err := xzCheckFirstBlock(s); err != nil {
		return nil, err
	}
	w := &endWatch{s: s, atEnd: xzAtEnd, xzFlags: flags}
	// DictCap is a floor in ulikunitz/xz (it allocates the larger of it
	// and the block's own dictionary size): keep it at the minimum so
	// memory follows the member, which xzCheckFirstBlock has capped.
	r, err := xz.ReaderConfig{SingleStream: true, DictCap: 4096}.NewReader(w)
	if err != nil {
		return nil, classifyXZ(err)
	}
	return &watchedReader{r: r, w: w, classify: classifyXZ, what: "xz stream footer"}, nil
}

// classifyXZ marks what ulikunitz/xz cannot do (BCJ and delta filters, which
// the kernel may support) as unsupported, not corrupt.
func classifyXZ(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "unsupported filter") || strings.Contains(msg, "invalid filter id") || strings.Contains(msg, "dictionary capacity") || strings.Contains(msg, "DictCap") {
		return &unsupportedErr{err}
	}
	return err
}

type unsupportedErr struct{ err error }

func (e *unsupportedErr) Error() string { return "unsupported compressed data: " + e.err.Error() }
func (e *unsupportedErr) Unwrap() []error {
	return []error{ErrUnsupported, e.err}
}

// xzCheckFirstBlock peeks at the first block header (xz format 3.1) and
// refuses, before any allocation, a dictionary beyond xzMaxDict and filters
// ulikunitz/xz does not implement (BCJ, delta: the kernel may, so that is
// unsupported, not corrupt). Later blocks of a multi-block stream are not
// peeked at (their headers are only found by decoding); xz tools write the
// same filter chain in every block.
func xzCheckFirstBlock(s *Source) error {
	start := s.Offset()
	b, err := s.Peek(12 + 1024)
	if err != nil && err != io.EOF {
		return &posError{off: start, err: err}
	}
	if len(b) < 13 || b[12] == 0 {
		return nil // truncated or no blocks: the decoder reports it
	}
	hsize := (int(b[12]) + 1) * 4
	if len(b) < 12+hsize {
		return nil
	}
	h := b[12 : 12+hsize]
	off := start + 12
	flags := h[1]
	pos := 2
	varint := func() (uint64, bool) {
		var x uint64
		for i := 0; i < 9 && pos < len(h)-4; i++ {
			c := h[pos]
			pos++
			x |= uint64(c&0x7f) << (7 * i)
			if c&0x80 == 0 {
				return x, true
			}
		}
		return 0, false
	}
	if flags&0x40 != 0 {
		if _, ok := varint(); !ok {
			return corruptAt(off, "xz block header: bad compressed size field")
		}
	}
	if flags&0x80 != 0 {
		if _, ok := varint(); !ok {
			return corruptAt(off, "xz block header: bad uncompressed size field")
		}
	}
	for i := 0; i <= int(flags&3); i++ {
		id, ok1 := varint()
		psize, ok2 := varint()
		if !ok1 || !ok2 || psize > uint64(len(h)-4-pos) {
			return corruptAt(off, "xz block header: bad filter flags")
		}
		props := h[pos : pos+int(psize)]
		pos += int(psize)
		if id != 0x21 {
			return unsupportedAt(off, "xz filter %#x (BCJ or delta): this checker decodes LZMA2 only", id)
		}
		if psize != 1 || props[0] > 40 {
			return corruptAt(off, "xz LZMA2 filter properties % x", props)
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
	return nil
}
