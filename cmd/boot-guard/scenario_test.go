package main

// Scenario tests: each testdata/scenarios/*.txt is a script in the style of
// testscript (as FiloSottile/age's cmd/age/testdata), run against the real CLI
// in-process. The file is a txtar archive: the script, then "-- NAME --"
// sections whose bodies are written under a fresh fake root ($ROOT) before the
// script runs. Script lines, one command each ("#" starts a comment; 'single
// quotes' group words, '' inside them is a quote; $ROOT expands):
//
//	exec boot-guard ARGS...  run the CLI; fails the scenario unless it exits 0
//	! exec boot-guard ARGS... the same, but it must exit non-zero, and the next
//	                         line must be "status N" (1 and 2 mean different things)
//	status N                 the last exec exited N
//	[!] stdout|stderr REGEX  the last exec's output matches (or not) REGEX (multi-line mode)
//	cmp stdout|stderr FILE   the last exec's output is exactly archive section FILE
//	[!] grep REGEX FILE      $ROOT/FILE matches (or not) REGEX
//	[!] exists FILE          $ROOT/FILE exists (or not)
//	env K=V                  the CLI's Getenv sees K=V from now on
//	argv0 PATH               invoke the binary as PATH (a hook path) from now on
//	machine nvme|luks NAME   /sys and /proc are checktest's fake NVMe (or LUKS over NVMe) machine
//	sys DIR / proc DIR       /sys or /proc is $ROOT/DIR (default: neither, as in a container)
//	initrd NAME FILE...      write a gzip newc initrd $ROOT/NAME holding archive sections
//	                         FILE (or every section under FILE when it ends in "/", the
//	                         prefix removed); a *.ko section's "vermagic=", "depends="
//	                         lines become a minimal ELF module with that .modinfo;
//	                         LINK->TARGET adds a symbolic link
//	truncate FILE N          cut $ROOT/FILE to its first N bytes
//	cp FROM TO / rm FILE     copy or remove files under $ROOT
//	symlink LINK TARGET      make $ROOT/LINK a symbolic link to TARGET, as given
//
// Whatever the script asserts, every stderr line must start "boot-guard: ", no
// invocation may read stdin, and a hook invocation (argv0 a hook path, or
// "boot-guard hook NAME") must write nothing to stdout.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/checktest"
)

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata/scenarios")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			runScenario(t, file, data, nil)
		})
	}
}

// runScenario runs one txtar scenario. A failure calls fail, when not nil,
// before failing t.
func runScenario(t *testing.T, file string, data []byte, fail func(string)) {
	t.Helper()
	script, sections, err := parseTxtar(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	s := &scenario{t: t, fail: fail, file: file, root: t.TempDir(), sections: sections, vars: map[string]string{}, argv0: "boot-guard"}
	for _, name := range sectionNames(sections) {
		checktest.WriteFile(t, filepath.Join(s.root, filepath.FromSlash(name)), []byte(sections[name]))
	}
	s.run(script)
}

// TestScenarioRunnerFails checks the runner itself: each script asserts
// something false and must fail, on the line that says so.
func TestScenarioRunnerFails(t *testing.T) {
	cases := map[string]struct{ script, want string }{
		"exec of a failing command":   {"exec boot-guard frobnicate\n", ":1: exec: exit 2"},
		"! exec of a passing one":     {"! exec boot-guard --version\n", ":1: ! exec: exit 0"},
		"! exec without status":       {"! exec boot-guard frobnicate\nstderr .\n", `:2: "! exec" on line 1 must be followed by "status N"`},
		"! exec last, without status": {"! exec boot-guard frobnicate\n", `"! exec" on line 1 must be followed by "status N"`},
		"wrong status":                {"! exec boot-guard frobnicate\nstatus 3\n", ":2: exit 2, want 3"},
		"stderr not matching":         {"! exec boot-guard frobnicate\nstatus 2\nstderr 'unknown flag'\n", ":3: stderr never matches"},
		"! stdout matching":           {"exec boot-guard --help\n! stdout USAGE\n", ":2: stdout matches"},
		"cmp differs":                 {"exec boot-guard --version\ncmp stdout want\n-- want --\nboot-guard version 0\n", ":2: stdout differs from want"},
		"assertion before exec":       {"stdout .\n", ":1: no exec before this line"},
		"unknown command":             {"frob\n", `:1: unknown command "frob"`},
		"unterminated quote":          {"stdout 'x\n", ":1: unterminated quote"},
		"path outside the root":       {"truncate ../x 0\n", "want a path relative to $ROOT"},
		"initrd of a missing section": {"initrd boot/x.img nothing\n", `no section "nothing"`},
		"grep not matching":           {"grep y f\n-- f --\nx\n", ":1: f never matches"},
		"! exists of a file":          {"! exists f\n-- f --\nx\n", ":1: f: exists true, want false"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ""
			func() {
				defer func() {
					if r := recover(); r != nil {
						f, ok := r.(scenarioFailed)
						if !ok {
							panic(r)
						}
						got = string(f)
					}
				}()
				runScenario(t, "self-test.txt", []byte(tc.script), func(msg string) { panic(scenarioFailed(msg)) })
			}()
			if !strings.Contains(got, tc.want) {
				t.Errorf("failure %q, want one containing %q", got, tc.want)
			}
		})
	}
}

