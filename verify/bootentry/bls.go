package bootentry

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// BLSEntry is a Boot Loader Specification type #1 entry file
// (loader/entries/*.conf).
type BLSEntry struct {
	ID        string // the file name, "x.conf"
	Title     string
	Version   string
	MachineID string
	SortKey   string
	Linux     string
	EFI       string
	Initrds   []string
	Options   string // every "options" line, joined by a space
}

// maxBLSBytes caps an entry file: real ones are a few hundred bytes.
const maxBLSBytes = 64 << 10

// ParseBLSEntry reads one type #1 entry: "key value" lines, '#' comments;
// "initrd" and "options" may repeat (options are joined with a space, as the
// spec says).
func ParseBLSEntry(r io.Reader, name string) (BLSEntry, error) {
	e := BLSEntry{ID: path.Base(name)}
	sc := bufio.NewScanner(io.LimitReader(r, maxBLSBytes))
	sc.Buffer(make([]byte, 0, 4096), maxBLSBytes)
	n := 0
	var opts []string
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(key, '\t'); i >= 0 {
			key, val = line[:i], line[i+1:]
		}
		val = strings.TrimSpace(val)
		switch key {
		case "title":
			e.Title = val
		case "version":
			e.Version = val
		case "machine-id":
			e.MachineID = val
		case "sort-key":
			e.SortKey = val
		case "linux":
			e.Linux = val
		case "efi":
			e.EFI = val
		case "initrd":
			e.Initrds = append(e.Initrds, strings.Fields(val)...)
		case "options":
			if val != "" {
				opts = append(opts, val)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return e, fmt.Errorf("%s: line %d: %w", name, n+1, err)
	}
	e.Options = strings.Join(opts, " ")
	return e, nil
}

// sortBLS orders entries as systemd-boot does (the Boot Loader
// Specification's "Sorting"): entries with a sort-key first, by sort-key,
// then machine-id, then version, newest first; the others after them, by file
// name, newest version first. Both use version comparison, not byte order.
func sortBLS(ids []string, key func(i int) (sortKey, machineID, version string)) []int {
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool {
		a, b := idx[x], idx[y]
		ska, mia, va := key(a)
		skb, mib, vb := key(b)
		if (ska != "") != (skb != "") {
			return ska != ""
		}
		if ska != "" {
			if ska != skb {
				return ska < skb
			}
			if mia != mib {
				return mia < mib
			}
			if c := CompareVersions(va, vb); c != 0 {
				return c > 0
			}
		}
		return CompareVersions(ids[a], ids[b]) > 0
	})
	return idx
}

// blsBase returns the directory BLS paths are relative to for an entry file
// at DIR/loader/entries/x.conf: DIR, the partition's root.
func blsBase(entryFile string) string {
	return filepath.Dir(filepath.Dir(filepath.Dir(entryFile)))
}

// matchDefault reports whether pattern (loader.conf's "default", a glob, or
// an EFI variable's exact id) selects id.
func matchDefault(pattern, id string) bool {
	if pattern == "" {
		return false
	}
	if pattern == id {
		return true
	}
	ok, err := path.Match(pattern, id)
	return err == nil && ok
}
