package kimage

import (
	"fmt"
	"io"
)

// peInfo is what a kernel's PE header says about the file.
type peInfo struct {
	machine    uint32
	length     int64 // the end of the headers and of the last section's raw data
	lengthFrom string
	sigEnd     int64 // the end of the certificate table; 0 when none
	sigOff     int64 // where the certificate table starts (with sigEnd)
}

// PE/COFF limits: the spec's section count limit, and how far into the file
// the PE header may start for a kernel (its stub is a few hundred bytes).
const (
	maxSections = 96
	maxPEOffset = 1 << 20
)

// readPE reads the PE header e_lfanew (0x3c) points to and its section table.
// A file that ends inside them is given the length of the headers, so the
// caller sees it cut short; a header that makes no sense is ErrUnrecognized.
func readPE(r io.ReaderAt, size int64, head []byte) (peInfo, error) {
	var p peInfo
	if len(head) < 0x40 {
		p.length, p.lengthFrom = 0x40, "its MZ header (64 bytes)"
		return p, nil
	}
	pe := int64(u32(head, 0x3c))
	if pe < 0x40 || pe > maxPEOffset {
		return p, fmt.Errorf("an MZ header whose PE header offset %d makes no sense: %w", pe, ErrUnrecognized)
	}
	coff, err := readAt(r, pe, 24)
	if err != nil {
		return p, err
	}
	if len(coff) < 24 {
		p.length, p.lengthFrom = pe+24, fmt.Sprintf("its PE header at offset %d", pe)
		return p, nil
	}
	if string(coff[:4]) != "PE\x00\x00" {
		return p, fmt.Errorf("no PE signature at offset %d: %w", pe, ErrUnrecognized)
	}
	p.machine = u16(coff, 4)
	nsect, optSize := int64(u16(coff, 6)), int64(u16(coff, 20))
	if nsect > maxSections {
		return p, fmt.Errorf("a PE header with %d sections: %w", nsect, ErrUnrecognized)
	}
	opt := pe + 24
	tableEnd := opt + optSize + nsect*40
	hdrs, err := readAt(r, opt, optSize+nsect*40)
	if err != nil {
		return p, err
	}
	if int64(len(hdrs)) < optSize+nsect*40 {
		p.length, p.lengthFrom = tableEnd, fmt.Sprintf("its PE section table, ending at offset %d", tableEnd)
		return p, nil
	}
	p.length, p.lengthFrom = tableEnd, fmt.Sprintf("its PE section table, ending at offset %d", tableEnd)
	p.sigOff, p.sigEnd = certTable(hdrs[:optSize])
	for i := int64(0); i < nsect; i++ {
		s := hdrs[optSize+i*40:]
		rawSize, rawPtr := int64(u32(s, 16)), int64(u32(s, 20))
		if rawSize == 0 {
			continue
		}
		if end := rawPtr + rawSize; end > p.length {
			name := string(s[:8])
			for len(name) > 0 && name[len(name)-1] == 0 {
				name = name[:len(name)-1]
			}
			p.length = end
			p.lengthFrom = fmt.Sprintf("its PE section %q: raw data at offset %d, %d bytes", name, rawPtr, rawSize)
		}
	}
	if p.sigEnd <= p.length {
		p.sigOff, p.sigEnd = 0, 0
	}
	return p, nil
}

// certTable returns where the certificate table (data directory 4, a file
// offset and size) of a PE optional header starts and ends, or 0, 0.
func certTable(opt []byte) (off, end int64) {
	if len(opt) < 2 {
		return 0, 0
	}
	var dirs int
	switch u16(opt, 0) {
	case 0x10b: // PE32
		dirs = 96
	case 0x20b: // PE32+
		dirs = 112
	default:
		return 0, 0
	}
	if len(opt) < dirs || u32(opt, dirs-4) <= 4 || len(opt) < dirs+5*8 {
		return 0, 0
	}
	off, n := int64(u32(opt, dirs+32)), int64(u32(opt, dirs+36))
	if n == 0 {
		return 0, 0
	}
	return off, off + n
}
