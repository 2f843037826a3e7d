package secureboot

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// Key is a key a kernel or shim may trust, identified the ways a signature
// names its signer: the certificate's issuer and serial number, and its
// subject key identifier.
type Key struct {
	// Name is the certificate's subject, or the signer's description
	// when the key is known only as a signer.
	Name         string
	IssuerRaw    []byte
	Serial       string // the serial number's bytes, as a string for comparing
	SubjectKeyID []byte
	// Cert is the certificate when known.
	Cert *x509.Certificate
	// Source says where it was found ("MokListRT", "the signer of
	// in-tree module kernel/fs/ext4/ext4.ko").
	Source string
}

// KeyOf is the key of a certificate.
func KeyOf(c *x509.Certificate) Key {
	return Key{Name: c.Subject.String(), IssuerRaw: c.RawIssuer, Serial: string(c.SerialNumber.Bytes()),
		SubjectKeyID: c.SubjectKeyId, Cert: c}
}

// KeyOfSigner is the key a signer names (a kernel's built-in key is known
// only as the signer of its in-tree modules).
func KeyOfSigner(s Signer) Key {
	if s.Cert != nil {
		return KeyOf(s.Cert)
	}
	k := Key{Name: s.String(), IssuerRaw: s.IssuerRaw, SubjectKeyID: s.SubjectKeyID}
	if s.Serial != nil {
		k.Serial = string(s.Serial.Bytes())
	}
	return k
}

// Matches reports whether s names key k, as the kernel's asymmetric key
// lookup does: by issuer and serial number, or by subject key identifier.
func (s Signer) Matches(k Key) bool {
	if s.Serial != nil && len(k.IssuerRaw) > 0 && bytes.Equal(s.IssuerRaw, k.IssuerRaw) && string(s.Serial.Bytes()) == k.Serial {
		return true
	}
	return len(s.SubjectKeyID) > 0 && bytes.Equal(s.SubjectKeyID, k.SubjectKeyID)
}

// Same reports whether a and b are the same key.
func (k Key) Same(b Key) bool {
	if k.Cert != nil && b.Cert != nil {
		return bytes.Equal(k.Cert.Raw, b.Cert.Raw)
	}
	if len(k.IssuerRaw) > 0 && bytes.Equal(k.IssuerRaw, b.IssuerRaw) && k.Serial == b.Serial {
		return true
	}
	return len(k.SubjectKeyID) > 0 && bytes.Equal(k.SubjectKeyID, b.SubjectKeyID)
}

// Find returns the first key of keys that s names.
func Find(keys []Key, s Signer) (Key, bool) {
	for _, k := range keys {
		if s.Matches(k) {
			return k, true
		}
	}
	return Key{}, false
}

// Revoked reports whether a revocation list (MokListXRT, dbx) lists the
// key: its certificate, or the SHA-256 of the certificate's DER.
func Revoked(l SignatureList, k Key) bool {
	for _, c := range l.Certs {
		if k.Same(KeyOf(c)) {
			return true
		}
	}
	if k.Cert == nil {
		return false
	}
	sum := sha256.Sum256(k.Cert.Raw)
	for _, h := range l.SHA256 {
		if bytes.Equal(h, sum[:]) {
			return true
		}
	}
	return false
}

// DKMSKeyPaths are where DKMS (and Ubuntu's shim-signed) keep the MOK
// certificate they sign modules with, as machine paths.
var DKMSKeyPaths = []string{"/var/lib/dkms/mok.pub", "/var/lib/shim-signed/mok/MOK.der"}

// MaxCertFile caps a certificate file read from disk.
const MaxCertFile = 64 << 10

// ReadCertFile reads an X.509 certificate, DER (mok.pub, MOK.der) or PEM.
func ReadCertFile(path string) (*x509.Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readMax(f, path, MaxCertFile, "not a certificate")
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	c, err := x509.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("%s is not an X.509 certificate (DER or PEM): %w", path, err)
	}
	return c, nil
}

// ErrNotSigned: a module or image carries no signature.
var ErrNotSigned = errors.New("not signed")
