package initrd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Read reads one image from r to its end and returns what it holds. Problems
// of the image are in Image.Problems; the error is only for failing to read r
// or ctx being cancelled, and then the *Image is nil. r need not be seekable.
func Read(ctx context.Context, r io.Reader, opt Options) (*Image, error) {
	return read(ctx, r, nil, opt, nil, true)
}

// Walk reads the image like Read but calls fn for each entry as it is read
// instead of collecting Entries (Image.Entries is nil, so Image.Has finds
// nothing); memory does not grow with the number of entries. An error from fn
// stops the walk and is returned.
func Walk(ctx context.Context, r io.Reader, opt Options, fn func(Entry) error) (*Image, error) {
	if fn == nil {
		return nil, errors.New("initrd.Walk: fn is nil")
	}
	return read(ctx, r, nil, opt, fn, false)
}

// ReadFiles reads several files as one image, concatenated in order the way
// GRUB hands several initrds to the kernel (microcode first): each file but
// the last is followed by zero bytes up to a multiple of 4, so the next file
// starts 4-aligned. Offsets are in that concatenation;
// Image.Inputs says where each file starts, Segment.File and
// Segment.FileOffset where each segment starts, and problem messages name
// the file and the offset in it. A file that cannot be opened or read is an
// error.
func ReadFiles(ctx context.Context, paths []string, opt Options) (*Image, error) {
	if len(paths) == 0 {
		return nil, errors.New("initrd.ReadFiles: no files given")
	}
	cr := &concatReader{}
	defer cr.close()
	var off int64
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("open initrd: %w", err)
		}
		cr.files = append(cr.files, f)
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("initrd %s: %w", p, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("initrd %s: not a regular file", p)
		}
		in := Input{Path: p, Offset: off, Size: st.Size()}
		cr.inputs = append(cr.inputs, in)
		off += in.Size
		if i < len(paths)-1 {
			off += pad4(in.Size)
		}
	}
	return read(ctx, cr, cr.inputs, opt, nil, true)
}

func pad4(n int64) int64 { return (4 - n%4) % 4 }

// concatReader reads its files one after another with the zero padding
// ReadFiles documents, and fails if a file's size differs from its stat.
type concatReader struct {
	files  []*os.File
	inputs []Input
	i      int
	read   int64 // of the current file
	pad    int64 // zero bytes still to give after the current file
}

func (c *concatReader) Read(p []byte) (int, error) {
	for {
		if c.pad > 0 {
			n := int(min(int64(len(p)), c.pad))
			clear(p[:n])
			c.pad -= int64(n)
			return n, nil
		}
		if c.i >= len(c.files) {
			return 0, io.EOF
		}
		in := c.inputs[c.i]
		n, err := c.files[c.i].Read(p)
		c.read += int64(n)
		if c.read > in.Size {
			return 0, fmt.Errorf("initrd %s grew while being read (stat said %d bytes)", in.Path, in.Size)
		}
		if n > 0 {
			return n, nil
		}
		if err == io.EOF {
			if c.read != in.Size {
				return 0, fmt.Errorf("initrd %s shrank while being read: %d of %d bytes", in.Path, c.read, in.Size)
			}
			if c.i < len(c.files)-1 {
				c.pad = pad4(in.Size)
			}
			c.i++
			c.read = 0
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read initrd %s at offset %d: %w", in.Path, c.read, err)
		}
	}
}

func (c *concatReader) close() {
	for _, f := range c.files {
		f.Close()
	}
}

// reader is the state of one read.
type reader struct {
	ctx     context.Context
	opt     Options
	img     *Image
	fn      func(Entry) error
	collect bool
	rec     *ioRecorder
	bud     budget
	buf     []byte
	modBuf  []byte  // scratch: the data of the module being read
	mods    modWork // the .modinfo readers
	links   map[linkKey]*linkGroup
	groups  []*linkGroup // the values of links, in the order they came
	modIdx  map[string]int
	fs      *rootfs // the rootfs so far (Read and ReadFiles)
	// sawEntry: a cpio entry (or trailer) has been read, so the kernel's
	// unpacker has left its Start state.
	sawEntry bool
}

