package mounts

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Entry is one line of /proc/PID/mountinfo, its fields unescaped.
type Entry struct {
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

// MajMin is the mount's device as "MAJOR:MINOR", the name /sys/dev/block
// uses.
func (e Entry) MajMin() string { return fmt.Sprintf("%d:%d", e.Major, e.Minor) }

// Bounds on /proc/self/mountinfo: a container host can have tens of thousands
// of mounts, but a line longer than MaxMountinfoLine or a file larger than
// MaxMountinfoBytes is not a real mountinfo.
const (
	MaxMountinfoLine  = 1 << 20
	MaxMountinfoBytes = 64 << 20
)

var (
	// ErrTooLarge marks a mountinfo that exceeds MaxMountinfoBytes.
	ErrTooLarge = errors.New("mountinfo larger than 64 MiB")
	// ErrRead marks a mountinfo that could not be read to its end (an I/O
	// error, not bad content).
	ErrRead = errors.New("read failed")
)

// LineError is a mountinfo line that is not one: Error says
// "NAME line N: why".
type LineError struct {
	Name string // the file, as messages name it
	Line int    // 1-based
	Text string // the line as read
	Err  error  // why it is not a mountinfo line
}

func (e *LineError) Error() string { return fmt.Sprintf("%s line %d: %v", e.Name, e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// ScanMountinfo streams r and calls fn with each entry in order (blank lines
// skipped). name is the file named in errors. A malformed line is a
// *LineError; a file over MaxMountinfoBytes wraps ErrTooLarge and one that
// cannot be read to its end wraps ErrRead.
func ScanMountinfo(r io.Reader, name string, fn func(Entry)) error {
	lr := &io.LimitedReader{R: r, N: MaxMountinfoBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), MaxMountinfoLine)
	line := 0
	for sc.Scan() {
		line++
		if lr.N <= 0 {
			return fmt.Errorf("%s: %w", name, ErrTooLarge)
		}
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		e, err := ParseMountinfoLine(text)
		if err != nil {
			return &LineError{Name: name, Line: line, Text: text, Err: err}
		}
		e.Line = line
		fn(e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s line %d: line longer than %d bytes: %w", name, line+1, MaxMountinfoLine, err)
		}
		return fmt.Errorf("%s after line %d: %w: %w", name, line, ErrRead, err)
	}
	if lr.N <= 0 {
		return fmt.Errorf("%s: %w", name, ErrTooLarge)
	}
	return nil
}

// ParseMountinfoLine parses
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// (mount ID, parent ID, major:minor, root, mount point, mount options, zero or
// more optional fields, "-", filesystem type, mount source, super options).
// Root, mount point, type and source are unescaped strictly (Unescape).
func ParseMountinfoLine(s string) (Entry, error) {
	var e Entry
	fields := strings.Fields(s)
	sep := -1
	for i, f := range fields {
		if f == "-" && i >= 6 {
			sep = i
			break
		}
	}
	if sep < 0 {
		return e, fmt.Errorf("no \" - \" separator after the 6 leading fields in %q", Clip(s))
	}
	if len(fields) < sep+4 {
		return e, fmt.Errorf("want filesystem type, source and super options after \" - \", got %d fields in %q", len(fields)-sep-1, Clip(s))
	}
	var err error
	if e.ID, err = strconv.Atoi(fields[0]); err != nil {
		return e, fmt.Errorf("mount ID %q is not a number", Clip(fields[0]))
	}
	if e.Parent, err = strconv.Atoi(fields[1]); err != nil {
		return e, fmt.Errorf("parent ID %q is not a number", Clip(fields[1]))
	}
	if e.Major, e.Minor, err = parseMajMin(fields[2]); err != nil {
		return e, err
	}
	for _, f := range []struct {
		what string
		raw  string
		dst  *string
	}{
		{"root", fields[3], &e.Root},
		{"mount point", fields[4], &e.MountPoint},
		{"filesystem type", fields[sep+1], &e.FSType},
		{"mount source", fields[sep+2], &e.Source},
	} {
		if *f.dst, err = Unescape(f.raw); err != nil {
			return e, fmt.Errorf("%s %q: %w", f.what, Clip(f.raw), err)
		}
	}
	e.SuperOpts = fields[sep+3]
	return e, nil
}

func parseMajMin(s string) (uint32, uint32, error) {
	maj, min, ok := strings.Cut(s, ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("device %q is not major:minor", Clip(s))
	}
	return uint32(ma), uint32(mi), nil
}

// Clip shortens s for an error message.
func Clip(s string) string {
	const max = 120
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
