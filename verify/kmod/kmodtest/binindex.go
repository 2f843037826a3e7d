package kmodtest

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"strings"
)

// BinIndex encodes entries (key -> values, priority by position) in
// libkmod's binary index format, as depmod writes modules.dep.bin and
// modules.alias.bin: a 12-byte header (magic 0xB007F457, version 2.1, root
// offset), then path-compressed trie nodes, children before their parent.
func BinIndex(entries map[string][]string) []byte {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Write(make([]byte, 12))
	var root uint32
	if len(keys) > 0 {
		root = binNode(&b, keys, 0, entries)
	}
	out := b.Bytes()
	binary.BigEndian.PutUint32(out, 0xB007F457)
	binary.BigEndian.PutUint32(out[4:], 0x00020001)
	binary.BigEndian.PutUint32(out[8:], root)
	return out
}

// binNode writes the node for keys (sorted, sharing their first depth
// bytes) and returns its offset with its flags.
func binNode(b *bytes.Buffer, keys []string, depth int, entries map[string][]string) uint32 {
	prefix := keys[0][depth:]
	for _, k := range keys[1:] {
		s := k[depth:]
		n := 0
		for n < len(prefix) && n < len(s) && prefix[n] == s[n] {
			n++
		}
		prefix = prefix[:n]
	}
	end := depth + len(prefix)
	var here []string
	children := map[byte]uint32{}
	for i := 0; i < len(keys); {
		if len(keys[i]) == end {
			here = entries[keys[i]]
			i++
			continue
		}
		c := keys[i][end]
		j := i
		for j < len(keys) && len(keys[j]) > end && keys[j][end] == c {
			j++
		}
		children[c] = binNode(b, keys[i:j], end+1, entries)
		i = j
	}
	off := uint32(b.Len())
	if prefix != "" {
		off |= 0x80000000
		b.WriteString(prefix)
		b.WriteByte(0)
	}
	if len(children) > 0 {
		off |= 0x20000000
		first, last := byte(255), byte(0)
		for c := range children {
			first, last = min(first, c), max(last, c)
		}
		b.WriteByte(first)
		b.WriteByte(last)
		for c := int(first); c <= int(last); c++ {
			binary.Write(b, binary.BigEndian, children[byte(c)])
		}
	}
	if len(here) > 0 {
		off |= 0x40000000
		binary.Write(b, binary.BigEndian, uint32(len(here)))
		for i, v := range here {
			binary.Write(b, binary.BigEndian, uint32(i))
			b.WriteString(v)
			b.WriteByte(0)
		}
	}
	return off
}

// DepBin encodes modules.dep lines ("kernel/a/x.ko: kernel/b/y.ko") as
// depmod's modules.dep.bin: each keyed by its module's name.
func DepBin(lines []string) []byte {
	entries := map[string][]string{}
	for _, l := range lines {
		path, _, _ := strings.Cut(l, ":")
		name := path[strings.LastIndexByte(path, '/')+1:]
		name, _, _ = strings.Cut(name, ".")
		entries[strings.ReplaceAll(name, "-", "_")] = []string{l}
	}
	return BinIndex(entries)
}

// AliasBin encodes modules.alias lines without the "alias " keyword
// ("PATTERN MODULE") as depmod's modules.alias.bin: each pattern
// normalised as kmod's alias_normalize does ('-' to '_' outside brackets),
// the patterns it rejects (a ']' outside brackets, a '[' never closed) left
// out with depmod's warning, a module listed once per pattern, priority by
// position.
func AliasBin(lines []string) []byte {
	entries := map[string][]string{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		key, ok := aliasNormalize(f[0])
		if !ok || slices.Contains(entries[key], f[1]) {
			continue
		}
		entries[key] = append(entries[key], f[1])
	}
	return BinIndex(entries)
}

// aliasNormalize is kmod's alias_normalize (shared/util.c).
func aliasNormalize(s string) (string, bool) {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '-':
			b[i] = '_'
		case ']':
			return "", false
		case '[':
			for i < len(b) && b[i] != ']' {
				i++
			}
			if i == len(b) {
				return "", false
			}
		}
	}
	return string(b), true
}
