package metrics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func snapshot() Snapshot {
	return Snapshot{
		Kernels: []Kernel{
			{Version: "6.1.0-18-amd64", Verdict: "unbootable"},
			{Version: "6.1.0-17-amd64", Verdict: "bootable"},
			{Version: "6.1.0-9-amd64", Verdict: "cannot-tell"},
		},
		Default:           &DefaultEntry{Entry: `Debian GNU/Linux, with "Linux" 6.1.0-18-amd64`, Version: "6.1.0-18-amd64", Verdict: "unbootable"},
		FallbackAvailable: true,
		CheckedAt:         time.Unix(1763980000, 500_000_000),
		Duration:          1500 * time.Millisecond,
	}
}

// parse reads a textfile back with Prometheus' own text parser, as the node
// exporter's textfile collector does.
func parse(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("the text parser rejects %s: %v", path, err)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
	if f.GetType() != dto.MetricType_GAUGE {
		t.Errorf("%s is %s, want a gauge", name, f.GetType())
	}
	for _, m := range f.Metric {
		match := 0
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match == len(want) {
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("%s has no sample with labels %v", name, want)
	return 0
}

func TestWriteFileParsesBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "boot-guard.prom")
	if err := os.WriteFile(path, []byte("old content that is not metrics\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, snapshot()); err != nil {
		t.Fatal(err)
	}
	fams := parse(t, path)
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"boot_guard_kernel_bootable", map[string]string{"version": "6.1.0-17-amd64"}, 1},
		{"boot_guard_kernel_bootable", map[string]string{"version": "6.1.0-18-amd64"}, 0},
		{"boot_guard_kernel_bootable", map[string]string{"version": "6.1.0-9-amd64"}, 0},
		{"boot_guard_verdict", map[string]string{"version": "6.1.0-18-amd64", "verdict": "unbootable"}, 1},
		{"boot_guard_verdict", map[string]string{"version": "6.1.0-18-amd64", "verdict": "bootable"}, 0},
		{"boot_guard_verdict", map[string]string{"version": "6.1.0-9-amd64", "verdict": "cannot-tell"}, 1},
		{"boot_guard_default_entry_bootable", map[string]string{"entry": `Debian GNU/Linux, with "Linux" 6.1.0-18-amd64`, "version": "6.1.0-18-amd64"}, 0},
		{"boot_guard_fallback_available", nil, 1},
		{"boot_guard_last_check_timestamp_seconds", nil, 1763980000.5},
		{"boot_guard_last_check_duration_seconds", nil, 1.5},
	}
	for _, c := range checks {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(fams["boot_guard_verdict"].Metric); n != 9 {
		t.Errorf("boot_guard_verdict has %d samples, want 3 kernels x 3 verdicts", n)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644 so the node exporter can read it", st.Mode(), err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
}

func TestNoDefaultEntryIsZero(t *testing.T) {
	s := snapshot()
	s.Default, s.Kernels, s.FallbackAvailable = nil, nil, false
	path := filepath.Join(t.TempDir(), "m.prom")
	if err := WriteFile(path, s); err != nil {
		t.Fatal(err)
	}
	fams := parse(t, path)
	if got := value(t, fams, "boot_guard_default_entry_bootable", map[string]string{}); got != 0 {
		t.Errorf("no default entry reads as %v", got)
	}
	if _, ok := fams["boot_guard_kernel_bootable"]; ok {
		t.Error("kernel gauge written with no kernels")
	}
}

func TestWriteFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := snapshot()
	bad.Kernels = append(bad.Kernels, Kernel{Version: "x", Verdict: "maybe"})
	path := filepath.Join(dir, "m.prom")
	if err := os.WriteFile(path, []byte("# previous\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, bad); err == nil || !strings.Contains(err.Error(), `unknown verdict "maybe"`) {
		t.Errorf("bad verdict: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "# previous\n" {
		t.Errorf("a failed write changed the file: %q", b)
	}
	dup := snapshot()
	dup.Kernels = append(dup.Kernels, dup.Kernels[0])
	if err := WriteFile(path, dup); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate kernel: %v", err)
	}
	if err := WriteFile(filepath.Join(dir, "no/such/dir/m.prom"), snapshot()); err == nil || !strings.Contains(err.Error(), "no/such/dir/m.prom") {
		t.Errorf("missing directory: %v", err)
	}
	// Renaming over a directory fails: nothing is left behind.
	target := filepath.Join(dir, "isdir.prom")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "x"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, snapshot()); err == nil {
		t.Error("rename over a non-empty directory succeeded")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left behind: %q", left)
	}
	if err := WriteFile("", snapshot()); err == nil {
		t.Error("empty path accepted")
	}
}
