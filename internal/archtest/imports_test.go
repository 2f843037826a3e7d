// Package archtest holds the test that keeps boot-guard's import graph the way
// the architecture says: cmd -> hook -> verify, verify imports neither, and
// the leaf packages under verify/ never import each other (shared decoder code
// lives in verify/internal/).
package archtest

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/boot-guard/boot-guard"

// packages returns every non-test import of every package in the repo, keyed
// by the package's path relative to the module root ("verify/initrd").
func packages(t *testing.T) map[string][]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "build" || name == "debian" || name == "bin") {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(path, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, path)
		var ours []string
		for _, imp := range pkg.Imports {
			if strings.HasPrefix(imp, module+"/") {
				ours = append(ours, strings.TrimPrefix(imp, module+"/"))
			}
		}
		out[filepath.ToSlash(rel)] = ours
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// layer names the architectural layer of a package path.
func layer(p string) string {
	switch {
	case strings.HasPrefix(p, "cmd/"):
		return "cmd"
	case p == "hook" || strings.HasPrefix(p, "hook/"):
		return "hook"
	case p == "verify":
		return "verify"
	case strings.HasPrefix(p, "verify/internal/"):
		return "verify-internal"
	case strings.HasPrefix(p, "verify/"):
		return "verify-leaf"
	}
	return "other"
}

func TestImportsPointOneWay(t *testing.T) {
	pkgs := packages(t)
	if len(pkgs) < 5 {
		t.Fatalf("found only %d packages: is the walk rooted at the module?", len(pkgs))
	}
	for pkg, imports := range pkgs {
		for _, imp := range imports {
			if msg := forbidden(pkg, imp); msg != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, msg)
			}
		}
	}
}

// forbidden says why pkg may not import imp, or "" when it may.
func forbidden(pkg, imp string) string {
	from, to := layer(pkg), layer(imp)
	switch {
	case to == "cmd":
		return "nothing imports a command"
	case to == "hook" && from != "cmd":
		return "only cmd imports hook"
	case strings.HasPrefix(from, "verify") && (to == "hook" || to == "cmd"):
		return "verify imports neither hook nor cmd"
	case from == "verify-leaf" && to == "verify":
		return "a leaf package never imports its parent"
	case from == "verify-leaf" && to == "verify-leaf" && !isTestSupport(imp):
		return "leaf packages under verify/ never import each other (shared code goes in verify/internal/)"
	case from == "verify-internal" && to != "verify-internal" && to != "other":
		return "verify/internal/ is shared by leaves and imports none of them"
	}
	return ""
}

// isTestSupport reports whether p is a fixtures package meant for tests only
// (verify/kmod/kmodtest, verify/checktest): those may be imported by tests of
// other packages, and by nothing else (checked below).
func isTestSupport(p string) bool {
	return strings.HasSuffix(p, "test")
}

func TestFixturePackagesOnlyInTests(t *testing.T) {
	for pkg, imports := range packages(t) {
		for _, imp := range imports {
			if isTestSupport(imp) && !isTestSupport(pkg) {
				t.Errorf("%s imports the test fixtures package %s outside its tests", pkg, imp)
			}
		}
	}
}

func TestForbiddenRules(t *testing.T) {
	// The rules themselves, so that a typo in layer() cannot make the
	// tests above pass vacuously.
	cases := []struct {
		from, to string
		ok       bool
	}{
		{"cmd/boot-guard", "hook", true},
		{"cmd/boot-guard", "verify/initrd", true},
		{"hook", "verify", true},
		{"verify", "verify/initrd", true},
		{"verify/initrd", "verify/internal/decomp", true},
		{"verify", "hook", false},
		{"verify/initrd", "verify/kmod", false},
		{"verify/kmod", "verify", false},
		{"hook", "cmd/boot-guard", false},
		{"verify/internal/decomp", "verify/initrd", false},
	}
	for _, c := range cases {
		if got := forbidden(c.from, c.to) == ""; got != c.ok {
			t.Errorf("forbidden(%q, %q) allows=%v, want %v", c.from, c.to, got, c.ok)
		}
	}
}
