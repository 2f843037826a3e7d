package verify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The documents that list every problem code, and how a code is written in
// each: a table row "| `CODE` | ..." under "### problem codes" in the JSON
// schema, a definition "**CODE** (...)" under "# PROBLEM CODES" in the man
// page.
var codeDocs = []struct {
	path, section string
	entry         *regexp.Regexp
	how           string
}{
	{"../docs/json-schema.md", "### problem codes", regexp.MustCompile("^\\| `([a-z0-9-]+)` \\|"),
		"a row \"| `%s` | where | severity | meaning |\" in its table"},
	{"../doc/boot-guard.8.md", "# PROBLEM CODES", regexp.MustCompile(`^\*\*([a-z0-9-]+)\*\* \(`),
		"an entry \"**%s** (where; severity)\" followed by \":   meaning\""},
}

// The non-test Go code that may emit a problem: verify and the packages
// above it.
var emitters = []string{".", "../hook", "../cmd/boot-guard"}

// TestCodesDocumented checks that every Code constant is emitted somewhere
// and documented in both documents, and that neither documents a code that
// no longer exists.
func TestCodesDocumented(t *testing.T) {
	consts := codeConsts(t)
	if len(consts) == 0 {
		t.Fatal("no Code constants found in verify/codes.go")
	}
	emitted := emittedNames(t)
	values := map[string]string{} // code -> constant
	for _, c := range consts {
		if other, dup := values[c.value]; dup {
			t.Errorf("code %q is the value of both %s and %s in verify/codes.go", c.value, other, c.name)
		}
		values[c.value] = c.name
		if !c.doc {
			t.Errorf("%s (code %q) in verify/codes.go has no doc comment: say what it means and its severity", c.name, c.value)
		}
		if !emitted[c.name] {
			t.Errorf("%s (code %q) is declared in verify/codes.go but never emitted (no non-test code of verify, hook or cmd/boot-guard uses it but to compare): emit it, or delete it and its documentation", c.name, c.value)
		}
	}
	for _, d := range codeDocs {
		documented := docCodes(t, d.path, d.section, d.entry)
		shown := strings.TrimPrefix(d.path, "../")
		for _, c := range consts {
			if !slices.Contains(documented, c.value) {
				t.Errorf("code %q (%s) is not documented in %s: add %s under %q", c.value, c.name, shown, strings.ReplaceAll(d.how, "%s", c.value), d.section)
			}
		}
		seen := map[string]bool{}
		for _, code := range documented {
			if seen[code] {
				t.Errorf("%s documents code %q twice under %q", shown, code, d.section)
			}
			seen[code] = true
			if _, ok := values[code]; !ok {
				t.Errorf("%s documents code %q under %q, but verify/codes.go has no such code: remove it from %s (or add and emit the code)", shown, code, d.section, shown)
			}
		}
	}
}

// TestCodesAreConstants checks that every Problem's Code in non-test code is
// a constant of codes.go, never a string literal: codes_test.go could not see
// a literal, and it would go undocumented.
func TestCodesAreConstants(t *testing.T) {
	for _, dir := range emitters {
		for name, f := range parseDir(t, dir) {
			ast.Inspect(f, func(n ast.Node) bool {
				kv, ok := n.(*ast.KeyValueExpr)
				if !ok {
					return true
				}
				if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Code" {
					if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						t.Errorf("%s: Code: %s is a string literal: add a constant to verify/codes.go and document it", name, lit.Value)
					}
				}
				return true
			})
		}
	}
}

type codeConst struct {
	name, value string
	doc         bool
}

// codeConsts returns the constants of type Code declared in codes.go.
func codeConsts(t *testing.T) []codeConst {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "codes.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var out []codeConst
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "Code" {
				continue
			}
			for i, id := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					t.Fatalf("codes.go: %s is not a string literal", id.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, codeConst{name: id.Name, value: v, doc: vs.Doc != nil && strings.TrimSpace(vs.Doc.Text()) != ""})
			}
		}
	}
	return out
}

// emittedNames returns the names non-test code uses other than in its
// declaration or to compare with (==, !=, a switch case): Code, or
// verify.Code from hook and cmd.
func emittedNames(t *testing.T) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	for _, dir := range emitters {
		for _, f := range parseDir(t, dir) {
			compared := map[ast.Expr]bool{}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BinaryExpr:
					if n.Op == token.EQL || n.Op == token.NEQ {
						compared[n.X], compared[n.Y] = true, true
					}
				case *ast.CaseClause:
					for _, e := range n.List {
						compared[e] = true
					}
				case *ast.ValueSpec:
					for _, id := range n.Names {
						compared[id] = true // a declaration, not a use
					}
				}
				return true
			})
			var walk func(n ast.Node) bool
			walk = func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "verify" {
						if !compared[n] {
							used[n.Sel.Name] = true
						}
						return false
					}
					ast.Inspect(n.X, walk) // n.Sel names a field or method
					return false
				case *ast.Ident:
					if !compared[n] {
						used[n.Name] = true
					}
				}
				return true
			}
			ast.Inspect(f, walk)
		}
	}
	return used
}

// parseDir parses the non-test Go files of dir, by their path in the
// repository.
func parseDir(t *testing.T, dir string) map[string]*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.ToSlash(filepath.Join("verify", dir, e.Name()))] = f
	}
	return files
}

// docCodes returns the codes a document lists in its section (from the
// heading to the next heading), in order.
func docCodes(t *testing.T, path, section string, entry *regexp.Regexp) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	in, found := false, false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			in = line == section
			found = found || in
			continue
		}
		if m := entry.FindStringSubmatch(line); in && m != nil {
			codes = append(codes, m[1])
		}
	}
	if !found {
		t.Fatalf("%s has no section %q: the problem codes are listed there", path, section)
	}
	if len(codes) == 0 {
		t.Fatalf("%s: section %q lists no codes", path, section)
	}
	return codes
}
