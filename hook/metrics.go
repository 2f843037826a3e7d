package hook

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/metrics"
)

// HostPath maps an absolute path of the machine (METRICS_FILE) under root
// ("/" in production, a temp dir in tests); "" stays "".
func HostPath(root, p string) string {
	if p == "" || root == "" || root == "/" {
		return p
	}
	return filepath.Join(root, p)
}

// WriteMetrics writes rep to the node-exporter textfile path. When path is
// not explicit (METRICS_FILE's configured default), a missing directory
// means no node exporter here: nothing is written and that is not an error.
func WriteMetrics(path string, explicit bool, rep verify.AuditReport) error {
	if path == "" {
		return nil
	}
	if !explicit {
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return nil
		}
	}
	s := metrics.Snapshot{
		CheckedAt:         rep.CheckedAt,
		Duration:          time.Duration(rep.DurationSeconds * float64(time.Second)),
		FallbackAvailable: rep.Fallback != nil,
	}
	for _, k := range rep.Kernels() {
		s.Kernels = append(s.Kernels, metrics.Kernel{Version: k.Version, Verdict: k.Verdict.String()})
	}
	if d := rep.DefaultEntry(); d != nil {
		s.Default = &metrics.DefaultEntry{Entry: d.Title, Version: d.Version, Verdict: d.Verdict.String()}
	}
	if err := metrics.WriteFile(path, s); err != nil {
		return fmt.Errorf("metrics not updated: %w", err)
	}
	return nil
}
