package hook

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ConfigPath is where the configuration lives, relative to the filesystem root.
const ConfigPath = "/etc/default/boot-guard"

// DefaultMetricsFile is METRICS_FILE when the configuration does not set it.
const DefaultMetricsFile = "/var/lib/prometheus/node-exporter/boot-guard.prom"

// Mode is what a hook does with an unbootable verdict.
type Mode string

// The values of MODE=.
const (
	// Enforce fails the hook (and so the package operation) on unbootable.
	Enforce Mode = "enforce"
	// Warn prints the same verdict but the hook exits 0.
	Warn Mode = "warn"
)

// CannotTellPolicy is what a hook does with a cannot-tell verdict.
type CannotTellPolicy string

// The values of CANNOT_TELL=.
const (
	CannotTellWarn CannotTellPolicy = "warn"
	CannotTellFail CannotTellPolicy = "fail"
)

// Config is /etc/default/boot-guard.
type Config struct {
	Mode       Mode
	CannotTell CannotTellPolicy
	// Modules are extra required modules, as written (not normalised).
	Modules []string
	// MetricsFile is where audit writes node-exporter metrics; "" means none.
	MetricsFile string
	// AutoFallback (AUTO_FALLBACK=yes, default no): when the default boot
	// entry will not boot, the APT hook and audit make the newest bootable
	// entry the default with grub-set-default (GRUB_DEFAULT=saved only).
	AutoFallback bool
	// Timeout (TIMEOUT=SECONDS, default DefaultTimeout; 0: none) bounds a
	// hook's check: past it the verdict is cannot-tell (hook.Bounded).
	Timeout time.Duration
	// Source is the file the values came from, "" when defaults only.
	Source string
}

// DefaultConfig is the configuration of a machine without the file.
func DefaultConfig() Config {
	return Config{Mode: Enforce, CannotTell: CannotTellWarn, MetricsFile: DefaultMetricsFile, Timeout: DefaultTimeout}
}

// ConfigError is a bad line in the configuration file.
type ConfigError struct {
	File string
	Line int
	Err  error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s, line %d: %v", e.File, e.Line, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads ConfigPath under root. A missing file is the defaults; an
// unreadable file or a bad line is an error naming the file (and line).
func LoadConfig(root string) (Config, error) {
	name := filepath.Join(root, ConfigPath)
	f, err := os.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return DefaultConfig(), fmt.Errorf("reading configuration: %w", err)
	}
	defer f.Close()
	return ParseConfig(f, name)
}

// ParseConfig parses KEY=VALUE lines the way a person expects from a file in
// /etc/default, without ever running it as shell: blank lines and lines
// starting with # are skipped, "export " is allowed, the value may be quoted
// with '...' or "..." (no expansions, no escapes), and a # after unquoted
// whitespace starts a comment. Unknown keys and bad values are errors naming
// the line, because a typo (MODE=wran) silently ignored would enforce what the
// administrator meant to relax.
func ParseConfig(r io.Reader, name string) (Config, error) {
	cfg := DefaultConfig()
	cfg.Source = name
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	n := 0
	for sc.Scan() {
		n++
		key, value, ok, err := parseLine(sc.Text())
		if err != nil {
			return DefaultConfig(), &ConfigError{name, n, err}
		}
		if !ok {
			continue
		}
		if err := cfg.set(key, value); err != nil {
			return DefaultConfig(), &ConfigError{name, n, err}
		}
	}
	if err := sc.Err(); err != nil {
		return DefaultConfig(), &ConfigError{name, n + 1, err}
	}
	return cfg, nil
}

