package decomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// ErrTooLarge: a file decompresses to more than the caller's limit.
var ErrTooLarge = errors.New("decompressed size over the limit")

// OpenFile returns the decompressed contents of a kernel module file, by its
// name's suffix: .ko (as is), .ko.gz, .ko.xz or .ko.zst, the suffixes kmod
// and the kernel's modules_install use. It is for reading a module's
// .modinfo out of an initrd, so it decodes with this package's bounded
// decoders, accepts what a file may hold beyond one member (further gzip
// members and zstd frames, xz stream padding and streams), insists that
// the whole of r is consumed, and fails with ErrTooLarge once more than
// limit bytes come out. Errors name the file.
func OpenFile(name string, r io.Reader, limit int64) (io.ReadCloser, error) {
	return (*Files)(nil).Open(name, r, limit)
}

// Files reuses decoders and buffers from one file to the next, so reading
// the .modinfo of thousands of modules allocates per reader, not per module
// (a zstd decoder, the Source's buffer, the LZMA window and model). The nil
// *Files reuses nothing. A Files is not safe for concurrent use, and a file
// it opened must be closed (or read to its end) before it opens the next.
type Files struct {
	src  *Source
	zstd *zstd.Decoder
	xz   *xzDec // the last xz member's decoder: its window and model
}

// Close releases the decoders kept.
func (fs *Files) Close() {
	if fs != nil && fs.zstd != nil {
		fs.zstd.Close()
		fs.zstd = nil
	}
}

// Open is OpenFile reusing fs's decoders.
func (fs *Files) Open(name string, r io.Reader, limit int64) (io.ReadCloser, error) {
	if limit < 0 {
		return nil, fmt.Errorf("%s: negative size limit %d", name, limit)
	}
	var c Codec
	switch {
	case strings.HasSuffix(name, ".ko"):
		return &fileReader{name: name, plain: r, left: limit, limit: limit}, nil
	case strings.HasSuffix(name, ".ko.gz"):
		c = Gzip
	case strings.HasSuffix(name, ".ko.xz"):
		c = XZ
	case strings.HasSuffix(name, ".ko.zst"):
		c = Zstd
	default:
		return nil, fmt.Errorf("%s: %w: not a kernel module file name (.ko, .ko.gz, .ko.xz, .ko.zst)", name, ErrUnsupported)
	}
	var src *Source
	if fs != nil && fs.src != nil {
		src = fs.src
		src.reset(r)
	} else {
		src = NewSource(r)
		if fs != nil {
			fs.src = src
		}
	}
	f := &fileReader{name: name, codec: c, s: src, left: limit, limit: limit, fs: fs}
	if err := f.nextMember(true); err != nil {
		return nil, err
	}
	return f, nil
}

type fileReader struct {
	name  string
	codec Codec
	plain io.Reader // .ko
	s     *Source
	m     io.ReadCloser
	left  int64 // bytes still allowed
	limit int64
	fs    *Files
	err   error
}

