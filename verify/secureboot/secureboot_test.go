package secureboot_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/secureboot"
	"github.com/boot-guard/boot-guard/verify/secureboot/sbtest"
)

var module = []byte("\x7fELF a module's bytes")

func TestModuleSignature(t *testing.T) {
	k := sbtest.NewKey(t, "DKMS module signing key")
	for _, keyID := range []bool{false, true} {
		signed := sbtest.SignModule(t, module, k, sbtest.Options{KeyID: keyID})
		s, err := secureboot.ParseModuleSignature(signed, int64(len(signed)))
		if err != nil || !s.Signed || len(s.Signers) != 1 {
			t.Fatalf("keyID %v: %+v, %v", keyID, s, err)
		}
		if !s.Signers[0].Matches(secureboot.KeyOf(k.Cert)) {
			t.Errorf("keyID %v: signer %v does not match its certificate", keyID, s.Signers[0])
		}
		if other := sbtest.NewKey(t, "another key"); s.Signers[0].Matches(secureboot.KeyOf(other.Cert)) {
			t.Errorf("keyID %v: signer matches another key", keyID)
		}
		if !keyID && !strings.Contains(s.Signers[0].String(), `issued by "CN=DKMS module signing key"`) {
			t.Errorf("signer reads %s", s.Signers[0])
		}
		// Only the tail is handed in: the same answer.
		tail := signed[len(module)-4:]
		if s2, err := secureboot.ParseModuleSignature(tail, int64(len(signed))); err != nil || !s2.Signed {
			t.Errorf("from the tail: %+v, %v", s2, err)
		}
	}
}

