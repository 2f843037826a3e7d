//go:build !unix

package main

import "github.com/rogpeppe/go-internal/testscript"

// cmdHang needs FIFOs, which boot-guard's systems (Linux) have.
func cmdHang(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("no FIFOs here")
}
