package decomp

import (
	"encoding/binary"
	"io"

	"github.com/klauspost/compress/zstd"
)

// zstdMaxWindow caps the window (the history a zstd decoder keeps) at
// 128 MiB: the largest window the zstd tool writes without --long (level 22
// with --ultra). Initrd generators use levels 1 to 19 (windows up to 8 MiB).
// A frame asking for more is reported as unsupported (cannot-tell) rather
// than letting a header field decide how much memory we take; the kernel
// itself accepts up to 1 << ZSTD_WINDOWLOG_MAX.
const zstdMaxWindow = 128 << 20

const zstdMaxBlock = 128 << 10 // RFC 8878 3.1.1.2.3: Block_Maximum_Size

const zstdMagic = 0xFD2FB528

// newZstd decodes the one frame that starts at s. The kernel's __unzstd
// (lib/decompress_unzstd.c) calls zstd_decompress_stream until it returns
// 0, which it does at the end of the first frame: a member is exactly one
// frame, and a further frame (or skippable frame) is a new member to
// unpack_to_rootfs. klauspost's decoder has no single-frame mode and reads
// ahead, so zstdFrame walks the frame header and block headers (RFC 8878)
// and feeds the decoder exactly the frame's bytes, then io.EOF.
func newZstd(s *Source, fs *Files) (io.Reader, func(), error) {
	f := &zstdFrame{s: s}
	if err := f.header(); err != nil {
		return nil, nil, err
	}
	if fs != nil && fs.zstd != nil {
		// The kept decoder, reset onto this frame; it stays fs's.
		if err := fs.zstd.Reset(f); err != nil {
			return nil, nil, err
		}
		return &zstdReader{f: f, d: fs.zstd}, nil, nil
	}
	d, err := zstd.NewReader(f,
		// One decoder, no goroutines: the stream is decoded in the
		// caller's Read, so memory is one window plus one block.
		zstd.WithDecoderConcurrency(1),
		// Allocate as the frame needs rather than up front.
		zstd.WithDecoderLowmem(true),
		// Refuse windows beyond the cap (already checked in header; this
		// is the library's own guard).
		zstd.WithDecoderMaxWindow(zstdMaxWindow),
		// Streaming has no whole-output buffer, but keep the library's
		// in-memory limit no larger than the window cap.
		zstd.WithDecoderMaxMemory(zstdMaxWindow),
	)
	if err != nil {
		return nil, nil, err
	}
	if fs != nil {
		fs.zstd = d
		return &zstdReader{f: f, d: d}, nil, nil
	}
	return &zstdReader{f: f, d: d}, d.Close, nil
}

type zstdReader struct {
	f *zstdFrame
	d *zstd.Decoder
}

func (z *zstdReader) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if err != nil {
		// The walker's own finding (truncation, a bad block header) is
		// more precise than what the decoder makes of it.
		if z.f.err != nil && z.f.err != io.EOF {
			return n, z.f.err
		}
		if err == io.EOF && z.f.err != io.EOF {
			return n, corruptAt(z.f.s.Offset(), "zstd decoder ended before the frame's last block")
		}
	}
	return n, err
}

// zstdFrame is an io.Reader over exactly one zstd frame of s.
type zstdFrame struct {
	s        *Source
	window   uint64
	checksum bool
	left     int64 // bytes left in the current piece (header, block, checksum)
	last     bool  // the current block is the last one
	inBlock  bool  // the current piece is a block's content
	done     bool  // no more pieces after this one
	err      error // sticky: io.EOF at the frame's end, or the walker's error
}

// header parses the frame header (RFC 8878 3.1.1.1) by peeking, and sets
// the first piece to the header itself.
func (f *zstdFrame) header() error {
	start := f.s.Offset()
	b, err := peekFull(f.s, 6, "zstd frame header")
	if err != nil {
		return err
	}
	if m := binary.LittleEndian.Uint32(b); m != zstdMagic {
		return corruptAt(start, "zstd magic %08x, want %08x", m, uint32(zstdMagic))
	}
	fhd := b[4]
	if fhd&0x08 != 0 {
		return corruptAt(start+4, "zstd frame header descriptor %#02x has the reserved bit set", fhd)
	}
	single := fhd&0x20 != 0
	f.checksum = fhd&0x04 != 0
	didSize := [4]int{0, 1, 2, 4}[fhd&3]
	fcsSize := [4]int{0, 2, 4, 8}[fhd>>6]
	if fcsSize == 0 && single {
		fcsSize = 1
	}
	n := 5 + didSize + fcsSize
	if !single {
		n++
	}
	b, err = peekFull(f.s, n, "zstd frame header")
	if err != nil {
		return err
	}
	pos := 5
	if !single {
		wd := b[pos]
		pos++
		exp := uint(wd >> 3)
		base := uint64(1) << (10 + exp)
		f.window = base + base/8*uint64(wd&7)
	}
	var did uint64
	for i := 0; i < didSize; i++ {
		did |= uint64(b[pos+i]) << (8 * i)
	}
	pos += didSize
	if single {
		var fcs uint64
		for i := 0; i < fcsSize; i++ {
			fcs |= uint64(b[pos+i]) << (8 * i)
		}
		if fcsSize == 2 {
			fcs += 256
		}
		f.window = fcs
	}
	if did != 0 {
		return corruptAt(start+5, "zstd frame needs dictionary %d; the kernel has no dictionaries", did)
	}
	if f.window > zstdMaxWindow {
		return unsupportedAt(start+4, "zstd window of %d bytes exceeds the %d-byte limit this checker decodes with", f.window, zstdMaxWindow)
	}
	f.left = int64(n)
	return nil
}

// next moves to the piece after the current one: a block header is peeked
// and validated, then its content (header and content pass to the decoder
// as one piece), then after the last block the checksum, then io.EOF.
func (f *zstdFrame) next() error {
	if f.done || (f.inBlock && f.last && !f.checksum) {
		return io.EOF
	}
	if f.inBlock && f.last {
		f.left = 4
		f.done = true
		return nil
	}
	off := f.s.Offset()
	b, err := peekFull(f.s, 3, "zstd block header")
	if err != nil {
		return err
	}
	h := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	f.last = h&1 != 0
	typ := (h >> 1) & 3
	size := int64(h >> 3)
	maxBlock := int64(min(f.window, zstdMaxBlock))
	switch typ {
	case 0: // Raw_Block
		if size > maxBlock {
			return corruptAt(off, "zstd raw block of %d bytes exceeds the %d-byte block maximum", size, maxBlock)
		}
	case 1: // RLE_Block: one byte, repeated size times
		if size > maxBlock {
			return corruptAt(off, "zstd RLE block of %d bytes exceeds the %d-byte block maximum", size, maxBlock)
		}
		size = 1
	case 2: // Compressed_Block
		if size > maxBlock {
			return corruptAt(off, "zstd compressed block of %d bytes exceeds the %d-byte block maximum", size, maxBlock)
		}
	default:
		return corruptAt(off, "zstd block header %06x has the reserved block type 3", h)
	}
	f.left = 3 + size
	f.inBlock = true
	return nil
}

func (f *zstdFrame) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	for f.left == 0 {
		if err := f.next(); err != nil {
			f.err = err
			return 0, err
		}
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.s.Read(p)
	f.left -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = truncatedAt(f.s.Offset(), "input ends inside a zstd frame (%d more bytes expected in the current piece)", f.left)
		}
		f.err = err
		return n, err
	}
	return n, nil
}