// scenarioFailed carries a self-test scenario's failure out of runScenario.
type scenarioFailed string

// parseTxtar splits a txtar archive into its leading comment (the script) and
// its sections, keyed by name. A marker line is exactly "-- NAME --".
func parseTxtar(data []byte) (string, map[string]string, error) {
	sections := map[string]string{}
	var script strings.Builder
	cur := ""
	inScript := true
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if name, ok := txtarMarker(line); ok {
			if _, dup := sections[name]; dup {
				return "", nil, fmt.Errorf("section %q appears twice", name)
			}
			if !filepath.IsLocal(name) {
				return "", nil, fmt.Errorf("section %q: must be a relative path inside the root", name)
			}
			cur, inScript = name, false
			sections[name] = ""
			continue
		}
		if inScript {
			script.WriteString(line)
		} else {
			sections[cur] += line
		}
	}
	return script.String(), sections, nil
}

func txtarMarker(line string) (string, bool) {
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "-- ") || !strings.HasSuffix(line, " --") || len(line) < 7 {
		return "", false
	}
	name := strings.TrimSpace(line[3 : len(line)-3])
	return name, name != ""
}

// scenario is one script's state.
type scenario struct {
	t          *testing.T
	fail       func(string)
	file       string
	line       int
	root       string
	sections   map[string]string
	vars       map[string]string
	argv0      string
	sys, proc  fs.FS
	ran        bool
	code       int
	stdout     string
	stderr     string
	stdinReads int
	// needStatus is the line of a "! exec" whose status is not asserted yet.
	needStatus int
}

func (s *scenario) fatalf(format string, a ...any) {
	s.t.Helper()
	// The last exec's output is in the log above.
	msg := fmt.Sprintf("%s:%d: %s", s.file, s.line, fmt.Sprintf(format, a...))
	if s.fail != nil {
		s.fail(msg)
	}
	s.t.Fatal(msg)
}

func (s *scenario) run(script string) {
	s.t.Helper()
	for i, raw := range strings.Split(script, "\n") {
		s.line = i + 1
		if strings.HasPrefix(strings.TrimSpace(raw), "#") || strings.TrimSpace(raw) == "" {
			continue
		}
		words, err := splitWords(raw)
		if err != nil {
			s.fatalf("%v", err)
		}
		neg := words[0] == "!"
		if neg {
			words = words[1:]
		}
		if len(words) == 0 {
			s.fatalf("\"!\" needs a command")
		}
		if s.needStatus != 0 && words[0] != "status" {
			s.fatalf("\"! exec\" on line %d must be followed by \"status N\": exit 1 and 2 mean different things", s.needStatus)
		}
		s.needStatus = 0
		s.command(neg, words[0], words[1:])
		if neg && words[0] == "exec" {
			s.needStatus = s.line
		}
	}
	if s.needStatus != 0 {
		s.fatalf("\"! exec\" on line %d must be followed by \"status N\": exit 1 and 2 mean different things", s.needStatus)
	}
}

