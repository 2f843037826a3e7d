package hook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/boot-guard/boot-guard/internal/atomicfile"
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

// LockWrites takes the lock that the APT hook and audit hold while they
// write the audit cache and METRICS_FILE: AptCacheDir/lock under root (on
// tmpfs: no lock outlives a reboot). When it cannot be had (a read-only /run
// in a chroot, a writer stuck past ctx) the writes go ahead unlocked: each
// is atomic on its own (internal/atomicfile), so a file is never half
// written; only the order of two writers is then unknown.
func LockWrites(ctx context.Context, root string) (unlock func()) {
	dir := filepath.Join(root, AptCacheDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return func() {}
	}
	unlock, err := atomicfile.Lock(ctx, dir)
	if err != nil {
		return func() {}
	}
	return unlock
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
