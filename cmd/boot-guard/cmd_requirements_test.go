package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
)

// reqEnv is a host whose root holds the given kernels, with no /sys and /proc
// unless the test sets them.
func reqEnv(t *testing.T, kernels ...kmodtest.Kernel) *Env {
	t.Helper()
	root := t.TempDir()
	for _, k := range kernels {
		k.WriteDir(t, root)
	}
	return &Env{Getenv: func(string) string { return "" }, Root: root}
}

// failFS fails the test if anything opens it: --root must never read the
// host's /sys or /proc.
type failFS struct{ t *testing.T }

func (f failFS) Open(name string) (fs.File, error) {
	f.t.Errorf("opened %q on the host's /sys or /proc under --root", name)
	return nil, fs.ErrNotExist
}

func TestRequirementsCLI(t *testing.T) {
	older, newer := kmodtest.Debian("6.1.0-9-amd64"), kmodtest.Debian("6.1.0-13-amd64")
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"newest by default", []string{"requirements", "--module", "nvme"}, 0,
			[]string{"kernel 6.1.0-13-amd64 needs", "nvme: must be in the initrd, with", "nvme_core", "why: named with --module"}, nil},
		{"explicit version, flags after it", []string{"requirements", "6.1.0-9-amd64", "--module", "loop", "--module=xen-blkfront"}, 0,
			[]string{"kernel 6.1.0-9-amd64 needs", "loop: built in", "xen_blkfront: must be in the initrd\n"}, nil},
		{"unknown module", []string{"requirements", "--module", "nvmee"}, 1,
			nil, []string{"boot-guard: error: kernel 6.1.0-13-amd64 has no module nvmee: neither its modules.dep nor its built-in list names it; check the name, named with --module", "did you mean nvme?", "(unbootable)"}},
		{"no devices, no modules", []string{"requirements"}, 2,
			[]string{"no module requirement established"}, []string{"no module was named", "--module NAME", "(cannot-tell)"}},
		{"kernel not there", []string{"requirements", "6.1.0-99-amd64", "--module", "nvme"}, 2,
			nil, []string{"lib/modules/6.1.0-99-amd64", "installed kernels: 6.1.0-9-amd64 6.1.0-13-amd64"}},
		{"two versions", []string{"requirements", "a", "b"}, 2, nil, []string{"one VERSION at a time"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, reqEnv(t, older, newer), tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if l != "" && !strings.HasPrefix(l, "boot-guard: ") {
					t.Errorf("stderr line without prefix: %q", l)
				}
			}
		})
	}
}

func TestRequirementsNoKernel(t *testing.T) {
	none := reqEnv(t)
	code, _, stderr := runCLI(t, none, "requirements", "--module", "nvme")
	if code != 2 || !strings.Contains(stderr, "no installed kernel: "+filepath.Join(none.Root, "boot")+" has no vmlinuz-*") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// A modules tree alone is not an installed kernel.
	env := reqEnv(t)
	k := kmodtest.Debian("6.1.0-13-amd64")
	k.WriteDir(t, env.Root)
	os.Remove(filepath.Join(env.Root, "boot", "vmlinuz-6.1.0-13-amd64"))
	if code, _, _ := runCLI(t, env, "requirements", "--module", "nvme"); code != 2 {
		t.Fatalf("exit %d with only /lib/modules, want 2", code)
	}
}

