package bootentry

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// GrubItem is one item of a GRUB menu: a menuentry, or a submenu with items
// of its own.
type GrubItem struct {
	Title string
	ID    string // from $menuentry_id_option / --id; may be empty
	Line  int
	// Submenu holds a submenu's items; nil for a menuentry.
	Submenu []GrubItem
	IsMenu  bool
	// For a menuentry:
	Linux      string   // path given to linux/linuxefi/linux16
	Args       string   // the rest of that line: the kernel command line
	Initrds    []string // every path of every initrd line, in order
	SearchUUID string   // search --fs-uuid --set=root UUID
	SetRoot    string   // set root='hd0,gpt2'
	Other      string   // a command that makes this not a Linux entry (chainloader, fwsetup)
	HasVars    string   // a linux/initrd path with a $variable in it
}

// GrubConfig is what boot-guard reads from a grub.cfg.
type GrubConfig struct {
	Items []GrubItem
	// Defaults are the values of top-level "set default=..." in order,
	// except the "${next_entry}" of the one-shot branch.
	Defaults []string
	// UsesNextEntry: the grub.cfg honours grubenv's next_entry (grub-reboot).
	UsesNextEntry bool
}

// ParseGrubConfig reads a grub.cfg. name is used in errors and in each
// item's Line context.
func ParseGrubConfig(r io.Reader, name string) (*GrubConfig, error) {
	cmds, err := lexScript(r, name)
	if err != nil {
		return nil, err
	}
	cfg := &GrubConfig{}
	p := &grubParser{cmds: cmds, name: name}
	items, err := p.block(0, cfg)
	if err != nil {
		return nil, err
	}
	cfg.Items = items
	return cfg, nil
}

type grubParser struct {
	cmds []command
	pos  int
	name string
}

// maxMenuDepth bounds submenu nesting; GRUB itself has no limit, but no real
// configuration nests more than two levels.
const maxMenuDepth = 16

// block reads items until the matching "}" (depth > 0) or the end.
func (p *grubParser) block(depth int, cfg *GrubConfig) ([]GrubItem, error) {
	if depth > maxMenuDepth {
		return nil, fmt.Errorf("%s: line %d: submenus nested deeper than %d", p.name, p.cmds[p.pos-1].line, maxMenuDepth)
	}
	var items []GrubItem
	for p.pos < len(p.cmds) {
		c := p.cmds[p.pos]
		p.pos++
		w := stripKeywords(c.words)
		if len(w) == 0 {
			continue
		}
		switch {
		case w[0] == "}":
			if depth == 0 {
				return nil, fmt.Errorf("%s: line %d: '}' without a block to close", p.name, c.line)
			}
			return items, nil
		case w[0] == "menuentry" || w[0] == "submenu":
			if w[len(w)-1] != "{" {
				return nil, fmt.Errorf("%s: line %d: %s without '{' at the end of its line", p.name, c.line, w[0])
			}
			it := GrubItem{Line: c.line, IsMenu: w[0] == "submenu"}
			it.Title, it.ID = titleAndID(w[1 : len(w)-1])
			if it.IsMenu {
				sub, err := p.block(depth+1, cfg)
				if err != nil {
					return nil, err
				}
				it.Submenu = sub
			} else if err := p.entryBody(&it); err != nil {
				return nil, err
			}
			items = append(items, it)
		case w[0] == "function" || w[len(w)-1] == "{":
			if err := p.skipBlock(c.line); err != nil {
				return nil, err
			}
		case depth == 0 && w[0] == "set" && len(w) >= 2 && strings.HasPrefix(w[1], "default="):
			v := strings.TrimPrefix(w[1], "default=")
			if v == "${next_entry}" || v == "$next_entry" {
				cfg.UsesNextEntry = true
			} else {
				cfg.Defaults = append(cfg.Defaults, v)
			}
		}
	}
	if depth > 0 {
		return nil, fmt.Errorf("%s: end of file inside a submenu: a '}' is missing", p.name)
	}
	return items, nil
}

func (p *grubParser) skipBlock(line int) error {
	depth := 1
	for p.pos < len(p.cmds) {
		for _, w := range p.cmds[p.pos].words {
			switch w {
			case "{":
				depth++
			case "}":
				depth--
			}
		}
		p.pos++
		if depth == 0 {
			return nil
		}
	}
	return fmt.Errorf("%s: line %d: block never closed with '}'", p.name, line)
}

func (p *grubParser) entryBody(it *GrubItem) error {
	for p.pos < len(p.cmds) {
		c := p.cmds[p.pos]
		p.pos++
		w := stripKeywords(c.words)
		if len(w) == 0 {
			continue
		}
		if w[0] == "}" {
			return nil
		}
		if w[len(w)-1] == "}" {
			// "initrd /x }": the command ends the block.
			w = w[:len(w)-1]
			p.entryCommand(it, w)
			return nil
		}
		p.entryCommand(it, w)
	}
	return fmt.Errorf("%s: line %d: menuentry %q never closed with '}'", p.name, it.Line, it.Title)
}

