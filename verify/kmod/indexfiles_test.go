package kmod_test

import (
	"io/fs"
	"slices"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// recordFS records every name opened or stat'ed in it.
type recordFS struct {
	fs.FS
	names *[]string
}

func (r recordFS) Open(name string) (fs.File, error) {
	*r.names = append(*r.names, name)
	return r.FS.Open(name)
}

// Every path Load touches is one IndexFiles lists: a cache keyed by them
// sees every change to what Load reads.
func TestIndexFilesListWhatLoadReads(t *testing.T) {
	var opened []string
	if _, err := kmod.Load(recordFS{kmodtest.FS(kmodtest.Debian(v)), &opened}, v); err != nil {
		t.Fatal(err)
	}
	list := kmod.IndexFiles(v)
	if len(opened) < 6 {
		t.Fatalf("Load opened only %q", opened)
	}
	for _, p := range opened {
		if !slices.Contains(list, p) {
			t.Errorf("Load opened %s, which IndexFiles(%q) does not list: %q", p, v, list)
		}
	}
	for _, want := range []string{"lib/modules/" + v, "usr/lib/modules/" + v + "/modules.softdep"} {
		if !slices.Contains(list, want) {
			t.Errorf("IndexFiles lacks %s: %q", want, list)
		}
	}
}
