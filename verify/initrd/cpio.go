package initrd

import (
	"bytes"
	"fmt"
	"io"
	"slices"
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

var fieldNames = [13]string{"ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
	"devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"}

const (
	fIno = iota
	fMode
	fUID
	fGID
	fNlink
	fMtime
	fFilesize
	fDevMajor
	fDevMinor
	fRdevMajor
	fRdevMinor
	fNamesize
	fCheck
)

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

// linkKey identifies a hard-link group as the kernel's find_link does.
type linkKey struct {
	ino, major, minor, typ uint32
}

type linkGroup struct {
	first   string
	size    int64
	content []byte // kept data, when a member asked for it
	kept    bool
	why     string   // why content is not kept
	wanting []string // members Keep asked for
	members []int    // indices in Image.Entries (Read only)

	// A kernel module is often one member of a hard-link group whose data
	// rides on another member (newc puts it on the last; dracut links
	// identical files): its .modinfo is read from whichever member carries
	// the data, since the kernel writes that data into the shared inode.
	pendingMods []modRef // module members seen before the data
	modSeen     bool     // the data has come: mod
	mod         modData  // raw is the group's own copy
	// seen counts the members so far and nlink is the latest header's
	// link count: while seen < nlink more links may follow, so the data
	// is read for them even when no member so far was chosen.
	seen  int
	nlink uint32
}

// modRef is a module member of a hard-link group waiting for its data.
type modRef struct{ path, version string }

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

// entry reads one cpio entry at the current offset of s.
func (r *reader) entry(s stream, l loc) (isTrailer bool, err error) {
	hoff := s.Offset()
	at := headerAt{r, l, hoff}
	h, err := s.Peek(headerSize)
	if len(h) < headerSize {
		if err == io.EOF {
			return false, r.streamErr(io.EOF, l, hoff+int64(len(h)), fmt.Sprintf("%s: only %d of its %d bytes", at, len(h), headerSize))
		}
		return false, r.streamErr(err, l, hoff, at.String())
	}
	magic := string(h[:6])
	if magic != magicNewc && magic != magicCRC {
		hint := ""
		if magic == "070707" {
			hint = " (this is the old portable format; the kernel needs newc: cpio -H newc)"
		}
		return false, r.problem(Corrupt, l, hoff, "%s: bad magic %q, want %s or %s%s", at, magic, magicNewc, magicCRC, hint)
	}
	var f [13]uint32
	for i := range f {
		field := h[6+8*i : 14+8*i]
		v, ok := parseHex8(field)
		if !ok {
			return false, r.problem(Corrupt, l, hoff+6+8*int64(i), "%s: field %s is %q, not 8 hexadecimal digits", at, fieldNames[i], field)
		}
		f[i] = v
	}
	if _, err := s.Discard(headerSize); err != nil {
		return false, r.streamErr(err, l, s.Offset(), at.String())
	}
	ns := int64(f[fNamesize])
	if ns == 0 {
		return false, r.problem(Corrupt, l, hoff, "%s: namesize is 0; a name needs at least its NUL", at)
	}
	if ns > PathMax {
		return false, r.problem(Corrupt, l, hoff, "%s: namesize %d is over PATH_MAX %d (the kernel skips such an entry)", at, ns, PathMax)
	}
	nameLen := align4(headerSize+ns) - headerSize
	nb, err := s.Peek(int(nameLen))
	if int64(len(nb)) < nameLen {
		if err == io.EOF {
			return false, r.streamErr(io.EOF, l, hoff+headerSize+int64(len(nb)), fmt.Sprintf("%s: name needs %d bytes (with padding), only %d follow", at, nameLen, len(nb)))
		}
		return false, r.streamErr(err, l, s.Offset(), at.String())
	}
	if nb[ns-1] != 0 {
		return false, r.problem(Corrupt, l, hoff, "%s: name %q does not end with NUL at namesize %d", at, nb[:ns], ns)
	}
	name := string(nb[:ns-1])
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i] // the kernel uses the name as a C string
	}
	if _, err := s.Discard(int(nameLen)); err != nil {
		return false, r.streamErr(err, l, s.Offset(), at.String())
	}
	size := int64(f[fFilesize])
	if name == trailer {
		// The kernel skips whatever body a trailer claims.
		return true, r.skipBody(s, l, at, size)
	}
	if name == "" {
		return false, r.problem(Corrupt, l, hoff, "%s: empty name", at)
	}
	e := Entry{Path: CleanPath(name), Mode: f[fMode], Size: size, Segment: l.seg, Offset: hoff}
	typ := e.Mode & ModeType
	crc := string(h[:6]) == magicCRC
	var g *linkGroup
	if f[fNlink] >= 2 && typ != ModeDir && typ != ModeSymlink {
		g = r.linkGroup(linkKey{f[fIno], f[fDevMajor], f[fDevMinor], typ}, e.Path)
		g.seen++
		g.nlink = f[fNlink]
		if g.first != e.Path {
			e.HardLink = g.first
		}
	}
	switch typ {
	case ModeRegular:
		if err := r.regular(s, l, at, &e, g, crc, f[fCheck]); err != nil {
			return false, err
		}
	case ModeSymlink:
		if size > PathMax {
			return false, r.problem(Corrupt, l, hoff, "%s: symlink %q has a target of %d bytes, over PATH_MAX %d (the kernel skips it)", at, e.Path, size, PathMax)
		}
		tb, err := s.Peek(int(size))
		if int64(len(tb)) < size {
			return false, r.streamErr(orEOF(err), l, s.Offset()+int64(len(tb)), fmt.Sprintf("%s: symlink %q target needs %d bytes, only %d follow", at, e.Path, size, len(tb)))
		}
		if i := bytes.IndexByte(tb, 0); i >= 0 {
			tb = tb[:i]
		}
		if len(tb) == 0 {
			return false, r.problem(Corrupt, l, hoff, "%s: symlink %q has an empty target", at, e.Path)
		}
		e.Link = string(tb)
		if err := r.skipBody(s, l, at, size); err != nil {
			return false, err
		}
	case ModeDir, ModeChar, ModeBlock, ModeFIFO, ModeSocket:
		if size > 0 {
			return false, r.problem(Corrupt, l, hoff, "%s: %s %q has %d data bytes; the kernel skips such an entry, so it is not created", at, typeName(typ), e.Path, size)
		}
		if err := r.skipBody(s, l, at, 0); err != nil {
			return false, err
		}
	default:
		return false, r.problem(Corrupt, l, hoff, "%s: %q has mode %#o, whose file type %#o is none the kernel creates", at, e.Path, e.Mode, typ)
	}
	if !e.IsRegular() {
		delete(r.img.Files, e.Path)
	}
	r.img.Segments[l.seg].Entries++
	if r.collect {
		if g != nil {
			g.members = append(g.members, len(r.img.Entries))
		}
		r.img.Entries = append(r.img.Entries, e)
	}
	if r.fn != nil {
		if err := r.fn(e); err != nil {
			return false, err
		}
	}
	return false, nil
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

