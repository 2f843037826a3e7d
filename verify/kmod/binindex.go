package kmod

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// libkmod's binary index format (libkmod-index.c; depmod writes it as
// modules.dep.bin, modules.alias.bin, modules.symbols.bin,
// modules.builtin.bin, modules.builtin.alias.bin). Integers are 32-bit
// big-endian. The file starts with the magic, the version (major in the high
// 16 bits; libkmod refuses any major but 2) and the offset of the root node.
// A node offset carries flags in its top bits, saying which parts the node
// at (offset & binNodeMask) has, in this order: a NUL-terminated prefix (the
// path-compressed rest of the key), a child range (first and last byte, then
// last-first+1 child offsets, 0 for none), and values (a count, then for
// each a priority and a NUL-terminated string). A key is the characters
// from the root down: each node's prefix, then the byte that chose the child.
const (
	BinIndexMagic        = 0xB007F457
	BinIndexVersionMajor = 2

	binNodePrefix   = 0x80000000
	binNodeValues   = 0x40000000
	binNodeChildren = 0x20000000
	binNodeMask     = 0x0FFFFFFF

	// binMaxKey bounds a key (and so the depth of a walk); real keys
	// (modaliases, symbol names, module names) are far shorter.
	binMaxKey = 4096
)

// BinValue is one value of a key, with its priority (lower comes first).
type BinValue struct {
	Priority uint32
	Value    string
}

// BinIndex is one binary index file, held whole in memory and read on demand.
// Its methods never read outside the data and return an error, never panic,
// on a corrupt file.
type BinIndex struct {
	data []byte
	root uint32
}

// ErrBinIndexCorrupt is wrapped by every error about a malformed index.
var ErrBinIndexCorrupt = errors.New("corrupt kmod binary index")

// ParseBinIndex checks the header of a binary index as libkmod's
// index_mm_open does (magic, major version) and that the root node lies in
// the file. The nodes are read by Lookup and Walk.
func ParseBinIndex(data []byte) (*BinIndex, error) {
	if len(data) < 12 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than its 12-byte header", ErrBinIndexCorrupt, len(data))
	}
	if m := binary.BigEndian.Uint32(data); m != BinIndexMagic {
		return nil, fmt.Errorf("%w: magic %#08x, not %#08x", ErrBinIndexCorrupt, m, uint32(BinIndexMagic))
	}
	if v := binary.BigEndian.Uint32(data[4:]); v>>16 != BinIndexVersionMajor {
		return nil, fmt.Errorf("%w: version %d.%d, libkmod reads only %d.x", ErrBinIndexCorrupt, v>>16, v&0xffff, BinIndexVersionMajor)
	}
	x := &BinIndex{data: data, root: binary.BigEndian.Uint32(data[8:])}
	if _, err := x.node(x.root); err != nil {
		return nil, fmt.Errorf("root node: %w", err)
	}
	return x, nil
}

// binNode is one decoded node.
type binNode struct {
	prefix      string
	first, last int // child range; first > last: no children
	children    []byte
	values      []BinValue
}

// child returns the offset of the child for byte c, 0 when none.
func (n *binNode) child(c int) uint32 { return childAt(n.children, n.first, n.last, c) }

func childAt(children []byte, first, last, c int) uint32 {
	if c < first || c > last {
		return 0
	}
	return binary.BigEndian.Uint32(children[4*(c-first):])
}

// rawNode is a node read in place, without copying or allocating: what
// the whole-file check (aliasbin.go) and the wildcard search need.
// valPos < 0: the node has no values.
type rawNode struct {
	prefix      []byte
	first, last int
	children    []byte
	valPos      int
}

func (n *rawNode) child(c int) uint32 { return childAt(n.children, n.first, n.last, c) }

// raw reads the node an offset (with its flags) points at; ok is false for
// offset 0 (no node), as libkmod treats it.
func (x *BinIndex) raw(off uint32) (n rawNode, ok bool, err error) {
	pos := int(off & binNodeMask)
	if pos == 0 {
		return n, false, nil
	}
	if pos < 12 || pos >= len(x.data) {
		return n, false, fmt.Errorf("%w: node offset %d outside the file (%d bytes)", ErrBinIndexCorrupt, pos, len(x.data))
	}
	n = rawNode{first: 1, last: 0, valPos: -1}
	if off&binNodePrefix != 0 {
		i := bytes.IndexByte(x.data[pos:min(len(x.data), pos+binMaxKey+1)], 0)
		if i < 0 {
			return n, false, fmt.Errorf("%w: string at %d has no end within %d bytes", ErrBinIndexCorrupt, pos, binMaxKey)
		}
		n.prefix, pos = x.data[pos:pos+i], pos+i+1
	}
	if off&binNodeChildren != 0 {
		if pos+2 > len(x.data) {
			return n, false, fmt.Errorf("%w: node at %d: child range past the end", ErrBinIndexCorrupt, off&binNodeMask)
		}
		n.first, n.last = int(x.data[pos]), int(x.data[pos+1])
		pos += 2
		if n.first > n.last {
			return n, false, fmt.Errorf("%w: node at %d: child range %d..%d is empty", ErrBinIndexCorrupt, off&binNodeMask, n.first, n.last)
		}
		end := pos + 4*(n.last-n.first+1)
		if end > len(x.data) {
			return n, false, fmt.Errorf("%w: node at %d: child offsets past the end", ErrBinIndexCorrupt, off&binNodeMask)
		}
		n.children, pos = x.data[pos:end], end
	}
	if off&binNodeValues != 0 {
		n.valPos = pos
	}
	return n, true, nil
}

