package verify

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/boot-guard/boot-guard/verify/bootentry"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/kmod"
)

// modprobeConfDirs are the directories libkmod reads *.conf from, in its
// order: a file name in an earlier directory hides the same name in a later
// one (kmod 30, Debian 12, reads etc, run, usr/local/lib and lib; later kmod
// also its DISTCONFDIR, usr/lib: the same directory in a merged-/usr image).
var modprobeConfDirs = []string{"etc/modprobe.d", "run/modprobe.d", "usr/local/lib/modprobe.d", "lib/modprobe.d", "usr/lib/modprobe.d"}

// modprobeConf is the part of the initrd's modprobe configuration that can
// stop a module from loading: blacklist and install lines.
type modprobeConf struct {
	// blacklist maps a module name ('-' as '_') to the first line that
	// blacklists it ("etc/modprobe.d/x.conf:3").
	blacklist map[string]string
	// install are the install lines in the order libkmod reads them; the
	// first whose pattern matches a module runs instead of loading it.
	install []installLine
	// unread are the files whose text boot-guard could not read.
	unread []string
	// named are the modules the initrd loads by name, which no blacklist
	// stops: initramfs-tools' conf/modules (its /etc/initramfs-tools/modules).
	named map[string]bool
}

// namedModulesFile is where initramfs-tools lists the modules its /init
// loads by name (load_modules: modprobe NAME).
const namedModulesFile = "conf/modules"

// installLine is one "install PATTERN COMMAND" line.
type installLine struct {
	pattern, command, where string
}

// isModprobeConf reports whether the image file at p (an Entry.Path, or one
// without "usr/") is a modprobe.d file whose text the check keeps.
func isModprobeConf(p string) bool {
	if p == namedModulesFile {
		return true
	}
	if !strings.HasSuffix(p, ".conf") {
		return false
	}
	for _, d := range modprobeConfDirs {
		if path.Dir(p) == d {
			return true
		}
	}
	return false
}

// readModprobeConf reads the modprobe.d files of img as libkmod orders
// them: all names sorted, each name from the first directory that has it.
func readModprobeConf(img *initrd.Image) modprobeConf {
	conf := modprobeConf{blacklist: map[string]string{}, named: map[string]bool{}}
	if data, ok := img.File(namedModulesFile); ok {
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
				conf.named[kmod.Normalize(f[0])] = true
			}
		}
	}
	chosen := map[string]string{} // base name -> image path
	seenDir := map[string]bool{}
	for _, d := range modprobeConfDirs {
		de, ok := img.Has(d)
		if ok && de.IsSymlink() {
			target := de.Link
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(d), target)
			}
			de, ok = img.Has(target)
		}
		if !ok || !de.IsDir() || seenDir[de.Path] {
			continue // absent, or the same directory as an earlier one (lib -> usr/lib)
		}
		seenDir[de.Path] = true
		for _, e := range img.Entries {
			base := path.Base(e.Path)
			if path.Dir(e.Path) != de.Path || !strings.HasSuffix(base, ".conf") || chosen[base] != "" {
				continue
			}
			chosen[base] = e.Path
		}
	}
	names := make([]string, 0, len(chosen))
	for b := range chosen {
		names = append(names, b)
	}
	sort.Strings(names)
	for _, b := range names {
		p := chosen[b]
		if e, ok := img.Has(p); ok && e.IsSymlink() && (e.Link == "/dev/null") {
			continue // masked
		}
		data, ok := img.File(p)
		if !ok {
			if e, ok := img.Has(p); ok && e.IsRegular() && e.Size == 0 {
				continue
			}
			conf.unread = append(conf.unread, p)
			continue
		}
		conf.parse(p, data)
	}
	return conf
}

