package rootdev

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// mountinfoEntry is one line of /proc/PID/mountinfo
// (Documentation/filesystems/proc.rst, "3.5 /proc/<pid>/mountinfo").
type mountinfoEntry struct {
	Line       int // 1-based line number, for messages
	ID         int
	Parent     int
	Major      uint32
	Minor      uint32
	Root       string // root of the mount within its filesystem
	MountPoint string
	FSType     string
	Source     string
	SuperOpts  string
}

func (e mountinfoEntry) majMin() string { return fmt.Sprintf("%d:%d", e.Major, e.Minor) }

// Bounds on /proc/self/mountinfo: a container host can have tens of thousands
// of mounts, but a line longer than maxMountinfoLine or a file larger than
// maxMountinfoBytes is not a real mountinfo.
const (
	maxMountinfoLine  = 1 << 20
	maxMountinfoBytes = 64 << 20
)

var (
	// errMountinfoTooLarge marks a mountinfo that exceeds maxMountinfoBytes.
	errMountinfoTooLarge = errors.New("mountinfo larger than 64 MiB")
	// errMountinfoRead marks a mountinfo that could not be read to its end
	// (an I/O error, not bad content).
	errMountinfoRead = errors.New("read failed")
)

// scanMountinfo streams r and returns the entries whose mount point is in
// want (the last one per mount point: the mount on top). name is the file
// named in errors.
func scanMountinfo(r io.Reader, name string, want map[string]bool) (map[string]mountinfoEntry, error) {
	lr := &io.LimitedReader{R: r, N: maxMountinfoBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), maxMountinfoLine)
	found := map[string]mountinfoEntry{}
	line := 0
	for sc.Scan() {
		line++
		if lr.N <= 0 {
			return nil, fmt.Errorf("%s: %w", name, errMountinfoTooLarge)
		}
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		e, err := parseMountinfoLine(text)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		e.Line = line
		if want[e.MountPoint] {
			found[e.MountPoint] = e
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s line %d: line longer than %d bytes: %w", name, line+1, maxMountinfoLine, err)
		}
		return nil, fmt.Errorf("%s after line %d: %w: %w", name, line, errMountinfoRead, err)
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%s: %w", name, errMountinfoTooLarge)
	}
	return found, nil
}

// parseMountinfoLine parses
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// (mount ID, parent ID, major:minor, root, mount point, mount options, zero or
// more optional fields, "-", filesystem type, mount source, super options).
func parseMountinfoLine(s string) (mountinfoEntry, error) {
	var e mountinfoEntry
	fields := strings.Fields(s)
	sep := -1
	for i, f := range fields {
		if f == "-" && i >= 6 {
			sep = i
			break
		}
	}
	if sep < 0 {
		return e, fmt.Errorf("no \" - \" separator after the 6 leading fields in %q", clip(s))
	}
	if len(fields) < sep+4 {
		return e, fmt.Errorf("want filesystem type, source and super options after \" - \", got %d fields in %q", len(fields)-sep-1, clip(s))
	}
	var err error
	if e.ID, err = strconv.Atoi(fields[0]); err != nil {
		return e, fmt.Errorf("mount ID %q is not a number", clip(fields[0]))
	}
	if e.Parent, err = strconv.Atoi(fields[1]); err != nil {
		return e, fmt.Errorf("parent ID %q is not a number", clip(fields[1]))
	}
	maj, min, ok := strings.Cut(fields[2], ":")
	if !ok {
		return e, fmt.Errorf("device %q is not major:minor", clip(fields[2]))
	}
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if err1 != nil || err2 != nil {
		return e, fmt.Errorf("device %q is not major:minor", clip(fields[2]))
	}
	e.Major, e.Minor = uint32(ma), uint32(mi)
	if e.Root, err = unescapeMountinfo(fields[3]); err != nil {
		return e, fmt.Errorf("root %q: %w", clip(fields[3]), err)
	}
	if e.MountPoint, err = unescapeMountinfo(fields[4]); err != nil {
		return e, fmt.Errorf("mount point %q: %w", clip(fields[4]), err)
	}
	if e.FSType, err = unescapeMountinfo(fields[sep+1]); err != nil {
		return e, fmt.Errorf("filesystem type %q: %w", clip(fields[sep+1]), err)
	}
	if e.Source, err = unescapeMountinfo(fields[sep+2]); err != nil {
		return e, fmt.Errorf("mount source %q: %w", clip(fields[sep+2]), err)
	}
	e.SuperOpts = fields[sep+3]
	return e, nil
}

// unescapeMountinfo undoes the kernel's mangling of space, tab, newline and
// backslash as \040, \011, \012 and \134 (seq_file's mangle_path escapes them
// as a backslash and three octal digits).
func unescapeMountinfo(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("backslash at byte %d is not followed by three octal digits", i)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("backslash at byte %d is not followed by three octal digits", i)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
