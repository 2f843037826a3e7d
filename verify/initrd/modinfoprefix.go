package initrd

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
	"github.com/boot-guard/boot-guard/verify/internal/modelf"
)

// Options.ModinfoOnly (inspect) wants a module's vermagic and depends, which
// lie in .modinfo. A module's section headers, which say where .modinfo is,
// come at the end of its ELF file, but the section itself comes early (ext4
// of Debian 13: .modinfo at 73 KiB of 2.4 MiB), and decoding a .ko.xz or
// .ko.zst is nearly all the cost of reading it. So a compressed module is
// decoded in steps of modinfoStep bytes, and after each the decoded prefix
// is searched for a run of .modinfo strings: NUL-terminated key=value
// strings, one after another, holding both "vermagic=" and "depends="
// (modpost writes both into every module's .mod.c). Decoding stops at the
// end of the first such run; a module where none turns up is decoded whole
// and read as without ModinfoOnly.
const modinfoStep = 4 << 10

// readModinfoOnly is readModule for Options.ModinfoOnly.
func readModinfoOnly(p string, raw, buf []byte, fs *decomp.Files) (modinfoResult, []byte) {
	if strings.HasSuffix(p, ".ko") {
		// Not compressed: the headers are at hand; .modinfo alone is read
		// (not __versions nor .symtab).
		info, err := modelf.Parse(raw, modelf.Want{})
		return modinfoResult{info: info, err: wrapModule(p, err)}, buf
	}
	buf = buf[:0]
	rc, err := fs.Open(p, bytes.NewReader(raw), MaxModuleSize)
	if err != nil {
		return modinfoResult{err: err}, buf // decomp names the file
	}
	defer rc.Close()
	var sc modinfoScan
	for {
		if len(buf) == cap(buf) {
			more := min(max(cap(buf), 256<<10), int(MaxModuleSize)+1-len(buf))
			buf = slices.Grow(buf, max(more, 1))
		}
		n, err := rc.Read(buf[len(buf):min(cap(buf), len(buf)+modinfoStep)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return modinfoResult{err: err}, buf
		}
		if kv := sc.find(buf); kv != nil {
			return modinfoResult{info: &modelf.Info{Modinfo: kv}}, buf
		}
	}
	// Decoded whole without a run found: read it as a whole module.
	info, err := modelf.Parse(buf, modelf.Want{Versions: true, Symbols: true})
	return modinfoResult{info: info, err: wrapModule(p, err)}, buf
}

// modinfoScan finds the .modinfo strings in a growing decoded prefix.
type modinfoScan struct {
	from int // where the search for the next "\x00vermagic=" goes on
}

// vermagicKey is searched without its leading NUL, which is checked
// after: NUL is the commonest byte of a module, so a search led by it
// stops at nearly every byte (issue 16 item 2: it was half of the search's
// time); 'v' is rare in code and data.
var vermagicKey = []byte("vermagic=")

// find returns the first-of-each-key map of the first run of .modinfo
// strings in data that holds vermagic and depends and ends (with a string
// that is not key=value) before data does; nil when there is none yet.
func (sc *modinfoScan) find(data []byte) map[string]string {
	if len(data) < 4 || string(data[:4]) != "\x7fELF" {
		return nil // not ELF: decode it whole and let modelf say so
	}
	for {
		i := -1
		if sc.from+1 < len(data) {
			i = bytes.Index(data[sc.from+1:], vermagicKey)
		}
		if i < 0 {
			sc.from = max(sc.from, len(data)-len(vermagicKey))
			return nil
		}
		v := sc.from + i // data[v+1:] starts with "vermagic="
		if data[v] != 0 {
			sc.from = v + 1
			continue
		}
		start, end, ok := modinfoRun(data, v)
		if !ok {
			sc.from = v // its run goes on past data: look again with more
			return nil
		}
		kv := map[string]string{}
		for _, s := range bytes.Split(data[start:end], []byte{0}) {
			k, val, _ := bytes.Cut(s, []byte{'='})
			if _, seen := kv[string(k)]; !seen && len(s) > 0 {
				kv[string(k)] = string(val)
			}
		}
		_, dep := kv["depends"]
		if dep {
			return kv
		}
		sc.from = v + 1 // not .modinfo after all: look further
	}
}

// modinfoRun returns the run of key=value strings around the string that
// starts at data[v+1] (data[v] is the NUL that ends the one before it):
// its first byte and the end of its last string's NUL; ok is false when the
// run reaches the end of data (more may follow).
func modinfoRun(data []byte, v int) (start, end int, ok bool) {
	start = v + 1
	for pos := v; ; {
		j := bytes.LastIndexByte(data[:pos], 0)
		if j < 0 || !isModinfoString(data[j+1:pos]) {
			break
		}
		start, pos = j+1, j
	}
	for pos := v + 1; ; {
		k := bytes.IndexByte(data[pos:], 0)
		if k < 0 {
			return 0, 0, false
		}
		if !isModinfoString(data[pos : pos+k]) {
			if pos == v+1 {
				return 0, 0, true // "vermagic=" with a value no .modinfo has
			}
			return start, pos, true
		}
		pos += k + 1
	}
}

// isModinfoString reports whether s reads as one .modinfo string: a key of
// letters, digits and '_', '=', and a value of text (no control bytes but
// tab and newline).
func isModinfoString(s []byte) bool {
	eq := bytes.IndexByte(s, '=')
	if eq <= 0 {
		return false
	}
	for _, c := range s[:eq] {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	for _, c := range s[eq+1:] {
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}

// wrapModule names module p in err (nil stays nil).
func wrapModule(p string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("module %s: %w", p, err)
}
