package initrd

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// The cpio "newc" header of buffer-format.rst: a 6-byte magic and 13
// fields of 8 hexadecimal digits, 110 bytes in all.
const headerSize = 110

const (
	magicNewc = "070701"
	magicCRC  = "070702"
	trailer   = "TRAILER!!!"
)

// header holds the 13 fields of a cpio header after its magic.
type header struct {
	Ino, Mode, UID, GID, Nlink, Mtime, FileSize               uint32
	DevMajor, DevMinor, RDevMajor, RDevMinor, NameSize, Check uint32
}

// fieldNames names the fields of a header in messages, in their order on
// disk.
var fieldNames = [13]string{"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
	"devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"}

// fields returns h's fields in their order on disk.
func (h *header) fields() [13]*uint32 {
	return [13]*uint32{&h.Ino, &h.Mode, &h.UID, &h.GID, &h.Nlink, &h.Mtime, &h.FileSize,
		&h.DevMajor, &h.DevMinor, &h.RDevMajor, &h.RDevMinor, &h.NameSize, &h.Check}
}

// badField is a header field that is not 8 hexadecimal digits.
type badField struct {
	name string
	off  int64 // from the start of the header
	text []byte
}

// parseHeader decodes the fields of the 110-byte header b (whose magic the
// caller checked). Each field must be 8 hexadecimal digits: the first that
// is not is returned as bad.
func parseHeader(b []byte) (h header, bad *badField) {
	for i, f := range h.fields() {
		text := b[6+8*i : 14+8*i]
		v, ok := parseHex8(text)
		if !ok {
			return header{}, &badField{fieldNames[i], 6 + 8*int64(i), text}
		}
		*f = v
	}
	return h, nil
}

// parseHex8 parses 8 hexadecimal digits; anything else is not a number.
func parseHex8(b []byte) (uint32, bool) {
	var v uint32
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}

func align4(n int64) int64 { return (n + 3) &^ 3 }

// entries reads cpio entries from s: for the top level, one archive up to
// its TRAILER!!! (the caller then goes on with the next segment); inside a
// compressed member, archives until the member's decompressed data ends.
// Between entries it skips zero padding as the kernel's Reset state does.
func (r *reader) entries(s stream, l loc, inMember bool) error {
	seg := func() *Segment { return &r.img.Segments[l.seg] }
	open := false // an archive has started and not reached its trailer
	if inMember && !r.sawEntry {
		// The kernel's state machine starts in Start and only reaches
		// Reset (where zero padding is eaten and a member may end) after
		// an entry: a first member must start with a cpio header.
		b, err := s.Peek(1)
		switch {
		case len(b) == 0 && err == io.EOF:
			return r.problem(Corrupt, l, 0, "segment %d (%s member at image offset %s) decompresses to nothing, and no cpio entry came before it (the kernel says \"junk at the end of compressed archive\")", l.seg, l.codec, r.fileOff(l.base))
		case len(b) == 0:
			return r.streamErr(err, l, 0, "start of the member")
		case b[0] == 0:
			return r.problem(Corrupt, l, 0, "%s: zero bytes where the first cpio header of the image must be (the kernel says \"no cpio magic\")", headerAt{r, l, 0})
		}
	}
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if err := skipZeros(s); err != nil {
			return r.streamErr(err, l, s.Offset(), "zero padding")
		}
		off := s.Offset()
		b, err := s.Peek(1)
		if len(b) == 0 {
			if err != io.EOF {
				return r.streamErr(err, l, off, "next cpio header")
			}
			if !open {
				return nil
			}
			if inMember {
				return r.problem(Corrupt, l, off, "cpio archive at %s has no %s: the decompressed data ends after its last entry", r.where(l, off), trailer)
			}
			return r.problem(Truncated, l, off, "cpio archive at %s has no %s: the image ends at offset %s", r.where(l, off), trailer, r.fileOff(off))
		}
		if !inMember && !open && seg().Archives > 0 {
			// The archive is complete; what follows is the next segment.
			return nil
		}
		if b[0] != '0' {
			if inMember {
				return r.problem(Corrupt, l, off, "junk in the decompressed data at %s: byte 0x%02x where a cpio header (070701) or zero padding must be", r.where(l, off), b[0])
			}
			return r.problem(Corrupt, l, off, "cpio archive of segment %d has no %s: at offset %s comes byte 0x%02x instead of the next cpio header", l.seg, trailer, r.fileOff(off), b[0])
		}
		if off%4 != 0 {
			return r.problem(Corrupt, l, off, "%s: not at a multiple of 4 (the kernel says \"broken padding\")", headerAt{r, l, off})
		}
		if !open {
			open = true
			seg().Archives++
		}
		isTrailer, err := r.entry(s, l)
		if err != nil {
			return err
		}
		r.sawEntry = true
		if isTrailer {
			open = false
			r.endLinkGroups()
			seg().End = s.Offset()
		}
	}
}

