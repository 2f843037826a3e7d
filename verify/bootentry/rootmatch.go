package bootentry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/mounts"
)

// RootDevice is this machine's root filesystem, as far as boot-guard can
// name it, to compare an entry's root= with.
type RootDevice struct {
	// Source is the device as mountinfo or fstab writes it.
	Source string `json:"source"`
	// Node is the device node on the host after following symlinks
	// ("/dev/vda2"); empty when the root comes from an fstab (--root).
	Node string `json:"node,omitempty"`
	// Names are the root= values that select it: "UUID=...",
	// "PARTUUID=...", "LABEL=...", "PARTLABEL=...", "/dev/vda2".
	Names []string `json:"names"`
	// FromFstab: the root was taken from ROOT/etc/fstab, not from the running
	// system (image builders, --root).
	FromFstab bool `json:"from_fstab"`
	// Members (issue 12 item 6) are the device nodes of every member of a
	// multi-device root filesystem (btrfs RAID: /sys/fs/btrfs/UUID/devices),
	// Node among them: root= naming any of them, or the filesystem's UUID,
	// selects this root. Empty for a single device.
	Members []string `json:"members,omitempty"`

	devDir string
}

// byDirs maps a root= prefix to the udev directory that names devices by it.
var byDirs = []struct{ prefix, dir string }{
	{"UUID=", "by-uuid"},
	{"PARTUUID=", "by-partuuid"},
	{"LABEL=", "by-label"},
	{"PARTLABEL=", "by-partlabel"},
}

// HostRoot finds the running system's root device: the last "/" mount in
// proc's self/mountinfo, its source resolved under devDir (the host's /dev;
// a temp dir in tests), or through sys's dev/block/MAJ:MIN/uevent when the
// source is not a node (/dev/root). Names are gathered from
// devDir/disk/by-{uuid,partuuid,label,partlabel}. An error says why the root
// cannot be named (a container's overlay root, no /proc).
func HostRoot(proc, sys fs.FS, devDir string) (*RootDevice, error) {
	if proc == nil {
		return nil, errors.New("no /proc to find the root mount in")
	}
	f, err := proc.Open("self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("find the root mount: %w", err)
	}
	defer f.Close()
	var root *mounts.Entry
	err = mounts.ScanMountinfo(f, "mountinfo", func(e mounts.Entry) {
		if e.MountPoint == "/" {
			root = &e
		}
	})
	if le := (*mounts.LineError)(nil); errors.As(err, &le) {
		return nil, fmt.Errorf("mountinfo line %d: malformed: %q", le.Line, le.Text)
	}
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, errors.New("mountinfo has no mount at /")
	}
	majmin, source, fstype := root.MajMin(), root.Source, root.FSType
	if !strings.HasPrefix(source, "/dev/") || fstype == "overlay" || fstype == "tmpfs" {
		return nil, fmt.Errorf("/ is on %s (%s): no block device to compare root= with", fstype, source)
	}
	d := &RootDevice{Source: source, devDir: devDir}
	node, err := filepath.EvalSymlinks(filepath.Join(devDir, strings.TrimPrefix(source, "/dev/")))
	if err != nil && sys != nil {
		if name := devNameFromSys(sys, majmin); name != "" {
			node, err = filepath.EvalSymlinks(filepath.Join(devDir, name))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("root device %s (%s): %w", source, majmin, err)
	}
	d.Node = node
	if fstype == "btrfs" {
		d.Members = btrfsMembers(sys, devDir, node) // issue 12 item 6
	}
	nodes := d.Members
	if len(nodes) == 0 {
		nodes = []string{node}
	}
	for _, n := range nodes {
		d.Names = append(d.Names, "/dev/"+strings.TrimPrefix(n, filepath.Clean(devDir)+"/"))
	}
	for _, b := range byDirs {
		dir := filepath.Join(devDir, "disk", b.dir)
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if t, err := filepath.EvalSymlinks(filepath.Join(dir, e.Name())); err == nil && slices.Contains(nodes, t) {
				if n := b.prefix + unhexUdev(e.Name()); !slices.Contains(d.Names, n) {
					d.Names = append(d.Names, n)
				}
			}
		}
	}
	return d, nil
}

// isNode reports whether t, a device node on the host, is the root device
// or, for a multi-device root, one of its members.
func (d *RootDevice) isNode(t string) bool {
	return t == d.Node || slices.Contains(d.Members, t)
}

func devNameFromSys(sys fs.FS, majmin string) string {
	b, err := fs.ReadFile(sys, "dev/block/"+majmin+"/uevent")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "DEVNAME="); ok {
			return v
		}
	}
	return ""
}

