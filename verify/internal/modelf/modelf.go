// Package modelf reads what the kernel's module loader reads of a module's
// ELF file (kernel/module/main.c and version.c): the key=value strings of
// its .modinfo section (vermagic, depends), the symbol versions of its
// __versions section (struct modversion_info: an unsigned long CRC, then
// the symbol's name in the rest of 64 bytes), and the names of the symbols
// it imports (the undefined symbols of its .symtab, which the loader
// resolves one by one and checks against __versions), and the CRCs of the
// symbols it exports (its __kcrctab sections, each CRC named by a local
// __crc_SYMBOL symbol at its offset), which the loader checks an importing
// module's __versions against.
//
// It is the one parser of module ELF files, shared by initrd (the modules an
// initrd carries) and kmod (a kernel's own modules under lib/modules). It
// decides nothing: what the kernel accepts is verify's rule.
package modelf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// VersionEntrySize is the size of one struct modversion_info, on 32-bit and
// 64-bit kernels alike: the CRC (an unsigned long) and a name filling the
// rest (MODULE_NAME_LEN is 64 - sizeof(unsigned long)).
const VersionEntrySize = 64

// MaxVersions caps the entries read from one __versions section (a real
// module has a few hundred; a hostile one must not cost unbounded memory).
const MaxVersions = 1 << 16

// Version is one __versions entry: the CRC a module was built against for
// symbol Name.
type Version struct {
	Name string
	CRC  uint64
}

// Info is what the loader reads of one module file.
type Info struct {
	// Modinfo holds the first value of each key of .modinfo.
	Modinfo map[string]string
	// HasVersions: the file has an allocated __versions section, so the
	// kernel compares vermagic without its first word and checks each
	// imported symbol's CRC against it. Versions are its entries, in order.
	HasVersions bool
	Versions    []Version
	// Undefined are the names of the symbols the module imports (Want.Symbols
	// only): the kernel looks each up, with its __versions CRC.
	Undefined []string
	// Exports are the CRCs of the symbols the module exports (Want.Symbols
	// only; nil when it exports none or has no CRCs).
	Exports map[string]uint64
}

// Want says which parts Parse reads beyond .modinfo.
type Want struct {
	Versions bool // the __versions section
	Symbols  bool // the undefined symbols of .symtab and the exported CRCs
}

// Parse reads a module held in memory.
func Parse(data []byte, want Want) (*Info, error) {
	return ParseReaderAt(bytes.NewReader(data), want)
}

// ParseReaderAt reads a module from r, reading only the headers and the
// sections wanted (an uncompressed module on disk is not read whole).
func ParseReaderAt(r io.ReaderAt, want Want) (info *Info, err error) {
	defer func() {
		// debug/elf is not meant for hostile input; a panic in it must
		// not take the check down with it.
		if p := recover(); p != nil {
			info, err = nil, fmt.Errorf("malformed ELF file: %v", p)
		}
	}()
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable ELF file: %w", err)
	}
	info = &Info{}
	if info.Modinfo, err = modinfo(f); err != nil {
		return nil, err
	}
	if want.Versions {
		if sec := f.Section("__versions"); sec != nil && sec.Flags&elf.SHF_ALLOC != 0 && sec.Type != elf.SHT_NOBITS {
			// The loader finds __versions only with SHF_ALLOC (find_sec).
			b, err := sectionData(sec, MaxVersions*VersionEntrySize)
			if err != nil {
				return nil, fmt.Errorf("reading __versions: %w", err)
			}
			info.HasVersions = true
			info.Versions, err = ParseVersions(b, f.ByteOrder, f.Class == elf.ELFCLASS64)
			if err != nil {
				return nil, err
			}
		}
	}
	if want.Symbols {
		if info.Undefined, info.Exports, err = symbols(f); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// modinfo returns the key=value pairs of f's .modinfo.
func modinfo(f *elf.File) (map[string]string, error) {
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, errors.New("no .modinfo section")
	}
	if sec.Type == elf.SHT_NOBITS {
		return nil, errors.New(".modinfo section holds no data")
	}
	b, err := sectionData(sec, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("reading .modinfo: %w", err)
	}
	info := map[string]string{}
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

// sectionData reads a section of at most limit bytes.
func sectionData(sec *elf.Section, limit uint64) ([]byte, error) {
	if sec.Size > limit {
		return nil, fmt.Errorf("section %s is %d bytes, over the %d read", sec.Name, sec.Size, limit)
	}
	return sec.Data()
}

// ParseVersions decodes the entries of a __versions section: each
// VersionEntrySize bytes, the CRC first (8 bytes on a 64-bit kernel, 4 on
// a 32-bit one) in the file's byte order, then the NUL-terminated name.
// A section whose size is not a whole number of entries is malformed (the
// kernel reads only the whole ones; modpost never writes one).
func ParseVersions(b []byte, order binary.ByteOrder, is64 bool) ([]Version, error) {
	if len(b)%VersionEntrySize != 0 {
		return nil, fmt.Errorf("__versions is %d bytes, not a multiple of %d", len(b), VersionEntrySize)
	}
	if len(b)/VersionEntrySize > MaxVersions {
		return nil, fmt.Errorf("__versions has %d entries, over the %d read", len(b)/VersionEntrySize, MaxVersions)
	}
	crcLen := 4
	if is64 {
		crcLen = 8
	}
	out := make([]Version, 0, len(b)/VersionEntrySize)
	for off := 0; off < len(b); off += VersionEntrySize {
		e := b[off : off+VersionEntrySize]
		var crc uint64
		if is64 {
			crc = order.Uint64(e)
		} else {
			crc = uint64(order.Uint32(e))
		}
		name := e[crcLen:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		out = append(out, Version{Name: string(name), CRC: crc})
	}
	return out, nil
}

// symbols returns the names of f's undefined symbols: those the loader
// resolves (simplify_symbols' SHN_UNDEF case), the null symbol and nameless
// ones aside; and the CRC of each symbol f exports: the 32-bit word of a
// __kcrctab section that its __crc_SYMBOL symbol points at.
func symbols(f *elf.File) ([]string, map[string]uint64, error) {
	syms, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("reading .symtab: %w", err)
	}
	var undef []string
	var exports map[string]uint64
	tabs := map[elf.SectionIndex][]byte{}
	for _, s := range syms {
		if s.Section == elf.SHN_UNDEF {
			if s.Name != "" {
				undef = append(undef, s.Name)
			}
			continue
		}
		name, ok := strings.CutPrefix(s.Name, "__crc_")
		if !ok || int(s.Section) >= len(f.Sections) {
			continue
		}
		sec := f.Sections[s.Section]
		if !strings.HasPrefix(sec.Name, "__kcrctab") || sec.Type == elf.SHT_NOBITS {
			continue
		}
		b, seen := tabs[s.Section]
		if !seen {
			if b, err = sectionData(sec, MaxVersions*4); err != nil {
				return nil, nil, fmt.Errorf("reading %s: %w", sec.Name, err)
			}
			tabs[s.Section] = b
		}
		if s.Value > uint64(len(b)) || uint64(len(b))-s.Value < 4 {
			return nil, nil, fmt.Errorf("symbol %s points past %s (%d bytes)", s.Name, sec.Name, len(b))
		}
		if exports == nil {
			exports = map[string]uint64{}
		}
		exports[name] = uint64(f.ByteOrder.Uint32(b[s.Value:]))
	}
	return undef, exports, nil
}