func read(ctx context.Context, r io.Reader, inputs []Input, opt Options, fn func(Entry) error, collect bool) (*Image, error) {
	rd := &reader{
		ctx:     ctx,
		opt:     opt,
		img:     &Image{Inputs: inputs, Segments: []Segment{}, Modules: []Module{}, Problems: []Problem{}},
		fn:      fn,
		collect: collect,
		rec:     &ioRecorder{r: r},
		bud:     budget{max: opt.maxDecompressed()},
		buf:     make([]byte, 32<<10),
		links:   map[linkKey]*linkGroup{},
		modIdx:  map[string]int{},
	}
	if collect {
		rd.img.Entries = []Entry{}
	}
	src := newTopStream(rd.rec)
	err := rd.run(src)
	rd.finishModules()
	var pe *problemError
	if errors.As(err, &pe) {
		rd.img.Problems = append(rd.img.Problems, pe.p)
		err = nil
	}
	if err != nil {
		return nil, err
	}
	rd.img.Size = src.Offset()
	if len(rd.img.Segments) == 0 && len(rd.img.Problems) == 0 {
		// Nothing to unpack: the kernel would boot with an empty rootfs.
		msg := "the image is empty (0 bytes): it holds no cpio archive"
		if rd.img.Size > 0 {
			msg = fmt.Sprintf("the image holds no cpio archive, only %d bytes of zero padding up to offset %d: it is empty", rd.img.Size, rd.img.Size)
		}
		rd.img.Problems = append(rd.img.Problems, Problem{Kind: Truncated, Segment: -1, Offset: 0, InnerOffset: -1, Message: msg})
	}
	if collect {
		rd.reachModules()
	}
	return rd.img, nil
}

// problemError carries a problem of the image up to read, which records it.
type problemError struct{ p Problem }

func (e *problemError) Error() string { return e.p.Message }

// loc says which segment a stream belongs to, for messages.
type loc struct {
	seg   int
	codec string // "none" for an uncompressed segment
	base  int64  // image offset of a compressed member
	inner bool   // offsets are in decompressed bytes
}

// fileOff renders an image offset, naming the input file when there are
// several.
func (r *reader) fileOff(off int64) string {
	if len(r.img.Inputs) < 2 {
		return fmt.Sprint(off)
	}
	for i := len(r.img.Inputs) - 1; i >= 0; i-- {
		in := r.img.Inputs[i]
		if off >= in.Offset {
			return fmt.Sprintf("%d (%s offset %d)", off, in.Path, off-in.Offset)
		}
	}
	return fmt.Sprint(off)
}

// where renders offset off of stream l.
func (r *reader) where(l loc, off int64) string {
	if l.inner {
		return fmt.Sprintf("decompressed offset %d in segment %d (%s member at image offset %s)", off, l.seg, l.codec, r.fileOff(l.base))
	}
	return fmt.Sprintf("offset %s in segment %d (uncompressed)", r.fileOff(off), l.seg)
}

// problem builds the error that records a problem at offset off of l.
func (r *reader) problem(kind ProblemKind, l loc, off int64, format string, a ...any) error {
	p := Problem{Kind: kind, Segment: l.seg, Offset: off, InnerOffset: -1, Message: fmt.Sprintf(format, a...)}
	if l.inner {
		p.Offset, p.InnerOffset = l.base, off
	}
	return &problemError{p}
}

// streamErr turns a read error of stream l at off into a problem or, for an
// I/O failure of the input or a cancelled ctx, into the error read returns.
// what says what was being read ("cpio header at ..."), for the end of data;
// a decoder's error says where it is itself.
func (r *reader) streamErr(err error, l loc, off int64, what string) error {
	if err == io.EOF {
		if l.inner {
			return r.problem(Corrupt, l, off, "%s: the decompressed data of segment %d ends there (the %s member is whole, the cpio archive in it is cut)", what, l.seg, l.codec)
		}
		return r.problem(Truncated, l, off, "%s: the image ends at offset %s", what, r.fileOff(off))
	}
	if cerr := r.ctx.Err(); cerr != nil {
		return cerr
	}
	if r.rec.err != nil {
		return fmt.Errorf("read initrd at offset %d: %w", r.rec.n, r.rec.err)
	}
	var pe *problemError
	if errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, errTooLarge) {
		return r.problem(TooLarge, l, off, "%s: the compressed members decompress to more than %d bytes (Options.MaxDecompressed): a decompression bomb, or a limit to raise", what, r.bud.max)
	}
	if !l.inner {
		return fmt.Errorf("read initrd at offset %d: %w", off, err)
	}
	member := fmt.Sprintf("segment %d (%s member at image offset %s)", l.seg, l.codec, r.fileOff(l.base))
	kind := memberErrKind(err)
	at, detail, ok := memberDetail(err)
	if !ok {
		at, detail = l.base, err.Error()
	}
	switch kind {
	case Truncated:
		return r.problem(kind, l, off, "%s is cut short: the image ends inside it, at offset %s (%s), after %d bytes decompressed", member, r.fileOff(at), detail, off)
	case Unsupported:
		return r.problem(kind, l, off, "%s cannot be decoded here: %s", member, detail)
	}
	return r.problem(Corrupt, l, off, "%s is corrupt at image offset %s: %s (after %d bytes decompressed)", member, r.fileOff(at), detail, off)
}

