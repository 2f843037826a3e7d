package initrd

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
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

// addModule records the module at p; raw is its file content (nil when it
// was over MaxModuleSize).
func (r *reader) addModule(p, version string, raw []byte, size int64) {
	m := Module{Path: p, Name: moduleName(p), KernelVersion: version}
	if raw == nil {
		m.Err = fmt.Errorf("module %s: %d bytes, over the %d bytes read for .modinfo", p, size, MaxModuleSize)
	} else {
		info, err := readModinfo(p, raw)
		if err != nil {
			m.Err = fmt.Errorf("module %s: %w", p, err)
		} else {
			m.Vermagic = info["vermagic"]
			if d := info["depends"]; d != "" {
				for _, dep := range strings.Split(d, ",") {
					if dep = strings.TrimSpace(dep); dep != "" {
						m.Depends = append(m.Depends, NormalizeModuleName(dep))
					}
				}
			}
		}
	}
	if i, ok := r.modIdx[p]; ok {
		r.img.Modules[i] = m // a later entry with the same path replaces it
		return
	}
	r.modIdx[p] = len(r.img.Modules)
	r.img.Modules = append(r.img.Modules, m)
}

// readModinfo decompresses a module file if its name says so and returns the
// key=value pairs of its .modinfo section (the first value of each key).
func readModinfo(name string, raw []byte) (info map[string]string, err error) {
	data := raw
	if !strings.HasSuffix(name, ".ko") {
		data, err = decompressModule(name, raw)
		if err != nil {
			return nil, err
		}
	}
	defer func() {
		// debug/elf is not meant for hostile input; a panic in it must
		// not take the check down with it.
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("malformed ELF file: %v", p)
		}
	}()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not a readable ELF file: %w", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section")
	}
	if sec.Type == elf.SHT_NOBITS {
		return nil, errors.New(".modinfo section holds no data")
	}
	b, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .modinfo: %w", err)
	}
	info = map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		k, v, ok := bytes.Cut(kv, []byte{'='})
		if !ok {
			continue
		}
		if _, seen := info[string(k)]; !seen {
			info[string(k)] = string(v)
		}
	}
	return info, nil
}

// decompressModule decodes a .ko.gz, .ko.xz or .ko.zst held in memory, up to
// MaxModuleSize bytes.
func decompressModule(name string, raw []byte) ([]byte, error) {
	src := decomp.NewSource(bytes.NewReader(raw))
	head, _ := src.Peek(16)
	codec := decomp.Detect(head)
	want := map[string]decomp.Codec{".gz": decomp.Gzip, ".xz": decomp.XZ, ".zst": decomp.Zstd}[name[strings.LastIndexByte(name, '.'):]]
	if codec != want {
		return nil, fmt.Errorf("file name says %s, content starts with % x", want, head[:min(len(head), 4)])
	}
	rc, err := decomp.Member(codec, src)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, MaxModuleSize+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > MaxModuleSize {
		return nil, fmt.Errorf("decompresses to more than %d bytes", MaxModuleSize)
	}
	return data, nil
}
