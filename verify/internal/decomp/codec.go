package decomp

import (
	"errors"
	"fmt"
	"io"
)

// Codec names a compression format as the kernel's lib/decompress.c does.
// The empty Codec means "not compressed" (or not recognised).
type Codec string

// The codecs the kernel can unpack an initramfs with.
const (
	None  Codec = ""
	Gzip  Codec = "gzip"
	Zstd  Codec = "zstd"
	XZ    Codec = "xz"
	LZMA  Codec = "lzma"
	LZ4   Codec = "lz4"
	Bzip2 Codec = "bzip2"
	LZO   Codec = "lzo"
)

// Codecs lists every codec Member decodes, in the kernel's table order.
var Codecs = []Codec{Gzip, Bzip2, LZMA, XZ, LZO, LZ4, Zstd}

// Detect names the codec of the compressed member whose first bytes are head,
// exactly as the kernel's decompress_method does: by the first two bytes
// only (1f 8b or 1f 9e gzip, "BZ" bzip2, 5d 00 lzma, fd 37 xz, 89 4c lzo,
// 02 21 lz4 legacy, 28 b5 zstd). A member whose later magic bytes are wrong
// is still that codec's member to the kernel, and Member reports it as
// corrupt. Detect returns None when head matches nothing or is shorter than
// two bytes.
func Detect(head []byte) Codec {
	if len(head) < 2 {
		return None
	}
	switch [2]byte{head[0], head[1]} {
	case [2]byte{0x1f, 0x8b}, [2]byte{0x1f, 0x9e}:
		return Gzip
	case [2]byte{'B', 'Z'}:
		return Bzip2
	case [2]byte{0x5d, 0x00}:
		return LZMA
	case [2]byte{0xfd, 0x37}:
		return XZ
	case [2]byte{0x89, 0x4c}:
		return LZO
	case [2]byte{0x02, 0x21}:
		return LZ4
	case [2]byte{0x28, 0xb5}:
		return Zstd
	}
	return None
}

var (
	// ErrUnsupported: the member uses something this package cannot check
	// (a codec it does not know, a zstd window beyond its memory cap, an xz
	// filter it lacks). The image may be fine: the verdict is cannot-tell.
	ErrUnsupported = errors.New("unsupported compressed data")
	// ErrCorrupt: the member is not what its format allows, a checksum does
	// not match, or it uses an option the kernel's decompressor rejects (an
	// xz check other than CRC32, gzip header fields other than a name). The
	// kernel would fail to unpack it.
	ErrCorrupt = errors.New("corrupt compressed data")
)

// MemberError is the error of every decoder in this package: which codec,
// where the member started, the absolute offset where the problem was found
// (for library decoders, the input position when they gave up), and why. Err
// wraps io.ErrUnexpectedEOF for truncation, ErrCorrupt for bad data,
// ErrUnsupported for what cannot be checked, or the reader's own error.
type MemberError struct {
	Codec  Codec
	Start  int64 // absolute offset of the member's first byte
	Offset int64 // absolute offset of the problem
	Err    error
}

func (e *MemberError) Error() string {
	return fmt.Sprintf("%s member starting at offset %d: at offset %d: %v", e.Codec, e.Start, e.Offset, e.Err)
}

func (e *MemberError) Unwrap() error { return e.Err }

// Member returns a reader of the decompressed bytes of the compressed member
// of codec c that starts at s's position. Reading it to io.EOF means the
// member decoded to its very end with every checksum the format carries
// verified, and s then stands exactly where the kernel's decompressor stops
// (see the package documentation for each codec's rule). Any other error is
// a *MemberError. Close releases the decoder; it does not move s.
func Member(c Codec, s *Source) (io.ReadCloser, error) {
	return openMember(c, s, true, nil)
}