func (p *grubParser) entryCommand(it *GrubItem, w []string) {
	if len(w) == 0 {
		return
	}
	switch w[0] {
	case "linux", "linuxefi", "linux16":
		if len(w) < 2 {
			return
		}
		it.Linux = w[1]
		it.Args = strings.Join(w[2:], " ")
		if strings.Contains(w[1], "$") {
			it.HasVars = w[1]
		}
	case "initrd", "initrdefi", "initrd16":
		for _, x := range w[1:] {
			if strings.HasPrefix(x, "--") {
				continue // initrd --newc:NAME:PATH style options
			}
			it.Initrds = append(it.Initrds, x)
			if strings.Contains(x, "$") {
				it.HasVars = x
			}
		}
	case "search", "search.fs_uuid":
		// search [--no-floppy] --fs-uuid --set=root [--hint...] UUID
		isUUID := w[0] == "search.fs_uuid"
		setRoot := w[0] == "search.fs_uuid"
		var last string
		for i := 1; i < len(w); i++ {
			switch {
			case w[i] == "--fs-uuid" || w[i] == "-u":
				isUUID = true
			case w[i] == "--set=root" || w[i] == "--set" && i+1 < len(w) && w[i+1] == "root":
				setRoot = true
			case w[i] == "--set":
				setRoot = true
			case strings.HasPrefix(w[i], "-"):
			default:
				last = w[i]
			}
		}
		if isUUID && setRoot && last != "" && last != "root" {
			it.SearchUUID = last
		}
	case "set":
		if len(w) >= 2 {
			if v, ok := strings.CutPrefix(w[1], "root="); ok {
				it.SetRoot = v
			}
		}
	case "chainloader", "fwsetup", "multiboot", "multiboot2", "appleloader", "kfreebsd", "knetbsd", "kopenbsd", "halt", "reboot":
		if it.Other == "" {
			it.Other = w[0]
		}
	}
}

// stripKeywords drops the shell keywords that can start a command in GRUB's
// scripting ("then linux ..." after "if ...;" on one line).
func stripKeywords(w []string) []string {
	for len(w) > 0 {
		switch w[0] {
		case "then", "else", "do", "!":
			w = w[1:]
			continue
		}
		return w
	}
	return w
}

// titleAndID picks the title (the first non-option word) and the id
// ("--id X", "--id=X", or "$menuentry_id_option X" as Debian writes it).
func titleAndID(args []string) (title, id string) {
	haveTitle := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "$menuentry_id_option" || a == "${menuentry_id_option}" || a == "--id":
			if i+1 < len(args) {
				id = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--id="):
			id = strings.TrimPrefix(a, "--id=")
		case a == "--class" || a == "--users" || a == "--hotkey":
			i++
		case strings.HasPrefix(a, "--"):
		default:
			if !haveTitle {
				title, haveTitle = a, true
			}
		}
	}
	return title, id
}

// ResolveGrubDefault finds the menu entry GRUB boots for a "default" value:
// a number, a title or an id, or several joined by ">" to walk into
// submenus (GRUB's menu.c compares each part with the title and the id). A
// submenu reached without a further part boots its first entry; a part that
// matches nothing makes GRUB fall back to the first entry, and ok is false.
// It returns the index path.
func ResolveGrubDefault(items []GrubItem, def string) (path []int, ok bool) {
	parts := strings.Split(def, ">")
	level := items
	ok = true
	for i := 0; ; i++ {
		if len(level) == 0 {
			return path, false
		}
		idx := 0
		if i < len(parts) {
			idx = findItem(level, parts[i])
			if idx < 0 {
				ok = false
				idx = 0
			}
		}
		path = append(path, idx)
		if !level[idx].IsMenu {
			if i+1 < len(parts) {
				ok = false // parts left over for an entry that is not a submenu
			}
			return path, ok
		}
		level = level[idx].Submenu
		if len(path) > maxMenuDepth {
			return path, false
		}
	}
}

func findItem(items []GrubItem, part string) int {
	part = strings.TrimSpace(part)
	if n, err := strconv.Atoi(part); err == nil {
		if n >= 0 && n < len(items) {
			return n
		}
		return -1
	}
	for i, it := range items {
		if it.Title == part || (it.ID != "" && it.ID == part) {
			return i
		}
	}
	return -1
}

// ParseGrubenv reads GRUB's environment block (/boot/grub/grubenv): a
// 1024-byte file, "# GRUB Environment Block" then NAME=VALUE lines, padded
// with '#'. Backslash escapes a newline or a backslash in a value.
func ParseGrubenv(data []byte, name string) (map[string]string, error) {
	const header = "# GRUB Environment Block\n"
	if !strings.HasPrefix(string(data), header) {
		return nil, fmt.Errorf("%s: not a GRUB environment block (no %q header)", name, strings.TrimSpace(header))
	}
	env := map[string]string{}
	for i, line := range strings.Split(string(data[len(header):]), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s: line %d: %q is not NAME=VALUE", name, i+2, line)
		}
		env[k] = strings.NewReplacer(`\\`, `\`, `\n`, "\n").Replace(v)
	}
	return env, nil
}

// ParseShellAssignments reads KEY=VALUE lines of a file written for the shell
// (/etc/default/grub) without running it: single and double quotes are
// removed, comments and lines that are not assignments are skipped. A value
// that uses $ expansion is returned as written.
func ParseShellAssignments(r io.Reader) (map[string]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(line, "export ")
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t$") {
			continue
		}
		out[k] = unquoteShell(v)
	}
	return out, nil
}

func unquoteShell(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\'':
			j := strings.IndexByte(v[i+1:], '\'')
			if j < 0 {
				b.WriteString(v[i+1:])
				return b.String()
			}
			b.WriteString(v[i+1 : i+1+j])
			i += j + 1
		case '"':
			i++
			for ; i < len(v) && v[i] != '"'; i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				b.WriteByte(v[i])
			}
		case '#':
			if i > 0 && (v[i-1] == ' ' || v[i-1] == '\t') {
				return strings.TrimSpace(b.String())
			}
			b.WriteByte(c)
		case ' ', '\t':
			// An unquoted blank ends the value ("X=1 # comment").
			return b.String()
		case '\\':
			if i+1 < len(v) {
				i++
				b.WriteByte(v[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
