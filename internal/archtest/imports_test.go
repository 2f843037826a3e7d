// Package archtest holds the test that keeps boot-guard's import graph the way
// the architecture says: cmd -> hook -> verify, verify imports neither, cmd
// reads through verify alone (no verify/ leaf), the leaf packages under
// verify/ never import each other (shared decoder code lives in
// verify/internal/), and each third-party module is imported by the one
// package that owns it (as go-containerregistry's internal/depcheck pins
// its dependencies).
package archtest

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/boot-guard/boot-guard"

// pkgImports are the non-test imports of one package: the module's own,
// relative to the module root ("verify/initrd"), and third-party ones.
type pkgImports struct {
	ours, third []string
}

// packages returns the non-test imports of every package in the repo,
// keyed by the package's path relative to the module root
// ("verify/initrd").
func packages(t *testing.T) map[string]pkgImports {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]pkgImports{}
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
		var imps pkgImports
		for _, imp := range pkg.Imports {
			switch {
			case strings.HasPrefix(imp, module+"/"):
				imps.ours = append(imps.ours, strings.TrimPrefix(imp, module+"/"))
			case isThirdParty(imp):
				imps.third = append(imps.third, imp)
			}
		}
		out[filepath.ToSlash(rel)] = imps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// isThirdParty reports whether imp is another module's package: its first
// element is a domain (the standard library's never has a dot).
func isThirdParty(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return strings.Contains(first, ".") && imp != module && !strings.HasPrefix(imp, module+"/")
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
		for _, imp := range imports.ours {
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
	case from == "cmd" && (to == "verify-leaf" || to == "verify-internal"):
		return "cmd is flags and rendering: it reads through verify and hook, never a verify/ leaf (verify exposes what cmd renders)"
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
		for _, imp := range imports.ours {
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
		{"cmd/boot-guard", "verify", true},
		{"cmd/boot-guard", "verify/initrd", false},
		{"cmd/boot-guard", "verify/kmod", false},
		{"cmd/boot-guard", "verify/rootdev", false},
		{"cmd/boot-guard", "verify/bootentry", false},
		{"cmd/boot-guard", "verify/diagnose", false},
		{"cmd/boot-guard", "verify/internal/decomp", false},
		{"hook", "verify/bootentry", true},
		{"hook", "verify", true},
		{"verify", "verify/initrd", true},
		{"verify/initrd", "verify/internal/decomp", true},
		{"verify/kmod", "verify/internal/modelf", true}, // issue 12 item 1: the module ELF reader
		{"verify/internal/modelf", "verify/kmod", false},
		{"verify", "hook", false},
		{"verify/initrd", "verify/kmod", false},
		{"verify/kmod", "verify", false},
		{"hook", "cmd/boot-guard", false},
		{"verify/internal/decomp", "verify/initrd", false},
		{"cmd/boot-guard", "verify/kimage", false},
		{"verify", "verify/kimage", true},
		{"verify/kimage", "verify/initrd", false},
		{"verify/kmod/kmodtest", "verify/kimage/kimagetest", true},
		// issue 11 item 3: the kernel config reader is a leaf.
		{"cmd/boot-guard", "verify/kconfig", false},
		{"verify", "verify/kconfig", true},
		{"verify/kconfig", "verify/initrd", false},
		{"verify/initrd", "verify/kconfig", false},
		// issue 13: the Secure Boot reader is a leaf; sbtest its fixtures.
		{"cmd/boot-guard", "verify/secureboot", false},
		{"verify", "verify/secureboot", true},
		{"verify/secureboot", "verify/kimage", false},
		{"verify/initrd", "verify/secureboot", false},
		{"verify/secureboot/sbtest", "verify/secureboot", false},
		{"verify/checktest", "verify/secureboot/sbtest", true},
	}
	for _, c := range cases {
		if got := forbidden(c.from, c.to) == ""; got != c.ok {
			t.Errorf("forbidden(%q, %q) allows=%v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

// owners pins each third-party module to the packages that may import it
// outside tests, by import path prefix. Tests may use any of them to build
// fixtures or read output (cavaliergopher/cpio writes the test images;
// prometheus' expfmt parses the metrics the hooks write).
var owners = []struct {
	prefix string
	pkgs   []string
	why    string
}{
	{"github.com/urfave/cli/v2", []string{"cmd/boot-guard"}, "the CLI's flags and commands"},
	{"github.com/prometheus/", []string{"verify/metrics"}, "the textfile-collector metrics"},
	{"google.golang.org/protobuf/", []string{"verify/metrics"}, "prometheus' metric types, for the metrics"},
	{"github.com/klauspost/compress/", []string{"verify/internal/decomp"}, "the decoders shared by the readers"},
	{"github.com/ulikunitz/xz", []string{"verify/internal/decomp"}, "the decoders shared by the readers"},
	{"github.com/pierrec/lz4/", []string{"verify/internal/decomp"}, "the decoders shared by the readers"},
	{"github.com/cavaliergopher/cpio", nil, "test fixtures only: verify/initrd reads cpio itself"},
}

// owner returns the packages allowed to import third-party package imp,
// and whether the table knows imp at all.
func owner(imp string) ([]string, string, bool) {
	for _, o := range owners {
		if imp == strings.TrimSuffix(o.prefix, "/") || strings.HasPrefix(imp, o.prefix) {
			return o.pkgs, o.why, true
		}
	}
	return nil, "", false
}

func TestThirdPartyImportsPinned(t *testing.T) {
	for pkg, imports := range packages(t) {
		for _, imp := range imports.third {
			pkgs, why, ok := owner(imp)
			switch {
			case !ok:
				t.Errorf("%s imports %s, which no package owns: add it to owners with the one package that wraps it", pkg, imp)
			case !slices.Contains(pkgs, pkg):
				t.Errorf("%s imports %s: only %v may (%s)", pkg, imp, pkgs, why)
			}
		}
	}
}

func TestOwnerRules(t *testing.T) {
	cases := []struct {
		pkg, imp string
		ok       bool
	}{
		{"cmd/boot-guard", "github.com/urfave/cli/v2", true},
		{"hook", "github.com/urfave/cli/v2", false},
		{"verify/metrics", "github.com/prometheus/common/expfmt", true},
		{"hook", "github.com/prometheus/client_model/go", false},
		{"verify/internal/decomp", "github.com/klauspost/compress/zstd", true},
		{"verify/initrd", "github.com/klauspost/compress/zstd", false},
		{"verify/internal/decomp", "github.com/ulikunitz/xz/lzma", true},
		{"verify/initrd", "github.com/pierrec/lz4/v4", false},
		{"verify/initrd", "github.com/cavaliergopher/cpio", false},
		{"verify", "example.com/unknown", false},
	}
	for _, c := range cases {
		pkgs, _, known := owner(c.imp)
		if got := known && slices.Contains(pkgs, c.pkg); got != c.ok {
			t.Errorf("%s importing %s allowed=%v, want %v", c.pkg, c.imp, got, c.ok)
		}
	}
	for _, imp := range []string{"strings", "golang.org/x/sys/unix", module + "/verify"} {
		if got, want := isThirdParty(imp), imp == "golang.org/x/sys/unix"; got != want {
			t.Errorf("isThirdParty(%q) = %v", imp, got)
		}
	}
}
