// Package metrics writes boot-guard's verdicts for the Prometheus node
// exporter's textfile collector: one file in the text exposition format,
// replaced atomically (internal/atomicfile: a temporary file in the same
// directory, fsync, rename), so the collector never reads half a file.
//
// It owns the metric names and their meaning; it never decides a verdict,
// never prints and never writes anywhere but the path it is given. Encoding
// is expfmt's (github.com/prometheus/common), not hand-formatted. Spec: the
// Prometheus text exposition format and node_exporter's textfile collector
// README (files must end in .prom; temporary files must not).
//
// Metrics (gauges):
//
//	boot_guard_kernel_bootable{version}                  1 when the kernel will mount root, else 0
//	boot_guard_verdict{version,verdict}                  1 for the kernel's verdict, 0 for the two others
//	boot_guard_default_entry_bootable{entry,version}     1 when the entry the boot loader boots by default will boot
//	boot_guard_fallback_available                        1 when another bootable entry can be selected
//	boot_guard_last_check_timestamp_seconds              when the check ran (Unix time)
//	boot_guard_last_check_duration_seconds               how long it took
package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/boot-guard/boot-guard/internal/atomicfile"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"google.golang.org/protobuf/proto"
)

// The verdict names, as verify.Verdict prints them. metrics is a leaf and
// does not import verify: callers pass Verdict.String().
var verdicts = []string{"bootable", "unbootable", "cannot-tell"}

// Kernel is one kernel version's verdict.
type Kernel struct {
	Version string
	Verdict string // "bootable", "unbootable" or "cannot-tell"
}

// DefaultEntry is the entry the boot loader boots when nobody chooses.
type DefaultEntry struct {
	Entry   string // its title
	Version string
	Verdict string
}

// Snapshot is one check's results.
type Snapshot struct {
	Kernels []Kernel
	// Default is nil when no default entry could be found: the gauge is then
	// written as 0 with empty labels, so an alert on "== 0" fires.
	Default *DefaultEntry
	// FallbackAvailable: a bootable entry other than the default exists.
	FallbackAvailable bool
	CheckedAt         time.Time
	Duration          time.Duration
}

func gauge(name, help string, metrics ...*dto.Metric) *dto.MetricFamily {
	return &dto.MetricFamily{Name: proto.String(name), Help: proto.String(help), Type: dto.MetricType_GAUGE.Enum(), Metric: metrics}
}

func sample(v float64, labels ...string) *dto.Metric {
	m := &dto.Metric{Gauge: &dto.Gauge{Value: proto.Float64(v)}}
	for i := 0; i+1 < len(labels); i += 2 {
		m.Label = append(m.Label, &dto.LabelPair{Name: proto.String(labels[i]), Value: proto.String(labels[i+1])})
	}
	return m
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Families returns the metric families of s, in a stable order: kernels by
// version, verdict labels in a fixed order.
func Families(s Snapshot) ([]*dto.MetricFamily, error) {
	kernels := append([]Kernel(nil), s.Kernels...)
	sort.SliceStable(kernels, func(i, j int) bool { return kernels[i].Version < kernels[j].Version })
	seen := map[string]bool{}
	var bootable, verdict []*dto.Metric
	for _, k := range kernels {
		if seen[k.Version] {
			return nil, fmt.Errorf("metrics: kernel %q listed twice", k.Version)
		}
		seen[k.Version] = true
		if !known(k.Verdict) {
			return nil, fmt.Errorf("metrics: kernel %q has unknown verdict %q", k.Version, k.Verdict)
		}
		bootable = append(bootable, sample(b2f(k.Verdict == "bootable"), "version", k.Version))
		for _, v := range verdicts {
			verdict = append(verdict, sample(b2f(k.Verdict == v), "verdict", v, "version", k.Version))
		}
	}
	def := sample(0, "entry", "", "version", "")
	if s.Default != nil {
		if !known(s.Default.Verdict) {
			return nil, fmt.Errorf("metrics: default entry %q has unknown verdict %q", s.Default.Entry, s.Default.Verdict)
		}
		def = sample(b2f(s.Default.Verdict == "bootable"), "entry", s.Default.Entry, "version", s.Default.Version)
	}
	fams := []*dto.MetricFamily{
		gauge("boot_guard_default_entry_bootable", "1 when the boot entry the boot loader boots by default will mount root, else 0.", def),
		gauge("boot_guard_fallback_available", "1 when a bootable entry other than the default can be selected.", sample(b2f(s.FallbackAvailable))),
		gauge("boot_guard_last_check_duration_seconds", "How long boot-guard's last check took.", sample(s.Duration.Seconds())),
		gauge("boot_guard_last_check_timestamp_seconds", "When boot-guard last checked, in seconds since the Unix epoch.", sample(float64(s.CheckedAt.UnixNano())/1e9)),
	}
	if len(kernels) > 0 {
		fams = append(fams,
			gauge("boot_guard_kernel_bootable", "1 when the kernel's initrd will mount root, else 0 (unbootable or cannot-tell).", bootable...),
			gauge("boot_guard_verdict", "1 for the kernel's verdict (bootable, unbootable, cannot-tell), 0 for the others.", verdict...))
	}
	sort.Slice(fams, func(i, j int) bool { return fams[i].GetName() < fams[j].GetName() })
	return fams, nil
}

func known(v string) bool {
	for _, x := range verdicts {
		if v == x {
			return true
		}
	}
	return false
}

// Encode writes s in the text exposition format.
func Encode(w io.Writer, s Snapshot) error {
	fams, err := Families(s)
	if err != nil {
		return err
	}
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(w, f); err != nil {
			return fmt.Errorf("metrics: encode %s: %w", f.GetName(), err)
		}
	}
	return nil
}

// WriteFile replaces path with s atomically, world-readable, through
// atomicfile: the temporary file is named .NAME.tmp-* in the same directory,
// which the textfile collector (it reads only *.prom) never reads.
func WriteFile(path string, s Snapshot) error {
	if path == "" {
		return errors.New("metrics: no file name given")
	}
	var buf bytes.Buffer
	if err := Encode(&buf, s); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}
