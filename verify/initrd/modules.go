package initrd

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
	"github.com/boot-guard/boot-guard/verify/internal/modelf"
)

// moduleSuffixes are the file names kmod loads modules from.
var moduleSuffixes = []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"}

// modulePath reports whether p is a kernel module under lib/modules/VER/ or
// usr/lib/modules/VER/, and VER.
func modulePath(p string) (version string, ok bool) {
	rest, found := strings.CutPrefix(p, "usr/")
	if !found {
		rest = p
	}
	rest, found = strings.CutPrefix(rest, "lib/modules/")
	if !found {
		return "", false
	}
	version, file, found := strings.Cut(rest, "/")
	if !found || version == "" || moduleName(file) == "" {
		return "", false
	}
	return version, true
}

// moduleName is the module name of a module file: the base name without its
// suffix, with '-' as '_' (as kmod normalises it); "" if p is not a module.
func moduleName(p string) string {
	base := p[strings.LastIndexByte(p, '/')+1:]
	for _, suf := range moduleSuffixes {
		if name, ok := strings.CutSuffix(base, suf); ok && name != "" {
			return strings.ReplaceAll(name, "-", "_")
		}
	}
	return ""
}

// NormalizeModuleName returns a module name the way kmod compares them: '-'
// and '_' are the same.
func NormalizeModuleName(name string) string { return strings.ReplaceAll(name, "-", "_") }

// modData is a module file's data as read for its .modinfo.
type modData struct {
	raw  []byte // the file's bytes, when read
	size int64  // the file's size
	read bool   // raw holds the data; false: not chosen, or over
	over bool   // the file is larger than MaxModuleSize: not read
}

// addModule records the module at p, whose data is d.
func (r *reader) addModule(p, version string, d modData) {
	m := Module{Path: p, Name: moduleName(p), KernelVersion: version}
	switch {
	case !r.opt.wantModinfo(m.Name):
		m.ModinfoSkipped = true
	case d.over:
		m.Err = fmt.Errorf("module %s: %d bytes, over the %d bytes read for .modinfo", p, d.size, MaxModuleSize)
	case !d.read:
		// Only a hostile or wrong nlink gets here: the data came with
		// links nobody chose, and the header promised no more links.
		m.Err = fmt.Errorf("module %s: its .modinfo was not read: it is a hard link whose %d bytes of data came earlier with links Options.Modinfo did not choose, and the cpio header's nlink said no more links would follow", p, d.size)
	}
	i, ok := r.modIdx[p]
	if ok {
		r.img.Modules[i] = m // a later entry with the same path replaces it
	} else {
		i = len(r.img.Modules)
		r.modIdx[p] = i
		r.img.Modules = append(r.img.Modules, m)
	}
	r.mods.cancel(i)
	if !m.ModinfoSkipped && m.Err == nil {
		r.modinfo(i, p, d.raw)
	}
}

// modinfoResult is what reading one module gives: its ELF facts (modelf),
// its decoded size and its last ModuleTail bytes (where an appended
// signature lies), or the error.
type modinfoResult struct {
	info *modelf.Info
	size int64
	tail []byte
	sum  [sha256.Size]byte // Module.Sum
	err  error
}

// readModule reads module p's ELF facts from raw, decoding into scratch
// with fs's decoders; it returns scratch, grown as needed, for the next one.
func readModule(p string, raw, scratch []byte, fs *decomp.Files) (modinfoResult, []byte) {
	info, data, scratch, err := readModinfoInto(p, raw, scratch, fs)
	res := modinfoResult{info: info, size: int64(len(data)),
		tail: bytes.Clone(data[max(0, len(data)-ModuleTail):]), err: err}
	if err == nil && !strings.HasSuffix(p, ".ko") {
		res.sum = sha256.Sum256(raw)
	}
	return res, scratch
}

// applyModinfo sets module i's fields from its .modinfo (or its error).
func (r *reader) applyModinfo(i int, res modinfoResult) {
	m := &r.img.Modules[i]
	m.Size, m.Tail, m.Sum = res.size, res.tail, res.sum
	if res.err != nil {
		m.Err = res.err
		return
	}
	info := res.info
	m.Vermagic = info.Modinfo["vermagic"]
	m.HasVersions, m.Versions, m.Imports, m.Exports = info.HasVersions, info.Versions, info.Undefined, info.Exports
	if dep := info.Modinfo["depends"]; dep != "" {
		for _, name := range strings.Split(dep, ",") {
			if name = strings.TrimSpace(name); name != "" {
				m.Depends = append(m.Depends, NormalizeModuleName(name))
			}
		}
	}
}

// readModinfo decompresses a module file if its name says so and reads its
// .modinfo, __versions and imported symbols (modelf). Errors name the file.
func readModinfo(name string, raw []byte) (*modelf.Info, error) {
	info, _, _, err := readModinfoInto(name, raw, nil, nil)
	return info, err
}

// readModinfoInto is readModinfo decompressing into scratch with fs's
// decoders (nil: new ones); it returns scratch, grown as needed, for the
// next module, with the decoded module (raw, or in scratch; nil when it
// does not decode). Nothing of the returned info refers to raw or scratch.
func readModinfoInto(name string, raw, scratch []byte, fs *decomp.Files) (_ *modelf.Info, data, _ []byte, err error) {
	data = raw
	if !strings.HasSuffix(name, ".ko") {
		data, err = decompressModule(name, raw, scratch, fs)
		if cap(data) > cap(scratch) {
			scratch = data[:0]
		}
		if err != nil {
			return nil, nil, scratch, err // decomp names the file
		}
	}
	info, err := modelf.Parse(data, modelf.Want{Versions: true, Symbols: true})
	if err != nil {
		return nil, data, scratch, fmt.Errorf("module %s: %w", name, err)
	}
	return info, data, scratch, nil
}

// maxHintRatio bounds the decoded length decompressModule takes from a
// module file's header, as a multiple of the file's length (real modules
// compress 3 to 5 times).
const maxHintRatio = 32

// decompressModule decodes a .ko.gz, .ko.xz or .ko.zst held in memory, up to
// MaxModuleSize bytes, through decomp.OpenFile, into buf's storage: sized
// once to the length the file records when that is plausible, else grown by
// doubling, never past MaxModuleSize+1 (decomp reads at most one byte over
// the limit to tell "exactly" from "more").
func decompressModule(name string, raw, buf []byte, fs *decomp.Files) ([]byte, error) {
	buf = buf[:0]
	rc, err := fs.Open(name, bytes.NewReader(raw), MaxModuleSize)
	if err != nil {
		return buf, err
	}
	defer rc.Close()
	// Sized once where the file says its length (and the length is
	// plausible: at most maxHintRatio times the file, so a hostile header
	// alone allocates little), with a byte to spare for the end: growing by
	// doubling zeroes and copies about three times the module.
	if h := decomp.SizeHint(name, raw); h > 0 && h <= MaxModuleSize && h <= maxHintRatio*int64(len(raw)) {
		buf = slices.Grow(buf, int(h)+1)
	}
	for {
		if len(buf) == cap(buf) {
			more := min(max(cap(buf), 256<<10), int(MaxModuleSize)+1-len(buf))
			buf = slices.Grow(buf, max(more, 1))
		}
		n, err := rc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
