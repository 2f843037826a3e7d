package kmod

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds on what Load reads. Debian 12's largest index file, modules.alias,
// is about 1.5 MB and its longest modules.dep line under 2 KB; the bounds are
// far above that and only stop a corrupt or hostile file from taking the
// machine's memory.
const (
	maxIndexFile = 64 << 20
	maxLine      = 1 << 20
)

// lineReader streams the records of one index file (lines, or NUL-separated
// records) and knows the number and byte offset of the current one.
type lineReader struct {
	file   string
	sc     *bufio.Scanner
	limit  *io.LimitedReader
	nul    bool  // records are NUL-separated, not lines
	size   int64 // of the file when known, else 0: a hint for sizing tables
	line   int
	offset int64 // of the current record
	next   int64 // of the next record
}

func newLineReader(r io.Reader, file string) *lineReader {
	lr := &io.LimitedReader{R: r, N: maxIndexFile + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &lineReader{file: file, sc: sc, limit: lr}
}

// splitNUL makes the scanner yield NUL-separated records.
func (r *lineReader) splitNUL() {
	r.nul = true
	r.sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, 0); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
}

// scan advances to the next record; it returns false at the end or on error
// (see err).
func (r *lineReader) scan() bool {
	if !r.sc.Scan() {
		return false
	}
	r.line++
	r.offset = r.next
	r.next += int64(len(r.sc.Bytes())) + 1
	return true
}

func (r *lineReader) text() string { return r.sc.Text() }

// err is the reason scanning stopped, nil at a clean end.
func (r *lineReader) err() error {
	if r.limit.N <= 0 {
		return fmt.Errorf("%s: larger than %d MiB: not a module index", r.file, maxIndexFile>>20)
	}
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &SyntaxError{File: r.file, Line: r.line + 1, Record: r.nul, Offset: r.next, Msg: fmt.Sprintf("longer than %d bytes", maxLine)}
		}
		return fmt.Errorf("read %s after line %d: %w", r.file, r.line, err)
	}
	return nil
}

func (r *lineReader) syntax(format string, a ...any) error {
	return &SyntaxError{File: r.file, Line: r.line, Record: r.nul, Offset: r.offset, Msg: fmt.Sprintf(format, a...)}
}

// fields splits a line on blanks; blank lines and '#' comments give nil.
func fields(line string) []string {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return nil
	}
	return strings.Fields(line)
}

// modPath turns a modules.dep path into one relative to the modules
// directory: depmod writes relative paths, but old ones wrote absolute
// /lib/modules/VERSION/... paths.
func (ix *Index) modPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return p
	}
	for _, d := range modulesDirs(ix.version) {
		if rest, ok := strings.CutPrefix(p, "/"+d+"/"); ok {
			return rest
		}
	}
	return p
}

