package decomp

import (
	"compress/gzip"
	"io"
)

// gzip header flag bits (RFC 1952 section 2.3.1).
const (
	gzFHCRC    = 1 << 1
	gzFEXTRA   = 1 << 2
	gzFNAME    = 1 << 3
	gzFCOMMENT = 1 << 4
	gzReserved = 0xe0
)

// newGzip checks the header the way the kernel's __gunzip
// (lib/decompress_inflate.c) reads it, then hands s itself to compress/gzip.
// s is an io.ByteReader, so compress/flate reads it byte by byte with no
// buffer of its own, and with multistream off the reader stops right after
// the 8-byte trailer (CRC32, ISIZE), both of which it verifies. That is the
// kernel's end too: the deflate stream's end plus 8.
func newGzip(s *Source) (io.Reader, error) {
	start := s.Offset()
	h, err := peekFull(s, 10, "gzip header")
	if err != nil {
		return nil, err
	}
	if h[0] != 0x1f || h[1] != 0x8b {
		return nil, corruptAt(start, "gzip magic %02x %02x: the kernel's gunzip accepts only 1f 8b", h[0], h[1])
	}
	if h[2] != 8 {
		return nil, corruptAt(start+2, "gzip compression method %d: the kernel's gunzip accepts only deflate (8)", h[2])
	}
	// The kernel skips 10 bytes and, with FNAME, a NUL-terminated name,
	// and nothing else: any other header field would be read as deflate
	// data and fail there.
	if f := h[3]; f&(gzFHCRC|gzFEXTRA|gzFCOMMENT|gzReserved) != 0 {
		return nil, corruptAt(start+3, "gzip header flags %#02x: the kernel's gunzip skips only a file name (FNAME), so FEXTRA, FCOMMENT or FHCRC fields would be unpacked as data", f)
	}
	zr, err := gzip.NewReader(s)
	if err != nil {
		return nil, err
	}
	zr.Multistream(false)
	return zr, nil
}
