package initrd

import (
	"fmt"
	"strconv"
	"strings"
)

// The rootfs model: the tree the kernel really ends up with after unpacking
// every archive of every segment in order (init/initramfs.c do_name,
// clean_path, maybe_link, do_symlink). A name is created in the directory its
// parent components resolve to, following symlinks there (the kernel's
// filp_open, init_mkdir, init_symlink and init_link walk the path that way);
// a parent that is missing or not a directory means the entry is not created.
// Over an existing name of another type, clean_path removes the old one first
// (unlink, or rmdir, which fails on a directory that is not empty: then the
// new entry is not created). A directory over a directory keeps the old one
// (and its contents) and takes the new mode; a file over a file is rewritten;
// a symlink replaces whatever it can remove; a hard link is linked to its
// group's first member, when that member exists.
//
// The model holds one small node per name, never file contents. Image.Has and
// Image.File answer from it; Image.NotCreated lists the entries the kernel
// does not create, with why.

// NotCreated is an entry of the image the kernel does not create.
type NotCreated struct {
	Path    string `json:"path"`
	Type    string `json:"type"`
	Segment int    `json:"segment"`
	Offset  int64  `json:"offset"`
	// Reason says why, naming the entry in the way.
	Reason string `json:"reason"`
}

// node is one name in the rootfs.
type node struct {
	entry  int    // index in Image.Entries of the entry that made it (-1: the root before any "." entry)
	mode   uint32 // its mode now: a directory entry over a directory changes it
	name   string
	parent *node
	kids   map[string]*node // a directory's names
}

func (n *node) isDir() bool { return n.mode&ModeType == ModeDir }

func (n *node) path() string {
	if n.parent == nil {
		return "."
	}
	if n.parent.parent == nil {
		return n.name
	}
	return n.parent.path() + "/" + n.name
}

// rootfs is the tree of one read.
type rootfs struct {
	root *node
	img  *Image
}

func newRootfs(img *Image) *rootfs {
	return &rootfs{root: &node{entry: -1, mode: ModeDir | 0o755, kids: map[string]*node{}}, img: img}
}

// walkResult is where a path leads: the directory its last component is in
// and that component's node (nil when absent). dir is nil when the walk
// failed before, and why says where.
type walkResult struct {
	dir  *node
	name string
	n    *node
	why  string
}

// walk resolves p from the root like the kernel's path walk: "." and ".."
// as usual, a symlink in the middle followed (from the root when its target
// is absolute, else from its directory), and the last one too when
// followLast.
func (fs *rootfs) walk(p string, followLast bool) walkResult {
	rest := CleanPath(p)
	cur := fs.root
	hops := 0
	for {
		name, more, notLast := strings.Cut(rest, "/")
		rest = more
		switch name {
		case "", ".", "..":
			if name == ".." && cur.parent != nil {
				cur = cur.parent
			}
			if !notLast {
				return walkResult{dir: cur.parent, name: cur.name, n: cur}
			}
			continue
		}
		child := cur.kids[name]
		if child != nil && child.mode&ModeType == ModeSymlink && (notLast || followLast) {
			if hops++; hops > maxSymlinks {
				return walkResult{why: child.path() + ": too many levels of symlinks"}
			}
			target := fs.img.Entries[child.entry].Link
			if strings.HasPrefix(target, "/") {
				cur = fs.root
			}
			if notLast {
				target += "/" + rest
			}
			rest = target
			continue
		}
		if !notLast {
			return walkResult{dir: cur, name: name, n: child}
		}
		if child == nil {
			return walkResult{why: joinPath(cur, name) + " does not exist"}
		}
		if !child.isDir() {
			return walkResult{why: child.path() + " is a " + typeName(child.mode&ModeType) + ", not a directory"}
		}
		cur = child
	}
}

func joinPath(dir *node, name string) string {
	if dir.parent == nil {
		return name
	}
	return dir.path() + "/" + name
}

// made names the entry that made n, for reasons.
func (fs *rootfs) made(n *node) string {
	if n.entry < 0 {
		return "the root"
	}
	e := fs.img.Entries[n.entry]
	return fmt.Sprintf("made by %q in segment %d", e.Path, e.Segment)
}

// apply does what the kernel does with entry i; a reason when it creates
// nothing.
func (fs *rootfs) apply(i int) string {
	e := fs.img.Entries[i]
	w := fs.walk(e.Path, false)
	if w.why != "" {
		return "its directory cannot be reached: " + w.why
	}
	typ := e.Mode & ModeType
	if w.n == fs.root {
		if typ == ModeDir {
			fs.root.mode = e.Mode
			if fs.root.entry < 0 {
				fs.root.entry = i
			}
			return ""
		}
		return "it names the root directory, which the kernel does not replace"
	}
	old := w.n
	if old != nil && (old.mode^e.Mode)&ModeType != 0 {
		// clean_path(name, mode): remove a name of another type.
		old = fs.remove(w.dir, old)
	}
	link := e.HardLink != "" && typ != ModeDir && typ != ModeSymlink
	if link || typ == ModeSymlink {
		// maybe_link and do_symlink: clean_path(name, 0) removes any
		// name at all before creating.
		if old != nil {
			old = fs.remove(w.dir, old)
		}
		if old != nil {
			return fs.blocked(old, typ)
		}
		if link {
			if why := fs.linkable(e.HardLink); why != "" {
				return why
			}
		}
		fs.create(w.dir, w.name, i)
		return ""
	}
	switch {
	case old == nil:
		fs.create(w.dir, w.name, i)
	case old.mode&ModeType != typ:
		return fs.blocked(old, typ)
	case typ == ModeRegular:
		// Opened with O_TRUNC and rewritten: this entry's now.
		old.entry, old.mode = i, e.Mode
	default:
		// mkdir or mknod over the same type fails with EEXIST; the
		// chmod that follows still applies to the old one.
		old.mode = e.Mode
	}
	return ""
}

