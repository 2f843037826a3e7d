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
			m.Err = err
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
// Errors name the file.
func readModinfo(name string, raw []byte) (map[string]string, error) {
	data := raw
	if !strings.HasSuffix(name, ".ko") {
		var err error
		if data, err = decompressModule(name, raw); err != nil {
			return nil, err // decomp names the file
		}
	}
	info, err := parseModinfo(data)
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", name, err)
	}
	return info, nil
}

// parseModinfo returns the key=value pairs of an ELF file's .modinfo.
func parseModinfo(data []byte) (info map[string]string, err error) {
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
// MaxModuleSize bytes, through decomp.OpenFile.
func decompressModule(name string, raw []byte) ([]byte, error) {
	rc, err := decomp.OpenFile(name, bytes.NewReader(raw), MaxModuleSize)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
