package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// machine is a fixture host: root with Debian kernels installed and a fake
// NVMe machine's /sys and /proc.
type machine struct {
	root string
	m    checktest.Machine
}

func newMachine(t *testing.T, versions ...string) machine {
	t.Helper()
	root := t.TempDir()
	for _, v := range versions {
		kmodtest.Debian(v).WriteDir(t, root)
	}
	writeFile(t, root, "etc/kernel/postinst.d/initramfs-tools", "#!/bin/sh\n")
	return machine{root: root, m: checktest.NVMeMachine(t)}
}

// modules returns the loadable modules of the closure of nvme and ext4 for
// kernel v, minus drop.
func (mc machine) modules(t *testing.T, v string, drop ...string) []checktest.Module {
	t.Helper()
	ix, err := kmod.Load(os.DirFS(mc.root), v)
	if err != nil {
		t.Fatal(err)
	}
	closure, err := ix.Closure("nvme", "ext4")
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, d := range drop {
		skip[d] = true
	}
	var out []checktest.Module
	for _, n := range closure {
		if m, _ := ix.Module(n); !m.Builtin && !skip[n] {
			out = append(out, checktest.Module{Path: m.Path})
		}
	}
	return out
}

// env returns an Env on the fixture with environment variables kv.
func (mc machine) env(kv ...string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	vars := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		vars[kv[i]] = kv[i+1]
	}
	var out, errb bytes.Buffer
	return &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] },
		Root:   mc.root,
		Sys:    os.DirFS(mc.m.Sys),
		Proc:   os.DirFS(mc.m.Proc),
	}, &out, &errb
}

// run runs argv (argv[0] is the program path) in-process.
func (mc machine) run(t *testing.T, argv []string, kv ...string) (int, string, string) {
	t.Helper()
	env, out, errb := mc.env(kv...)
	code := run(context.Background(), argv, env)
	return code, out.String(), errb.String()
}

