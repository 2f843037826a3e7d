package mounts

import (
	"fmt"
	"strings"
	"testing"
)

// The escapes the kernel writes (\040 \011 \012 \134) and what is not one.
// Lenient keeps a non-escape as written; strict names its byte offset.
// \777 (not a byte) and \04/ (two digits) are not escapes: diagnose used to
// read them as 0xff and 0x04 eating the '/', bootentry \777 as 0xff.
func TestUnescape(t *testing.T) {
	for _, tc := range []struct {
		in, lenient string
		bad         int // byte offset strict reports; -1: decodes
	}{
		{`/boot`, `/boot`, -1},
		{`/mnt/a\040b`, "/mnt/a b", -1},
		{`a\011b\012c\134d`, "a\tb\nc\\d", -1},
		{`\134`, `\`, -1},
		{`\377\000`, "\xff\x00", -1},
		{`/x\04`, `/x\04`, 2},
		{`/x\04/`, `/x\04/`, 2},
		{`/x\777`, `/x\777`, 2},
		{`/x\400`, `/x\400`, 2},
		{`\+12`, `\+12`, 0},
		{`\08x`, `\08x`, 0},
		{`a\040\`, `a \`, 5},
	} {
		if got := UnescapeLenient(tc.in); got != tc.lenient {
			t.Errorf("UnescapeLenient(%q) = %q, want %q", tc.in, got, tc.lenient)
		}
		got, err := Unescape(tc.in)
		switch {
		case tc.bad < 0 && (err != nil || got != tc.lenient):
			t.Errorf("Unescape(%q) = %q, %v, want %q", tc.in, got, err, tc.lenient)
		case tc.bad >= 0 && (err == nil || !strings.Contains(err.Error(), fmt.Sprintf("backslash at byte %d is not followed by three octal digits", tc.bad))):
			t.Errorf("Unescape(%q) = %q, %v, want an error at byte %d", tc.in, got, err, tc.bad)
		}
	}
}
