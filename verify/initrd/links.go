package initrd

import (
	"fmt"
	"slices"
)

// Hard links: the members of a group (same inode, device and file type,
// nlink >= 2, in one archive) share one file, whose data usually travels
// with one member (newc puts it on the last). A group lives from its first
// member to the archive's TRAILER!!!, as the kernel's list of links does.

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

// joinLinkGroup adds e, whose header says nlink, to the group of k (a new
// one if e is its first member) and returns the group. A member after the
// first is a HardLink to it.
func (r *reader) joinLinkGroup(k linkKey, e *Entry, nlink uint32) *linkGroup {
	g, ok := r.links[k]
	if !ok {
		g = &linkGroup{first: e.Path}
		r.links[k] = g
		r.groups = append(r.groups, g)
	}
	g.seen++
	g.nlink = nlink
	if g.first != e.Path {
		e.HardLink = g.first
	}
	return g
}

// want notes that Keep asked for member p (when keep) and reports whether
// the data that comes now is kept: some member so far asked for it.
func (g *linkGroup) want(p string, keep bool) bool {
	if keep {
		g.wanting = append(g.wanting, p)
	}
	return len(g.wanting) > 0
}

// linkedModule records the module at p, a member without data: its bytes
// are the group's, which came before it or are still to come.
func (r *reader) linkedModule(g *linkGroup, p, version string) {
	if g.modSeen {
		r.addModule(p, version, g.mod)
		return
	}
	g.pendingMods = append(g.pendingMods, modRef{p, version})
}

// modinfoWanted reports whether the group's data is to be buffered for a
// .modinfo when no module carrying it was chosen: a waiting member was, or
// links may still follow.
func (g *linkGroup) modinfoWanted(opt Options) bool {
	return uint32(g.seen) < g.nlink || slices.ContainsFunc(g.pendingMods, func(m modRef) bool {
		return opt.wantModinfo(moduleName(m.path))
	})
}

// groupModuleData records the modules waiting for the group's data d, and
// keeps d for members still to come.
func (r *reader) groupModuleData(g *linkGroup, d modData) {
	for _, m := range g.pendingMods {
		r.addModule(m.path, m.version, d)
	}
	g.pendingMods = nil
	g.modSeen, g.mod = true, d // d.raw is the group's own copy (regular)
}

// endLinkGroups closes the hard-link groups of an archive at its trailer
// (the kernel forgets its links there too). A module member whose group
// never carried data is an empty file: recorded, with the error that says
// so, in the order the groups came (not the map's, which varies).
func (r *reader) endLinkGroups() {
	for _, g := range r.groups {
		for _, m := range g.pendingMods {
			r.addModule(m.path, m.version, modData{raw: []byte{}, read: true})
		}
	}
	clear(r.links)
	clear(r.groups)
	r.groups = r.groups[:0]
}

// hardLinkData updates a hard-link group after one of its members, of
// size bytes, whose data is content when kept. The group's content is
// what the last member with data wrote, and every member sees it: the
// kernel opens a later link without O_TRUNC but truncates the shared file
// to the member's size (do_name's truncate when body_len is not 0) before
// writing from its start.
func (r *reader) hardLinkData(g *linkGroup, e *Entry, size int64, content []byte, kept bool) {
	if size > 0 {
		if kept {
			g.content, g.kept = content, true
		} else {
			g.content, g.kept = nil, false
			g.why = fmt.Sprintf("hard link to %q, whose data came before Keep asked for it", g.first)
			if len(g.wanting) > 0 {
				g.why = r.overCap(size)
			}
		}
		g.size = size
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
