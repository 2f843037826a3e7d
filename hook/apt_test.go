package hook

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/kmod/kmodtest"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	kvNew    = "6.1.0-18-amd64"
	kvOld    = "6.1.0-17-amd64"
	rootUUID = "7c0ffee0-2222-4d4d-8e8e-0123456789ab"
)

// host is a fixture machine for the hooks: Debian kernels under root, a
// fake NVMe machine's /sys and /proc, a /dev with root's by-uuid link, and
// a grub.cfg listing the kernels.
type host struct {
	root string
	m    checktest.Machine
}

// newHost installs every version in good (with an initrd that has nvme and
// ext4) and in bad (with an initrd missing nvme).
func newHost(t *testing.T, good, bad []string) host {
	t.Helper()
	h := host{root: t.TempDir(), m: checktest.NVMeMachine(t)}
	for _, v := range append(append([]string{}, good...), bad...) {
		kmodtest.Debian(v).WriteDir(t, h.root)
	}
	checktest.WriteFile(t, filepath.Join(h.root, "etc/kernel/postinst.d/initramfs-tools"), []byte("#!/bin/sh\n"))
	for _, v := range good {
		checktest.Initrd{Version: v, Modules: h.modules(t, v)}.Write(t, h.root)
	}
	for _, v := range bad {
		checktest.Initrd{Version: v, Modules: h.modules(t, v, "nvme")}.Write(t, h.root)
	}
	checktest.WriteFile(t, filepath.Join(h.root, "dev/nvme0n1p2"), nil)
	if err := os.MkdirAll(filepath.Join(h.root, "dev/disk/by-uuid"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../nvme0n1p2", filepath.Join(h.root, "dev/disk/by-uuid", rootUUID)); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h host) modules(t *testing.T, v string, drop ...string) []checktest.Module {
	t.Helper()
	ix, err := kmod.Load(os.DirFS(h.root), v)
	if err != nil {
		t.Fatal(err)
	}
	closure, err := ix.Closure("nvme", "ext4")
	if err != nil {
		t.Fatal(err)
	}
	var out []checktest.Module
	for _, n := range closure {
		m, _ := ix.Module(n)
		skip := m.Builtin
		for _, d := range drop {
			skip = skip || d == n
		}
		if !skip {
			out = append(out, checktest.Module{Path: m.Path})
		}
	}
	return out
}

// grub writes a grub.cfg with one entry per version, in order, as Debian's
// 10_linux writes them (written from its format), GRUB_DEFAULT=saved, and
// saved_entry in grubenv when saved is not "".
func (h host) grub(t *testing.T, saved string, versions ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\nelse\n   set default=\"${saved_entry}\"\nfi\n")
	for _, v := range versions {
		fmt.Fprintf(&b, "menuentry 'Debian GNU/Linux, with Linux %s' --class debian $menuentry_id_option 'gnulinux-%s-advanced-%s' {\n", v, v, rootUUID)
		fmt.Fprintf(&b, "\tsearch --no-floppy --fs-uuid --set=root %s\n\tlinux\t/boot/vmlinuz-%s root=UUID=%s ro quiet\n\tinitrd\t/boot/initrd.img-%s\n}\n", rootUUID, v, rootUUID, v)
	}
	checktest.WriteFile(t, filepath.Join(h.root, "boot/grub/grub.cfg"), []byte(b.String()))
	checktest.WriteFile(t, filepath.Join(h.root, "etc/default/grub"), []byte("GRUB_DEFAULT=saved\n"))
	if saved != "" {
		checktest.WriteFile(t, filepath.Join(h.root, "boot/grub/grubenv"), []byte("# GRUB Environment Block\nsaved_entry="+saved+"\n"+strings.Repeat("#", 900)))
	}
}

func (h host) env(stderr *bytes.Buffer, kv ...string) Env {
	return Env{Root: h.root, Sys: os.DirFS(h.m.Sys), Proc: os.DirFS(h.m.Proc), Getenv: getenv(kv...), Stderr: stderr, Config: DefaultConfig()}
}

func (h host) apt(t *testing.T, cfg func(*Config), kv ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	env := h.env(&stderr, kv...)
	env.Config.MetricsFile = ""
	if cfg != nil {
		cfg(&env.Config)
	}
	code := Apt(context.Background(), nil, env, AptOptions{CacheDir: filepath.Join(h.root, AptCacheDir)})
	if code != 0 {
		t.Fatalf("the APT hook exited %d: it must never fail apt\n%s", code, stderr.String())
	}
	for _, l := range strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, Prefix) {
			t.Errorf("line without prefix: %q", l)
		}
	}
	return stderr.String()
}

