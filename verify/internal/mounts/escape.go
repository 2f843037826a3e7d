package mounts

import (
	"fmt"
	"strings"
)

// Unescape undoes the kernel's mangling of a mountinfo field (seq_file's
// mangle_path and seq_escape in fs/proc_namespace.c write a space, tab,
// newline or backslash as a backslash and three octal digits: \040, \011,
// \012, \134). It is strict: the kernel writes no other backslash, so one
// not followed by three octal digits naming a byte (\000 to \377) is an
// error, and the field is not from a mountinfo.
func Unescape(s string) (string, error) {
	out, bad := decodeOctal(s)
	if bad >= 0 {
		return "", fmt.Errorf("backslash at byte %d is not followed by three octal digits", bad)
	}
	return out, nil
}

// UnescapeLenient undoes fstab(5)'s octal escapes ("\040" for a space) the
// way libmount's unmangle does: a backslash not followed by three octal
// digits naming a byte (\000 to \377) stays as written, since fstab is
// edited by hand and a stray backslash is part of the name.
func UnescapeLenient(s string) string {
	out, _ := decodeOctal(s)
	return out
}

// decodeOctal replaces every backslash followed by three octal digits
// naming a byte with that byte. Any other backslash is copied as written;
// bad is the byte offset in s of the first such one, or -1.
func decodeOctal(s string) (out string, bad int) {
	bad = -1
	if !strings.Contains(s, `\`) {
		return s, bad
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOct(s[i+2]) && isOct(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		if bad < 0 {
			bad = i
		}
		b.WriteByte(s[i])
	}
	return b.String(), bad
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }
