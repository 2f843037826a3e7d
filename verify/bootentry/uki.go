package bootentry

import (
	"debug/pe"
	"fmt"
	"os"
	"strings"
)

// UKI is what boot-guard reads from a unified kernel image (Boot Loader
// Specification type #2, systemd's "UKI" spec).
type UKI struct {
	Path    string
	Uname   string // .uname: the kernel version
	Cmdline string // .cmdline
	// OSRelease holds the .osrel fields (os-release(5)).
	OSRelease map[string]string
	// Linux and Initrd are the byte ranges of the .linux and .initrd
	// sections; Initrd is nil when the image has none.
	Linux  *Section
	Initrd *Section
}

// maxSmallSection caps the text sections read into memory (.cmdline, .osrel,
// .uname); the kernel and initrd are never read here.
const maxSmallSection = 64 << 10

// ReadUKI reads the section table of the PE file at path. Section sizes are
// the smaller of the virtual size (the payload) and the raw size (the payload
// padded to the file alignment), and must lie inside the file.
func ReadUKI(path string) (*UKI, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read unified kernel image: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read unified kernel image: %w", err)
	}
	pf, err := pe.NewFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PE image: %w", path, err)
	}
	defer pf.Close()
	u := &UKI{Path: path}
	for _, s := range pf.Sections {
		size := int64(s.Size)
		if s.VirtualSize != 0 && int64(s.VirtualSize) < size {
			size = int64(s.VirtualSize)
		}
		off := int64(s.Offset)
		if off < 0 || size < 0 || off+size > st.Size() {
			return nil, fmt.Errorf("%s: section %s at offset %d, %d bytes, runs past the end of the file (%d bytes): the image is truncated", path, s.Name, off, size, st.Size())
		}
		sec := &Section{Path: path, Offset: off, Size: size}
		switch s.Name {
		case ".linux":
			u.Linux = sec
		case ".initrd":
			u.Initrd = sec
		case ".uname", ".cmdline", ".osrel":
			if size > maxSmallSection {
				return nil, fmt.Errorf("%s: section %s is %d bytes, more than the %d boot-guard reads", path, s.Name, size, maxSmallSection)
			}
			b := make([]byte, size)
			if _, err := f.ReadAt(b, off); err != nil {
				return nil, fmt.Errorf("%s: section %s at offset %d: %w", path, s.Name, off, err)
			}
			text := strings.TrimRight(string(b), "\x00")
			switch s.Name {
			case ".uname":
				u.Uname = strings.TrimSpace(text)
			case ".cmdline":
				u.Cmdline = strings.TrimSpace(text)
			case ".osrel":
				u.OSRelease = parseOSRelease(text)
			}
		}
	}
	if u.Linux == nil {
		return nil, fmt.Errorf("%s: no .linux section: not a unified kernel image", path)
	}
	return u, nil
}

// parseOSRelease reads os-release(5) assignments.
func parseOSRelease(s string) map[string]string {
	m, _ := ParseShellAssignments(strings.NewReader(s))
	return m
}

// Version returns the kernel version: .uname, else the os-release
// VERSION_ID (less exact: boot-guard cannot find /lib/modules with it), else "".
func (u *UKI) Version() string {
	if u.Uname != "" {
		return u.Uname
	}
	return ""
}

// Title is what systemd-boot shows: PRETTY_NAME, else NAME, else the file.
func (u *UKI) Title(fallback string) string {
	for _, k := range []string{"PRETTY_NAME", "NAME"} {
		if v := u.OSRelease[k]; v != "" {
			if u.Uname != "" {
				return v + " (" + u.Uname + ")"
			}
			return v
		}
	}
	return fallback
}
