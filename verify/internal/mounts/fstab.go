package mounts

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// FstabEntry is one line of fstab(5), its spec and target unescaped.
type FstabEntry struct {
	Spec, Target, FSType, Options string
	Line                          int
}

// maxFstabLine bounds one fstab line; a longer one is not an fstab.
const maxFstabLine = 64 << 10

// ParseFstab reads fstab(5) lines: fields separated by blanks, "\040" for a
// space inside a field (UnescapeLenient), '#' comments. name is the file
// named in errors; a line with no mount point is one.
func ParseFstab(r io.Reader, name string) ([]FstabEntry, error) {
	var out []FstabEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxFstabLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("%s: line %d: %q has no mount point", name, n, line)
		}
		e := FstabEntry{Spec: UnescapeLenient(f[0]), Target: UnescapeLenient(f[1]), Line: n}
		if len(f) > 2 {
			e.FSType = f[2]
		}
		if len(f) > 3 {
			e.Options = f[3]
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", name, n+1, err)
	}
	return out, nil
}
