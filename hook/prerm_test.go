package hook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prerm runs the registered kernel-prerm protocol through Run, as
// /etc/kernel/prerm.d/00-boot-guard is run: configuration and BOOT_GUARD
// applied.
func (h host) prerm(t *testing.T, args []string, kv ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := Run(context.Background(), "kernel-prerm", args, h.env(&stderr, kv...))
	return code, stderr.String()
}

func TestPrermRefusesLastBootableKernel(t *testing.T) {
	h := newHost(t, []string{kvNew}, []string{kvOld})
	code, out := h.prerm(t, []string{kvNew, "/boot/vmlinuz-" + kvNew}, "DEB_MAINT_PARAMS", "remove", "DPKG_MAINTSCRIPT_PACKAGE", "linux-image-"+kvNew)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (refuse)\n%s", code, out)
	}
	for _, want := range []string{
		"error: kernel " + kvNew + " is the last installed kernel that will boot",
		kvOld + " unbootable",
		"refusing to remove kernel " + kvNew,
		"BOOT_GUARD=off apt-get remove linux-image-" + kvNew,
		"nvme",
		"hint: fix kernel " + kvOld + " first: rebuild it: update-initramfs -c -k " + kvOld,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The override named in the refusal lets the removal through.
	if code, out := h.prerm(t, []string{kvNew}, "DEB_MAINT_PARAMS", "remove", "BOOT_GUARD", "off"); code != 0 {
		t.Fatalf("BOOT_GUARD=off: exit %d\n%s", code, out)
	}
	if code, out := h.prerm(t, []string{kvNew}, "DEB_MAINT_PARAMS", "remove", "BOOT_GUARD", "warn"); code != 0 || !strings.Contains(out, "BOOT_GUARD=warn") {
		t.Fatalf("BOOT_GUARD=warn: exit %d\n%s", code, out)
	}
	// MODE=warn: the same warning, exit 0.
	checkWrite(t, filepath.Join(h.root, ConfigPath), "MODE=warn\n")
	if code, out := h.prerm(t, []string{kvNew}, "DEB_MAINT_PARAMS", "remove"); code != 0 || !strings.Contains(out, "warning: kernel "+kvNew+" is the last") || !strings.Contains(out, "MODE=warn") {
		t.Fatalf("MODE=warn: exit %d\n%s", code, out)
	}
}

func TestPrermAllowsWhenAnotherKernelBoots(t *testing.T) {
	h := newHost(t, []string{kvNew, kvOld}, nil)
	if code, out := h.prerm(t, []string{kvNew}, "DEB_MAINT_PARAMS", "remove"); code != 0 || out != "" {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestPrermAllowsRemovingABrokenKernel(t *testing.T) {
	h := newHost(t, []string{kvOld}, []string{kvNew})
	if code, out := h.prerm(t, []string{kvNew}, "DEB_MAINT_PARAMS", "remove"); code != 0 || out != "" {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestPrermOnlyKernel(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil)
	code, out := h.prerm(t, []string{kvNew}) // a direct call (no DEB_MAINT_PARAMS) acts
	if code != 1 || !strings.Contains(out, "is the only installed kernel") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestPrermNeverBlocksOtherOperations(t *testing.T) {
	h := newHost(t, []string{kvNew}, []string{kvOld})
	for _, p := range []string{"upgrade 6.1.76-1", "deconfigure", "failed-upgrade 6.1.76-1"} {
		if code, out := h.prerm(t, []string{kvNew}, "DEB_MAINT_PARAMS", p); code != 0 || out != "" {
			t.Errorf("DEB_MAINT_PARAMS=%q: exit %d\n%s", p, code, out)
		}
	}
	// A kernel whose image is already gone: nothing to lose.
	if code, out := h.prerm(t, []string{"6.1.0-99-amd64"}, "DEB_MAINT_PARAMS", "remove"); code != 0 || out != "" {
		t.Errorf("absent kernel: exit %d\n%s", code, out)
	}
}

func TestPrermUsage(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil)
	for _, args := range [][]string{nil, {"a", "b", "c"}, {"../x"}} {
		if code, out := h.prerm(t, args); code != 2 || !strings.Contains(out, "want VERSION [IMAGE]") {
			t.Errorf("args %q: exit %d\n%s", args, code, out)
		}
	}
}

func checkWrite(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
