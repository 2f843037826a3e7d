package main

import (
	"crypto/x509"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
	"github.com/boot-guard/boot-guard/verify/secureboot/sbtest"
)

// Issue 13's scenario commands: Secure Boot fixtures with throwaway keys.

// key returns the scenario's key named name, made on first use.
func (st *scenarioState) key(ts *testscript.TestScript, name string) sbtest.Key {
	if st.keys == nil {
		st.keys = map[string]sbtest.Key{}
	}
	k, ok := st.keys[name]
	if !ok {
		t, isTB := st.t.(testing.TB)
		if !isTB {
			ts.Fatalf("%T is not a testing.TB", st.t)
		}
		k = sbtest.NewKey(t, name)
		st.keys[name] = k
	}
	return k
}

func (st *scenarioState) write(ts *testscript.TestScript, name string, b []byte) {
	p := st.local(ts, name)
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, b, 0o644))
}

func cmdSecureBoot(ts *testscript.TestScript, neg bool, args []string) {
	st := state(ts)
	if neg || len(args) < 1 || (args[0] != "on" && args[0] != "off") || st.sysDir == "" {
		ts.Fatalf("usage (after machine): secureboot on|off [MOKKEY...]")
	}
	on := byte(0)
	if args[0] == "on" {
		on = 1
	}
	vars := map[string][]byte{
		"SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c": sbtest.EFIVar(on),
		"SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c":  sbtest.EFIVar(0),
	}
	var certs []*x509.Certificate
	for _, k := range args[1:] {
		certs = append(certs, st.key(ts, k).Cert)
	}
	if len(certs) > 0 {
		vars["MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23"] = sbtest.EFIVar(sbtest.SignatureList(certs)...)
	}
	dir := filepath.Join(st.sysDir, "firmware/efi/efivars")
	ts.Check(os.MkdirAll(dir, 0o755))
	for name, b := range vars {
		ts.Check(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
}

func cmdSignedModule(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: signed-module SRC DST KEY|none")
	}
	st := state(ts)
	body, err := os.ReadFile(st.local(ts, args[0]))
	ts.Check(err)
	mod := moduleFromModinfo(strings.TrimSuffix(path.Base(args[1]), ".ko"), string(body))
	if args[2] != "none" {
		mod = sbtest.SignModule(st.t.(testing.TB), mod, st.key(ts, args[2]), sbtest.Options{})
	}
	st.write(ts, args[1], mod)
}

func cmdSignKernel(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sign-kernel FILE KEY")
	}
	st := state(ts)
	_, release, _ := strings.Cut(filepath.Base(args[0]), "vmlinuz-")
	tab := sbtest.CertTable(sbtest.PKCS7(st.t.(testing.TB), st.key(ts, args[1]), []byte("digest"), sbtest.Options{WithCert: true}))
	img := kimagetest.SignedBzImage(release, len(tab))
	copy(img[len(img)-len(tab):], tab)
	st.write(ts, args[0], img)
}

func cmdCert(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cert KEY FILE")
	}
	st := state(ts)
	st.write(ts, args[1], st.key(ts, args[0]).Cert.Raw)
}