// nextMember opens the member at the Source, or reports the end of the
// file (io.EOF) when nothing but xz stream padding is left.
func (f *fileReader) nextMember(first bool) error {
	if !first && f.codec == XZ {
		// Stream padding: zero bytes in multiples of four.
		zeros := 0
		for {
			b, err := f.s.Peek(1)
			if err != nil || b[0] != 0 {
				break
			}
			f.s.Discard(1)
			zeros++
		}
		if zeros%4 != 0 {
			return fmt.Errorf("%s: %w: %d bytes of xz stream padding, not a multiple of 4, before offset %d", f.name, ErrCorrupt, zeros, f.s.Offset())
		}
	}
	head, err := f.s.Peek(4)
	if len(head) == 0 && err == io.EOF {
		if first {
			return fmt.Errorf("%s: %w: empty file", f.name, io.ErrUnexpectedEOF)
		}
		return io.EOF
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	if Detect(head) != f.codec {
		return fmt.Errorf("%s: %w: %d bytes at offset %d that are not a %s member (% x)", f.name, ErrCorrupt, len(head), f.s.Offset(), f.codec, head)
	}
	m, err := openMember(f.codec, f.s, false, f.fs)
	if err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	f.m = m
	return nil
}

func (f *fileReader) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Read at most one byte beyond the limit, to tell "exactly limit"
	// from "more".
	if int64(len(p)) > f.left+1 {
		p = p[:f.left+1]
	}
	var n int
	var err error
	if f.plain != nil {
		n, err = f.plain.Read(p)
	} else {
		for n == 0 && err == nil {
			n, err = f.m.Read(p)
			if err == io.EOF {
				f.m.Close()
				err = f.nextMember(false)
			} else if err != nil {
				err = fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	if int64(n) > f.left {
		f.err = fmt.Errorf("%s: %w: more than %d bytes", f.name, ErrTooLarge, f.limit)
		n = int(f.left)
		f.left = 0
		return n, f.err
	}
	f.left -= int64(n)
	if err != nil {
		if err != io.EOF && f.plain != nil {
			err = fmt.Errorf("%s: %w", f.name, err)
		}
		f.err = err
	}
	return n, err
}

func (f *fileReader) Close() error {
	if f.m != nil {
		f.m.Close()
	}
	if f.err == nil {
		f.err = fmt.Errorf("%s: read after close", f.name)
	}
	return nil
}

// SizeHint is the length module file name, whose whole file is raw, says it
// decompresses to, where its format records it: a zstd frame's content size
// (of its first frame), the sum of an xz stream's index records (of its
// last stream), a gzip member's ISIZE (of its last member, mod 2^32); 0
// when it says none. It is a hint for sizing a buffer, never checked: the
// decoding decides what the file holds.
func SizeHint(name string, raw []byte) int64 {
	switch {
	case strings.HasSuffix(name, ".ko.zst"):
		return zstdSizeHint(raw)
	case strings.HasSuffix(name, ".ko.xz"):
		return xzSizeHint(raw)
	case strings.HasSuffix(name, ".ko.gz") && len(raw) >= 18:
		return int64(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
	}
	return 0
}

// zstdSizeHint reads Frame_Content_Size from a zstd frame header (RFC 8878
// section 3.1.1.1).
func zstdSizeHint(raw []byte) int64 {
	if len(raw) < 6 || binary.LittleEndian.Uint32(raw) != 0xFD2FB528 {
		return 0
	}
	fhd := raw[4]
	single := fhd>>5&1 == 1
	p := 5
	if !single {
		p++ // Window_Descriptor
	}
	p += []int{0, 1, 2, 4}[fhd&3] // Dictionary_ID
	n := []int{0, 2, 4, 8}[fhd>>6]
	if n == 0 && single {
		n = 1
	}
	if n == 0 || len(raw) < p+n {
		return 0
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(raw[p+i])
	}
	if n == 2 {
		v += 256
	}
	return int64(min(v, 1<<62))
}

// xzSizeHint sums the uncompressed sizes of the index records of the last
// xz stream in raw (its footer's Backward Size finds the index; stream
// padding after it is skipped).
func xzSizeHint(raw []byte) int64 {
	for len(raw) >= 4 && binary.LittleEndian.Uint32(raw[len(raw)-4:]) == 0 {
		raw = raw[:len(raw)-4]
	}
	if len(raw) < 12+12 || string(raw[len(raw)-2:]) != "YZ" {
		return 0
	}
	size := (int64(binary.LittleEndian.Uint32(raw[len(raw)-8:])) + 1) * 4
	if size > int64(len(raw)-12) {
		return 0
	}
	idx := raw[int64(len(raw)-12)-size : len(raw)-12]
	vli := func() (uint64, bool) {
		var v uint64
		for i := 0; i < 9 && len(idx) > 0; i++ {
			b := idx[0]
			idx = idx[1:]
			v |= uint64(b&0x7f) << (7 * i)
			if b&0x80 == 0 {
				return v, true
			}
		}
		return 0, false
	}
	if len(idx) == 0 || idx[0] != 0 {
		return 0
	}
	idx = idx[1:]
	n, ok := vli()
	if !ok || n > uint64(len(idx)) {
		return 0
	}
	var sum uint64
	for range n {
		if _, ok := vli(); !ok { // Unpadded Size
			return 0
		}
		u, ok := vli()
		if !ok || u > 1<<62 || sum+u > 1<<62 {
			return 0
		}
		sum += u
	}
	return int64(sum)
}