// command runs one script line.
func (s *scenario) command(neg bool, cmd string, args []string) {
	s.t.Helper()
	if neg && cmd != "exec" && cmd != "stdout" && cmd != "stderr" && cmd != "exists" && cmd != "grep" {
		s.fatalf("%q cannot be negated", cmd)
	}
	want := map[string]int{"exec": -1, "status": 1, "stdout": 1, "stderr": 1, "cmp": 2, "env": 1,
		"argv0": 1, "machine": -1, "sys": 1, "proc": 1, "initrd": -1, "truncate": 2, "cp": 2, "rm": 1, "symlink": 2, "exists": 1, "grep": 2}[cmd]
	if want == 0 {
		s.fatalf("unknown command %q", cmd)
	}
	if want > 0 && len(args) != want {
		s.fatalf("%s takes %d argument(s), got %q", cmd, want, args)
	}
	switch cmd {
	case "exec":
		if len(args) == 0 || args[0] != "boot-guard" {
			s.fatalf("exec runs boot-guard only, got %q", args)
		}
		s.exec(s.expand(args[1:], false))
		if neg != (s.code != 0) {
			s.fatalf("%sexec: exit %d", map[bool]string{true: "! "}[neg], s.code)
		}
	case "status":
		n, err := strconv.Atoi(args[0])
		s.mustHaveRun()
		if err != nil || n != s.code {
			s.fatalf("exit %d, want %s", s.code, args[0])
		}
	case "stdout", "stderr", "grep":
		re, err := regexp.Compile("(?m)" + s.expand(args, true)[0])
		if err != nil {
			s.fatalf("%v", err)
		}
		var out string
		if cmd == "grep" {
			b, err := os.ReadFile(s.path(args[1]))
			if err != nil {
				s.fatalf("grep: %v", err)
			}
			cmd, out = args[1], string(b)
		} else {
			s.mustHaveRun()
			out = map[string]string{"stdout": s.stdout, "stderr": s.stderr}[cmd]
		}
		if re.MatchString(out) == neg {
			s.fatalf("%s %smatches %q", cmd, map[bool]string{false: "never "}[neg], re)
		}
	case "exists":
		_, err := os.Lstat(s.path(args[0]))
		if (err == nil) == neg {
			s.fatalf("%s: exists %v, want %v (%v)", args[0], err == nil, !neg, err)
		}
	case "cmp":
		s.mustHaveRun()
		wantText, ok := s.sections[args[1]]
		out := map[string]*string{"stdout": &s.stdout, "stderr": &s.stderr}[args[0]]
		if !ok || out == nil {
			s.fatalf("cmp stdout|stderr SECTION: no output %q or section %q", args[0], args[1])
		}
		if got := strings.ReplaceAll(*out, s.root, "$ROOT"); got != wantText {
			s.fatalf("%s differs from %s:\n[want]\n%s[got]\n%s", args[0], args[1], wantText, got)
		}
	case "env":
		k, v, ok := strings.Cut(args[0], "=")
		if !ok || k == "" {
			s.fatalf("env K=V, got %q", args[0])
		}
		s.vars[k] = s.expand([]string{v}, false)[0]
	case "argv0":
		s.argv0 = args[0]
	case "machine":
		var m checktest.Machine
		switch {
		case len(args) == 1 && args[0] == "nvme":
			m = checktest.NVMeMachine(s.t)
		case len(args) == 2 && args[0] == "luks":
			m = checktest.LUKSMachine(s.t, args[1])
		default:
			s.fatalf("machine nvme | machine luks NAME, got %q", args)
		}
		s.sys, s.proc = os.DirFS(m.Sys), os.DirFS(m.Proc)
	case "sys", "proc":
		fsys := os.DirFS(s.path(args[0]))
		if cmd == "sys" {
			s.sys = fsys
		} else {
			s.proc = fsys
		}
	case "initrd":
		s.initrd(args)
	case "cp":
		data, err := os.ReadFile(s.path(args[0]))
		if err != nil {
			s.fatalf("cp: %v", err)
		}
		checktest.WriteFile(s.t, s.path(args[1]), data)
	case "rm":
		if err := os.RemoveAll(s.path(args[0])); err != nil {
			s.fatalf("rm: %v", err)
		}
	case "symlink":
		p := s.path(args[0])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			s.fatalf("symlink: %v", err)
		}
		if err := os.Symlink(args[1], p); err != nil {
			s.fatalf("symlink: %v", err)
		}
	case "truncate":
		n, err := strconv.ParseInt(args[1], 10, 64)
		if err == nil {
			err = os.Truncate(s.path(args[0]), n)
		}
		if err != nil {
			s.fatalf("truncate: %v", err)
		}
	}
}

// path is the host path of a script's FILE argument, relative to $ROOT.
func (s *scenario) path(rel string) string {
	s.t.Helper()
	if !filepath.IsLocal(rel) {
		s.fatalf("%q: want a path relative to $ROOT, inside it", rel)
	}
	return filepath.Join(s.root, filepath.FromSlash(rel))
}