func TestRequirementsMissingIndex(t *testing.T) {
	k := kmodtest.Debian("6.1.0-13-amd64")
	k.Dep = nil
	code, _, stderr := runCLI(t, reqEnv(t, k), "requirements", "--module", "nvme")
	if code != 2 || !strings.Contains(stderr, "run depmod 6.1.0-13-amd64") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestRequirementsJSON(t *testing.T) {
	env := reqEnv(t, kmodtest.Debian("6.1.0-13-amd64"))
	code, stdout, stderr := runCLI(t, env, "requirements", "--json", "--module", "nvme", "--module", "loop")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep verify.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if rep.SchemaVersion != verify.SchemaVersion || len(rep.Kernels) != 1 {
		t.Fatalf("report %+v", rep)
	}
	k := rep.Kernels[0]
	if k.Version != "6.1.0-13-amd64" || k.Verdict != verify.Bootable || len(k.Problems) != 0 {
		t.Fatalf("kernel %+v", k)
	}
	got := map[string]verify.Requirement{}
	var order []string
	for _, r := range k.Requirements {
		got[r.Module] = r
		order = append(order, r.Module)
	}
	if order[0] != "nvme" || got["loop"].Status != verify.StatusBuiltin || got["nvme"].Status != verify.StatusLoadable {
		t.Errorf("requirements %v: want nvme first, loop builtin, nvme loadable", k.Requirements)
	}
	if r, ok := got["nvme_core"]; !ok || !strings.HasPrefix(r.Reason, "dependency of nvme: ") {
		t.Errorf("nvme_core requirement %+v", r)
	}
	if strings.Contains(stderr, "boot-guard:") {
		t.Errorf("--json wrote diagnostics %q", stderr)
	}
	// Cannot-tell still prints one document.
	code, stdout, _ = runCLI(t, env, "requirements", "--json")
	if code != 2 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Kernels[0].Verdict != verify.CannotTell {
		t.Fatalf("exit %d, stdout %s", code, stdout)
	}
}

func TestRequirementsRootIgnoresHostSys(t *testing.T) {
	host := reqEnv(t)
	host.Sys, host.Proc = failFS{t}, failFS{t}
	image := t.TempDir()
	kmodtest.Debian("6.1.0-13-amd64").WriteDir(t, image)
	code, _, stderr := runCLI(t, host, "requirements", "--root", image)
	if code != 2 || !strings.Contains(stderr, "note: checking the system under "+image+" (--root)") ||
		!strings.Contains(stderr, "under --root, /sys and /proc describe the machine boot-guard runs on, not the one this system boots on, and no module was named") ||
		strings.Contains(stderr, "a chroot or a container") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Without --root and without /sys and /proc (a chroot, a container),
	// the message says that, and nothing about --root.
	bare := reqEnv(t, kmodtest.Debian("6.1.0-13-amd64"))
	code, _, stderr = runCLI(t, bare, "requirements")
	if code != 2 || !strings.Contains(stderr, "the drivers its root needs are unknown: there is no /sys and /proc to read here (a chroot or a container), and no module was named") ||
		strings.Contains(stderr, "--root") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	code, stdout, _ := runCLI(t, host, "requirements", "--root", image, "--module", "virtio_blk")
	if code != 0 || !strings.Contains(stdout, "virtio_blk: must be in the initrd, with virtio virtio_ring") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

// TestRequirementsOfAMachine runs the command against a fake virtio machine:
// /proc/self/mountinfo says / is ext4 on 253:0, /sys shows vda on virtio1 on
// PCI 0000:00:02.0, each with its modalias and bound loadable driver.
func TestRequirementsOfAMachine(t *testing.T) {
	env := reqEnv(t, kmodtest.Debian("6.1.0-13-amd64"))
	m := t.TempDir()
	write := func(p, data string) {
		full := filepath.Join(m, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(p, target string) {
		full := filepath.Join(m, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, full); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/self/mountinfo", "21 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n")
	pci := "sys/devices/pci0000:00/0000:00:02.0"
	write(pci+"/modalias", "pci:v00001AF4d00001042sv00001AF4sd00001100bc01sc00i00\n")
	link(pci+"/subsystem", "../../../bus/pci")
	link(pci+"/driver", "../../../bus/pci/drivers/virtio-pci")
	link("sys/bus/pci/drivers/virtio-pci/module", "../../../../module/virtio_pci")
	write("sys/module/virtio_pci/initstate", "live\n")
	write(pci+"/virtio1/modalias", "virtio:d00000002v00001AF4\n")
	link(pci+"/virtio1/subsystem", "../../../../bus/virtio")
	link(pci+"/virtio1/driver", "../../../../bus/virtio/drivers/virtio_blk")
	link("sys/bus/virtio/drivers/virtio_blk/module", "../../../../module/virtio_blk")
	write("sys/module/virtio_blk/initstate", "live\n")
	write(pci+"/virtio1/block/vda/dev", "253:0\n")
	link(pci+"/virtio1/block/vda/subsystem", "../../../../../../class/block")
	link("sys/dev/block/253:0", "../../devices/pci0000:00/0000:00:02.0/virtio1/block/vda")
	env.Sys, env.Proc = os.DirFS(filepath.Join(m, "sys")), os.DirFS(filepath.Join(m, "proc"))

	code, stdout, stderr := runCLI(t, env, "requirements")
	t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, s := range []string{
		"ext4: must be in the initrd", "why: filesystem ext4, mounted at /",
		"virtio_blk: must be in the initrd, with virtio virtio_ring", "disk vda, mounted at /",
		"virtio_pci: must be in the initrd", "PCI 0000:00:02.0",
	} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, stdout)
		}
	}
	// --root on the same host: the fake machine's devices are not DIR's.
	code, _, _ = runCLI(t, env, "requirements", "--root", env.Root)
	if code != 2 {
		t.Fatalf("--root: exit %d, want 2", code)
	}
}