func TestModuleSignatureBroken(t *testing.T) {
	k := sbtest.NewKey(t, "k")
	msg := sbtest.PKCS7(t, k, module, sbtest.Options{})
	good := sbtest.AppendSignature(module, msg, 2)
	set := func(b []byte, i int, v byte) []byte {
		b = bytes.Clone(b)
		b[len(b)-len(sbtest.Magic)-12+i] = v
		return b
	}
	cases := []struct {
		name string
		in   []byte
		size int64
		want error
	}{
		{"unsigned", module, int64(len(module)), nil},
		{"not PKCS#7", sbtest.AppendSignature(module, msg, 1), 0, secureboot.ErrSigNotPKCS7},
		{"non-zero algo", set(good, 0, 1), 0, secureboot.ErrSigMalformed},
		{"non-zero pad", set(good, 7, 1), 0, secureboot.ErrSigMalformed},
		{"sig_len past the module", set(good, 8, 0x7f), 0, secureboot.ErrSigMalformed},
		{"magic alone", []byte(sbtest.Magic + "x")[:len(sbtest.Magic)], 0, nil},
		{"no room for the trailer", []byte("abc" + sbtest.Magic), 0, secureboot.ErrSigMalformed},
		{"garbage message", sbtest.AppendSignature(module, bytes.Repeat([]byte{0x30}, 40), 2), 0, secureboot.ErrPKCS7},
		{"beyond the tail", good[len(good)-60:], int64(len(good)), secureboot.ErrSigBeyondTail},
	}
	for _, c := range cases {
		size := c.size
		if size == 0 {
			size = int64(len(c.in))
		}
		s, err := secureboot.ParseModuleSignature(c.in, size)
		switch {
		case c.want == nil && (err != nil || s.Signed && c.name != "magic alone"):
			t.Errorf("%s: %+v, %v", c.name, s, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

// TestDebianModule reads a module Debian signed, when the machine has one.
func TestDebianModule(t *testing.T) {
	paths, _ := filepath.Glob("/lib/modules/*/kernel/fs/*/*.ko")
	if len(paths) == 0 {
		t.Skip("no uncompressed in-tree module under /lib/modules")
	}
	s, err := secureboot.ReadModuleFileSignature(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if !s.Signed || len(s.Signers) != 1 || s.Signers[0].Serial == nil {
		t.Fatalf("%s: %+v", paths[0], s)
	}
	t.Logf("%s: signed by %s (%d-byte PKCS#7)", paths[0], s.Signers[0], s.Len)
}

func TestSignatureLists(t *testing.T) {
	a, b := sbtest.NewKey(t, "a"), sbtest.NewKey(t, "b")
	sum := sha256.Sum256(b.Cert.Raw)
	l, err := secureboot.ParseSignatureLists(sbtest.SignatureList([]*x509Cert{a.Cert}, sum[:]))
	if err != nil || len(l.Certs) != 1 || len(l.SHA256) != 1 {
		t.Fatalf("%+v, %v", l, err)
	}
	if !secureboot.Revoked(l, secureboot.KeyOf(a.Cert)) || !secureboot.Revoked(l, secureboot.KeyOf(b.Cert)) {
		t.Error("a listed certificate or hash is not revoked")
	}
	if secureboot.Revoked(l, secureboot.KeyOf(sbtest.NewKey(t, "c").Cert)) {
		t.Error("an unlisted key is revoked")
	}
	full := sbtest.SignatureList([]*x509Cert{a.Cert, b.Cert})
	for _, cut := range []int{1, 27, 40, len(full) - 1} {
		if _, err := secureboot.ParseSignatureLists(full[:cut]); err == nil {
			t.Errorf("cut at %d: no error", cut)
		}
	}
}

func TestReadState(t *testing.T) {
	sb := secureboot.VarPath("SecureBoot", secureboot.GlobalGUID)
	setup := secureboot.VarPath("SetupMode", secureboot.GlobalGUID)
	mok := secureboot.VarPath("MokSBStateRT", secureboot.ShimGUID)
	lock := &fstest.MapFile{Data: []byte("none [integrity] confidentiality\n")}
	cases := []struct {
		name            string
		files           fstest.MapFS
		known, enforces bool
		why             string
	}{
		{"BIOS", fstest.MapFS{"kernel/x": {}}, true, false, "BIOS"},
		{"Secure Boot on", fstest.MapFS{sb: {Data: sbtest.EFIVar(1)}, setup: {Data: sbtest.EFIVar(0)}, "kernel/security/lockdown": lock}, true, true, "SecureBoot=1, SetupMode=0, MokSBStateRT absent"},
		{"off", fstest.MapFS{sb: {Data: sbtest.EFIVar(0)}, setup: {Data: sbtest.EFIVar(0)}}, true, false, "SecureBoot=0"},
		{"setup mode", fstest.MapFS{sb: {Data: sbtest.EFIVar(1)}, setup: {Data: sbtest.EFIVar(1)}}, true, false, "SetupMode=1"},
		{"shim validation off", fstest.MapFS{sb: {Data: sbtest.EFIVar(1)}, setup: {Data: sbtest.EFIVar(0)}, mok: {Data: sbtest.EFIVar(1)}}, true, false, "validation disabled"},
		{"no variable", fstest.MapFS{setup: {Data: sbtest.EFIVar(0)}}, true, false, "no SecureBoot variable"},
		{"efivarfs not mounted", fstest.MapFS{"firmware/efi/efivars": {Mode: 0o40755 | 1<<31}}, false, false, "not mounted"},
		{"short variable", fstest.MapFS{sb: {Data: []byte{7, 0}}}, false, false, "attribute bytes"},
	}
	for _, c := range cases {
		s := secureboot.ReadState(c.files)
		if s.Known != c.known || s.Enforcing() != c.enforces || !strings.Contains(s.Why, c.why) {
			t.Errorf("%s: %+v", c.name, s)
		}
	}
	if s := secureboot.ReadState(fstest.MapFS{sb: {Data: sbtest.EFIVar(1)}, "kernel/security/lockdown": lock}); s.Lockdown != "integrity" {
		t.Errorf("lockdown %q", s.Lockdown)
	}
	if s := secureboot.ReadState(nil); s.Known {
		t.Errorf("nil /sys: %+v", s)
	}
}

func TestMokLists(t *testing.T) {
	a, b := sbtest.NewKey(t, "a"), sbtest.NewKey(t, "b")
	sys := fstest.MapFS{
		secureboot.VarPath("MokListRT", secureboot.ShimGUID):      {Data: sbtest.EFIVar(sbtest.SignatureList([]*x509Cert{a.Cert})...)},
		"firmware/efi/mok-variables/MokListXRT":                   {Data: sbtest.SignatureList([]*x509Cert{b.Cert})},
		secureboot.VarPath("db", secureboot.SecurityDatabaseGUID): {Data: sbtest.EFIVar(sbtest.SignatureList([]*x509Cert{b.Cert})...)},
	}
	m, err := secureboot.ReadMokLists(sys)
	if err != nil || !m.Present || len(m.List.Certs) != 1 || len(m.Revoked.Certs) != 1 || m.Trusted {
		t.Fatalf("%+v, %v", m, err)
	}
	db, err := secureboot.ReadDB(sys, "db")
	if err != nil || len(db.Certs) != 1 {
		t.Fatalf("db: %+v, %v", db, err)
	}
	if m, err := secureboot.ReadMokLists(fstest.MapFS{}); err != nil || m.Present {
		t.Errorf("no lists: %+v, %v", m, err)
	}
}

func TestCertTable(t *testing.T) {
	k := sbtest.NewKey(t, "Debian Secure Boot Signer")
	tab := sbtest.CertTable(sbtest.PKCS7(t, k, []byte("image digest"), sbtest.Options{WithCert: true}))
	s, err := secureboot.ParseCertTable(tab)
	if err != nil || len(s.Signers()) != 1 || s.Signers()[0].Cert == nil {
		t.Fatalf("%+v, %v", s, err)
	}
	if !strings.Contains(s.Signers()[0].String(), "CN=Debian Secure Boot Signer") {
		t.Errorf("signer %s", s.Signers()[0])
	}
	if _, err := secureboot.ParseCertTable(make([]byte, 64)); !errors.Is(err, secureboot.ErrNotSigned) {
		t.Errorf("zeros: %v", err)
	}
	if _, err := secureboot.ParseCertTable(tab[:len(tab)-40]); err == nil {
		t.Error("a cut table: no error")
	}
}

// TestDebianKernelImage reads the Authenticode signature of an installed
// Debian kernel, when the machine has one.
func TestDebianKernelImage(t *testing.T) {
	paths, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(paths) == 0 {
		t.Skip("no kernel in /boot")
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Skip(err)
	}
	off, end := peCertTable(b)
	if off == 0 {
		t.Skipf("%s has no certificate table", paths[0])
	}
	s, err := secureboot.ReadImageSignature(bytes.NewReader(b), off, end)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: signed by %s", paths[0], s.Signers()[0])
}