func TestVerifyGoodAndJSON(t *testing.T) {
	mc := newMachine(t, kv1)
	checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Write(t, mc.root)
	code, _, stderr := mc.run(t, []string{"boot-guard", "verify", kv1})
	if code != 0 || !strings.Contains(stderr, "kernel "+kv1+": bootable") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	// Flags after the positional argument.
	code, stdout, stderr := mc.run(t, []string{"boot-guard", "verify", kv1, "--json"})
	if code != 0 || stderr != "" {
		t.Fatalf("--json: exit %d, stderr %q", code, stderr)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Kernels       []struct {
			Version      string               `json:"version"`
			Verdict      string               `json:"verdict"`
			Requirements []verify.Requirement `json:"requirements"`
			Problems     []verify.Problem     `json:"problems"`
		} `json:"kernels"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if doc.SchemaVersion != verify.SchemaVersion || len(doc.Kernels) != 1 || doc.Kernels[0].Verdict != "bootable" || doc.Kernels[0].Problems == nil {
		t.Fatalf("%+v", doc)
	}
	found := false
	for _, r := range doc.Kernels[0].Requirements {
		if r.Module == "nvme" && r.Status == verify.StatusInInitrd && r.Reason != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no nvme in-initrd requirement: %+v", doc.Kernels[0].Requirements)
	}
}

func TestVerifyFailureJSON(t *testing.T) {
	mc := newMachine(t, kv1)
	checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1, "nvme_core")}.Write(t, mc.root)
	code, stdout, _ := mc.run(t, []string{"boot-guard", "verify", "--json", kv1})
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var rep verify.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	k := rep.Kernels[0]
	if k.Verdict != verify.Unbootable || len(k.Problems) == 0 || k.Problems[0].Code != verify.CodeModuleMissing || k.Problems[0].Hint == "" {
		t.Fatalf("%+v", k)
	}
}

func TestVerifyAllWorstWins(t *testing.T) {
	const kv0 = "6.1.0-17-amd64"
	mc := newMachine(t, kv0, kv1)
	checktest.Initrd{Version: kv0, Modules: mc.modules(t, kv0)}.Write(t, mc.root)
	code, _, stderr := mc.run(t, []string{"boot-guard", "verify", "--all"})
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "kernel "+kv0+": bootable") || !strings.Contains(stderr, "error: kernel "+kv1+" will not mount") {
		t.Errorf("stderr:\n%s", stderr)
	}
	assertFailureMessage(t, stderr, "update-initramfs -c -k "+kv1)
	// Leftover module trees are not installed kernels.
	os.MkdirAll(filepath.Join(mc.root, "lib/modules/5.10.0-1-amd64"), 0o755)
	checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Write(t, mc.root)
	if code, _, stderr = mc.run(t, []string{"boot-guard", "verify", "--all"}); code != 0 || strings.Contains(stderr, "5.10.0") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

func TestVerifyNoKernels(t *testing.T) {
	mc := newMachine(t)
	code, stdout, _ := mc.run(t, []string{"boot-guard", "verify", "--all", "--json"})
	if code != 2 || !strings.Contains(stdout, `"kernels": []`) {
		t.Errorf("exit %d, %s", code, stdout)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	mc := newMachine(t, kv1)
	cases := map[string][]string{
		"VERSION and --all": {"verify", "--all", kv1},
		"neither":           {"verify"},
		"two versions":      {"verify", kv1, "6.1.0-17-amd64"},
		"--initrd --all":    {"verify", "--all", "--initrd", "/x"},
		"bad --root":        {"verify", "--root", "/nonexistent/dir", kv1},
	}
	for name, args := range cases {
		code, _, stderr := mc.run(t, append([]string{"boot-guard"}, args...))
		if code != 2 || !strings.Contains(stderr, "boot-guard: usage:") {
			t.Errorf("%s: exit %d\n%s", name, code, stderr)
		}
	}
}

func TestVerifyRootAndModules(t *testing.T) {
	mc := newMachine(t, kv1)
	checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Write(t, mc.root)
	// --root: /sys and /proc are not the image's; without modules, cannot-tell.
	code, _, stderr := mc.run(t, []string{"boot-guard", "verify", "--root", mc.root, kv1})
	if code != 2 || !strings.Contains(stderr, "--module") {
		t.Errorf("--root without modules: exit %d\n%s", code, stderr)
	}
	code, _, stderr = mc.run(t, []string{"boot-guard", "verify", kv1, "--root", mc.root, "--module", "nvme", "--module=ext4"})
	if code != 0 {
		t.Errorf("--root --module nvme --module ext4: exit %d\n%s", code, stderr)
	}
	// MODULES= in the configuration under --root counts too.
	writeFile(t, mc.root, "etc/default/boot-guard", `MODULES="nvme ext4 xfs"`+"\n")
	code, _, stderr = mc.run(t, []string{"boot-guard", "verify", "--root", mc.root, kv1})
	if code != 1 || !strings.Contains(stderr, "lacks module xfs") {
		t.Errorf("MODULES with xfs: exit %d\n%s", code, stderr)
	}
	writeFile(t, mc.root, "etc/default/boot-guard", "MODULES=nvme ext4\n")
	code, _, stderr = mc.run(t, []string{"boot-guard", "verify", kv1})
	if code != 2 || !strings.Contains(stderr, "line 1") {
		t.Errorf("bad config: exit %d\n%s", code, stderr)
	}
}

func TestVerifyInitrdFlag(t *testing.T) {
	mc := newMachine(t, kv1)
	img := filepath.Join(t.TempDir(), "custom.img")
	checktest.WriteFile(t, img, checktest.Initrd{Version: kv1, Modules: mc.modules(t, kv1)}.Build())
	code, _, stderr := mc.run(t, []string{"boot-guard", "verify", kv1, "--initrd", img})
	if code != 0 || !strings.Contains(stderr, img) {
		t.Errorf("exit %d\n%s", code, stderr)
	}
	code, _, stderr = mc.run(t, []string{"boot-guard", "verify", kv1, "--initrd", img + ".gone"})
	if code != 1 || !strings.Contains(stderr, img+".gone does not exist") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}
