package rootdev

import (
	"io"

	"github.com/boot-guard/boot-guard/verify/internal/mounts"
)

// mountinfoEntry is one line of /proc/PID/mountinfo, as package mounts
// parses it.
type mountinfoEntry struct{ mounts.Entry }

func (e mountinfoEntry) majMin() string { return e.MajMin() }

// errMountinfoRead marks a mountinfo that could not be read to its end (an
// I/O error, not bad content).
var errMountinfoRead = mounts.ErrRead

// scanMountinfo streams r and returns the entries whose mount point is in
// want (the last one per mount point: the mount on top). name is the file
// named in errors.
func scanMountinfo(r io.Reader, name string, want map[string]bool) (map[string]mountinfoEntry, error) {
	found := map[string]mountinfoEntry{}
	err := mounts.ScanMountinfo(r, name, func(e mounts.Entry) {
		if want[e.MountPoint] {
			found[e.MountPoint] = mountinfoEntry{e}
		}
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}

// clip shortens s for an error message.
func clip(s string) string { return mounts.Clip(s) }
