package main

// Scenario tests: each testdata/scenarios/*.txt is a testscript
// (github.com/rogpeppe/go-internal/testscript, the format of the go command's
// and age's CLI tests): a txtar archive whose files are written under $WORK,
// the fake machine root, then a script run against the real CLI in-process.
// Besides testscript's own commands (env, cp, rm, mkdir, symlink, exists,
// grep, stdout, stderr, cmp...; 'single quotes' group words, '' inside them is
// a quote, $WORK expands outside quotes and ${WORK@R} is $WORK quoted for a
// regular expression), a scenario has:
//
//	boot-guard ARGS...      run the CLI with root $WORK; fails unless it exits 0
//	! boot-guard ARGS...    the same, but it must exit non-zero, and the next
//	                        command must be "status N" (1 and 2 mean different things)
//	status N                the last boot-guard exited N
//	argv0 PATH              invoke the CLI as PATH (a hook path) from now on
//	machine nvme|luks NAME  /sys and /proc are checktest's fake NVMe (or LUKS over
//	                        NVMe) machine; without it there are none, as in a container
//	machine lvm             checktest's LVM thin LV over NVMe (issue 12 item 4)
//	machine unmounted       /sys and /proc are empty directories, as in a chroot
//	machine btrfs CHECKSUM [raid1]  / is btrfs on the NVMe disk (checktest.BtrfsMachine), its
//	                        checksum algorithm CHECKSUM; raid1: on two partitions (issue 12 items 5, 6)
//	                        where they are not mounted
//	initrd NAME FILE...     write a gzip newc initrd $WORK/NAME holding $WORK/FILE
//	                        (or every file under FILE when it ends in "/", the prefix
//	                        removed); a *.ko file's "vermagic=", "depends=" lines
//	                        become a minimal ELF module with that .modinfo;
//	                        LINK->TARGET adds a symbolic link; @initramfs-tools,
//	                        @dracut, @dracut-systemd add that generator's programs
//	                        and indexes (checktest's) over the modules given
//	truncate FILE N         cut $WORK/FILE to its first N bytes
//	uki NAME RELEASE KERNEL [INITRD]
//	                        write a unified kernel image $WORK/NAME for RELEASE whose
//	                        .linux section is $WORK/KERNEL and .initrd $WORK/INITRD
//	                        (none without it), .cmdline "root=UUID=1234 ro quiet"
//	hang FILE               make $WORK/FILE a FIFO with no writer: reading it blocks
//	                        forever, as on a dead NFS mount (hang_unix_test.go)
//	dmtable MAJ:MIN FILE    the machine's /sys also gives the device-mapper table
//	                        of MAJ:MIN, $WORK/FILE (issue 12 item 3)
//	secureboot on|off [MOKKEY...]  write the machine's SecureBoot and SetupMode
//	                        variables, and MokListRT holding these keys
//	signed-module SRC DST KEY|none  the ELF module of SRC's modinfo lines at
//	                        DST, signed by the scenario's throwaway key KEY
//	sign-kernel FILE KEY    FILE becomes a bzImage with an Authenticode
//	                        signature by KEY
//	cert KEY FILE           write KEY's certificate (DER) to FILE
//
// The CLI sees only the variables a script sets with env. Whatever the script
// asserts, every stderr line must start "boot-guard: ", no invocation may read
// stdin, and a hook invocation (argv0 a hook path, or "boot-guard hook NAME")
// must write nothing to stdout.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/boot-guard/boot-guard/verify/bootentry/bootentrytest"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/secureboot/sbtest"
)

const scenarioDir = "testdata/scenarios"

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenarioDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if err := lintScenario(file); err != nil {
			t.Error(err)
		}
	}
	testscript.Run(t, scenarioParams(scenarioDir))
}

func scenarioParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                dir,
		RequireUniqueNames: true,
		Setup:              setupScenario,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"boot-guard": cmdBootGuard,
			"status":     cmdStatus,
			"argv0":      cmdArgv0,
			"machine":    cmdMachine,
			"initrd":     cmdInitrd,
			"truncate":   cmdTruncate,
			"kernel":     cmdKernel,
			"uki":        cmdUKI,
			"hang":       cmdHang,    // issue 17 item 2
			"dmtable":    cmdDMTable, // issue 12 item 3
			// issue 13: Secure Boot fixtures (scenario_secureboot_test.go).
			"secureboot":    cmdSecureBoot,
			"signed-module": cmdSignedModule,
			"sign-kernel":   cmdSignKernel,
			"cert":          cmdCert,
			"module":        cmdModule,
			"aliasbin":      cmdAliasBin, // issue 16 item 3
		},
	}
}

// lintScenario checks what testscript cannot: every "! boot-guard" is
// followed by "status N", since exit 1 and 2 mean different things.
func lintScenario(file string) error {
	a, err := txtar.ParseFile(file)
	if err != nil {
		return err
	}
	pending := 0
	for i, line := range strings.Split(string(a.Comment), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if pending != 0 && f[0] != "status" {
			break
		}
		pending = 0
		if len(f) > 1 && f[0] == "!" && f[1] == "boot-guard" {
			pending = i + 1
		}
	}
	if pending != 0 {
		return fmt.Errorf("%s:%d: \"! boot-guard\" must be followed by \"status N\": exit 1 and 2 mean different things", file, pending)
	}
	return nil
}

// scenarioState is one script's state, kept in its testscript.Env.
type scenarioState struct {
	t         testscript.T
	root      string
	argv0     string
	sys, proc fs.FS
	// sysDir is the machine's /sys on the host (issue 13 writes efivars).
	sysDir   string
	dmTables map[string]string // its device-mapper tables (dmtable)
	// keys are the scenario's throwaway signing keys, by name.
	keys map[string]sbtest.Key
	// preset is testscript's own environment, hidden from the CLI.
	preset map[string]string
	ran    bool
	code   int
}

type scenarioKey struct{}

func setupScenario(env *testscript.Env) error {
	st := &scenarioState{t: env.T(), root: env.WorkDir, argv0: "boot-guard", preset: map[string]string{}}
	for _, kv := range env.Vars {
		k, v, _ := strings.Cut(kv, "=")
		st.preset[k] = v
	}
	env.Values[scenarioKey{}] = st
	return nil
}

func state(ts *testscript.TestScript) *scenarioState {
	return ts.Value(scenarioKey{}).(*scenarioState)
}

// getenv is what the CLI's Getenv sees: the variables the script set, not
// the PATH, HOME, WORK... testscript provides, so that no outcome depends on
// the machine running the tests.
func (st *scenarioState) getenv(ts *testscript.TestScript) func(string) string {
	return func(k string) string {
		v := ts.Getenv(k)
		if p, ok := st.preset[k]; ok && p == v {
			return ""
		}
		return v
	}
}

// local is the host path of a script's FILE argument, relative to $WORK.
func (st *scenarioState) local(ts *testscript.TestScript, rel string) string {
	if !filepath.IsLocal(rel) {
		ts.Fatalf("%q: want a path relative to $WORK, inside it", rel)
	}
	return filepath.Join(st.root, filepath.FromSlash(rel))
}

// cliMu runs one CLI invocation at a time while testscript runs the scripts
// in parallel: urfave/cli's --help and --version flags are package variables
// that every run sets (the binary runs the CLI once per process).
var cliMu sync.Mutex

// cmdBootGuard runs the CLI in-process, as "boot-guard ARGS..." or as the
// hook path argv0 names.
func cmdBootGuard(ts *testscript.TestScript, neg bool, args []string) {
	st := state(ts)
	var stdout, stderr bytes.Buffer
	stdinReads := 0
	env := &Env{
		Stdin:  stdinSpy{&stdinReads},
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: st.getenv(ts),
		Root:   st.root,
		Sys:    st.sys,
		Proc:   st.proc,
	}
	cliMu.Lock()
	st.code = run(context.Background(), append([]string{st.argv0}, args...), env)
	cliMu.Unlock()
	st.ran = true
	// testscript's stdout and stderr commands read these, and a failure logs them.
	_, _ = ts.Stdout().Write(stdout.Bytes())
	_, _ = ts.Stderr().Write(stderr.Bytes())
	ts.Logf("[exit %d]", st.code)
	if err := invocationRules(st.argv0, args, stdout.String(), stderr.String(), stdinReads); err != nil {
		ts.Fatalf("%v", err)
	}
	if neg != (st.code != 0) {
		ts.Fatalf("%sboot-guard: exit %d", map[bool]string{true: "! "}[neg], st.code)
	}
}