func TestAptSilentWhenDefaultBoots(t *testing.T) {
	h := newHost(t, []string{kvNew, kvOld}, nil)
	h.grub(t, "", kvNew, kvOld)
	if out := h.apt(t, nil); out != "" {
		t.Fatalf("output when all is well:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(h.root, AptCacheDir, aptCacheFile)); err != nil {
		t.Fatalf("no cache written: %v", err)
	}
}

func TestAptLoudWhenDefaultWillNotBoot(t *testing.T) {
	h := newHost(t, []string{kvOld}, []string{kvNew})
	h.grub(t, "", kvNew, kvOld)
	out := h.apt(t, nil)
	sel := "gnulinux-" + kvOld + "-advanced-" + rootUUID
	for _, want := range []string{
		rule,
		"error: the DEFAULT boot entry will NOT boot: \"Debian GNU/Linux, with Linux " + kvNew + "\"",
		"do not reboot before this is fixed",
		"nvme",
		"fallback: \"Debian GNU/Linux, with Linux " + kvOld + "\" (kernel " + kvOld + ") will boot",
		"hint: make it the default: grub-set-default " + sel,
		"grub-reboot " + sel,
		"BOOT_GUARD=off",
		"never fails apt",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAptCannotTellSaidOnce(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil) // no grub.cfg: no boot loader found
	out := h.apt(t, nil)
	if !strings.Contains(out, "warning: cannot tell whether the default boot entry will boot") || !strings.Contains(out, "said once") {
		t.Fatalf("first run:\n%s", out)
	}
	if out := h.apt(t, nil); out != "" {
		t.Fatalf("second run repeats itself:\n%s", out)
	}
	// CANNOT_TELL=fail makes it loud every time.
	out = h.apt(t, func(c *Config) { c.CannotTell = CannotTellFail })
	if !strings.Contains(out, rule) || !strings.Contains(out, "error: no boot loader configuration found") {
		t.Fatalf("CANNOT_TELL=fail:\n%s", out)
	}
}

func TestAptAutoFallback(t *testing.T) {
	h := newHost(t, []string{kvOld}, []string{kvNew})
	h.grub(t, "", kvNew, kvOld)
	// A stand-in for grub-set-default that records its arguments and
	// writes grubenv as the real one does.
	bin := t.TempDir()
	log := filepath.Join(bin, "args")
	script := "#!/bin/sh\necho \"$@\" > " + log + "\n" +
		"dir=${1#--boot-directory=}\nprintf '# GRUB Environment Block\\nsaved_entry=%s\\n' \"$2\" > \"$dir/grub/grubenv\"\n"
	checktest.WriteFile(t, filepath.Join(bin, "grub-set-default"), []byte(script))
	if err := os.Chmod(filepath.Join(bin, "grub-set-default"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := h.apt(t, func(c *Config) { c.AutoFallback = true }, "PATH", bin)
	sel := "gnulinux-" + kvOld + "-advanced-" + rootUUID
	if !strings.Contains(out, "AUTO_FALLBACK=yes: ran grub-set-default "+sel) {
		t.Fatalf("output:\n%s", out)
	}
	args, err := os.ReadFile(log)
	if err != nil || strings.TrimSpace(string(args)) != "--boot-directory="+filepath.Join(h.root, "boot")+" "+sel {
		t.Fatalf("grub-set-default got %q, %v", args, err)
	}
	// The next run finds the new default bootable: silent.
	if out := h.apt(t, func(c *Config) { c.AutoFallback = true }, "PATH", bin); out != "" {
		t.Fatalf("after the fallback:\n%s", out)
	}

	// Without the program, the hook says so and still exits 0.
	h2 := newHost(t, []string{kvOld}, []string{kvNew})
	h2.grub(t, "", kvNew, kvOld)
	out = h2.apt(t, func(c *Config) { c.AutoFallback = true }, "PATH", t.TempDir())
	if !strings.Contains(out, "grub-set-default not found in PATH") {
		t.Fatalf("missing program:\n%s", out)
	}
}

func TestAptWritesMetrics(t *testing.T) {
	h := newHost(t, []string{kvOld}, []string{kvNew})
	h.grub(t, "", kvNew, kvOld)
	// METRICS_FILE names the machine's path; the node exporter's directory
	// exists under the fixture's root.
	dir := filepath.Join(h.root, "var/lib/prometheus/node-exporter")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "boot-guard.prom")
	h.apt(t, func(c *Config) { c.MetricsFile = DefaultMetricsFile })
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, m := range fams["boot_guard_kernel_bootable"].GetMetric() {
		got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
	}
	if got[kvOld] != 1 || got[kvNew] != 0 || len(got) != 2 {
		t.Errorf("kernel gauges %v", got)
	}
	def := fams["boot_guard_default_entry_bootable"].GetMetric()
	if len(def) != 1 || def[0].GetGauge().GetValue() != 0 {
		t.Errorf("default entry gauge %v", def)
	}
	if fams["boot_guard_fallback_available"].GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Error("fallback gauge not 1")
	}
	// The configured default path in a directory that does not exist (no
	// node exporter): nothing written, no complaint.
	out := h.apt(t, func(c *Config) { c.MetricsFile = "/var/lib/missing/boot-guard.prom" })
	if strings.Contains(out, "metrics") {
		t.Errorf("complained about an absent node exporter:\n%s", out)
	}
}

func TestAptThroughRun(t *testing.T) {
	// The registered protocol, as dpkg's Post-Invoke runs it, with
	// BOOT_GUARD=off: not checking, exit 0.
	h := newHost(t, []string{kvOld}, []string{kvNew})
	h.grub(t, "", kvNew, kvOld)
	var stderr bytes.Buffer
	env := h.env(&stderr, "BOOT_GUARD", "off")
	if code := Run(context.Background(), "apt", nil, env); code != 0 || !strings.Contains(stderr.String(), "not checking") {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	env = h.env(&stderr)
	if code := Run(context.Background(), "apt", nil, env); code != 0 || !strings.Contains(stderr.String(), "will NOT boot") {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
}

func TestAutoFallbackConfigKey(t *testing.T) {
	for src, want := range map[string]bool{"AUTO_FALLBACK=yes\n": true, "AUTO_FALLBACK=no\n": false, "": false, "AUTO_FALLBACK=\"yes\"\n": true} {
		cfg, err := ParseConfig(strings.NewReader(src), "/etc/default/boot-guard")
		if err != nil || cfg.AutoFallback != want {
			t.Errorf("%q: AutoFallback %v, %v; want %v", src, cfg.AutoFallback, err, want)
		}
	}
	_, err := ParseConfig(strings.NewReader("MODE=warn\nAUTO_FALLBACK=true\n"), "/etc/default/boot-guard")
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "want yes or no") {
		t.Errorf("bad value: %v", err)
	}
}

func TestAptUnwritableCacheIsSilentWhenAllIsWell(t *testing.T) {
	h := newHost(t, []string{kvNew}, nil)
	h.grub(t, "", kvNew)
	// The cache directory's place is taken by a file: saving fails.
	blocker := filepath.Join(t.TempDir(), "not-a-dir")
	checktest.WriteFile(t, blocker, []byte("x"))
	var stderr bytes.Buffer
	env := h.env(&stderr)
	env.Config.MetricsFile = ""
	if code := Apt(context.Background(), nil, env, AptOptions{CacheDir: filepath.Join(blocker, "cache")}); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, output %q", code, stderr.String())
	}
	// With a default entry that will not boot, the failure is mentioned.
	h2 := newHost(t, []string{kvOld}, []string{kvNew})
	h2.grub(t, "", kvNew, kvOld)
	env = h2.env(&stderr)
	env.Config.MetricsFile = ""
	Apt(context.Background(), nil, env, AptOptions{CacheDir: filepath.Join(blocker, "cache")})
	if !strings.Contains(stderr.String(), "cannot keep the audit cache") {
		t.Errorf("output:\n%s", stderr.String())
	}
}