func (s *scenario) mustHaveRun() {
	s.t.Helper()
	if !s.ran {
		s.fatalf("no exec before this line")
	}
}

// exec runs the CLI in-process with the scenario's environment.
func (s *scenario) exec(args []string) {
	s.t.Helper()
	var out, errb bytes.Buffer
	s.stdinReads = 0
	env := &Env{
		Stdin:  stdinSpy{&s.stdinReads},
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return s.vars[k] },
		Root:   s.root,
		Sys:    s.sys,
		Proc:   s.proc,
	}
	s.code = run(context.Background(), append([]string{s.argv0}, args...), env)
	s.stdout, s.stderr, s.ran = out.String(), errb.String(), true
	s.t.Logf("%s:%d: %s %q\n[exit %d]\n[stdout]\n%s[stderr]\n%s", s.file, s.line, s.argv0, args, s.code, s.stdout, s.stderr)
	if s.stdinReads > 0 {
		s.fatalf("read stdin")
	}
	if _, hook := hookFromInvocation(s.argv0); hook || (len(args) > 0 && args[0] == "hook") {
		if s.stdout != "" {
			s.fatalf("a hook wrote to stdout")
		}
	}
	for _, l := range strings.Split(strings.TrimSuffix(s.stderr, "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "boot-guard: ") {
			s.fatalf("stderr line without the boot-guard: prefix: %q", l)
		}
	}
}

type stdinSpy struct{ n *int }

func (r stdinSpy) Read([]byte) (int, error) {
	*r.n++
	return 0, errors.New("scenario: stdin must not be read")
}

// initrd builds a gzip newc image from archive sections.
func (s *scenario) initrd(args []string) {
	s.t.Helper()
	if len(args) < 2 {
		s.fatalf("initrd NAME FILE..., got %q", args)
	}
	var files []checktest.File
	for _, a := range args[1:] {
		if link, target, ok := strings.Cut(a, "->"); ok {
			files = append(files, checktest.File{Path: link, Link: target})
			continue
		}
		names := []string{a}
		prefix := ""
		if strings.HasSuffix(a, "/") {
			prefix, names = a, nil
			for _, n := range sectionNames(s.sections) {
				if strings.HasPrefix(n, a) {
					names = append(names, n)
				}
			}
		}
		if len(names) == 0 {
			s.fatalf("initrd: no section under %q", a)
		}
		for _, n := range names {
			body, ok := s.sections[n]
			if !ok {
				s.fatalf("initrd: no section %q", n)
			}
			p := strings.TrimPrefix(n, prefix)
			f := checktest.File{Path: p, Data: []byte(body), Exec: p == "init" || strings.Contains("/"+path.Dir(p)+"/", "/bin/")}
			if strings.HasSuffix(p, ".ko") {
				f.Data = moduleFromModinfo(strings.TrimSuffix(path.Base(p), ".ko"), body)
			}
			files = append(files, f)
		}
	}
	checktest.WriteFile(s.t, s.path(args[0]), checktest.Gzip(checktest.Cpio(files)))
}

// moduleFromModinfo makes an ELF module from "key=value" lines (vermagic,
// depends).
func moduleFromModinfo(name, body string) []byte {
	var vermagic string
	var depends []string
	for _, l := range strings.Split(body, "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "vermagic":
			vermagic = v
		case "depends":
			if v != "" {
				depends = strings.Split(v, ",")
			}
		}
	}
	return checktest.ModuleELF(strings.ReplaceAll(name, "-", "_"), vermagic, depends)
}

// expand replaces $ROOT with the fake root (quoted for a regular expression
// when re).
func (s *scenario) expand(words []string, re bool) []string {
	root := s.root
	if re {
		root = regexp.QuoteMeta(root)
	}
	pat := regexp.MustCompile(`\$(ROOT\b|\{ROOT\})`)
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = pat.ReplaceAllLiteralString(w, root)
	}
	return out
}

// splitWords splits a script line on spaces; single quotes group words, and a
// doubled quote inside them is one quote.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'' && i+1 < len(line) && line[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case c == '\'':
			quoted, inWord = !quoted, true
		case !quoted && (c == ' ' || c == '\t' || c == '\r'):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case !quoted && c == '#' && !inWord:
			i = len(line)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func sectionNames(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
