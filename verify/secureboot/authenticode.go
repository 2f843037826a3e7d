package secureboot

import (
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"io"
)

// MaxCertTable caps the PE certificate table read (a kernel's is a few KiB:
// one signature with its certificate chain).
const MaxCertTable = 1 << 20

// WIN_CERTIFICATE's wCertificateType for a PKCS#7 SignedData (Authenticode).
const winCertPKCS = 0x0002

// ImageSignature is a PE image's Authenticode signatures, read from its
// certificate table.
type ImageSignature struct {
	// Signatures holds one SignedData per WIN_CERTIFICATE of type
	// PKCS_SIGNED_DATA, in order (sbsign --append adds more).
	Signatures []SignedData
	// Skipped counts entries of other types.
	Skipped int
}

// Signers lists the signers of every signature.
func (s ImageSignature) Signers() []Signer {
	var out []Signer
	for _, sd := range s.Signatures {
		out = append(out, sd.Signers...)
	}
	return out
}

// ReadImageSignature reads the certificate table of a PE image, at offset
// off up to end in r (kimage.Header's SignatureOffset and SignatureEnd).
func ReadImageSignature(r io.ReaderAt, off, end int64) (ImageSignature, error) {
	if off <= 0 || end <= off {
		return ImageSignature{}, ErrNotSigned
	}
	if end-off > MaxCertTable {
		return ImageSignature{}, fmt.Errorf("a certificate table of %d bytes, over the %d read", end-off, MaxCertTable)
	}
	b := make([]byte, end-off)
	n, err := r.ReadAt(b, off)
	if n < len(b) {
		return ImageSignature{}, fmt.Errorf("reading the certificate table at offset %d: %d of %d bytes: %v", off, n, len(b), err)
	}
	return ParseCertTable(b)
}

// ParseCertTable reads a PE certificate table: WIN_CERTIFICATE entries
// (dwLength, wRevision, wCertificateType, then the data), each starting on
// an 8-byte boundary (PE format, "The Attribute Certificate Table").
func ParseCertTable(b []byte) (ImageSignature, error) {
	var out ImageSignature
	for off := 0; off+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		typ := binary.LittleEndian.Uint16(b[off+6:])
		if n == 0 && allZero(b[off:]) {
			break // padding
		}
		if n < 8 || n > len(b)-off {
			return out, fmt.Errorf("a WIN_CERTIFICATE at offset %d of the certificate table says it is %d bytes, %d remain", off, n, len(b)-off)
		}
		if typ != winCertPKCS {
			out.Skipped++
		} else {
			sd, err := ParsePKCS7(firstElement(b[off+8 : off+n]))
			if err != nil {
				return out, fmt.Errorf("the WIN_CERTIFICATE at offset %d of the certificate table: %w", off, err)
			}
			out.Signatures = append(out.Signatures, sd)
		}
		off += (n + 7) &^ 7
	}
	if len(out.Signatures) == 0 {
		return out, fmt.Errorf("its certificate table holds no PKCS#7 signature: %w", ErrNotSigned)
	}
	return out, nil
}

// firstElement trims the padding after a DER element.
func firstElement(b []byte) []byte {
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(b, &v); err != nil {
		return b // ParsePKCS7 says what is wrong
	}
	return v.FullBytes
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