// endLinkGroups closes the hard-link groups of an archive at its trailer
// (the kernel forgets its links there too). A module member whose group
// never carried data is an empty file: recorded, with the error that says so.
func (r *reader) endLinkGroups() {
	for _, g := range r.links {
		for _, m := range g.pendingMods {
			r.addModule(m.path, m.version, modData{raw: []byte{}, read: true})
		}
	}
	clear(r.links)
}

func (r *reader) linkGroup(k linkKey, p string) *linkGroup {
	g, ok := r.links[k]
	if !ok {
		g = &linkGroup{first: p}
		r.links[k] = g
	}
	return g
}

// skipBody discards size bytes of data and the padding to a multiple of 4.
func (r *reader) skipBody(s stream, l loc, at headerAt, size int64) error {
	end := align4(s.Offset() + size)
	for s.Offset() < end {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		n := min(end-s.Offset(), 1<<20)
		d, err := s.Discard(int(n))
		if int64(d) < n {
			return r.streamErr(orEOF(err), l, s.Offset(), fmt.Sprintf("%s: data of %d bytes (with padding, up to offset %d)", at, size, end))
		}
	}
	return nil
}

// regular streams a regular file's data: checksum, kept content, module.
func (r *reader) regular(s stream, l loc, at headerAt, e *Entry, g *linkGroup, crc bool, check uint32) error {
	size := e.Size
	keep := r.opt.keep(e.Path)
	if g != nil && keep {
		g.wanting = append(g.wanting, e.Path)
	}
	keepData := keep || (g != nil && len(g.wanting) > 0)
	ver, isMod := modulePath(e.Path)
	if g != nil && isMod && size == 0 {
		// A link without data: the module's bytes are the group's.
		if g.modSeen {
			r.addModule(e.Path, ver, g.mod)
		} else {
			g.pendingMods = append(g.pendingMods, modRef{e.Path, ver})
		}
		isMod = false
	}
	// The member carrying a group's data is read as a module when any
	// member of the group is one, whatever its own name (".ko.dpkg-tmp").
	groupMod := g != nil && size > 0 && (isMod || len(g.pendingMods) > 0)
	readMod := isMod || groupMod
	// The data is buffered only for a .modinfo someone reads: this
	// module's if Options.Modinfo chose it; a group's for any member
	// chosen so far, or for links still to come.
	wantMod := isMod && r.opt.wantModinfo(moduleName(e.Path))
	if groupMod && !wantMod {
		wantMod = uint32(g.seen) < g.nlink || slices.ContainsFunc(g.pendingMods, func(m modRef) bool {
			return r.opt.wantModinfo(moduleName(m.path))
		})
	}
	var content, mod []byte
	keepContent := keepData && size <= r.opt.maxFileSize()
	// Buffers grow with the data that actually arrives, never straight
	// from the header's filesize (a hostile header must not allocate).
	const prealloc = 64 << 10
	if keepContent {
		content = make([]byte, 0, min(size, prealloc))
	}
	modOK := wantMod && size <= MaxModuleSize
	if modOK {
		// One scratch buffer serves every module of the read.
		mod = r.modBuf[:0]
	}
	var sum uint32
	start := s.Offset()
	for done := int64(0); done < size; {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		n := min(size-done, int64(len(r.buf)))
		k, err := io.ReadFull(s, r.buf[:n])
		chunk := r.buf[:k]
		if crc {
			for _, c := range chunk {
				sum += uint32(c)
			}
		}
		if keepContent {
			content = append(content, chunk...)
		}
		if modOK {
			mod = append(growFor(mod, len(chunk), size), chunk...)
		}
		done += int64(k)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // io.ReadFull's word for a clean end of s
		}
		if err != nil {
			return r.streamErr(orEOF(err), l, start+done, fmt.Sprintf("%s: data of %q needs %d bytes, only %d follow", at, e.Path, size, done))
		}
	}
	if cap(mod) > cap(r.modBuf) {
		r.modBuf = mod[:0]
	}
	if crc && sum != check {
		return r.problem(Corrupt, l, start, "%s: data checksum of %q is %08x, the header says %08x (070702 format: the data is damaged)", at, e.Path, sum, check)
	}
	if err := r.skipBody(s, l, at, 0); err != nil {
		return err
	}
	switch {
	case g == nil && keepContent:
		r.setFile(e.Path, content)
	case g == nil && keep:
		r.notKept(e.Path, r.overCap(size))
	case g != nil:
		r.hardLinkData(g, e, size, content, keepContent)
	}
	if readMod {
		d := modData{raw: mod, size: size, read: modOK, over: wantMod && !modOK}
		if isMod {
			r.addModule(e.Path, ver, d)
		}
		if groupMod {
			for _, m := range g.pendingMods {
				r.addModule(m.path, m.version, d)
			}
			g.pendingMods = nil
			if d.read {
				d.raw = bytes.Clone(mod) // the scratch buffer serves the next module
			}
			g.modSeen, g.mod = true, d
		}
	}
	return nil
}