// invocationRules checks what every invocation must do, whatever the
// script asserts: read no stdin, prefix every stderr line "boot-guard: ",
// and, as a hook (argv0 a hook path, or "boot-guard hook NAME"), write
// nothing to stdout.
func invocationRules(argv0 string, args []string, stdout, stderr string, stdinReads int) error {
	if stdinReads > 0 {
		return errors.New("read stdin")
	}
	if _, hook := hookFromInvocation(argv0); (hook || len(args) > 0 && args[0] == "hook") && stdout != "" {
		return errors.New("a hook wrote to stdout")
	}
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "boot-guard: ") {
			return fmt.Errorf("stderr line without the boot-guard: prefix: %q", l)
		}
	}
	return nil
}

type stdinSpy struct{ n *int }

func (r stdinSpy) Read([]byte) (int, error) {
	*r.n++
	return 0, errors.New("scenario: stdin must not be read")
}

func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	st := state(ts)
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	if !st.ran {
		ts.Fatalf("no boot-guard before this line")
	}
	if n, err := strconv.Atoi(args[0]); err != nil || n != st.code {
		ts.Fatalf("exit %d, want %s", st.code, args[0])
	}
}

func cmdArgv0(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: argv0 PATH")
	}
	state(ts).argv0 = args[0]
}

func cmdMachine(ts *testscript.TestScript, neg bool, args []string) {
	st := state(ts)
	// Under testscript.Run, Env.T implements testing.TB (its documentation
	// says so): checktest's machines live in its TempDir, outside $WORK.
	t, ok := st.t.(testing.TB)
	if !ok {
		ts.Fatalf("machine: %T is not a testing.TB", st.t)
	}
	var m checktest.Machine
	switch {
	case !neg && (len(args) == 1 || len(args) == 2) && args[0] == "nvme":
		m = checktest.NVMeMachine(t)
		if len(args) == 2 { // issue 12 item 2: the running kernel's release
			checktest.WriteFile(t, filepath.Join(m.Proc, "sys/kernel/osrelease"), []byte(args[1]+"\n"))
		}
	case !neg && len(args) == 2 && args[0] == "luks":
		m = checktest.LUKSMachine(t, args[1])
	case !neg && len(args) == 1 && args[0] == "lvm": // issue 12 item 4
		m = checktest.LVMMachine(t)
	case !neg && len(args) == 1 && args[0] == "md": // issue 12 item 4, dracut's paths
		m = checktest.MDMachine(t)
	case !neg && (len(args) == 2 || len(args) == 3 && args[2] == "raid1") && args[0] == "btrfs":
		// issue 12 items 5, 6: / on btrfs, its checksum algorithm args[1]
		m = checktest.BtrfsMachine(t, args[1], len(args) == 3)
	case !neg && len(args) == 1 && args[0] == "unmounted":
		dir := t.TempDir()
		m = checktest.Machine{Sys: filepath.Join(dir, "sys"), Proc: filepath.Join(dir, "proc")}
		ts.Check(os.Mkdir(m.Sys, 0o755))
		ts.Check(os.Mkdir(m.Proc, 0o755))
	default:
		ts.Fatalf("usage: machine nvme [RUNNING-RELEASE] | machine luks NAME | machine lvm | machine md | machine btrfs CHECKSUM [raid1] | machine unmounted")
	}
	st.sys, st.proc = os.DirFS(m.Sys), os.DirFS(m.Proc)
	st.sysDir, st.dmTables = m.Sys, nil
}

