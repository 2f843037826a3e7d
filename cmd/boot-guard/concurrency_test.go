//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestHooksAtOnce (issue 17 item 4) runs what one `apt upgrade` can run at
// the same moment, as processes, several rounds over one machine:
// kernel-install, the postinst.d hook, the initramfs hook, the APT hook and
// audit from its timer. Every round gives each the same exit code, and the
// APT cache and the metrics file are whole after every round, with no
// temporary file left.
func TestHooksAtOnce(t *testing.T) {
	t.Parallel()
	mc := auditMachine(t)
	writeFile(t, mc.root, "etc/default/boot-guard", "METRICS_FILE=/var/lib/node/boot-guard.prom\n")
	metricsDir := filepath.Join(mc.root, "var/lib/node")
	if err := os.MkdirAll(metricsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	initrd := filepath.Join(mc.root, "boot/initrd.img-"+kv1)
	runs := [][]string{
		append([]string{hookPaths["kernel-install"]}, hookArgs("kernel-install", mc.root, initrd)...),
		append([]string{hookPaths["kernel-postinst"]}, hookArgs("kernel-postinst", mc.root, initrd)...),
		append([]string{hookPaths["initramfs-post-update"]}, hookArgs("initramfs-post-update", mc.root, initrd)...),
		{"boot-guard", "hook", "apt"},
		{"boot-guard", "audit"},
	}
	const rounds = 6
	var first []int
	for r := range rounds {
		codes := make([]int, len(runs))
		var wg sync.WaitGroup
		for i, args := range runs {
			wg.Go(func() {
				cmd := bootGuard(t, mc.root, args...)
				cmd.Env = append(cmd.Env, "BG_TEST_MACHINE="+filepath.Dir(mc.m.Sys))
				out, err := cmd.CombinedOutput()
				codes[i] = cmd.ProcessState.ExitCode()
				if codes[i] < 0 {
					t.Errorf("round %d: %q: %v\n%s", r, args, err, out)
				}
			})
		}
		wg.Wait()
		if first == nil {
			first = codes
			// kv1's initrd lacks nvme: the kernel hooks and audit fail, apt never does.
			if fmt.Sprint(codes) != "[1 1 1 0 1]" {
				t.Errorf("exit codes %v, want [1 1 1 0 1]", codes)
			}
		} else if fmt.Sprint(codes) != fmt.Sprint(first) {
			t.Errorf("round %d: exit codes %v, round 0 gave %v", r, codes, first)
		}
		wholeFiles(t, r, filepath.Join(mc.root, "run/boot-guard"), metricsDir)
	}
}

// wholeFiles checks the APT cache and the metrics file parse, and that no
// temporary file is left beside them.
func wholeFiles(t *testing.T, round int, cacheDir, metricsDir string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cacheDir, "apt-audit.json"))
	var doc struct {
		Version int            `json:"version"`
		Checks  map[string]any `json:"checks"`
	}
	if err != nil || json.Unmarshal(b, &doc) != nil || doc.Version == 0 || len(doc.Checks) == 0 {
		t.Errorf("round %d: the APT cache is not whole: %v %.200q", round, err, b)
	}
	f, err := os.Open(filepath.Join(metricsDir, "boot-guard.prom"))
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	if fams, err := p.TextToMetricFamilies(f); err != nil || len(fams["boot_guard_verdict"].GetMetric()) != 6 {
		t.Errorf("round %d: the metrics file is not whole: %v", round, err)
	}
	for _, d := range []string{cacheDir, metricsDir} {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("round %d: temporary file left: %s/%s", round, d, e.Name())
			}
		}
	}
}
