package kconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Limits of Parse. A Debian amd64 config is about 270 KB with lines under
// 200 bytes; anything far past these is not a kernel config.
const (
	MaxSize = 8 << 20
	MaxLine = 64 << 10
)

// Config is one kernel's configuration.
type Config struct {
	// Path is the file it was read from, as the machine names it
	// ("/boot/config-6.1.0-57-amd64"); "" for Parse.
	Path string
	// values maps CONFIG_NAME to its value: "y", "m", a number or a
	// quoted string as written; "n" for "# CONFIG_NAME is not set".
	values map[string]string
	// Skipped counts non-empty lines that are neither an assignment nor a
	// comment (a config edited by hand, or not a config at all).
	Skipped int
}

// Value returns the value of option name ("CONFIG_RD_GZIP" or "RD_GZIP")
// and whether the file mentions it at all.
func (c Config) Value(name string) (string, bool) {
	v, ok := c.values[canonical(name)]
	return v, ok
}

// Enabled reports whether option name is built in (=y). An option the file
// does not mention is not enabled: Kconfig writes every visible option, so
// an absent one is off or depends on something off.
func (c Config) Enabled(name string) bool {
	v, _ := c.Value(name)
	return v == "y"
}

// Len is the number of options the file sets or unsets.
func (c Config) Len() int { return len(c.values) }

func canonical(name string) string {
	if strings.HasPrefix(name, "CONFIG_") {
		return name
	}
	return "CONFIG_" + name
}

// Paths returns where kernel version's config may be, in the order Read
// tries them, as absolute paths on the machine.
func Paths(version string) []string {
	return []string{
		"/boot/config-" + version,
		"/usr/lib/modules/" + version + "/config",
		"/lib/modules/" + version + "/build/.config",
	}
}

// ErrNotFound says that none of Paths exists: the kernel ships no config.
var ErrNotFound = errors.New("no kernel config")

// Read reads kernel version's config from the first of Paths that exists
// under root (a filesystem root on the host, "/" for the machine). It
// returns an error wrapping ErrNotFound when none exists, and one naming
// the file when it cannot be read or is not a config.
func Read(root, version string) (Config, error) {
	if version == "" || strings.ContainsAny(version, "/\x00") || version == "." || version == ".." {
		return Config{}, fmt.Errorf("%q is not a kernel version", version)
	}
	for _, p := range Paths(version) {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(p)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Config{}, fmt.Errorf("kernel config %s: %w", p, err)
		}
		st, err := f.Stat()
		if err == nil && !st.Mode().IsRegular() {
			err = errors.New("not a regular file")
		}
		var c Config
		if err == nil {
			c, err = parse(f, min(st.Size()/bytesPerOption, maxPresized))
		}
		f.Close()
		if err != nil {
			return Config{}, fmt.Errorf("kernel config %s: %w", p, err)
		}
		c.Path = p
		return c, nil
	}
	return Config{}, fmt.Errorf("%w for kernel %s (looked for %s)", ErrNotFound, version, strings.Join(Paths(version), ", "))
}

// Parse reads a config in Kconfig's format. It fails on input over MaxSize,
// a line over MaxLine, a NUL byte (a binary file), or input that sets no
// option at all.
func Parse(r io.Reader) (Config, error) { return parse(r, 0) }

// bytesPerOption is a little under the bytes per option of a real config
// (Debian 12's: 259,621 bytes, 8,777 options), for sizing its table once.
const bytesPerOption = 28

// maxPresized caps the table made at once: a file's size is only a hint,
// and a hostile 8 MiB one would otherwise get room for 300,000 options
// before a line is read (real configs set under 10,000).
const maxPresized = 16 << 10

// parse is Parse with room for options options made at once.
func parse(r io.Reader, options int64) (Config, error) {
	c := Config{values: make(map[string]string, options)}
	sc := bufio.NewScanner(io.LimitReader(r, MaxSize+1))
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	var size int64
	for n := 1; sc.Scan(); n++ {
		line := sc.Bytes()
		size += int64(len(line)) + 1
		if size > MaxSize {
			return Config{}, fmt.Errorf("larger than %d bytes: not a kernel config", MaxSize)
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return Config{}, fmt.Errorf("line %d: a NUL byte: not a kernel config", n)
		}
		c.line(string(bytes.TrimSpace(line)))
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Config{}, fmt.Errorf("a line longer than %d bytes: not a kernel config", MaxLine)
		}
		return Config{}, err
	}
	if len(c.values) == 0 {
		return Config{}, errors.New("sets no CONFIG_ option: not a kernel config")
	}
	return c, nil
}

// line records one trimmed line.
func (c *Config) line(s string) {
	if s == "" {
		return
	}
	if rest, ok := strings.CutPrefix(s, "# "); ok {
		if name, ok := strings.CutSuffix(rest, " is not set"); ok && validName(name) {
			c.values[name] = "n"
		}
		return // any other comment
	}
	if strings.HasPrefix(s, "#") {
		return
	}
	name, val, ok := strings.Cut(s, "=")
	if !ok || !validName(name) {
		c.Skipped++
		return
	}
	c.values[name] = val // the last assignment wins, as in Kconfig
}

// validName reports whether s is CONFIG_ followed by Kconfig symbol
// characters.
func validName(s string) bool {
	rest, ok := strings.CutPrefix(s, "CONFIG_")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
