package kconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.0 Kernel Configuration
#
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
# CONFIG_RD_XZ is not set
CONFIG_MODULES=y
CONFIG_NR_CPUS=8192
CONFIG_LOCALVERSION="-custom"
  CONFIG_INDENTED=m
garbage line
CONFIG_RD_GZIP=n
CONFIG_RD_GZIP=y
# CONFIG_bad name is not set
`

func TestParse(t *testing.T) {
	c, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"CONFIG_BLK_DEV_INITRD": "y", "RD_GZIP": "y", "RD_XZ": "n", "NR_CPUS": "8192",
		"LOCALVERSION": `"-custom"`, "INDENTED": "m",
	} {
		if got, ok := c.Value(name); !ok || got != want {
			t.Errorf("Value(%s) = %q, %v; want %q", name, got, ok, want)
		}
	}
	if !c.Enabled("RD_GZIP") || c.Enabled("RD_XZ") || c.Enabled("INDENTED") || c.Enabled("RD_ZSTD") {
		t.Error("Enabled: only =y options are enabled")
	}
	if _, ok := c.Value("RD_ZSTD"); ok {
		t.Error("an option the file does not mention is reported present")
	}
	if c.Skipped != 1 {
		t.Errorf("Skipped = %d, want 1 (the garbage line)", c.Skipped)
	}
}

func TestParseHostile(t *testing.T) {
	for name, in := range map[string]string{
		"empty":      "",
		"comments":   "# just\n# comments\n",
		"binary":     "CONFIG_A=y\n\x00\x01\x02",
		"long line":  "CONFIG_A=" + strings.Repeat("y", MaxLine+10) + "\n",
		"huge":       strings.Repeat("CONFIG_A=y\n", MaxSize/11+10),
		"not config": "<html><body>hello</body></html>\n",
	} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("%s: Parse accepted it", name)
		}
	}
	// A last line without newline still counts.
	c, err := Parse(strings.NewReader("CONFIG_A=y"))
	if err != nil || !c.Enabled("A") {
		t.Errorf("Parse without final newline: %v, %v", c, err)
	}
}

func write(t *testing.T, root, p, content string) {
	t.Helper()
	full := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadOrder(t *testing.T) {
	root := t.TempDir()
	const v = "6.1.0-1-amd64"
	if _, err := Read(root, v); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no config: err = %v, want ErrNotFound", err)
	}
	write(t, root, "lib/modules/"+v+"/build/.config", "CONFIG_FROM=build\n")
	c, err := Read(root, v)
	if err != nil || c.Path != "/lib/modules/"+v+"/build/.config" {
		t.Fatalf("build tree: %+v, %v", c, err)
	}
	write(t, root, "usr/lib/modules/"+v+"/config", "CONFIG_FROM=usr\n")
	if c, _ = Read(root, v); c.Path != "/usr/lib/modules/"+v+"/config" {
		t.Fatalf("usr/lib/modules config not preferred: %s", c.Path)
	}
	write(t, root, "boot/config-"+v, "CONFIG_FROM=boot\n")
	if c, _ = Read(root, v); c.Path != "/boot/config-"+v {
		t.Fatalf("/boot config not preferred: %s", c.Path)
	}
	// A /boot/config that is not a config is an error naming it, not a
	// silent fall back to another file.
	write(t, root, "boot/config-"+v, "\x7fELF\x00")
	if _, err = Read(root, v); err == nil || !strings.Contains(err.Error(), "/boot/config-"+v) {
		t.Fatalf("bad config: err = %v", err)
	}
	if err := os.Remove(filepath.Join(root, "boot/config-"+v)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "boot/config-"+v), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err = Read(root, v); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("a directory as config: err = %v", err)
	}
	for _, bad := range []string{"", "..", "a/b", "x\x00"} {
		if _, err := Read(root, bad); err == nil {
			t.Errorf("Read(%q) accepted it", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("# CONFIG_X is not set\nCONFIG_Y=\n=\nCONFIG_=y\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(strings.NewReader(in))
		if err == nil && c.Len() == 0 {
			t.Fatal("Parse accepted input that sets nothing")
		}
	})
}
