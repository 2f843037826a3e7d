package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/cavaliergopher/cpio"
)

type lsFile struct {
	name string
	mode cpio.FileMode
	data string
}

// newcArchive writes a newc archive with cavaliergopher/cpio's writer, an
// implementation independent of the reader under test.
func newcArchive(t *testing.T, files ...lsFile) []byte {
	t.Helper()
	var b bytes.Buffer
	w := cpio.NewWriter(&b)
	for _, f := range files {
		if err := w.WriteHeader(&cpio.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Links: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(f.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func writeImage(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// testImage is a Debian-like layout: an early microcode archive, then a
// gzip main archive, then a second member lsinitramfs would not show.
func testImage(t *testing.T) []byte {
	early := newcArchive(t,
		lsFile{"kernel", cpio.TypeDir | 0o755, ""},
		lsFile{"kernel/x86/microcode/GenuineIntel.bin", cpio.TypeReg | 0o644, "ucode"})
	main := newcArchive(t,
		lsFile{".", cpio.TypeDir | 0o755, ""},
		lsFile{"bin", cpio.TypeSymlink | 0o777, "usr/bin"},
		lsFile{"init", cpio.TypeReg | 0o755, "#!/bin/sh\n"},
		lsFile{"usr/bin/mount", cpio.TypeReg | 0o4755, "elf"})
	extra := newcArchive(t, lsFile{"conf/extra.conf", cpio.TypeReg | 0o600, "x=1\n"})
	return bytes.Join([][]byte{early, gzipped(t, main), gzipped(t, extra)}, nil)
}

func TestLs(t *testing.T) {
	img := writeImage(t, "initrd.img", testImage(t))
	code, out, stderr := runCLI(t, nil, "ls", img)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want := "kernel\nkernel/x86/microcode/GenuineIntel.bin\n.\nbin\ninit\nusr/bin/mount\nconf/extra.conf\n"
	if out != want {
		t.Fatalf("ls printed\n%s\nwant\n%s", out, want)
	}
	// --long after the positional argument, as the contract allows.
	code, out, _ = runCLI(t, nil, "ls", img, "--long")
	if code != 0 {
		t.Fatalf("ls --long exit %d", code)
	}
	for _, line := range []string{
		"  0 drwxr-xr-x          0 kernel\n",
		"  1 lrwxrwxrwx          7 bin -> usr/bin\n",
		"  1 -rwsr-xr-x          3 usr/bin/mount\n",
		"  2 -rw-------          4 conf/extra.conf\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("ls --long output lacks %q:\n%s", line, out)
		}
	}
}

func TestLsBrokenAndUnsupported(t *testing.T) {
	full := testImage(t)
	broken := writeImage(t, "broken.img", full[:len(full)-5])
	code, out, stderr := runCLI(t, nil, "ls", broken)
	if code != 1 {
		t.Fatalf("broken image: exit %d, stderr %q", code, stderr)
	}
	// The kernel creates what it unpacked before the end of a member is
	// found missing; ls lists it too, and says where the image breaks.
	if !strings.HasSuffix(out, "usr/bin/mount\nconf/extra.conf\n") {
		t.Errorf("broken image listed %q", out)
	}
	// Cut inside the main member: nothing after the cut is listed.
	code, out, _ = runCLI(t, nil, "ls", writeImage(t, "cut.img", full[:600]))
	if code != 1 || !strings.HasPrefix(out, "kernel\n") || strings.Contains(out, "conf/extra.conf") {
		t.Errorf("image cut at 600: exit %d, listed %q", code, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if !strings.HasPrefix(line, "boot-guard: ") {
			t.Errorf("stderr line without the prefix: %q", line)
		}
	}
	if !strings.Contains(stderr, "truncated: ") || !strings.Contains(stderr, "segment 2 (gzip member at image offset") {
		t.Errorf("stderr does not say where: %q", stderr)
	}
	// The fix is diagnose's, for the generator of the machine's root, and
	// the kernel named by the image's file name.
	env := &Env{Getenv: func(string) string { return "" }, Root: t.TempDir()}
	hookFile := filepath.Join(env.Root, "etc", "kernel", "postinst.d", "dracut")
	if err := os.MkdirAll(filepath.Dir(hookFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hookFile, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	named := writeImage(t, "initrd.img-6.1.0-5-amd64", full[:len(full)-5])
	if code, _, stderr := runCLI(t, env, "ls", named); code != 1 ||
		!strings.HasSuffix(stderr, "boot-guard: hint: rebuild it: dracut --force /boot/initrd.img-6.1.0-5-amd64 6.1.0-5-amd64\n") {
		t.Errorf("dracut machine: exit %d, stderr %q", code, stderr)
	}
	// A zstd frame whose window no one here decodes: cannot tell.
	unsup := writeImage(t, "unsup.img", append(newcArchive(t, lsFile{"a", cpio.TypeReg | 0o644, "1"}), 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0, 0))
	code, _, stderr = runCLI(t, nil, "ls", unsup)
	if code != 2 || !strings.Contains(stderr, "unsupported") || !strings.Contains(stderr, "cannot tell") {
		t.Fatalf("unsupported: exit %d, stderr %q", code, stderr)
	}
	// Several images: the worst verdict wins, 1 over 2 over 0.
	good := writeImage(t, "good.img", full)
	if code, _, _ := runCLI(t, nil, "ls", good, unsup); code != 2 {
		t.Errorf("good+unsupported exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, nil, "ls", unsup, broken, good); code != 1 {
		t.Errorf("unsupported+broken+good exit %d, want 1", code)
	}
	code, _, stderr = runCLI(t, nil, "ls", filepath.Join(t.TempDir(), "missing.img"))
	if code != 2 || !strings.Contains(stderr, "boot-guard: error: ") || !strings.Contains(stderr, "missing.img") {
		t.Fatalf("missing: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, nil, "ls"); code != 2 || !strings.Contains(stderr, "at least one INITRD") {
		t.Fatalf("no argument: exit %d, stderr %q", code, stderr)
	}
}

func TestInspect(t *testing.T) {
	img := writeImage(t, "initrd.img", testImage(t))
	code, out, stderr := runCLI(t, nil, "inspect", img)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, s := range []string{"3 segments, 7 entries, whole", "gzip", "problems: none"} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, out)
		}
	}
	full := testImage(t)
	broken := writeImage(t, "broken.img", full[:len(full)-5])
	code, out, stderr = runCLI(t, nil, "inspect", "--json", img, broken)
	if code != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Images        []struct {
			Path     string `json:"path"`
			Verdict  string `json:"verdict"`
			Whole    bool   `json:"whole"`
			Entries  int    `json:"entries"`
			Segments []struct {
				Compression string `json:"compression"`
				Offset      int64  `json:"offset"`
			} `json:"segments"`
			Problems []struct {
				Kind    string `json:"kind"`
				Segment int    `json:"segment"`
				Message string `json:"message"`
			} `json:"problems"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || len(doc.Images) != 2 {
		t.Fatalf("doc %+v", doc)
	}
	a, b := doc.Images[0], doc.Images[1]
	if a.Verdict != "bootable" || !a.Whole || a.Entries != 7 || len(a.Segments) != 3 || a.Segments[1].Compression != "gzip" || len(a.Problems) != 0 {
		t.Errorf("good image %+v", a)
	}
	if b.Verdict != "unbootable" || b.Whole || len(b.Problems) != 1 || b.Problems[0].Kind != "truncated" || b.Problems[0].Segment != 2 {
		t.Errorf("broken image %+v", b)
	}
}

func TestInspectModules(t *testing.T) {
	img := writeImage(t, "initrd.img", gzipped(t, newcArchive(t,
		lsFile{"usr/lib/modules/6.1.0-1/kernel/nvme.ko", cpio.TypeReg | 0o644, string(checktest.ModuleELF("nvme", "6.1.0-1 SMP mod_unload ", []string{"nvme-core"}))},
		lsFile{"usr/lib/modules/6.1.0-1/kernel/ext4.ko", cpio.TypeReg | 0o644, string(checktest.ModuleELF("ext4", "6.1.0-2 SMP mod_unload ", nil))},
		lsFile{"usr/lib/modules/6.1.0-1/kernel/bad.ko", cpio.TypeReg | 0o644, "junk"},
	)))
	code, out, stderr := runCLI(t, nil, "inspect", img)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, s := range []string{
		"modules: 3", "3 under lib/modules/6.1.0-1", "1 with vermagic 6.1.0-1", "1 with vermagic 6.1.0-2",
		"usr/lib/modules/6.1.0-1/kernel/ext4.ko: under lib/modules/6.1.0-1 but built for 6.1.0-2",
		"unreadable .modinfo: module usr/lib/modules/6.1.0-1/kernel/bad.ko: not a readable ELF file",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("inspect output lacks %q:\n%s", s, out)
		}
	}
	_, out, _ = runCLI(t, nil, "inspect", "--json", img)
	var doc struct {
		Images []struct {
			Modules []struct {
				Name     string   `json:"name"`
				Vermagic string   `json:"vermagic"`
				Depends  []string `json:"depends"`
				Error    string   `json:"error"`
			} `json:"modules"`
		} `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	m := doc.Images[0].Modules
	if len(m) != 3 || m[0].Name != "nvme" || len(m[0].Depends) != 1 || m[0].Depends[0] != "nvme_core" || m[2].Error == "" || m[1].Depends == nil {
		t.Fatalf("modules %+v", m)
	}
}
