package bootentry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// scanGrub reads grub.cfg, grubenv and /etc/default/grub, appends GRUB's
// entries and sets the default if grub.cfg exists.
func scanGrub(m *Menu, l Layout) bool {
	cfgPath := filepath.Join(l.Root, filepath.FromSlash(grubCfgFile))
	f, err := os.Open(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	m.GrubConfig = cfgPath
	if err != nil {
		m.Unknown = append(m.Unknown, fmt.Sprintf("read grub.cfg: %v", err))
		return true
	}
	cfg, err := ParseGrubConfig(f, cfgPath)
	f.Close()
	if err != nil {
		m.Unknown = append(m.Unknown, err.Error())
		return true
	}
	m.GrubDefault = readGrubDefault(m, l)
	env, envErr := readGrubenv(m, l)

	var paths [][]int
	flattenGrub(cfg.Items, nil, nil, l, cfgPath, &m.Entries, &paths)

	def, from, oneShot := grubBootDefault(cfg, env)
	m.OneShot = oneShot
	if envErr != nil && (strings.Contains(from, "grubenv") || cfg.UsesNextEntry) {
		// issue 17 item 3: a grubenv that exists but cannot be read (EIO)
		// leaves saved_entry and next_entry unknown, so is the default:
		// not silently the first entry. (A garbled one GRUB ignores too.)
		m.DefaultFrom = "unknown: " + envErr.Error()
		return true
	}
	if strings.Contains(def, "$") {
		m.Unknown = append(m.Unknown, fmt.Sprintf("grub.cfg's default %q uses a variable boot-guard does not expand", def))
		m.DefaultFrom = from
		return true
	}
	setGrubDefault(m, cfg, paths, def, from)
	return true
}

// readGrubDefault returns GRUB_DEFAULT from /etc/default/grub, then
// /etc/default/grub.d/*.cfg in order, as grub-mkconfig sources them (cloud
// images set GRUB_DEFAULT there): the last one set, "" when none is.
func readGrubDefault(m *Menu, l Layout) string {
	grubDefault := ""
	for _, name := range grubDefaultFiles(l.Root) {
		dg, err := os.Open(name)
		if err != nil {
			continue
		}
		vals, err := ParseShellAssignments(dg)
		dg.Close()
		if err != nil {
			m.Unknown = append(m.Unknown, fmt.Sprintf("read %s: %v", name, err))
		}
		if v, ok := vals["GRUB_DEFAULT"]; ok {
			grubDefault = v
		}
	}
	return grubDefault
}

// readGrubenv returns grubenv's variables; nil when it is missing or
// unreadable, or garbled (GRUB's load_env ignores such a block too). A
// read error, noted in m.Unknown, is also returned: then the variables are
// unknown, not absent.
func readGrubenv(m *Menu, l Layout) (map[string]string, error) {
	envPath := filepath.Join(l.Root, filepath.FromSlash(grubenvFile))
	data, err := readCapped(envPath, 64<<10)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		err = fmt.Errorf("read grubenv: %w", err)
		m.Unknown = append(m.Unknown, err.Error())
		return nil, err
	}
	env, err := ParseGrubenv(data, envPath)
	if err != nil {
		m.Unknown = append(m.Unknown, err.Error())
	}
	return env, nil
}

// grubBootDefault is the default as grub.cfg's header computes it at boot:
// the entry named, where the name came from, and whether it is grub-reboot's
// one-shot next_entry.
func grubBootDefault(cfg *GrubConfig, env map[string]string) (def, from string, oneShot bool) {
	def, from = "0", "GRUB's built-in default (no 'set default' in grub.cfg)"
	if len(cfg.Defaults) > 0 {
		def = cfg.Defaults[len(cfg.Defaults)-1]
		from = fmt.Sprintf("grub.cfg set default=%q", def)
	}
	if def == "${saved_entry}" || def == "$saved_entry" {
		def = env["saved_entry"]
		from = fmt.Sprintf("grubenv saved_entry=%q", def)
		if def == "" {
			def = "0"
			from = "grubenv has no saved_entry: GRUB boots the first entry"
		}
	}
	if ne := env["next_entry"]; ne != "" && cfg.UsesNextEntry {
		return ne, fmt.Sprintf("grubenv next_entry=%q (grub-reboot: the next boot only)", ne), true
	}
	return def, from, false
}

// setGrubDefault points m.Default at the entry def selects (paths holds each
// entry's menu path) and notes a default that matches nothing or disagrees
// with /etc/default/grub.
func setGrubDefault(m *Menu, cfg *GrubConfig, paths [][]int, def, from string) {
	path, ok := ResolveGrubDefault(cfg.Items, def)
	if !ok {
		m.Notes = append(m.Notes, fmt.Sprintf("the default %q (%s) matches no menu entry: GRUB boots the first entry instead", def, from))
	}
	for i, p := range paths {
		if slices.Equal(p, path) {
			m.Default = i
		}
	}
	m.DefaultFrom = from
	if m.Default < 0 && len(m.Entries) > 0 {
		m.Unknown = append(m.Unknown, fmt.Sprintf("the default %q leads to an empty submenu", def))
	}
	if m.GrubDefault != "" && m.GrubDefault != "saved" && len(cfg.Defaults) > 0 && cfg.Defaults[len(cfg.Defaults)-1] != m.GrubDefault {
		m.Notes = append(m.Notes, fmt.Sprintf("/etc/default/grub says GRUB_DEFAULT=%s but grub.cfg says default=%s: run update-grub", m.GrubDefault, cfg.Defaults[len(cfg.Defaults)-1]))
	}
}

func flattenGrub(items []GrubItem, idx []int, sel []string, l Layout, cfgPath string, out *[]Entry, paths *[][]int) {
	for i, it := range items {
		p := append(append([]int(nil), idx...), i)
		name := it.ID
		if name == "" {
			name = it.Title
		}
		s := append(append([]string(nil), sel...), name)
		if it.IsMenu {
			flattenGrub(it.Submenu, p, s, l, cfgPath, out, paths)
			continue
		}
		e := Entry{
			Loader:    LoaderGRUB,
			Kind:      KindLinux,
			Title:     it.Title,
			ID:        it.ID,
			Selector:  strings.Join(s, ">"),
			MenuPath:  joinInts(p),
			KernelRaw: it.Linux,
			Cmdline:   it.Args,
			Source:    fmt.Sprintf("%s:%d", cfgPath, it.Line),
		}
		if it.Other != "" || it.Linux == "" || !isLinuxKernelPath(it.Linux) {
			e.Kind = KindOther
		}
		if e.Kind == KindLinux {
			e.Version = VersionFromKernelPath(it.Linux)
			var why string
			e.Kernel, why = l.grubPath(it.Linux, it.SearchUUID)
			if why != "" {
				e.Unresolved = why
			}
			for _, raw := range it.Initrds {
				e.InitrdsRaw = append(e.InitrdsRaw, raw)
				hp, why := l.grubPath(raw, it.SearchUUID)
				if why != "" {
					e.Unresolved = why
					continue
				}
				e.Initrds = append(e.Initrds, hp)
			}
		}
		*out = append(*out, e)
		*paths = append(*paths, p)
	}
}

func joinInts(p []int) string {
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ">")
}