// run is the kernel's unpack_to_rootfs loop over the whole image.
func (r *reader) run(src stream) error {
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		off := src.Offset()
		b, err := src.Peek(1)
		if len(b) == 0 {
			if err == io.EOF {
				return nil
			}
			return r.streamErr(err, loc{seg: -1}, off, "")
		}
		switch {
		case b[0] == 0:
			if err := skipZeros(src); err != nil {
				return r.streamErr(err, loc{seg: -1}, src.Offset(), "zero padding")
			}
		case b[0] == '0' && off%4 == 0:
			if err := r.uncompressed(src); err != nil {
				return err
			}
		default:
			head, _ := src.Peek(16)
			codec := detectCodec(head)
			if codec == "" {
				return r.junk(off, head)
			}
			if err := r.compressed(src, codec); err != nil {
				return err
			}
		}
	}
}

// junk reports bytes at top level that the kernel cannot unpack.
func (r *reader) junk(off int64, head []byte) error {
	if len(head) > 8 {
		head = head[:8]
	}
	after := "at the start of the image"
	if n := len(r.img.Segments); n > 0 {
		after = fmt.Sprintf("after segment %d", n-1)
	}
	why := "neither zero padding, a cpio header (070701 or 070702) nor the magic of a compressed member"
	if head[0] == '0' && off%4 != 0 {
		why = "not zero padding, and a cpio header must start at a multiple of 4 (the kernel says \"invalid magic at start of compressed archive\")"
	}
	p := Problem{Kind: Corrupt, Segment: -1, Offset: off, InnerOffset: -1,
		Message: fmt.Sprintf("junk at offset %s %s: bytes % x are %s", r.fileOff(off), after, head, why)}
	return &problemError{p}
}

// newSegment appends a segment starting at off and returns its index.
func (r *reader) newSegment(off int64, codec string) int {
	s := Segment{Index: len(r.img.Segments), Offset: off, End: off, Compression: codec, FileOffset: off}
	for i := len(r.img.Inputs) - 1; i >= 0; i-- {
		if in := r.img.Inputs[i]; off >= in.Offset {
			s.File, s.FileOffset = in.Path, off-in.Offset
			break
		}
	}
	r.img.Segments = append(r.img.Segments, s)
	return s.Index
}

// uncompressed reads one uncompressed archive at the top level.
func (r *reader) uncompressed(src stream) error {
	i := r.newSegment(src.Offset(), "none")
	l := loc{seg: i, codec: "none"}
	err := r.entries(src, l, false)
	seg := &r.img.Segments[i]
	if err != nil {
		seg.End = src.Offset()
	}
	seg.CompressedSize = seg.End - seg.Offset
	seg.DecompressedSize = seg.CompressedSize
	return err
}

// compressed decodes one compressed member at the top level.
func (r *reader) compressed(src stream, codec string) error {
	off := src.Offset()
	i := r.newSegment(off, codec)
	l := loc{seg: i, codec: codec, base: off, inner: true}
	rc, err := openMember(codec, src)
	if err != nil {
		return r.streamErr(err, l, 0, "start of the member")
	}
	ms := newMemberStream(&limited{r: rc, b: &r.bud})
	err = r.entries(ms, l, true)
	if cerr := rc.Close(); err == nil && cerr != nil {
		err = r.streamErr(cerr, l, ms.Offset(), "end of the member")
	}
	seg := &r.img.Segments[i]
	seg.End = src.Offset()
	seg.CompressedSize = seg.End - seg.Offset
	seg.DecompressedSize = ms.Offset()
	return err
}

// skipZeros consumes zero bytes; it stops at the first other byte or at the
// end of s (which is not an error).
func skipZeros(s stream) error {
	for {
		b, err := s.Peek(4096)
		n := 0
		for n < len(b) && b[n] == 0 {
			n++
		}
		if n > 0 {
			if _, derr := s.Discard(n); derr != nil {
				return derr
			}
		}
		if n < len(b) {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if len(b) == 0 {
			return io.ErrNoProgress
		}
	}
}
