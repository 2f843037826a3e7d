package hook

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// doctor rewrites every cached verdict as unbootable with a "doctored cache
// entry" problem: a run that reuses the cache reports it, which proves
// nothing was re-verified. It returns the cache file's path.
func (h host) doctor(t *testing.T) string {
	t.Helper()
	cachePath := filepath.Join(h.root, AptCacheDir, aptCacheFile)
	b, err := os.ReadFile(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc aptCacheDoc
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Checks) != 1 {
		t.Fatalf("cache %s: %v", b, err)
	}
	for k, c := range doc.Checks {
		c.Report.Verdict = verify.Unbootable
		c.Report.Problems = []verify.Problem{{Code: "doctored", Message: "doctored cache entry", Verdict: verify.Unbootable}}
		doc.Checks[k] = c
	}
	b, _ = json.Marshal(doc)
	if err := os.WriteFile(cachePath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return cachePath
}

func TestAptCacheReusesAndInvalidates(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil)
	h.grub(t, "", kvNew)
	if out := h.apt(t, nil); out != "" {
		t.Fatal(out)
	}
	cachePath := h.doctor(t)
	if out := h.apt(t, nil); !strings.Contains(out, "doctored cache entry") {
		t.Fatalf("cache not used:\n%s", out)
	}
	// A rebuilt initrd (new mtime) is verified again: all is well.
	initrd := filepath.Join(h.root, "boot/initrd.img-"+kvNew)
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(initrd, later, later); err != nil {
		t.Fatal(err)
	}
	if out := h.apt(t, nil); out != "" {
		t.Fatalf("changed initrd not re-verified:\n%s", out)
	}
	// A garbage cache file is ignored.
	if err := os.WriteFile(cachePath, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := h.apt(t, nil); out != "" {
		t.Fatalf("garbage cache:\n%s", out)
	}
}

// The diagnosis' inputs are the cache's too (verify.Inputs): a dpkg run
// that changes its status, or a DKMS build that rewrites its make.log,
// re-verifies the kernel.
func TestAptCacheInvalidatedByDiagnosisInputs(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil)
	h.grub(t, "", kvNew)
	makeLog := filepath.Join(h.root, "var/lib/dkms/zfs/2.1.11/build/make.log")
	checktest.WriteFile(t, makeLog, []byte("DKMS make.log for zfs-2.1.11 for kernel "+kvOld+" (x86_64)\n"))
	checktest.WriteFile(t, filepath.Join(h.root, "var/lib/dpkg/status"), []byte("Package: linux-image-"+kvNew+"\nStatus: install ok installed\n\n"))
	for _, c := range []struct{ name, file, content string }{
		{"dpkg status", "var/lib/dpkg/status", "Package: linux-image-" + kvNew + "\nStatus: install ok half-configured\n\n"},
		{"DKMS make.log", "var/lib/dkms/zfs/2.1.11/build/make.log", "DKMS make.log for zfs-2.1.11 for kernel " + kvNew + " (x86_64)\nmake: *** Error 2\n"},
	} {
		if out := h.apt(t, nil); out != "" {
			t.Fatalf("%s: %s", c.name, out)
		}
		h.doctor(t)
		if out := h.apt(t, nil); !strings.Contains(out, "doctored cache entry") {
			t.Fatalf("%s: cache not used:\n%s", c.name, out)
		}
		// Rewritten in place, in the same second: its directory does not
		// change, only the file's size and ctime do.
		p := filepath.Join(h.root, c.file)
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
		if out := h.apt(t, nil); out != "" {
			t.Fatalf("%s changed, kernel not re-verified:\n%s", c.name, out)
		}
	}
}

// The cache file is read through a cap: one of exactly maxCacheBytes is
// used, one a byte longer is not (read max+1 to tell the two apart).
func TestAptCacheSizeCap(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil)
	h.grub(t, "", kvNew)
	h.apt(t, nil)
	cachePath := h.doctor(t)
	b, err := os.ReadFile(cachePath)
	if err != nil {
		t.Fatal(err)
	}
	pad := func(n int) {
		t.Helper()
		if err := os.WriteFile(cachePath, append(bytes.Clone(b), bytes.Repeat([]byte(" "), n-len(b))...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pad(maxCacheBytes)
	if out := h.apt(t, nil); !strings.Contains(out, "doctored cache entry") {
		t.Fatalf("a cache of exactly the cap was not used:\n%s", out)
	}
	h.doctor(t)
	b, _ = os.ReadFile(cachePath)
	pad(maxCacheBytes + 1)
	if out := h.apt(t, nil); out != "" {
		t.Fatalf("a cache over the cap was used:\n%s", out)
	}
}
