package decomp

import (
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"hash"
	"hash/crc32"
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

// newGzip reads a gzip member. For the kernel it follows __gunzip
// (lib/decompress_inflate.c) exactly: magic 1f 8b, method 8, skip 10 bytes
// and, with FNAME, a NUL-terminated name of any length; any other optional
// field would be unpacked as deflate data, so its flag makes the member
// corrupt. The raw deflate stream is read by compress/flate from s, an
// io.ByteReader, so flate keeps no buffer of its own and stops on the
// stream's last byte; then the 8-byte trailer (CRC32 and ISIZE, both
// verified here; the kernel skips them). That is the kernel's end: the
// deflate stream's end plus 8.
//
// For a userspace reader (OpenFile) it is compress/gzip with multistream
// off, which accepts every header field.
func newGzip(s *Source, forKernel bool) (io.Reader, error) {
	if !forKernel {
		zr, err := gzip.NewReader(s)
		if err != nil {
			return nil, err
		}
		zr.Multistream(false)
		return zr, nil
	}
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
	flags := h[3]
	if flags&(gzFHCRC|gzFEXTRA|gzFCOMMENT|gzReserved) != 0 {
		return nil, corruptAt(start+3, "gzip header flags %#02x: the kernel's gunzip skips only a file name (FNAME), so FEXTRA, FCOMMENT or FHCRC fields would be unpacked as data", flags)
	}
	s.Discard(10)
	if flags&gzFNAME != 0 {
		for {
			b, err := s.ReadByte()
			if err != nil {
				if err == io.EOF {
					return nil, truncatedAt(s.Offset(), "input ends inside the gzip file name")
				}
				return nil, &posError{off: s.Offset(), err: err}
			}
			if b == 0 {
				break
			}
		}
	}
	return &gzipReader{s: s, f: flate.NewReader(s), crc: crc32.NewIEEE()}, nil
}

type gzipReader struct {
	s    *Source
	f    io.ReadCloser
	crc  hash.Hash32
	size uint32 // ISIZE: length mod 2^32
	done bool
}

func (z *gzipReader) Read(p []byte) (int, error) {
	if z.done {
		return 0, io.EOF
	}
	n, err := z.f.Read(p)
	z.crc.Write(p[:n])
	z.size += uint32(n)
	if err != io.EOF {
		return n, err
	}
	off := z.s.Offset()
	var t [8]byte
	if k, err := io.ReadFull(z.s, t[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return n, truncatedAt(off+int64(k), "input ends inside the gzip trailer (%d of 8 bytes)", k)
		}
		return n, &posError{off: off + int64(k), err: err}
	}
	if got, want := z.crc.Sum32(), binary.LittleEndian.Uint32(t[:4]); got != want {
		return n, corruptAt(off, "gzip CRC32 %08x, computed %08x over %d bytes", want, got, z.size)
	}
	if want := binary.LittleEndian.Uint32(t[4:]); z.size != want {
		return n, corruptAt(off+4, "gzip ISIZE %d, decoded %d bytes (mod 2^32)", want, z.size)
	}
	z.done = true
	return n, io.EOF
}
