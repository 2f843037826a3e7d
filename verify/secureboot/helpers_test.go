package secureboot_test

import (
	"crypto/x509"
	"encoding/binary"
)

type x509Cert = x509.Certificate

// peCertTable finds a PE32+ image's certificate table (data directory 4).
func peCertTable(b []byte) (off, end int64) {
	if len(b) < 0x40 || string(b[:2]) != "MZ" {
		return 0, 0
	}
	pe := int(binary.LittleEndian.Uint32(b[0x3c:]))
	opt := pe + 24
	if opt+112+40 > len(b) || binary.LittleEndian.Uint16(b[opt:]) != 0x20b {
		return 0, 0
	}
	o := int64(binary.LittleEndian.Uint32(b[opt+112+32:]))
	n := int64(binary.LittleEndian.Uint32(b[opt+112+36:]))
	if n == 0 {
		return 0, 0
	}
	return o, o + n
}
