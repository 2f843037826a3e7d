// Package sbtest builds Secure Boot fixtures for tests, with throwaway keys
// it generates: X.509 certificates, PKCS#7 SignedData messages (a minimal
// builder: one signer named by issuer and serial number or by subject key
// identifier, optionally carrying its certificate), modules signed the way
// scripts/sign-file.c appends a signature, EFI signature lists (MOK lists,
// db), efivarfs files with their attribute bytes, and a PE certificate
// table. It never reads a real key. Only tests import it.
package sbtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"testing"
	"time"
)

// Key is a throwaway signing key and its self-signed certificate.
type Key struct {
	Cert *x509.Certificate
	priv *ecdsa.PrivateKey
}

// NewKey makes a key whose certificate's subject and issuer are CN=cn.
func NewKey(t testing.TB, cn string) Key {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		SubjectKeyId: []byte(cn + "-key-id")[:8],
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return Key{Cert: c, priv: priv}
}

// Options shape a SignedData.
type Options struct {
	// KeyID names the signer by subject key identifier (sign-file -k)
	// instead of issuer and serial number.
	KeyID bool
	// WithCert carries the signer's certificate (Authenticode does).
	WithCert bool
}

var (
	oidData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSHA256     = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidECDSA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

type algID struct {
	Algorithm asn1.ObjectIdentifier
}

// PKCS7 is a detached PKCS#7 SignedData over content, signed by k without
// authenticated attributes (as sign-file's PKCS7_NOATTR).
func PKCS7(t testing.TB, k Key, content []byte, o Options) []byte {
	t.Helper()
	sum := sha256.Sum256(content)
	sig, err := k.priv.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	var sid asn1.RawValue
	if o.KeyID {
		sid = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: k.Cert.SubjectKeyId}
	} else {
		sid = raw(t, struct {
			Issuer asn1.RawValue
			Serial *big.Int
		}{asn1.RawValue{FullBytes: k.Cert.RawIssuer}, k.Cert.SerialNumber})
	}
	version := 1
	if o.KeyID {
		version = 3
	}
	si := raw(t, struct {
		Version   int
		SID       asn1.RawValue
		Digest    algID
		SigAlg    algID
		Signature []byte
	}{version, sid, algID{oidSHA256}, algID{oidECDSA256}, sig})
	type signedData struct {
		Version     int
		Digests     []algID `asn1:"set"`
		ContentInfo struct{ Type asn1.ObjectIdentifier }
		Certs       asn1.RawValue   `asn1:"optional,tag:0"`
		SignerInfos []asn1.RawValue `asn1:"set"`
	}
	sd := signedData{Version: 1, Digests: []algID{{oidSHA256}}, SignerInfos: []asn1.RawValue{si}}
	sd.ContentInfo.Type = oidData
	if o.WithCert {
		sd.Certs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: k.Cert.Raw}
	}
	return raw(t, struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{oidSignedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: raw(t, sd).FullBytes}}).FullBytes
}

func raw(t testing.TB, v any) asn1.RawValue {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return asn1.RawValue{FullBytes: b}
}

// Magic is the string a signed module ends with.
const Magic = "~Module signature appended~\n"

// SignModule appends k's signature to module as scripts/sign-file.c does:
// the PKCS#7 message, struct module_signature (id_type PKEY_ID_PKCS7,
// sig_len big-endian), the magic.
func SignModule(t testing.TB, module []byte, k Key, o Options) []byte {
	t.Helper()
	return AppendSignature(module, PKCS7(t, k, module, o), 2)
}

// AppendSignature appends msg as a module signature with id_type idType.
func AppendSignature(module, msg []byte, idType byte) []byte {
	out := append(append([]byte{}, module...), msg...)
	trailer := make([]byte, 12)
	trailer[2] = idType
	binary.BigEndian.PutUint32(trailer[8:], uint32(len(msg)))
	return append(append(out, trailer...), Magic...)
}

// x509GUID is EFI_CERT_X509_GUID as stored; sha256GUID EFI_CERT_SHA256_GUID.
var (
	x509GUID   = []byte{0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72}
	sha256GUID = []byte{0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28}
	ownerGUID  = make([]byte, 16)
)

// SignatureList is an EFI signature database with one EFI_SIGNATURE_LIST
// per certificate (as mokutil enrols keys) and one of SHA-256 hashes.
func SignatureList(certs []*x509.Certificate, hashes ...[]byte) []byte {
	var out []byte
	list := func(typ []byte, size int, entries ...[]byte) {
		h := make([]byte, 28)
		copy(h, typ)
		binary.LittleEndian.PutUint32(h[16:], uint32(28+len(entries)*(16+size)))
		binary.LittleEndian.PutUint32(h[24:], uint32(16+size))
		out = append(out, h...)
		for _, e := range entries {
			out = append(append(out, ownerGUID...), e...)
		}
	}
	for _, c := range certs {
		list(x509GUID, len(c.Raw), c.Raw)
	}
	if len(hashes) > 0 {
		list(sha256GUID, 32, hashes...)
	}
	return out
}

// EFIVar is an efivarfs file: 4 attribute bytes (NV|BS|RT), the value.
func EFIVar(value ...byte) []byte {
	return append([]byte{7, 0, 0, 0}, value...)
}

// CertTable is a PE certificate table holding one WIN_CERTIFICATE of type
// PKCS_SIGNED_DATA with msg, padded to 8 bytes.
func CertTable(msg []byte) []byte {
	n := 8 + len(msg)
	b := make([]byte, (n+7)&^7)
	binary.LittleEndian.PutUint32(b, uint32(n))
	binary.LittleEndian.PutUint16(b[4:], 0x0200)
	binary.LittleEndian.PutUint16(b[6:], 0x0002)
	copy(b[8:], msg)
	return b
}