// cmdDMTable gives the machine's /sys a device-mapper table (issue 12 item 3).
func cmdDMTable(ts *testscript.TestScript, neg bool, args []string) {
	st := state(ts)
	if neg || len(args) != 2 || st.sysDir == "" {
		ts.Fatalf("usage: dmtable MAJ:MIN FILE, after machine")
	}
	b, err := os.ReadFile(st.local(ts, args[1]))
	ts.Check(err)
	if st.dmTables == nil {
		st.dmTables = map[string]string{}
	}
	st.dmTables[args[0]] = string(b)
	st.sys = checktest.DMTables(st.sysDir, st.dmTables)
}

// cmdAliasBin writes DIR/modules.alias.bin from DIR/modules.alias, as
// depmod writes it (kmodtest.AliasBin). Issue 16 item 3.
func cmdAliasBin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: aliasbin DIR")
	}
	dir := state(ts).local(ts, args[0])
	b, err := os.ReadFile(filepath.Join(dir, "modules.alias"))
	ts.Check(err)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "alias "); ok {
			lines = append(lines, rest)
		}
	}
	ts.Check(os.WriteFile(filepath.Join(dir, "modules.alias.bin"), kmodtest.AliasBin(lines), 0o644))
}

func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: truncate FILE N")
	}
	n, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.Truncate(state(ts).local(ts, args[0]), n))
}

// cmdKernel writes a minimal x86 bzImage (kimagetest.BzImage) naming RELEASE,
// by default the file name's part after "vmlinuz-". With -arm64 first it
// writes Debian 12's arm64 shape instead (kimagetest.SignedArm64Image: an
// uncompressed Image, its PE sections' 8192 bytes, a 1472-byte signature).
func cmdKernel(ts *testscript.TestScript, neg bool, args []string) {
	if !neg && len(args) == 2 && args[0] == "-arm64" {
		p := state(ts).local(ts, args[1])
		ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		ts.Check(os.WriteFile(p, kimagetest.SignedArm64Image(0xaa64, 1472), 0o644))
		return
	}
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: kernel [-arm64] FILE [RELEASE]")
	}
	_, release, _ := strings.Cut(filepath.Base(args[0]), "vmlinuz-")
	if len(args) == 2 {
		release = args[1]
	}
	p := state(ts).local(ts, args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, kimagetest.BzImage(release), 0o644))
}

// cmdUKI writes a unified kernel image (bootentrytest.PE) from files under
// $WORK, as 60-ukify.install stages it.
func cmdUKI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: uki NAME RELEASE KERNEL [INITRD]")
	}
	st := state(ts)
	var initrd []byte
	if len(args) == 4 {
		b, err := os.ReadFile(st.local(ts, args[3]))
		ts.Check(err)
		initrd = b
	}
	linux, err := os.ReadFile(st.local(ts, args[2]))
	ts.Check(err)
	secs := bootentrytest.UKI(args[1], "root=UUID=1234 ro quiet", initrd)
	for i := range secs {
		if secs[i].Name == ".linux" {
			secs[i].Data = linux
		}
	}
	out := st.local(ts, args[0])
	ts.Check(os.MkdirAll(filepath.Dir(out), 0o755))
	ts.Check(os.WriteFile(out, bootentrytest.PE(secs), 0o644))
}

