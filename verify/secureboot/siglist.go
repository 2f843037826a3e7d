package secureboot

import (
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
)

// The EFI_SIGNATURE_LIST types read here, as their GUIDs' bytes (the first
// three fields little-endian, as the firmware stores them).
var (
	certX509GUID   = guidBytes(0xa5c059a1, 0x94e4, 0x4aa7, [8]byte{0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72})
	certSHA256GUID = guidBytes(0xc1c41626, 0x504c, 0x4092, [8]byte{0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28})
)

func guidBytes(a uint32, b, c uint16, d [8]byte) string {
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], a)
	binary.LittleEndian.PutUint16(g[4:], b)
	binary.LittleEndian.PutUint16(g[6:], c)
	copy(g[8:], d[:])
	return string(g[:])
}

// SignatureList is what a UEFI signature database (db, dbx, MokListRT,
// MokListXRT) holds: certificates, SHA-256 hashes, and a count of entries
// of other types.
type SignatureList struct {
	Certs  []*x509.Certificate
	SHA256 [][]byte
	// Other counts entries of other types, and certificates crypto/x509
	// does not read.
	Other int
}

// sigListHeader is EFI_SIGNATURE_LIST's header: SignatureType (16 bytes),
// SignatureListSize, SignatureHeaderSize, SignatureSize (UINT32 each).
const sigListHeader = 28

// ParseSignatureLists reads the EFI_SIGNATURE_LISTs of a signature database
// (UEFI spec 32.4.1): each list a header, SignatureHeaderSize bytes, then
// entries of SignatureSize bytes, each an owner GUID and the data.
func ParseSignatureLists(b []byte) (SignatureList, error) {
	var out SignatureList
	for off := 0; off < len(b); {
		if len(b)-off < sigListHeader {
			return out, fmt.Errorf("a signature list at offset %d: %d bytes, shorter than its %d-byte header", off, len(b)-off, sigListHeader)
		}
		typ := string(b[off : off+16])
		listSize := int64(binary.LittleEndian.Uint32(b[off+16:]))
		hdrSize := int64(binary.LittleEndian.Uint32(b[off+20:]))
		sigSize := int64(binary.LittleEndian.Uint32(b[off+24:]))
		if listSize < sigListHeader+hdrSize || listSize > int64(len(b)-off) {
			return out, fmt.Errorf("a signature list at offset %d says it is %d bytes (header %d), but %d remain", off, listSize, hdrSize, len(b)-off)
		}
		body := listSize - sigListHeader - hdrSize
		if sigSize <= 16 || body%sigSize != 0 {
			return out, fmt.Errorf("a signature list at offset %d: %d bytes of entries of %d bytes each", off, body, sigSize)
		}
		for e := int64(off) + sigListHeader + hdrSize; e < int64(off)+listSize; e += sigSize {
			data := b[e+16 : e+sigSize] // after the owner GUID
			switch typ {
			case certX509GUID:
				c, err := x509.ParseCertificate(data)
				if err != nil {
					out.Other++
					continue
				}
				out.Certs = append(out.Certs, c)
			case certSHA256GUID:
				out.SHA256 = append(out.SHA256, data)
			default:
				out.Other++
			}
		}
		off += int(listSize)
	}
	return out, nil
}

// MokLists are the MOK lists shim passes to the kernel.
type MokLists struct {
	// List is MokListRT (the enrolled keys, with shim's vendor
	// certificate), Revoked MokListXRT.
	List, Revoked SignatureList
	// Present: MokListRT exists (shim booted this machine).
	Present bool
	// Trusted: MokListTrustedRT exists: the kernel's machine keyring
	// trusts MOK keys (CONFIG_INTEGRITY_MACHINE_KEYRING).
	Trusted bool
}

// ReadMokLists reads MokListRT, MokListXRT and MokListTrustedRT from sys.
// Absent lists are empty, not an error.
func ReadMokLists(sys fs.FS) (MokLists, error) {
	var m MokLists
	b, err := readMokVar(sys, "MokListRT")
	switch {
	case err == nil:
		m.Present = true
		if m.List, err = ParseSignatureLists(b); err != nil {
			return m, fmt.Errorf("MokListRT: %w", err)
		}
	case !errors.Is(err, ErrNoVar):
		return m, fmt.Errorf("MokListRT: %w", err)
	}
	b, err = readMokVar(sys, "MokListXRT")
	switch {
	case err == nil:
		if m.Revoked, err = ParseSignatureLists(b); err != nil {
			return m, fmt.Errorf("MokListXRT: %w", err)
		}
	case !errors.Is(err, ErrNoVar):
		return m, fmt.Errorf("MokListXRT: %w", err)
	}
	_, err = readMokVar(sys, "MokListTrustedRT")
	m.Trusted = err == nil
	return m, nil
}

// ReadDB reads the firmware's db (allowed) or dbx (forbidden) signature
// database from efivarfs under sys; an absent one is empty.
func ReadDB(sys fs.FS, name string) (SignatureList, error) {
	_, v, err := ReadVar(sys, name, SecurityDatabaseGUID)
	if errors.Is(err, ErrNoVar) {
		return SignatureList{}, nil
	}
	if err != nil {
		return SignatureList{}, err
	}
	l, err := ParseSignatureLists(v)
	if err != nil {
		return l, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}
