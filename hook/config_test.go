package hook

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	in := `# boot-guard configuration
MODE=warn
  CANNOT_TELL="fail"   # trailing comment

export MODULES='nvme  ext4 dm-crypt'
METRICS_FILE=
TIMEOUT=30
`
	cfg, err := ParseConfig(strings.NewReader(in), "/etc/default/boot-guard")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Mode: Warn, CannotTell: CannotTellFail, Modules: []string{"nvme", "ext4", "dm-crypt"}, MetricsFile: "", Timeout: 30 * time.Second, Source: "/etc/default/boot-guard"}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader("\n# nothing set\n"), "f")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != Enforce || cfg.CannotTell != CannotTellWarn || cfg.MetricsFile != DefaultMetricsFile || cfg.Modules != nil {
		t.Errorf("defaults %+v", cfg)
	}
}

func TestParseConfigBadLines(t *testing.T) {
	cases := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"unknown key", "MODE=warn\nMODUE=warn\n", 2, `unknown key "MODUE"`},
		{"bad mode", "# c\n\nMODE=wran\n", 3, `MODE="wran": want enforce or warn`},
		{"bad cannot-tell", "CANNOT_TELL=yes", 1, "want warn or fail"},
		{"not key=value", "MODE warn", 1, "is not KEY=VALUE"},
		{"unterminated quote", `MODULES="nvme`, 1, "unterminated"},
		{"unquoted spaces", "MODULES=nvme ext4", 1, "must be quoted"},
		{"shell expansion", "METRICS_FILE=$HOME/x", 1, "parsed, not sourced"},
		{"relative metrics", "METRICS_FILE=x.prom", 1, "absolute path"},
		{"junk after quote", `MODE="warn" x`, 1, "after the quoted value"},
		{"bad key", "1MODE=warn", 1, "not a valid key"},
		{"path as module", `MODULES="nvme /lib/x.ko"`, 1, "not a module name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.in), "/etc/default/boot-guard")
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a ConfigError", err)
			}
			if ce.Line != tc.line || ce.File != "/etc/default/boot-guard" {
				t.Errorf("error at %s:%d, want line %d", ce.File, ce.Line, tc.line)
			}
			want := "/etc/default/boot-guard, line " + strconv.Itoa(tc.line) + ": "
			if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %q...%q", err, want, tc.msg)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	root := t.TempDir()
	cfg, err := LoadConfig(root)
	if err != nil || cfg.Source != "" || cfg.Mode != Enforce {
		t.Fatalf("missing file: %+v, %v", cfg, err)
	}
	p := filepath.Join(root, "etc/default/boot-guard")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("MODE=warn\n"), 0o644)
	cfg, err = LoadConfig(root)
	if err != nil || cfg.Mode != Warn || cfg.Source != p {
		t.Fatalf("file: %+v, %v", cfg, err)
	}
	os.WriteFile(p, []byte("MODE=warn\nBOGUS\n"), 0o644)
	if _, err = LoadConfig(root); err == nil || !strings.Contains(err.Error(), p+", line 2") {
		t.Fatalf("bad file: %v", err)
	}
}

func TestOverrideFrom(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "BOOT_GUARD" {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]Override{"": NoOverride, "warn": OverrideWarn, "off": OverrideOff, " off ": OverrideOff} {
		if got, err := OverrideFrom(env(v)); got != want || err != nil {
			t.Errorf("BOOT_GUARD=%q: %q, %v", v, got, err)
		}
	}
	if got, err := OverrideFrom(env("of")); got != NoOverride || err == nil || !strings.Contains(err.Error(), "want warn or off") {
		t.Errorf("BOOT_GUARD=of: %q, %v", got, err)
	}
}

// FuzzParseConfig: no panic; an error is always a ConfigError naming a line
// of the input and comes with the defaults; a parsed config only holds
// values the contract allows.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"MODE=warn\n", "CANNOT_TELL='fail' # x\n", `MODULES="nvme ext4"`, "export METRICS_FILE=/x\n",
		"MODE=\"warn\nx", "=x", "# only\n\n", "MODULES='a' 'b'", "METRICS_FILE=\n", "\xff=\x00",
		"TIMEOUT=120\n", "TIMEOUT=0", "TIMEOUT=-1", "TIMEOUT=99999999999", "TIMEOUT='86400'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		cfg, err := ParseConfig(strings.NewReader(in), "cfg")
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a ConfigError", err)
			}
			if lines := strings.Count(in, "\n") + 1; ce.Line < 1 || ce.Line > lines+1 {
				t.Fatalf("line %d of a %d-line input", ce.Line, lines)
			}
			if !reflect.DeepEqual(cfg, DefaultConfig()) {
				t.Fatalf("error %v with config %+v", err, cfg)
			}
			return
		}
		if cfg.Mode != Enforce && cfg.Mode != Warn || cfg.CannotTell != CannotTellWarn && cfg.CannotTell != CannotTellFail {
			t.Fatalf("config %+v", cfg)
		}
		if cfg.MetricsFile != "" && !strings.HasPrefix(cfg.MetricsFile, "/") {
			t.Fatalf("metrics file %q", cfg.MetricsFile)
		}
		if cfg.Timeout < 0 || cfg.Timeout > MaxTimeout {
			t.Fatalf("timeout %v", cfg.Timeout)
		}
	})
}

func TestRunBadConfigNeverFailsProtocols(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "etc/default/boot-guard")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("MODE=sometimes\n"), 0o644)
	if !NeverFails["apt"] || !NeverFails["kernel-preinst"] || NeverFails["kernel-postinst"] {
		t.Fatalf("NeverFails %v: the contract says apt and kernel-preinst never fail", NeverFails)
	}
	var got Config
	registerForTest(t, "test-never-fails", func(_ context.Context, _ []string, env Env) int { got = env.Config; return 0 })
	registerForTest(t, "test-may-fail", func(context.Context, []string, Env) int { return 0 })
	defer func(m map[string]bool) { NeverFails = m }(NeverFails)
	NeverFails = map[string]bool{"test-never-fails": true}
	var b strings.Builder
	env := Env{Root: root, Stderr: &b, Getenv: func(string) string { return "" }}
	if code := Run(context.Background(), "test-never-fails", nil, env); code != 0 || got.Mode != Enforce || !strings.Contains(b.String(), "line 1") {
		t.Errorf("never-fails protocol: exit %d, config %+v\n%s", code, got, b.String())
	}
	b.Reset()
	if code := Run(context.Background(), "test-may-fail", nil, env); code != 1 || !strings.Contains(b.String(), "line 1") || !strings.Contains(b.String(), "BOOT_GUARD=off") {
		t.Errorf("checking protocol: exit %d\n%s", code, b.String())
	}
}

// registerForTest registers a protocol for one test and removes it after, so
// the test can run again in the same process (go test -count=N).
func registerForTest(t *testing.T, name string, f Func) {
	t.Helper()
	Register(name, f)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		delete(protocols, name)
	})
}
