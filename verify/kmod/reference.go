package kmod

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
	"github.com/boot-guard/boot-guard/verify/internal/modelf"
)

// Issue 12 item 1: what a kernel's own build says a module must match to
// load (kernel/module/version.c): its vermagic, and the CRC of each symbol
// it exports when built with CONFIG_MODVERSIONS.

// MaxReferenceBytes caps the module bytes a Reference reads from the kernel's
// in-tree modules (decompressed; only the headers and __versions of an
// uncompressed one): past it, a CRC not found yet is unknown.
const MaxReferenceBytes int64 = 256 << 20

// Reference answers what kernel Version's build records: the CRCs of
// Module.symvers when the kernel's headers are installed, else those its
// in-tree modules (under the modules directory's kernel/, installed with the
// kernel, so known to load) record in their __versions, and its vermagic,
// which every in-tree module carries. It reads lazily and remembers what it
// read; it is not safe for concurrent use.
type Reference struct {
	root fs.FS
	ix   *Index
	// symvers are Module.symvers's CRCs (nil: none read), from symversPath.
	symvers     map[string]uint64
	symversPath string
	// crcs are the CRCs the in-tree modules read so far record, with the
	// module that recorded each; read the in-tree modules read, by path.
	crcs     map[string]uint64
	crcFrom  map[string]string
	exported map[string]bool // crcs read from the exporting module
	read     map[string]bool
	vermagic string
	magicOf  string // the in-tree module vermagic was read from
	inTree   []string
	next     int   // the next inTree module a scan reads
	spent    int64 // bytes read so far
	errs     []string
	// known are module files read elsewhere (Know), by in-tree path.
	known map[string]Decoded
}

// Decoded is what the caller has read already of a compressed module file
// (an initrd's copy of an in-tree module, read whole): the SHA-256 of the
// file's bytes, its length decompressed, and what modelf read of it with
// Want{Versions: true, Symbols: true} without an error.
type Decoded struct {
	Sum      [sha256.Size]byte
	Size     int64
	Vermagic string
	Versions []modelf.Version
	Exports  map[string]uint64
}

// maxKnownFile bounds the bytes of an in-tree file hashed to compare it
// with a Decoded one (an initrd reads no module file over 64 MiB).
const maxKnownFile = 64 << 20

// Know tells r that in-tree module file rel (as the index names it, under
// the modules directory) reads as d if its bytes have d.Sum: r then reads
// it by hashing the file instead of decoding it, with the same result (the
// same bytes decode alike, and d was read as r reads), and counts d.Size
// against MaxReferenceBytes as a decoding would. A file with other bytes
// (or an uncompressed one, read in place anyway) is read as ever.
func (r *Reference) Know(rel string, d Decoded) {
	if r.known == nil {
		r.known = map[string]Decoded{}
	}
	if _, ok := r.known[rel]; !ok {
		r.known[rel] = d
	}
}

// symversPaths are where Debian and Ubuntu install a kernel's Module.symvers
// (its headers package), relative to the root.
func symversPaths(version string) []string {
	return []string{"usr/src/linux-headers-" + version + "/Module.symvers", "lib/modules/" + version + "/build/Module.symvers"}
}

// ReferenceFiles lists the paths under the root a Reference may read besides
// the modules themselves: where Module.symvers is looked for.
func ReferenceFiles(version string) []string { return symversPaths(version) }

// Reference returns the build reference of ix's kernel, reading under root,
// the filesystem root ix was loaded from.
func (ix *Index) Reference(root fs.FS) *Reference {
	r := &Reference{root: root, ix: ix, crcs: map[string]uint64{}, crcFrom: map[string]string{}, read: map[string]bool{}, exported: map[string]bool{}}
	for _, m := range ix.modules {
		if !m.Builtin && strings.HasPrefix(m.Path, "kernel/") {
			r.inTree = append(r.inTree, m.Path)
		}
	}
	sort.Strings(r.inTree)
	for _, p := range symversPaths(ix.version) {
		f, err := root.Open(p)
		if err != nil {
			continue
		}
		r.symvers, err = parseSymvers(f)
		f.Close()
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("%s: %v", p, err))
			r.symvers = nil
			continue
		}
		r.symversPath = p
		break
	}
	return r
}

// parseSymvers reads Module.symvers: "0xCRC<TAB>symbol<TAB>module<TAB>export
// type[<TAB>namespace]" lines (scripts/mod/modpost.c write_dump).
func parseSymvers(f io.Reader) (map[string]uint64, error) {
	out := map[string]uint64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 2 {
			continue
		}
		crc, err := strconv.ParseUint(strings.TrimPrefix(fields[0], "0x"), 16, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: %q is not a CRC", n, fields[0])
		}
		out[fields[1]] = crc
	}
	return out, sc.Err()
}

// Errors are the reference files that could not be read, for messages.
func (r *Reference) Errors() []string { return r.errs }

// Vermagic is the kernel's vermagic as its in-tree modules carry it, with
// the module it was read from (preferring the in-tree copy of prefer); ok is
// false when no in-tree module could be read.
func (r *Reference) Vermagic(prefer string) (magic, from string, ok bool) {
	if r.vermagic == "" {
		if p := r.inTreePath(prefer); p != "" && !r.read[p] {
			r.readModule(p, true)
		}
		for i := 0; r.vermagic == "" && i < len(r.inTree) && i < 32; i++ {
			if !r.read[r.inTree[i]] {
				r.readModule(r.inTree[i], false)
			}
		}
	}
	return r.vermagic, r.magicOf, r.vermagic != ""
}