// growFor returns b with room for n more bytes of a file of size bytes:
// capacity doubles (from 64 KiB) as data arrives, never beyond size, so a
// header's filesize alone allocates nothing and a buffer is at most twice
// the data that came.
func growFor(b []byte, n int, size int64) []byte {
	need := len(b) + n
	if need <= cap(b) {
		return b
	}
	c := int64(max(need, 2*cap(b), 64<<10))
	c = max(min(c, size), int64(need))
	nb := make([]byte, len(b), c)
	copy(nb, b)
	return nb
}

// hardLinkData updates a hard-link group after one of its members. The
// group's content is what its members wrote, each over the start of the
// shared file (the kernel opens a later link without O_TRUNC), and every
// member sees it.
func (r *reader) hardLinkData(g *linkGroup, e *Entry, size int64, content []byte, kept bool) {
	if size > 0 {
		if kept {
			if int64(len(g.content)) > size {
				copy(g.content, content)
				content = g.content
			}
			g.content, g.kept = content, true
		} else {
			g.content, g.kept = nil, false
			g.why = fmt.Sprintf("hard link to %q, whose data came before Keep asked for it", g.first)
			if len(g.wanting) > 0 {
				g.why = r.overCap(size)
			}
		}
		g.size = max(g.size, size)
		for _, i := range g.members {
			r.img.Entries[i].Size = g.size
		}
	} else if !g.kept && g.size > 0 && g.why == "" {
		g.why = fmt.Sprintf("hard link to %q, whose data came before Keep asked for it", g.first)
	}
	e.Size = g.size
	for _, p := range g.wanting {
		if g.kept || g.size == 0 {
			r.setFile(p, g.content)
		} else {
			r.notKept(p, g.why)
		}
	}
}

// overCap says why a file of size bytes was not kept.
func (r *reader) overCap(size int64) string {
	return fmt.Sprintf("%d bytes, over MaxFileSize %d", size, r.opt.maxFileSize())
}

func (r *reader) setFile(p string, content []byte) {
	if r.img.Files == nil {
		r.img.Files = map[string][]byte{}
	}
	if content == nil {
		content = []byte{}
	}
	r.img.Files[p] = content
	delete(r.img.NotKept, p)
}

func (r *reader) notKept(p, why string) {
	if r.img.NotKept == nil {
		r.img.NotKept = map[string]string{}
	}
	r.img.NotKept[p] = why
	delete(r.img.Files, p)
}