// headerAt names the cpio header at offset off of l in messages ("cpio
// header at offset ..."). It is rendered only when a problem is reported:
// reading an entry formats nothing.
type headerAt struct {
	r   *reader
	l   loc
	off int64
}

func (h headerAt) String() string { return "cpio header at " + h.r.where(h.l, h.off) }

// entry reads one cpio entry at the current offset of s: its header, its
// name, and its data by file type.
func (r *reader) entry(s stream, l loc) (isTrailer bool, err error) {
	at := headerAt{r, l, s.Offset()}
	h, crc, err := r.readHeader(s, at)
	if err != nil {
		return false, err
	}
	p, isTrailer, err := r.readName(s, at, h.NameSize)
	if err != nil {
		return false, err
	}
	size := int64(h.FileSize)
	if isTrailer {
		// The kernel skips whatever body a trailer claims.
		return true, r.skipBody(s, at, size)
	}
	e := Entry{Path: p, Mode: h.Mode, Size: size, Segment: l.seg, Offset: at.off}
	typ := e.Mode & ModeType
	var g *linkGroup
	if h.Nlink >= 2 && typ != ModeDir && typ != ModeSymlink {
		g = r.joinLinkGroup(linkKey{h.Ino, h.DevMajor, h.DevMinor, typ}, &e, h.Nlink)
	}
	switch typ {
	case ModeRegular:
		err = r.regular(s, at, &e, g, crc, h.Check)
	case ModeSymlink:
		err = r.symlink(s, at, &e)
	case ModeDir, ModeChar, ModeBlock, ModeFIFO, ModeSocket:
		if size > 0 {
			return false, r.problem(Corrupt, l, at.off, "%s: %s %q has %d data bytes; the kernel skips such an entry, so it is not created", at, typeName(typ), e.Path, size)
		}
		err = r.skipBody(s, at, 0)
	default:
		return false, r.problem(Corrupt, l, at.off, "%s: %q has mode %#o, whose file type %#o is none the kernel creates", at, e.Path, e.Mode, typ)
	}
	if err != nil {
		return false, err
	}
	return false, r.record(e, g)
}

// readHeader reads the 110-byte header at at: its magic (crc: the 070702
// format) and its fields.
func (r *reader) readHeader(s stream, at headerAt) (h header, crc bool, err error) {
	b, err := s.Peek(headerSize)
	if len(b) < headerSize {
		if err == io.EOF {
			return h, false, r.streamErr(io.EOF, at.l, at.off+int64(len(b)), fmt.Sprintf("%s: only %d of its %d bytes", at, len(b), headerSize))
		}
		return h, false, r.streamErr(err, at.l, at.off, at.String())
	}
	switch string(b[:6]) {
	case magicNewc:
	case magicCRC:
		crc = true
	default:
		magic := string(b[:6])
		hint := ""
		if magic == "070707" {
			hint = " (this is the old portable format; the kernel needs newc: cpio -H newc)"
		}
		return h, false, r.problem(Corrupt, at.l, at.off, "%s: bad magic %q, want %s or %s%s", at, magic, magicNewc, magicCRC, hint)
	}
	h, bad := parseHeader(b)
	if bad != nil {
		return h, false, r.problem(Corrupt, at.l, at.off+bad.off, "%s: field %s is %q, not 8 hexadecimal digits", at, bad.name, bad.text)
	}
	if _, err := s.Discard(headerSize); err != nil {
		return h, false, r.streamErr(err, at.l, s.Offset(), at.String())
	}
	return h, crc, nil
}