// remove is clean_path's unlink or rmdir of n in dir; it returns n when it
// stays (a directory that is not empty).
func (fs *rootfs) remove(dir, n *node) *node {
	if n.isDir() && len(n.kids) > 0 {
		return n
	}
	delete(dir.kids, n.name)
	return nil
}

// blocked says why a typ entry is not created over old, a directory that is
// not empty.
func (fs *rootfs) blocked(old *node, typ uint32) string {
	return fmt.Sprintf("%s is a directory that is not empty (%s): the kernel's rmdir of it fails, so the %s is not created in its place", old.path(), fs.made(old), typeName(typ))
}

// linkable says why a hard link to first cannot be made ("" when it can).
func (fs *rootfs) linkable(first string) string {
	w := fs.walk(first, false)
	switch {
	case w.why != "":
		return fmt.Sprintf("it is a hard link to %q, which cannot be reached: %s", first, w.why)
	case w.n == nil:
		return fmt.Sprintf("it is a hard link to %q, which the kernel did not create", first)
	case w.n.isDir():
		return fmt.Sprintf("it is a hard link to %q, which is now a directory", first)
	}
	return ""
}

func (fs *rootfs) create(dir *node, name string, i int) {
	n := &node{entry: i, mode: fs.img.Entries[i].Mode, name: name, parent: dir}
	if n.isDir() {
		n.kids = map[string]*node{}
	}
	dir.kids[name] = n
}

// entryAt returns the entry of node n as Has gives it: with n's mode now.
func (im *Image) entryAt(n *node) (Entry, bool) {
	if n == nil || n.entry < 0 {
		return Entry{}, false
	}
	e := im.Entries[n.entry]
	e.Mode = n.mode
	return e, true
}

// unpacked records entry i in the rootfs, or in NotCreated with why not.
func (r *reader) unpacked(i int) {
	if r.fs == nil {
		r.fs = newRootfs(r.img)
		r.img.fs = r.fs
	}
	why := r.fs.apply(i)
	if why == "" {
		return
	}
	e := r.img.Entries[i]
	r.img.NotCreated = append(r.img.NotCreated, NotCreated{Path: e.Path, Type: typeName(e.Mode & ModeType), Segment: e.Segment, Offset: e.Offset, Reason: why})
}

// reachModules sets Module.Unreachable: each module must be the file at
// lib/modules/VER/REST in the rootfs, where modprobe looks for it.
func (r *reader) reachModules() {
	// The last NotCreated of each path, so a hostile image of many
	// entries not created costs no more than one pass.
	notCreated := make(map[string]int, len(r.img.NotCreated))
	for i, nc := range r.img.NotCreated {
		notCreated[nc.Path] = i
	}
	for i := range r.img.Modules {
		m := &r.img.Modules[i]
		rest := strings.TrimPrefix(m.Path, "usr/")
		rest = strings.TrimPrefix(rest, "lib/modules/"+m.KernelVersion+"/")
		m.Unreachable = r.img.unreachable(m.Path, "lib/modules/"+m.KernelVersion+"/"+rest, notCreated)
	}
}

// unreachable says why the file of entry path p is not what want leads to
// in the rootfs ("" when it is); notCreated indexes NotCreated by path.
// Its reasons, and walk's, are built without fmt: an image can have one per
// module, and fmt's pooled printers (dropped at random under -race) would
// make the allocations per read vary from run to run.
func (im *Image) unreachable(p, want string, notCreated map[string]int) string {
	var w walkResult
	if im.fs != nil {
		w = im.fs.walk(want, true)
		if e, ok := im.entryAt(w.n); ok && e.Path == p && e.IsRegular() {
			return ""
		}
	}
	if i, ok := notCreated[p]; ok {
		nc := im.NotCreated[i]
		return "the kernel does not create " + p + " (segment " + strconv.Itoa(nc.Segment) + "): " + nc.Reason
	}
	if e, ok := im.entryAt(w.n); ok {
		return "/" + want + " is " + strconv.Quote(e.Path) + " (segment " + strconv.Itoa(e.Segment) + ") at boot, not this file"
	}
	if im.fs == nil {
		return "the image has no rootfs to look in"
	}
	return "/" + want + " " + im.WhyNot(want)
}

// WhyNot says why p (followed through symlinks) is not a regular file in the
// rootfs the kernel ends up with, naming the entries on the way the kernel
// did not create; "" when it is one. The text follows the path, as in
// "lib/modules/V/modules.dep " + WhyNot(...).
func (im *Image) WhyNot(p string) string {
	if im.fs == nil {
		return "cannot be looked up (the image was walked, not read)"
	}
	p = CleanPath(p)
	w := im.fs.walk(p, true)
	var why string
	switch {
	case w.why != "":
		why = "cannot be reached at boot: " + w.why
	case w.n == nil:
		why = "does not exist at boot"
	case w.n.mode&ModeType != ModeRegular:
		why = "is a " + typeName(w.n.mode&ModeType) + " at boot, not a file"
	default:
		return ""
	}
	for i := len(im.NotCreated) - 1; i >= 0; i-- {
		nc := im.NotCreated[i]
		if p == nc.Path || strings.HasPrefix(p, nc.Path+"/") {
			why += fmt.Sprintf(": the kernel does not create %s %q (segment %d): %s", nc.Type, nc.Path, nc.Segment, nc.Reason)
			break
		}
	}
	if e, ok := im.Has("usr/" + p); ok && e.IsRegular() && !strings.HasPrefix(p, "usr/") {
		why += fmt.Sprintf(" (the image has usr/%s, where modprobe does not look)", p)
	}
	return why
}