// node decodes the node an offset (with its flags) points at; nil for
// offset 0 (no node), as libkmod treats it.
func (x *BinIndex) node(off uint32) (*binNode, error) {
	r, ok, err := x.raw(off)
	if !ok || err != nil {
		return nil, err
	}
	n := &binNode{prefix: string(r.prefix), first: r.first, last: r.last, children: r.children}
	if r.valPos >= 0 {
		if n.values, err = x.values(r.valPos); err != nil {
			return nil, fmt.Errorf("node at %d: %w", off&binNodeMask, err)
		}
	}
	return n, nil
}

// values decodes a node's value list at pos.
func (x *BinIndex) values(pos int) ([]BinValue, error) {
	var vals []BinValue
	err := x.eachValue(pos, func(prio uint32, v []byte) {
		vals = append(vals, BinValue{Priority: prio, Value: string(v)})
	})
	if err != nil {
		return nil, err
	}
	// libkmod's add_value keeps values sorted by priority, stable.
	sort.SliceStable(vals, func(i, j int) bool { return vals[i].Priority < vals[j].Priority })
	return vals, nil
}

// Lookup returns the values of key, lowest priority first, as libkmod's
// index_mm_search finds the node (exact match, no wildcards): ok is false
// when the index has no such key.
func (x *BinIndex) Lookup(key string) (vals []BinValue, ok bool, err error) {
	n, err := x.node(x.root)
	for i := 0; n != nil && err == nil; {
		if !strings.HasPrefix(key[i:], n.prefix) {
			return nil, false, nil
		}
		i += len(n.prefix)
		if i == len(key) {
			return n.values, len(n.values) > 0, nil
		}
		// Each step consumes at least one byte of key: this ends.
		n, err = x.node(n.child(int(key[i])))
		i++
	}
	return nil, false, err
}

// Walk calls fn for every key that has values, in byte order of the keys,
// as libkmod's index dump lists them. A node reached twice (a loop), a key
// longer than 4096 bytes or a corrupt node ends the walk with an error;
// so does an error fn returns.
func (x *BinIndex) Walk(fn func(key string, vals []BinValue) error) error {
	seen := map[uint32]bool{}
	var walk func(off uint32, key []byte) error
	walk = func(off uint32, key []byte) error {
		pos := off & binNodeMask
		if seen[pos] {
			return fmt.Errorf("%w: node at %d is reached twice (a loop)", ErrBinIndexCorrupt, pos)
		}
		seen[pos] = true
		n, err := x.node(off)
		if err != nil || n == nil {
			return err
		}
		key = append(key, n.prefix...)
		if len(key) > binMaxKey {
			return fmt.Errorf("%w: a key is longer than %d bytes", ErrBinIndexCorrupt, binMaxKey)
		}
		if len(n.values) > 0 {
			if err := fn(string(key), n.values); err != nil {
				return err
			}
		}
		for c := n.first; c <= n.last; c++ {
			if co := n.child(c); co&binNodeMask != 0 {
				if err := walk(co, append(key, byte(c))); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(x.root, nil)
}

// DepBinPaths reads a modules.dep.bin: the file path (relative to
// lib/modules/VERSION) of every module it lists, by module name. Its values
// are modules.dep lines ("kernel/x/y.ko: deps..."), keyed by the normalised
// name; libkmod finds a module's file, and so can load it, only through it.
func DepBinPaths(x *BinIndex) (map[string]string, error) {
	paths := map[string]string{}
	err := x.Walk(func(key string, vals []BinValue) error {
		p, _, ok := strings.Cut(vals[0].Value, ":")
		if !ok || strings.TrimSpace(p) == "" {
			return fmt.Errorf("%w: module %s: value %q is not a modules.dep line", ErrBinIndexCorrupt, key, vals[0].Value)
		}
		paths[Normalize(key)] = strings.TrimSpace(p)
		return nil
	})
	return paths, err
}