// hasModuleSuffix reports whether p names a module file.
func hasModuleSuffix(p string) bool {
	for _, s := range []string{".ko", ".ko.gz", ".ko.xz", ".ko.zst"} {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	return false
}

// parseDep reads modules.dep: "PATH: DEP_PATH DEP_PATH ...", one module per
// line, dependencies listed transitively.
func (ix *Index) parseDep(r *lineReader) error {
	// Debian's modules.dep lines average 130 to 155 bytes: size the
	// tables once instead of growing them through 4,000 modules.
	hint := int(r.size / 128)
	lineOf := make(map[string]int, hint)
	if len(ix.modules) == 0 {
		ix.modules = make(map[string]*Module, hint+hint/4)
	}
	type depLine struct {
		line int
		deps []string
	}
	var pending []depLine
	for r.scan() {
		line := r.text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon < 0 {
			return r.syntax("no ':' after the module path (want \"PATH: DEPENDENCIES\")")
		}
		p := ix.modPath(strings.TrimSpace(line[:colon]))
		if p == "" || !hasModuleSuffix(p) || strings.ContainsAny(p, " \t") {
			return r.syntax("%q is not a module path (want kernel/.../NAME.ko[.gz|.xz|.zst])", line[:colon])
		}
		name := Normalize(p)
		if prev, dup := lineOf[name]; dup {
			return r.syntax("module %s listed again (first on line %d)", name, prev)
		}
		lineOf[name] = r.line
		fields := strings.Fields(line[colon+1:])
		deps := make([]string, 0, len(fields))
		for _, d := range fields {
			d = ix.modPath(d)
			if !hasModuleSuffix(d) {
				return r.syntax("dependency %q of %s is not a module path", d, name)
			}
			deps = append(deps, Normalize(d))
		}
		ix.modules[name] = &Module{Name: name, Path: p, Depends: deps}
		pending = append(pending, depLine{r.line, deps})
	}
	if err := r.err(); err != nil {
		return err
	}
	// Every dependency must have a line of its own, or modprobe fails,
	// unless it is built in (checked by checkDeps once modules.builtin is
	// read): modprobe skips a module the kernel already has.
	for _, pl := range pending {
		for _, d := range pl.deps {
			if _, ok := lineOf[d]; !ok {
				ix.unlisted = append(ix.unlisted, unlistedDep{file: r.file, line: pl.line, dep: d})
			}
		}
	}
	return nil
}

// unlistedDep is a modules.dep dependency with no line of its own.
type unlistedDep struct {
	file string
	line int
	dep  string
}

// checkDeps fails on the first dependency that has no modules.dep line of
// its own and is not built in either: modprobe could not load it.
func (ix *Index) checkDeps() error {
	for _, u := range ix.unlisted {
		if m, ok := ix.modules[u.dep]; ok && m.Builtin {
			continue
		}
		return &SyntaxError{File: u.file, Line: u.line, Msg: fmt.Sprintf("dependency %s has no line of its own and is not built in: the index is stale, run depmod %s", u.dep, ix.version)}
	}
	ix.unlisted = nil
	return nil
}

// parseBuiltin reads modules.builtin: one path per line of a module compiled
// into the kernel ("kernel/fs/ext4/ext4.ko").
func (ix *Index) parseBuiltin(r *lineReader) error {
	for r.scan() {
		f := fields(r.text())
		if f == nil {
			continue
		}
		if len(f) != 1 || !hasModuleSuffix(f[0]) {
			return r.syntax("%q is not a module path (want kernel/.../NAME.ko)", strings.TrimSpace(r.text()))
		}
		ix.addBuiltin(Normalize(f[0]), f[0])
	}
	return r.err()
}

// addBuiltin records name as compiled in. A module both built in and in
// modules.dep (a stale .ko left in updates/) is built in: the kernel never
// loads a module it already has.
func (ix *Index) addBuiltin(name, p string) {
	if m, ok := ix.modules[name]; ok {
		if !m.Builtin {
			m.Builtin, m.Depends = true, nil
			if p != "" {
				m.Path = p
			}
		}
		return
	}
	ix.modules[name] = &Module{Name: name, Path: p, Builtin: true}
}

// parseModinfo reads modules.builtin.modinfo: NUL-separated "MODULE.KEY=VALUE"
// records from the kernel image's .modinfo section. Alias records map
// modaliases to built-in drivers; every module named there is built in.
func (ix *Index) parseModinfo(r *lineReader) error {
	r.splitNUL()
	for r.scan() {
		rec := r.text()
		if rec == "" {
			continue // padding between records
		}
		eq := strings.IndexByte(rec, '=')
		dot := strings.IndexByte(rec, '.')
		if eq < 0 || dot < 0 || dot > eq || dot == 0 || dot == eq-1 {
			return r.syntax("%q is not MODULE.KEY=VALUE", truncate(rec, 80))
		}
		name := Normalize(rec[:dot])
		key, value := rec[dot+1:eq], rec[eq+1:]
		switch key {
		case "alias":
			if value == "" {
				return r.syntax("empty alias for %s", name)
			}
			ix.addBuiltin(name, "")
			ix.aliases.add(value, name)
		case "file":
			// "drivers/nvme/host/nvme": where modules.builtin would put it.
			ix.addBuiltin(name, "kernel/"+value+".ko")
		}
	}
	return r.err()
}

// parseAlias reads modules.alias: "alias PATTERN MODULE".
func (ix *Index) parseAlias(r *lineReader) error {
	for r.scan() {
		f := fields(r.text())
		if f == nil {
			continue
		}
		if f[0] != "alias" || len(f) != 3 {
			return r.syntax("%q is not \"alias PATTERN MODULE\"", truncate(strings.TrimSpace(r.text()), 80))
		}
		ix.aliases.add(f[1], Normalize(f[2]))
	}
	return r.err()
}

// parseSoftdep reads modules.softdep: "softdep MODULE pre: A B post: C".
// Only "pre:" matters here: those load before MODULE; "post:" ones after it,
// when the root device already works. As in kmod, names before any "pre:" or
// "post:" are ignored: Debian 12's file has "softdep cifs gcm", from a
// MODULE_SOFTDEP that forgot its "pre:".
func (ix *Index) parseSoftdep(r *lineReader) error {
	for r.scan() {
		f := fields(r.text())
		if f == nil {
			continue
		}
		if f[0] != "softdep" || len(f) < 2 || f[1] == "pre:" || f[1] == "post:" {
			return r.syntax("%q is not \"softdep MODULE pre: ... post: ...\"", truncate(strings.TrimSpace(r.text()), 80))
		}
		name := Normalize(f[1])
		var pre []string
		section := ""
		for _, tok := range f[2:] {
			switch {
			case tok == "pre:" || tok == "post:":
				section = tok
			case section == "pre:":
				pre = append(pre, tok)
			}
		}
		// Softdeps of a module this kernel does not have cannot matter.
		if m, ok := ix.modules[name]; ok && !m.Builtin {
			m.SoftPre = append(m.SoftPre, pre...)
		}
	}
	return r.err()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