func (c *Config) set(key, value string) error {
	switch key {
	case "MODE":
		switch Mode(value) {
		case Enforce, Warn:
			c.Mode = Mode(value)
		default:
			return fmt.Errorf("MODE=%q: want enforce or warn", value)
		}
	case "CANNOT_TELL":
		switch CannotTellPolicy(value) {
		case CannotTellWarn, CannotTellFail:
			c.CannotTell = CannotTellPolicy(value)
		default:
			return fmt.Errorf("CANNOT_TELL=%q: want warn or fail", value)
		}
	case "MODULES":
		c.Modules = strings.Fields(value)
		for _, m := range c.Modules {
			if strings.ContainsAny(m, "/=") {
				return fmt.Errorf("MODULES: %q is not a module name", m)
			}
		}
	case "METRICS_FILE":
		if value != "" && !strings.HasPrefix(value, "/") {
			return fmt.Errorf("METRICS_FILE=%q: want an absolute path, or empty for none", value)
		}
		c.MetricsFile = value
	case "AUTO_FALLBACK":
		switch value {
		case "yes":
			c.AutoFallback = true
		case "no", "":
			c.AutoFallback = false
		default:
			return fmt.Errorf("AUTO_FALLBACK=%q: want yes or no", value)
		}
	case "TIMEOUT": // issue 17 item 2
		t, err := ParseTimeout(value)
		if err != nil {
			return fmt.Errorf("TIMEOUT=%q: %w", value, err)
		}
		c.Timeout = t
	default:
		return fmt.Errorf("unknown key %q (known: MODE, CANNOT_TELL, MODULES, METRICS_FILE, AUTO_FALLBACK, TIMEOUT)", key)
	}
	return nil
}

// MaxTimeout is the largest TIMEOUT: a day (a bigger number is a typo).
const MaxTimeout = 24 * time.Hour

// ParseTimeout reads TIMEOUT= and --timeout: whole seconds, 0 for no bound.
func ParseTimeout(s string) (time.Duration, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || time.Duration(n)*time.Second > MaxTimeout {
		return 0, fmt.Errorf("want whole seconds from 0 (no bound) to %d", int(MaxTimeout.Seconds()))
	}
	return time.Duration(n) * time.Second, nil
}

// parseLine splits one line; ok is false for blank and comment lines.
func parseLine(line string) (key, value string, ok bool, err error) {
	s := strings.TrimSpace(line)
	if s == "" || strings.HasPrefix(s, "#") {
		return "", "", false, nil
	}
	s = strings.TrimPrefix(s, "export ")
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		return "", "", false, fmt.Errorf("%q is not KEY=VALUE", line)
	}
	key = strings.TrimSpace(s[:eq])
	for i, r := range key {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return "", "", false, fmt.Errorf("%q is not a valid key", key)
		}
	}
	rest := s[eq+1:]
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		q := rest[0]
		end := strings.IndexByte(rest[1:], q)
		if end < 0 {
			return "", "", false, fmt.Errorf("%s: unterminated %c quote", key, q)
		}
		value = rest[1 : 1+end]
		tail := strings.TrimSpace(rest[2+end:])
		if tail != "" && !strings.HasPrefix(tail, "#") {
			return "", "", false, fmt.Errorf("%s: unexpected %q after the quoted value", key, tail)
		}
		return key, value, true, nil
	}
	if i := strings.Index(rest, " #"); i >= 0 {
		rest = rest[:i]
	} else if i := strings.Index(rest, "\t#"); i >= 0 {
		rest = rest[:i]
	}
	value = strings.TrimSpace(rest)
	if strings.ContainsAny(value, " \t") {
		return "", "", false, fmt.Errorf("%s: a value with spaces must be quoted", key)
	}
	if strings.ContainsAny(value, "$`\"'") {
		return "", "", false, fmt.Errorf("%s: %q: shell syntax is not supported (this file is parsed, not sourced)", key, value)
	}
	return key, value, true, nil
}

// Override is the one-run override from the environment variable BOOT_GUARD.
type Override string

// The values of BOOT_GUARD=.
const (
	NoOverride   Override = ""
	OverrideWarn Override = "warn"
	OverrideOff  Override = "off"
)

// OverrideFrom reads BOOT_GUARD. An unknown value is an error (and no
// override), so that BOOT_GUARD=of does not pass for what it is not.
func OverrideFrom(getenv func(string) string) (Override, error) {
	switch v := Override(strings.TrimSpace(getenv("BOOT_GUARD"))); v {
	case NoOverride, OverrideWarn, OverrideOff:
		return v, nil
	default:
		return NoOverride, fmt.Errorf("BOOT_GUARD=%q: want warn or off; ignoring it", string(v))
	}
}
