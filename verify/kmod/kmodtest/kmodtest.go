// Package kmodtest builds kernel module indexes for tests: the text files
// depmod writes (modules.dep, modules.alias, modules.softdep) and the ones a
// kernel package ships (modules.builtin, modules.builtin.modinfo), in an
// fstest.MapFS or a directory. Only tests import it.
package kmodtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

// Kernel is one kernel's module index, file by file. Nil fields write no
// file, so a test can leave one out on purpose.
type Kernel struct {
	Version string
	// Dep lines: "kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko".
	Dep []string
	// Alias lines without the "alias " keyword: "pci:v*d*sv*sd*bc01sc08i02* nvme".
	Alias []string
	// Softdep lines without the "softdep " keyword: "ext4 pre: crc32c".
	Softdep []string
	// Builtin paths: "kernel/fs/ext4/ext4.ko".
	Builtin []string
	// Modinfo records "MODULE.KEY=VALUE", joined with NULs.
	Modinfo []string
	// AliasBin also writes modules.alias.bin from Alias, as depmod writes
	// it (AliasBin below).
	AliasBin bool
	// UsrLib puts the tree under usr/lib/modules instead of lib/modules.
	UsrLib bool
	// Config lines for /boot/config-VERSION, which WriteDir writes (the
	// kernel package's build configuration); nil writes none.
	Config []string
}

// Files returns the index's files keyed by their path under the root.
func (k Kernel) Files() map[string]string {
	dir := "lib/modules/" + k.Version
	if k.UsrLib {
		dir = "usr/lib/modules/" + k.Version
	}
	files := map[string]string{}
	lines := func(name, prefix string, ls []string) {
		if ls == nil {
			return
		}
		var b strings.Builder
		if name == "modules.alias" {
			b.WriteString("# Aliases extracted from modules themselves.\n")
		}
		if name == "modules.softdep" {
			b.WriteString("# Soft dependencies extracted from modules themselves.\n")
		}
		for _, l := range ls {
			b.WriteString(prefix + l + "\n")
		}
		files[dir+"/"+name] = b.String()
	}
	lines("modules.dep", "", k.Dep)
	lines("modules.alias", "alias ", k.Alias)
	lines("modules.softdep", "softdep ", k.Softdep)
	lines("modules.builtin", "", k.Builtin)
	if k.AliasBin && k.Alias != nil {
		files[dir+"/modules.alias.bin"] = string(AliasBin(k.Alias))
	}
	if k.Modinfo != nil {
		files[dir+"/modules.builtin.modinfo"] = strings.Join(k.Modinfo, "\x00") + "\x00"
	}
	return files
}

// AddTo adds the index's files to fsys.
func (k Kernel) AddTo(fsys fstest.MapFS) fstest.MapFS {
	for p, data := range k.Files() {
		fsys[p] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	return fsys
}

// FS returns a filesystem root holding the indexes of kernels.
func FS(kernels ...Kernel) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, k := range kernels {
		k.AddTo(fsys)
	}
	return fsys
}

// WriteDir writes the index's files under root, a real directory (for code
// that takes a path), and a /boot/vmlinuz-VERSION so the kernel counts as
// installed (a minimal bzImage naming the version: kimagetest.BzImage).
func (k Kernel) WriteDir(t testing.TB, root string) {
	t.Helper()
	files := k.Files()
	files["boot/vmlinuz-"+k.Version] = string(kimagetest.BzImage(k.Version))
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if k.Config != nil {
		p := filepath.Join(root, "boot", "config-"+k.Version)
		if err := os.WriteFile(p, []byte(strings.Join(k.Config, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