// openMember opens a member for the kernel (its decompressors' restrictions
// apply) or for a userspace reader such as kmod (forKernel false: any gzip
// header, any xz check), reusing fs's decoders (fs may be nil).
func openMember(c Codec, s *Source, forKernel bool, fs *Files) (io.ReadCloser, error) {
	start := s.Offset()
	var (
		r   io.Reader
		err error
		cl  func()
	)
	switch c {
	case Gzip:
		r, err = newGzip(s, forKernel)
	case Zstd:
		r, cl, err = newZstd(s, fs)
	case XZ:
		r, err = newXZ(s, forKernel, fs)
	case LZMA:
		r, err = newLZMA(s)
	case LZ4:
		r, err = newLZ4(s)
	case Bzip2:
		r, err = newBzip2(s)
	case LZO:
		r, err = newLZO(s)
	case None:
		return nil, &MemberError{Codec: c, Start: start, Offset: start, Err: fmt.Errorf("%w: not a compressed member", ErrUnsupported)}
	default:
		return nil, &MemberError{Codec: c, Start: start, Offset: start, Err: fmt.Errorf("%w: unknown codec %q", ErrUnsupported, string(c))}
	}
	m := &member{codec: c, s: s, start: start, r: r, close: cl}
	if err != nil {
		if cl != nil {
			cl()
		}
		return nil, m.wrap(err)
	}
	return m, nil
}

// member adapts a decoder to Member's contract: errors become *MemberError,
// and an error or io.EOF is sticky.
type member struct {
	codec Codec
	s     *Source
	start int64
	r     io.Reader
	close func()
	err   error
}

func (m *member) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if m.r == nil {
		m.err = &MemberError{Codec: m.codec, Start: m.start, Offset: m.s.Offset(), Err: errors.New("read after close")}
		return 0, m.err
	}
	n, err := m.r.Read(p)
	if err == io.EOF {
		m.err = io.EOF
		return n, io.EOF
	}
	if err != nil {
		m.err = m.wrap(err)
		return n, m.err
	}
	return n, nil
}

func (m *member) Close() error {
	if m.close != nil {
		m.close()
		m.close = nil
	}
	m.r = nil
	if m.err == nil {
		m.err = &MemberError{Codec: m.codec, Start: m.start, Offset: m.s.Offset(), Err: errors.New("read after close")}
	}
	return nil
}

// wrap turns a decoder's error into a *MemberError. Errors this package
// builds (posError) carry their own offset and class; a library's error is
// classed as truncation when it says so and as corruption otherwise, unless
// the Source itself failed (an I/O error is neither).
func (m *member) wrap(err error) error {
	var me *MemberError
	if errors.As(err, &me) {
		return err
	}
	var pe *posError
	if errors.As(err, &pe) {
		return &MemberError{Codec: m.codec, Start: m.start, Offset: pe.off, Err: pe.err}
	}
	off := m.s.Offset()
	if m.s.err != nil && m.s.err != io.EOF && m.s.buffered() == 0 && errors.Is(err, m.s.err) {
		return &MemberError{Codec: m.codec, Start: m.start, Offset: off, Err: fmt.Errorf("reading input: %w", err)}
	}
	switch {
	case errors.Is(err, ErrUnsupported), errors.Is(err, ErrCorrupt), errors.Is(err, io.ErrUnexpectedEOF):
	case err == io.EOF || errors.Is(err, io.EOF):
		err = fmt.Errorf("%w: input ended inside the member", io.ErrUnexpectedEOF)
	default:
		err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return &MemberError{Codec: m.codec, Start: m.start, Offset: off, Err: err}
}

// posError is an error found by this package's own walkers at a known
// offset; err already wraps its class.
type posError struct {
	off int64
	err error
}

func (e *posError) Error() string { return fmt.Sprintf("at offset %d: %v", e.off, e.err) }
func (e *posError) Unwrap() error { return e.err }

func corruptAt(off int64, format string, args ...any) error {
	return &posError{off: off, err: fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)}
}

func unsupportedAt(off int64, format string, args ...any) error {
	return &posError{off: off, err: fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)}
}

func truncatedAt(off int64, format string, args ...any) error {
	return &posError{off: off, err: fmt.Errorf("%w: "+format, append([]any{io.ErrUnexpectedEOF}, args...)...)}
}

// peekFull peeks n bytes, turning a short read into a truncation (or the
// reader's error) at the current offset, described by what.
func peekFull(s *Source, n int, what string) ([]byte, error) {
	b, err := s.Peek(n)
	if err != nil {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, truncatedAt(s.Offset()+int64(len(b)), "input ends inside the %s (%d of %d bytes)", what, len(b), n)
		}
		return nil, &posError{off: s.Offset() + int64(len(b)), err: fmt.Errorf("reading %s: %w", what, err)}
	}
	return b, nil
}