// inTreePath is the in-tree path of module name, "" when it has none.
func (r *Reference) inTreePath(name string) string {
	if m, ok := r.ix.Module(name); ok && !m.Builtin && strings.HasPrefix(m.Path, "kernel/") {
		return m.Path
	}
	return ""
}

// CRC returns the CRC kernel Version's build gives symbol sym, and where it
// says so (Module.symvers, or the in-tree module that exports or imports
// it). The in-tree copies of prefer are read first, their exports too (the
// module being checked and the modules it depends on export or import most
// of its symbols); then Module.symvers; then every in-tree module's
// __versions until sym is found or MaxReferenceBytes are spent.
func (r *Reference) CRC(sym string, prefer ...string) (crc uint64, from string, ok bool) {
	if c, ok := r.crcs[sym]; ok {
		return c, r.crcFrom[sym], true
	}
	for _, name := range prefer {
		if p := r.inTreePath(name); p != "" && !r.read[p] {
			r.readModule(p, true)
			if c, ok := r.crcs[sym]; ok {
				return c, r.crcFrom[sym], true
			}
		}
	}
	if c, ok := r.symvers[sym]; ok {
		return c, r.symversPath, true
	}
	for r.next < len(r.inTree) && r.spent < MaxReferenceBytes {
		p := r.inTree[r.next]
		r.next++
		if r.read[p] {
			continue
		}
		r.readModule(p, false)
		if c, ok := r.crcs[sym]; ok {
			return c, r.crcFrom[sym], true
		}
	}
	return 0, "", false
}

// readModule reads one in-tree module's vermagic and __versions into r,
// and with exports the CRCs it exports, which win over what importers
// record.
func (r *Reference) readModule(rel string, exports bool) {
	r.read[rel] = true
	p := path.Join(r.ix.dir, rel)
	want := modelf.Want{Versions: true, Symbols: exports}
	var info *modelf.Info
	var n int64
	var err error
	if d, ok := r.known[rel]; ok && knownFile(r.root, p, d, MaxReferenceBytes-r.spent) {
		info, n = d.info(want), d.Size
	} else {
		info, n, err = readModuleFile(r.root, p, MaxReferenceBytes-r.spent, want)
	}
	r.spent += n
	if err != nil {
		if len(r.errs) < 8 {
			r.errs = append(r.errs, err.Error())
		}
		return
	}
	if r.vermagic == "" && info.Modinfo["vermagic"] != "" {
		r.vermagic, r.magicOf = info.Modinfo["vermagic"], p
	}
	for name, crc := range info.Exports {
		r.crcs[name], r.crcFrom[name] = crc, p
		r.exported[name] = true
	}
	for _, v := range info.Versions {
		if _, seen := r.crcs[v.Name]; !seen {
			r.crcs[v.Name], r.crcFrom[v.Name] = v.CRC, p
		}
	}
}

// readModuleFile reads the module file p under root with modelf, at most
// limit bytes of it (decompressed), and returns what it read and how many
// bytes that cost. An uncompressed file on a filesystem that reads at
// offsets is read in place: its headers and sections only.
func readModuleFile(root fs.FS, p string, limit int64, want modelf.Want) (*modelf.Info, int64, error) {
	if limit <= 0 {
		return nil, 0, fmt.Errorf("%s: not read: %w", p, errBudget)
	}
	f, err := root.Open(p)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if ra, ok := f.(io.ReaderAt); ok && strings.HasSuffix(p, ".ko") {
		cr := &countingReaderAt{r: ra}
		info, err := modelf.ParseReaderAt(cr, want)
		if err != nil {
			return nil, cr.n, fmt.Errorf("%s: %w", p, err)
		}
		return info, cr.n, nil
	}
	rc, err := decomp.OpenFile(p, f, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, int64(len(data)), err // decomp names the file
	}
	info, err := modelf.Parse(data, want)
	if err != nil {
		return nil, int64(len(data)), fmt.Errorf("%s: %w", p, err)
	}
	return info, int64(len(data)), nil
}

// knownFile says whether the compressed module file p under root has the
// bytes d was read from, and d's decoding fits in limit (else readModuleFile
// must say why not).
func knownFile(root fs.FS, p string, d Decoded, limit int64) bool {
	if strings.HasSuffix(p, ".ko") || d.Size > limit {
		return false
	}
	f, err := root.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() > maxKnownFile {
		return false
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxKnownFile+1)); err != nil {
		return false
	}
	return [sha256.Size]byte(h.Sum(nil)) == d.Sum
}

// info is what readModule reads of modelf.Parse's Info with want, from d.
func (d Decoded) info(want modelf.Want) *modelf.Info {
	info := &modelf.Info{Modinfo: map[string]string{"vermagic": d.Vermagic}, Versions: d.Versions}
	if want.Symbols {
		info.Exports = d.Exports
	}
	return info
}

var errBudget = errors.New("over the bytes read for the kernel's reference CRCs")

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}