// cmdInitrd builds a gzip newc image from files under $WORK.
func cmdInitrd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: initrd NAME FILE|DIR/|LINK->TARGET...")
	}
	st := state(ts)
	var files []checktest.File
	var layouts []string
	for _, a := range args[1:] {
		if l, ok := strings.CutPrefix(a, "@"); ok {
			layouts = append(layouts, l)
			continue
		}
		if link, target, ok := strings.Cut(a, "->"); ok {
			files = append(files, checktest.File{Path: link, Link: target})
			continue
		}
		for _, name := range st.initrdSources(ts, a) {
			body, err := os.ReadFile(st.local(ts, name))
			ts.Check(err)
			p := name
			if strings.HasSuffix(a, "/") {
				p = strings.TrimPrefix(name, a)
			}
			f := checktest.File{Path: p, Data: body, Exec: p == "init" || strings.Contains("/"+path.Dir(p)+"/", "/bin/")}
			if strings.HasSuffix(p, ".ko") && !bytes.HasPrefix(body, []byte("\x7fELF")) {
				f.Data = moduleFromModinfo(strings.TrimSuffix(path.Base(p), ".ko"), string(body))
			}
			// issue 16 item 2: a .ko.gz given as modinfo text is built and gzipped.
			if strings.HasSuffix(p, ".ko.gz") && !bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
				f.Data = checktest.Gzip(moduleFromModinfo(strings.TrimSuffix(path.Base(p), ".ko.gz"), string(body)))
			}
			files = append(files, f)
		}
	}
	for _, l := range layouts {
		files = append(files, generatorLayout(ts, l, files)...)
	}
	out := st.local(ts, args[0])
	ts.Check(os.MkdirAll(filepath.Dir(out), 0o755))
	ts.Check(os.WriteFile(out, checktest.Gzip(checktest.Cpio(files)), 0o644))
}

// generatorLayout is @initramfs-tools, @dracut or @dracut-systemd of an
// initrd command: the generator's files (checktest.InitramfsTools,
// checktest.Dracut) over the modules among files (issue 12 item 3).
func generatorLayout(ts *testscript.TestScript, name string, files []checktest.File) []checktest.File {
	var mods []checktest.Module
	version := ""
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Path, "usr/lib/modules/")
		v, p, ok2 := strings.Cut(rest, "/")
		if ok && ok2 && strings.HasSuffix(p, ".ko") {
			version = v
			mods = append(mods, checktest.Module{Path: p, Version: v})
		}
	}
	switch name {
	case "initramfs-tools":
		return checktest.InitramfsTools(version, mods)
	case "dracut", "dracut-systemd":
		return checktest.Dracut(version, mods, name == "dracut-systemd")
	}
	ts.Fatalf("initrd: @%s: want @initramfs-tools, @dracut or @dracut-systemd", name)
	return nil
}

// initrdSources is FILE itself, or for DIR/ every regular file under it,
// in sorted order (slash-separated, relative to $WORK).
func (st *scenarioState) initrdSources(ts *testscript.TestScript, a string) []string {
	if !strings.HasSuffix(a, "/") {
		return []string{a}
	}
	var names []string
	dir := st.local(ts, a)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(st.root, p)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	ts.Check(err)
	if len(names) == 0 {
		ts.Fatalf("initrd: no file under %q", a)
	}
	sort.Strings(names)
	return names
}

// moduleFromModinfo makes an ELF module from "key=value" lines (vermagic,
// depends; issue 12 item 1: versions=SYM:CRC,... for a __versions section,
// imports=SYM,... for the symbols it imports).
func moduleFromModinfo(name, body string) []byte {
	m := checktest.VersionedModule{Name: strings.ReplaceAll(name, "-", "_"), NoVersions: true}
	for _, l := range strings.Split(body, "\n") {
		k, v, _ := strings.Cut(l, "=")
		var list []string
		if v != "" {
			list = strings.Split(v, ",")
		}
		switch k {
		case "vermagic":
			m.Vermagic = v
		case "depends":
			m.Depends = list
		case "imports":
			m.Imports = list
		case "versions":
			m.NoVersions = false
			for _, e := range list {
				sym, crc, _ := strings.Cut(e, ":")
				n, _ := strconv.ParseUint(strings.TrimPrefix(crc, "0x"), 16, 32)
				m.Versions = append(m.Versions, checktest.SymVersion{Name: sym, CRC: uint32(n)})
			}
		}
	}
	if m.NoVersions && m.Imports == nil {
		return checktest.ModuleELF(m.Name, m.Vermagic, m.Depends)
	}
	return m.ELF()
}

