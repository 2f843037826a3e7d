package initrd

// typeChars are ls -l's letters for the file types of a raw cpio mode.
var typeChars = map[uint32]byte{
	ModeDir: 'd', ModeSymlink: 'l', ModeChar: 'c', ModeBlock: 'b',
	ModeFIFO: 'p', ModeSocket: 's', ModeRegular: '-',
}

// ModeString renders the entry's raw cpio mode the way ls -l does ("-rwxr-xr-x",
// "lrwxrwxrwx"; '?' for a type cpio does not define).
func (e Entry) ModeString() string {
	m := e.Mode
	var b [10]byte
	b[0] = '?'
	if c, ok := typeChars[m&ModeType]; ok {
		b[0] = c
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		} else {
			b[1+i] = '-'
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if m&bit != 0 {
			if b[at] == '-' {
				b[at] = unset
			} else {
				b[at] = set
			}
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b[:])
}