// unhexUdev undoes udev's \xNN escaping of label names ("my\x2fdisk").
func unhexUdev(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			var v byte
			if _, err := fmt.Sscanf(s[i+2:i+4], "%02x", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// FstabRoot names the root device as ROOT/etc/fstab does: what an image or
// chroot will mount, when the running system says nothing about it.
func FstabRoot(l Layout) (*RootDevice, error) {
	if l.RootFS == nil {
		return nil, fmt.Errorf("%s has no / line: the image's root device is unknown", filepath.Join(l.Root, filepath.FromSlash(fstabFile)))
	}
	return &RootDevice{Source: l.RootFS.Spec, Names: []string{l.RootFS.Spec}, FromFstab: true}, nil
}

// RootMatch is the outcome of comparing a root= with the machine's root.
type RootMatch string

// The outcomes of Match.
const (
	RootMatches  RootMatch = "match"    // root= names this root device
	RootMismatch RootMatch = "mismatch" // root= names another device, or none that exists
	RootUnknown  RootMatch = "unknown"  // cannot be compared (NFS, ZFS, no udev links)
	RootAbsent   RootMatch = "absent"   // the entry gives no root=
)

// Match compares spec (an entry's root= value) with d and explains the
// outcome in a sentence.
func (d *RootDevice) Match(spec string) (RootMatch, string) {
	if spec == "" {
		return RootAbsent, "the entry passes no root= (the initrd must find root by itself, e.g. from fstab or systemd-gpt-auto-generator)"
	}
	spec = strings.Trim(spec, `"`)
	for _, n := range d.Names {
		if sameSpec(n, spec) {
			return RootMatches, fmt.Sprintf("root=%s is this machine's root filesystem (%s)", spec, d.Source)
		}
	}
	if d.FromFstab {
		if kindOf(spec) == kindOf(d.Source) && kindOf(spec) != "" {
			return RootMismatch, fmt.Sprintf("root=%s, but %s mounts %s at /", spec, "fstab", d.Source)
		}
		return RootUnknown, fmt.Sprintf("root=%s and fstab's %s name the device differently: boot-guard cannot compare them without the device", spec, d.Source)
	}
	// The running system: look the name up under /dev.
	var link, dirName string
	switch {
	case strings.HasPrefix(spec, "/dev/"):
		link = filepath.Join(d.devDir, strings.TrimPrefix(spec, "/dev/"))
	default:
		for _, b := range byDirs {
			if v, ok := strings.CutPrefix(spec, b.prefix); ok {
				dirName = filepath.Join(d.devDir, "disk", b.dir)
				link = filepath.Join(dirName, escapeUdev(v))
				if b.prefix == "UUID=" || b.prefix == "PARTUUID=" {
					if _, err := os.Lstat(link); err != nil {
						link = filepath.Join(dirName, strings.ToLower(v))
					}
				}
				break
			}
		}
	}
	if link == "" {
		return RootUnknown, fmt.Sprintf("root=%s is not a device boot-guard can compare (not /dev/..., UUID=, PARTUUID=, LABEL= or PARTLABEL=)", spec)
	}
	if dirName != "" {
		if _, err := os.Stat(dirName); err != nil {
			return RootUnknown, fmt.Sprintf("root=%s cannot be checked: this machine has no /dev/disk/%s (udev links)", spec, filepath.Base(dirName))
		}
	}
	t, err := filepath.EvalSymlinks(link)
	if err != nil {
		return RootMismatch, fmt.Sprintf("root=%s names no device on this machine; root is %s (%s): the boot will wait for it and fail", spec, d.Source, strings.Join(d.Names, ", "))
	}
	if d.isNode(t) {
		return RootMatches, fmt.Sprintf("root=%s is this machine's root filesystem (%s)", spec, d.Source)
	}
	return RootMismatch, fmt.Sprintf("root=%s is %s, not this machine's root %s (%s)", spec, "/dev/"+strings.TrimPrefix(t, filepath.Clean(d.devDir)+"/"), d.Source, strings.Join(d.Names, ", "))
}

func escapeUdev(s string) string {
	return strings.ReplaceAll(s, "/", `\x2f`)
}

func kindOf(spec string) string {
	for _, b := range byDirs {
		if strings.HasPrefix(spec, b.prefix) {
			return b.prefix
		}
	}
	if strings.HasPrefix(spec, "/dev/disk/by-uuid/") {
		return "UUID="
	}
	if strings.HasPrefix(spec, "/dev/") {
		return "/dev/"
	}
	return ""
}

func sameSpec(a, b string) bool {
	na, nb := normSpec(a), normSpec(b)
	return na == nb
}

func normSpec(s string) string {
	s = strings.Trim(s, `"`)
	if v, ok := strings.CutPrefix(s, "/dev/disk/by-uuid/"); ok {
		s = "UUID=" + v
	}
	if v, ok := strings.CutPrefix(s, "/dev/disk/by-partuuid/"); ok {
		s = "PARTUUID=" + v
	}
	if strings.HasPrefix(s, "UUID=") || strings.HasPrefix(s, "PARTUUID=") {
		return strings.ToLower(s)
	}
	return s
}