// cmdModule turns each FILE of "key=value" lines into the ELF module
// moduleFromModinfo makes of it, in place: a kernel's own module under
// lib/modules (issue 12 item 1).
func cmdModule(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: module FILE...")
	}
	st := state(ts)
	for _, a := range args {
		p := st.local(ts, a)
		body, err := os.ReadFile(p)
		ts.Check(err)
		ts.Check(os.WriteFile(p, moduleFromModinfo(strings.TrimSuffix(path.Base(p), ".ko"), string(body)), 0o644))
	}
}

// TestScenarioRunnerFails checks the scenario commands themselves: each
// script asserts something false and must fail, saying so.
func TestScenarioRunnerFails(t *testing.T) {
	cases := map[string]struct{ script, want string }{
		"boot-guard that fails":        {"boot-guard frobnicate\n", "txt:1: boot-guard: exit 2"},
		"! boot-guard that passes":     {"! boot-guard --version\nstatus 0\n", "txt:1: ! boot-guard: exit 0"},
		"wrong status":                 {"! boot-guard frobnicate\nstatus 3\n", "txt:2: exit 2, want 3"},
		"status before boot-guard":     {"status 0\n", "txt:1: no boot-guard before this line"},
		"stderr as testscript reads":   {"! boot-guard frobnicate\nstatus 2\nstderr 'unknown flag'\n", "txt:3: no match for `unknown flag` found in stderr"},
		"a path outside $WORK":         {"truncate ../x 0\n", `"../x": want a path relative to $WORK`},
		"initrd of a missing dir":      {"mkdir nothing\ninitrd boot/x.img nothing/\n", `initrd: no file under "nothing/"`},
		"! boot-guard without status":  {"! boot-guard frobnicate\nstderr .\n", `txt:1: "! boot-guard" must be followed by "status N"`},
		"! boot-guard last, no status": {"! boot-guard frobnicate\n", `txt:1: "! boot-guard" must be followed by "status N"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "self-test.txt")
			checktest.WriteFile(t, file, []byte(tc.script))
			got := ""
			if err := lintScenario(file); err != nil {
				got = err.Error()
			} else {
				ft := &failT{}
				testscript.RunT(ft, scenarioParams(dir))
				got = ft.log.String()
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("failure %q, want one containing %q", got, tc.want)
			}
		})
	}
}

func TestInvocationRules(t *testing.T) {
	hook := "/etc/kernel/postinst.d/zz-boot-guard"
	cases := []struct {
		name, argv0    string
		args           []string
		stdout, stderr string
		stdinReads     int
		want           string
	}{
		{"a hook path's stdout", hook, nil, "x\n", "", 0, "a hook wrote to stdout"},
		{"boot-guard hook NAME's stdout", "boot-guard", []string{"hook", "apt"}, "x\n", "", 0, "a hook wrote to stdout"},
		{"stdin read", "boot-guard", []string{"verify"}, "", "", 1, "read stdin"},
		{"a bare stderr line", "boot-guard", []string{"verify"}, "", "boot-guard: a\nb\n", 0, `prefix: "b"`},
		{"a command's stdout", "boot-guard", []string{"ls"}, "x\n", "boot-guard: a\n", 0, ""},
	}
	for _, tc := range cases {
		err := invocationRules(tc.argv0, tc.args, tc.stdout, tc.stderr, tc.stdinReads)
		if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// failT is a testscript.T that records a script's log and stops it at the
// first failure, for TestScenarioRunnerFails.
type failT struct{ log strings.Builder }

type failNow struct{}

func (t *failT) Skip(a ...any)  { t.Fatal(a...) }
func (t *failT) Fatal(a ...any) { t.Log(a...); t.FailNow() }
func (t *failT) Parallel()      {}
func (t *failT) Log(a ...any)   { fmt.Fprintln(&t.log, a...) }
func (t *failT) FailNow()       { panic(failNow{}) }
func (t *failT) Verbose() bool  { return false }
func (t *failT) Run(_ string, f func(testscript.T)) {
	defer func() {
		if r := recover(); r != nil && r != (failNow{}) {
			panic(r)
		}
	}()
	f(t)
}
