package initrd

import (
	"bytes"
	"fmt"
	"io"
)

// A regular file's data streams through one copy loop into small sinks,
// each off unless the file needs it: the 070702 checksum, the content
// Options.Keep asked for, and a module's bytes for its .modinfo. Nothing
// else of the data is held.

// checksum is the 070702 format's sum of the data bytes.
type checksum struct {
	on  bool
	sum uint32
}

func (c *checksum) write(p []byte) {
	if c.on {
		for _, b := range p {
			c.sum += uint32(b)
		}
	}
}

// buffer holds the data of a file of size bytes as it arrives: it grows
// with the bytes that came (growFor), never from the header's filesize
// alone, so a hostile header allocates nothing.
type buffer struct {
	on   bool
	b    []byte
	size int64
}

func (f *buffer) write(p []byte) {
	if f.on {
		f.b = append(growFor(f.b, len(p), f.size), p...)
	}
}

// sinks are the sinks of one regular file.
type sinks struct {
	crc     checksum
	content buffer // for Image.Files
	mod     buffer // for a .modinfo
}

func (s *sinks) write(p []byte) {
	s.crc.write(p)
	s.content.write(p)
	s.mod.write(p)
}

// modPlan is what a regular file's data does for kernel modules.
type modPlan struct {
	version string
	own     bool // the file is a module and carries its data
	group   bool // the data is its hard-link group's, for the group's modules
	want    bool // a .modinfo is read from the data: buffer it
}

// planModules decides what the data of the regular file at p, of size
// bytes and in link group g (or nil), does for modules; a module member of
// g without data is recorded here.
func (r *reader) planModules(p string, size int64, g *linkGroup) modPlan {
	ver, isMod := modulePath(p)
	if g != nil && isMod && size == 0 {
		r.linkedModule(g, p, ver)
		isMod = false
	}
	m := modPlan{version: ver, own: isMod}
	// The member carrying a group's data is read as a module when any
	// member of the group is one, whatever its own name (".ko.dpkg-tmp").
	m.group = g != nil && size > 0 && (isMod || len(g.pendingMods) > 0)
	// The data is buffered only for a .modinfo someone reads: this
	// module's if Options.Modinfo chose it; a group's for any member
	// chosen so far, or for links still to come.
	m.want = isMod && r.opt.wantModinfo(moduleName(p))
	if m.group && !m.want {
		m.want = g.modinfoWanted(r.opt)
	}
	return m
}

// regular streams a regular file's data through its sinks, checks its
// checksum, and records its kept content and the modules it serves.
func (r *reader) regular(s stream, at headerAt, e *Entry, g *linkGroup, crc bool, check uint32) error {
	size := e.Size
	keep := r.opt.keep(e.Path)
	keepData := keep
	if g != nil {
		keepData = g.want(e.Path, keep)
	}
	mp := r.planModules(e.Path, size, g)
	sk := sinks{
		crc:     checksum{on: crc},
		content: buffer{on: keepData && size <= r.opt.maxFileSize(), size: size},
		// One scratch buffer serves every module of the read.
		mod: buffer{on: mp.want && size <= MaxModuleSize, b: r.modBuf[:0], size: size},
	}
	start := s.Offset()
	if err := r.copyData(s, at, e, &sk); err != nil {
		return err
	}
	if cap(sk.mod.b) > cap(r.modBuf) {
		r.modBuf = sk.mod.b[:0]
	}
	if crc && sk.crc.sum != check {
		return r.problem(Corrupt, at.l, start, "%s: data checksum of %q is %08x, the header says %08x (070702 format: the data is damaged)", at, e.Path, sk.crc.sum, check)
	}
	if err := r.skipBody(s, at, 0); err != nil {
		return err
	}
	switch {
	case g == nil && sk.content.on:
		r.setFile(e.Path, sk.content.b)
	case g == nil && keep:
		r.notKept(e.Path, r.overCap(size))
	case g != nil:
		r.hardLinkData(g, e, size, sk.content.b, sk.content.on)
	}
	if mp.own || mp.group {
		d := modData{size: size, read: sk.mod.on, over: mp.want && !sk.mod.on}
		if d.read {
			d.raw = sk.mod.b
		}
		if mp.group && d.read {
			// The group keeps its data for members still to come;
			// the scratch buffer serves the next module (or goes
			// to a .modinfo worker with this one).
			d.raw = bytes.Clone(d.raw)
		}
		if mp.own {
			r.addModule(e.Path, mp.version, d)
		}
		if mp.group {
			r.groupModuleData(g, d)
		}
	}
	return nil
}

// copyData reads e's data from s, in chunks of the read's buffer, into sk.
func (r *reader) copyData(s stream, at headerAt, e *Entry, sk *sinks) error {
	size := e.Size
	start := s.Offset()
	for done := int64(0); done < size; {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		n := min(size-done, int64(len(r.buf)))
		k, err := io.ReadFull(s, r.buf[:n])
		sk.write(r.buf[:k])
		done += int64(k)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF // io.ReadFull's word for a clean end of s
		}
		if err != nil {
			return r.streamErr(orEOF(err), at.l, start+done, fmt.Sprintf("%s: data of %q needs %d bytes, only %d follow", at, e.Path, size, done))
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