// parse reads one modprobe.d file as libkmod does: a backslash before a
// newline joins the next line, "#" first on a line makes a comment, words
// are split at spaces and tabs, module names take '-' as '_'. Only
// blacklist and install lines are kept (options, softdep, alias and the
// rest cannot stop a module from loading).
func (conf *modprobeConf) parse(name string, data []byte) {
	line, first, n := []byte{}, 1, 1
	flush := func() {
		conf.line(string(line), fmt.Sprintf("%s:%d", name, first))
		line, first = line[:0], n
	}
	for i := 0; i < len(data); i++ {
		switch ch := data[i]; {
		case ch == '\n':
			n++
			flush()
		case ch == '\\' && i+1 < len(data):
			i++
			if data[i] == '\n' {
				n++ // continued
				continue
			}
			line = append(line, data[i]) // libkmod drops the backslash
		default:
			line = append(line, ch)
		}
	}
	if len(line) > 0 {
		flush()
	}
}

// line takes one logical line.
func (conf *modprobeConf) line(s, where string) {
	if s == "" || s[0] == '#' {
		return
	}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
	if len(f) < 2 {
		return
	}
	name := kmod.Normalize(f[1])
	switch f[0] {
	case "blacklist":
		if _, ok := conf.blacklist[name]; !ok {
			conf.blacklist[name] = where
		}
	case "install":
		_, rest, _ := strings.Cut(s, f[1])
		if cmd := strings.TrimLeft(rest, " \t"); cmd != "" {
			conf.install = append(conf.install, installLine{pattern: name, command: cmd, where: where})
		}
	}
}

// installFor returns the install line libkmod runs instead of loading
// module: the first whose pattern matches it.
func (conf *modprobeConf) installFor(module string) (installLine, bool) {
	for _, l := range conf.install {
		if ok, _ := path.Match(l.pattern, module); ok || l.pattern == module {
			return l, true
		}
	}
	return installLine{}, false
}

// installLoads says what an install command does for module: loads is true
// when it runs modprobe --ignore-install (or -i) or insmod on the module;
// known is false when boot-guard cannot tell (a script, another program).
func installLoads(command, module string) (loads, known bool) {
	words := strings.FieldsFunc(command, func(r rune) bool { return strings.ContainsRune(" \t;&|()'\"", r) })
	for i, w := range words {
		switch path.Base(w) {
		case "modprobe":
			ignore, named := false, false
			for _, a := range words[i+1:] {
				switch {
				case a == "--ignore-install" || a == "-i":
					ignore = true
				case kmod.Normalize(a) == module || a == "$MODULE" || a == "${MODULE}":
					named = true
				}
			}
			if ignore && named {
				return true, true
			}
		case "insmod":
			for _, a := range words[i+1:] {
				if kmod.Normalize(strings.TrimSuffix(path.Base(a), path.Ext(a))) == module || strings.Contains(kmod.Normalize(path.Base(a)), module+".ko") {
					return true, true
				}
			}
		}
	}
	simple := !strings.ContainsAny(command, ";&|`$()<>")
	if f := strings.Fields(command); simple && len(f) > 0 {
		switch path.Base(f[0]) {
		case "false", "true", ":", "exit", "echo", "logger", "printf":
			return false, true
		}
	}
	return false, false
}

// dracutArgs adds what a dracut initrd makes of the command line: its
// dracut-pre-udev writes a blacklist line for each rd.driver.blacklist=
// (rdblacklist=) name and runs modprobe NAME for each rd.driver.pre=
// (rdloaddriver=). Other initrds ignore both.
func (conf *modprobeConf) dracutArgs(img *initrd.Image, bl bootLine) {
	if _, ok := img.Has("usr/lib/dracut"); !ok {
		return
	}
	for _, key := range []string{"rd.driver.blacklist", "rdblacklist"} {
		for _, v := range bootentry.CmdlineValues(bl.line, key) {
			for _, m := range strings.Split(v, ",") {
				if name := kmod.Normalize(m); name != "" && conf.blacklist[name] == "" {
					conf.blacklist[name] = fmt.Sprintf("%s=%s on the command line (%s) makes dracut's initrd blacklist it", key, v, bl.source)
				}
			}
		}
	}
	for _, key := range []string{"rd.driver.pre", "rdloaddriver"} {
		for _, v := range bootentry.CmdlineValues(bl.line, key) {
			for _, m := range strings.Split(v, ",") {
				conf.named[kmod.Normalize(m)] = true
			}
		}
	}
}
