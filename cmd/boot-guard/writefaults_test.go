package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// issue 17 items 3 and 5: a metrics or cache directory another user can
// write to is refused with a message saying why; the APT hook still exits 0
// and audit still exits on its verdict, and nothing is written there.
func TestWritesRefusedInUnsafeDirs(t *testing.T) {
	mc := auditMachine(t)
	unsafe := filepath.Join(mc.root, "var/lib/node")
	if err := os.MkdirAll(unsafe, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(unsafe, 0o777)
	cacheDir := filepath.Join(mc.root, "run/boot-guard")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cacheDir, 0o777)
	writeFile(t, mc.root, "etc/default/boot-guard", "METRICS_FILE=/var/lib/node/boot-guard.prom\n")

	code, _, stderr := mc.run(t, []string{"boot-guard", "hook", "apt"})
	if code != 0 {
		t.Errorf("apt hook exit %d, want 0 (it never fails apt)", code)
	}
	for _, want := range []string{"warning: metrics not updated", "unsafe directory " + unsafe, "writable by group or others (mode 0777)", "cannot keep the audit cache"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("apt hook stderr lacks %q:\n%s", want, stderr)
		}
	}
	code, _, stderr = mc.run(t, []string{"boot-guard", "audit", "--metrics-file", filepath.Join(unsafe, "x.prom")})
	if code != 1 || !strings.Contains(stderr, "error: metrics not updated") {
		t.Errorf("audit exit %d, want 1 (the default entry's verdict) and the error:\n%s", code, stderr)
	}
	for _, d := range []string{unsafe, cacheDir} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			t.Errorf("wrote %s in the unsafe %s", e.Name(), d)
		}
	}
}
