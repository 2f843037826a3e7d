package secureboot_test

import (
	"testing"

	"github.com/boot-guard/boot-guard/verify/secureboot"
	"github.com/boot-guard/boot-guard/verify/secureboot/sbtest"
)

// FuzzModuleSignature feeds arbitrary module tails to the signature reader.
// Invariants: no panic; an unsigned answer has no error and no signers; a
// signed answer without error names at least one signer.
func FuzzModuleSignature(f *testing.F) {
	k := sbtest.NewKey(f, "fuzz")
	f.Add(sbtest.SignModule(f, module, k, sbtest.Options{}), int64(0))
	f.Add(sbtest.SignModule(f, module, k, sbtest.Options{KeyID: true, WithCert: true}), int64(1<<20))
	f.Add([]byte(sbtest.Magic), int64(0))
	f.Add(sbtest.AppendSignature(nil, []byte{0x30, 0x80, 0, 0}, 2), int64(0))
	f.Fuzz(func(t *testing.T, tail []byte, size int64) {
		s, err := secureboot.ParseModuleSignature(tail, size)
		if !s.Signed && (err != nil || len(s.Signers) > 0) {
			t.Fatalf("unsigned with %v, %d signers", err, len(s.Signers))
		}
		if s.Signed && err == nil && len(s.Signers) == 0 {
			t.Fatal("signed, no error, no signer")
		}
	})
}

// FuzzSignatureLists feeds arbitrary bytes to the EFI_SIGNATURE_LIST reader
// and the PE certificate table reader: no panic, and no entries invented
// from fewer bytes than they take.
func FuzzSignatureLists(f *testing.F) {
	k := sbtest.NewKey(f, "fuzz")
	f.Add(sbtest.SignatureList([]*x509Cert{k.Cert}, make([]byte, 32)))
	f.Add(sbtest.CertTable(sbtest.PKCS7(f, k, []byte("x"), sbtest.Options{WithCert: true})))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, _ := secureboot.ParseSignatureLists(b)
		if n := len(l.Certs) + len(l.SHA256) + l.Other; n*44 > len(b) {
			t.Fatalf("%d entries from %d bytes", n, len(b))
		}
		s, err := secureboot.ParseCertTable(b)
		if err == nil && len(s.Signers()) == 0 {
			t.Fatal("a signature without a signer")
		}
	})
}
