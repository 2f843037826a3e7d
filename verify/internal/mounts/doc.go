// Package mounts owns the mount tables' formats, once for every leaf under
// verify/: the octal escapes that /proc/self/mountinfo and fstab(5) write
// for a blank, a tab, a newline or a backslash inside a field (a backslash
// and three octal digits, "\040"), the lines of /proc/PID/mountinfo
// (Documentation/filesystems/proc.rst, "3.5 /proc/<pid>/mountinfo"), and the
// lines of fstab(5).
//
// It owns only the syntax: which mount is the root, what a device is named
// and what a finding means stay with the leaves (rootdev, bootentry,
// diagnose). It reads only the io.Reader it is handed.
package mounts