// readName reads the name of namesize bytes (its NUL included) that
// follows the header at at, and its padding, and returns the path the
// entry gets (CleanPath), or that it is the TRAILER!!!. The name itself
// stays here: it is not kept.
func (r *reader) readName(s stream, at headerAt, namesize uint32) (p string, isTrailer bool, err error) {
	ns := int64(namesize)
	if ns == 0 {
		return "", false, r.problem(Corrupt, at.l, at.off, "%s: namesize is 0; a name needs at least its NUL", at)
	}
	if ns > PathMax {
		return "", false, r.problem(Corrupt, at.l, at.off, "%s: namesize %d is over PATH_MAX %d (the kernel skips such an entry)", at, ns, PathMax)
	}
	nameLen := align4(headerSize+ns) - headerSize
	nb, err := s.Peek(int(nameLen))
	if int64(len(nb)) < nameLen {
		if err == io.EOF {
			return "", false, r.streamErr(io.EOF, at.l, at.off+headerSize+int64(len(nb)), fmt.Sprintf("%s: name needs %d bytes (with padding), only %d follow", at, nameLen, len(nb)))
		}
		return "", false, r.streamErr(err, at.l, s.Offset(), at.String())
	}
	if nb[ns-1] != 0 {
		return "", false, r.problem(Corrupt, at.l, at.off, "%s: name %q does not end with NUL at namesize %d", at, nb[:ns], ns)
	}
	name := string(nb[:ns-1])
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i] // the kernel uses the name as a C string
	}
	if _, err := s.Discard(int(nameLen)); err != nil {
		return "", false, r.streamErr(err, at.l, s.Offset(), at.String())
	}
	switch name {
	case trailer:
		return "", true, nil
	case "":
		return "", false, r.problem(Corrupt, at.l, at.off, "%s: empty name", at)
	}
	return CleanPath(name), false, nil
}

// symlink reads a symlink's target: its data, up to a NUL if any.
func (r *reader) symlink(s stream, at headerAt, e *Entry) error {
	size := e.Size
	if size > PathMax {
		return r.problem(Corrupt, at.l, at.off, "%s: symlink %q has a target of %d bytes, over PATH_MAX %d (the kernel skips it)", at, e.Path, size, PathMax)
	}
	tb, err := s.Peek(int(size))
	if int64(len(tb)) < size {
		return r.streamErr(orEOF(err), at.l, s.Offset()+int64(len(tb)), fmt.Sprintf("%s: symlink %q target needs %d bytes, only %d follow", at, e.Path, size, len(tb)))
	}
	if i := bytes.IndexByte(tb, 0); i >= 0 {
		tb = tb[:i]
	}
	if len(tb) == 0 {
		return r.problem(Corrupt, at.l, at.off, "%s: symlink %q has an empty target", at, e.Path)
	}
	e.Link = string(tb)
	return r.skipBody(s, at, size)
}

// record counts the entry e, of link group g or nil, in its segment, lists
// it in Entries (Read) and hands it to fn (Walk).
func (r *reader) record(e Entry, g *linkGroup) error {
	if !e.IsRegular() {
		delete(r.img.Files, e.Path)
	}
	r.img.Segments[e.Segment].Entries++
	if r.collect {
		if g != nil {
			g.members = append(g.members, len(r.img.Entries))
		}
		r.img.Entries = append(r.img.Entries, e)
		r.unpacked(len(r.img.Entries) - 1)
	}
	if r.fn != nil {
		return r.fn(e)
	}
	return nil
}

func orEOF(err error) error {
	if err == nil {
		return io.EOF
	}
	return err
}

func typeName(t uint32) string {
	switch t {
	case ModeDir:
		return "directory"
	case ModeChar:
		return "character device"
	case ModeBlock:
		return "block device"
	case ModeFIFO:
		return "fifo"
	case ModeSocket:
		return "socket"
	case ModeSymlink:
		return "symlink"
	case ModeRegular:
		return "file"
	}
	return fmt.Sprintf("type %#o", t)
}

// skipBody discards size bytes of data and the padding to a multiple of 4.
func (r *reader) skipBody(s stream, at headerAt, size int64) error {
	end := align4(s.Offset() + size)
	for s.Offset() < end {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		n := min(end-s.Offset(), 1<<20)
		d, err := s.Discard(int(n))
		if int64(d) < n {
			return r.streamErr(orEOF(err), at.l, s.Offset(), fmt.Sprintf("%s: data of %d bytes (with padding, up to offset %d)", at, size, end))
		}
	}
	return nil
}
