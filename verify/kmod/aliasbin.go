package kmod

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
)

// This file answers alias lookups from modules.alias.bin, the trie of the
// same aliases that depmod writes next to modules.alias and that libkmod
// itself reads (kmod_lookup_alias_from_alias_bin): a lookup walks the
// trie along the modalias instead of Load parsing modules.alias's ~26,000
// lines into a table (issue 16 item 3: that parse was most of verify's own
// cost). Its keys are the alias patterns, normalised as alias_normalize
// does ('-' folded to '_' outside brackets), and its values the module
// names. The answers are those of the text table (aliasIndex), wildcard
// patterns included: Load reads modules.alias instead whenever the .bin is
// missing, unreadable or fails the whole-file check below, so a corrupt
// .bin never answers a lookup.

// fileAliasBin is modules.alias's binary twin, in the modules directory.
const fileAliasBin = "modules.alias.bin"

// aliasesFromBin makes ix answer modules.alias's lookups from
// modules.alias.bin, when modules.alias is there too (it stays required, as
// when it is read) and the .bin reads whole and passes check. It reports
// whether it did; false: Load reads modules.alias.
func (ix *Index) aliasesFromBin(root fs.FS) bool {
	if _, err := fs.Stat(root, path.Join(ix.dir, fileAlias)); err != nil {
		return false // read's open of modules.alias reports it
	}
	x, err := readCheckedBinIndex(root, path.Join(ix.dir, fileAliasBin))
	if err != nil {
		ix.aliasBinErr = err
		return false
	}
	ix.aliasBin = x
	return true
}

// readCheckedBinIndex reads the binary index at p whole (at most
// maxIndexFile bytes) and checks every node of it.
func readCheckedBinIndex(root fs.FS, p string) (*BinIndex, error) {
	f, err := root.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 && fi.Size() <= maxIndexFile {
		size = int(fi.Size())
	}
	data := make([]byte, 0, size+1) // +1: io.ReadAll's EOF probe without a copy
	data, err = readAllInto(io.LimitReader(f, maxIndexFile+1), data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(data) > maxIndexFile {
		return nil, fmt.Errorf("%s: larger than %d MiB: not a module index", p, maxIndexFile>>20)
	}
	x, err := ParseBinIndex(data)
	if err == nil {
		err = x.check()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return x, nil
}

// readAllInto is io.ReadAll into buf's spare capacity.
func readAllInto(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// check reads every node the root reaches, once each, with what a lookup
// reads of it (prefix, child range and offsets, value list), and fails on
// the first one out of the file or malformed, a node reached twice (a loop,
// or a shared subtree depmod never writes) and a key longer than binMaxKey.
// An index that passes cannot make a lookup fail: matchAliases visits only
// such nodes. It allocates a bit per byte of the file (a word per 64) and a stack,
// nothing per node.
func (x *BinIndex) check() error {
	seen := make([]uint64, len(x.data)/64+1)
	type item struct {
		off   uint32
		depth int
	}
	stack := []item{{x.root, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, ok, err := x.raw(it.off)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		pos := it.off & binNodeMask
		if seen[pos/64]&(1<<(pos%64)) != 0 {
			return fmt.Errorf("%w: node at %d is reached twice (a loop)", ErrBinIndexCorrupt, pos)
		}
		seen[pos/64] |= 1 << (pos % 64)
		depth := it.depth + len(n.prefix)
		if depth > binMaxKey {
			return fmt.Errorf("%w: a key is longer than %d bytes", ErrBinIndexCorrupt, binMaxKey)
		}
		if n.valPos >= 0 {
			if err := x.eachValue(n.valPos, func(uint32, []byte) {}); err != nil {
				return fmt.Errorf("node at %d: %w", pos, err)
			}
		}
		for c := n.first; c <= n.last; c++ {
			if co := n.child(c); co&binNodeMask != 0 {
				stack = append(stack, item{co, depth + 1})
			}
		}
	}
	return nil
}

// eachValue calls fn with the priority and string of each value of the
// value list at pos, in file order, without copying the string. A corrupt
// count cannot make it loop past the file: each value takes 5 bytes.
func (x *BinIndex) eachValue(pos int, fn func(prio uint32, v []byte)) error {
	if pos+4 > len(x.data) {
		return fmt.Errorf("%w: value count past the end", ErrBinIndexCorrupt)
	}
	count := binary.BigEndian.Uint32(x.data[pos:])
	pos += 4
	if uint64(count)*5 > uint64(len(x.data)-pos) {
		return fmt.Errorf("%w: %d values cannot fit in the file", ErrBinIndexCorrupt, count)
	}
	for range count {
		if pos+4 > len(x.data) {
			return fmt.Errorf("%w: value past the end", ErrBinIndexCorrupt)
		}
		prio := binary.BigEndian.Uint32(x.data[pos:])
		pos += 4
		end := pos
		for end < len(x.data) && end-pos <= binMaxKey && x.data[end] != 0 {
			end++
		}
		if end == len(x.data) || end-pos > binMaxKey {
			return fmt.Errorf("%w: string at %d has no end within %d bytes", ErrBinIndexCorrupt, pos, binMaxKey)
		}
		fn(prio, x.data[pos:end])
		pos = end + 1
	}
	return nil
}

// isGlob reports whether c starts the glob part of a pattern, as
// literalPrefix ends a pattern's literal part: the text table tries a
// pattern with fnmatch from its first such byte on, and so does
// matchAliases. (libkmod's own search branches only on '*', '?' and '[';
// no real alias holds a backslash.)
func isGlob(c byte) bool { return c == '*' || c == '?' || c == '[' || c == '\\' }

// matchAliases appends to out the module (normalised) of every key that
// matches modalias (normalised): a key without glob bytes when it equals
// modalias, one with them when its literal prefix starts modalias and
// fnmatch(key, modalias) holds. It walks the trie along modalias and, at
// each point where a key's glob part starts (in a node's prefix or as a
// child byte), tries every key below with fnmatch, as libkmod's
// index_mm_searchwild does. Names may repeat. x must have passed check.
func (x *BinIndex) matchAliases(modalias string, out []string) ([]string, error) {
	key := make([]byte, 0, 128)
	off, i := x.root, 0
	for {
		n, ok, err := x.raw(off)
		if !ok || err != nil {
			return out, err
		}
		for j, c := range n.prefix {
			if isGlob(c) {
				return x.globBelow(n, append(key, n.prefix...), modalias, out)
			}
			if i+j >= len(modalias) || c != modalias[i+j] {
				return out, nil
			}
		}
		key = append(key, n.prefix...)
		i += len(n.prefix)
		for _, g := range []byte{'*', '?', '[', '\\'} {
			if co := n.child(int(g)); co&binNodeMask != 0 {
				if out, err = x.globFrom(co, append(key, g), modalias, out); err != nil {
					return out, err
				}
			}
		}
		if i == len(modalias) {
			if n.valPos < 0 {
				return out, nil
			}
			return out, x.eachValue(n.valPos, func(_ uint32, v []byte) { out = append(out, Normalize(string(v))) })
		}
		if isGlob(modalias[i]) {
			return out, nil // a key with that byte there was tried above
		}
		key = append(key, modalias[i])
		off = n.child(int(modalias[i]))
		i++
	}
}

// globFrom reads the node at off, whose key so far (its prefix not yet
// added) is key, and tries every key at and below it (globBelow).
func (x *BinIndex) globFrom(off uint32, key []byte, modalias string, out []string) ([]string, error) {
	n, ok, err := x.raw(off)
	if !ok || err != nil {
		return out, err
	}
	return x.globBelow(n, append(key, n.prefix...), modalias, out)
}

// globBelow tries the key of node n (key, its prefix included) and every
// key below it against modalias with fnmatch. check bounds the depth of
// this recursion by binMaxKey.
func (x *BinIndex) globBelow(n rawNode, key []byte, modalias string, out []string) ([]string, error) {
	var err error
	if n.valPos >= 0 && fnmatch(string(key), modalias) {
		err = x.eachValue(n.valPos, func(_ uint32, v []byte) { out = append(out, Normalize(string(v))) })
	}
	for c := n.first; c <= n.last && err == nil; c++ {
		if co := n.child(c); co&binNodeMask != 0 {
			out, err = x.globFrom(co, append(key, byte(c)), modalias, out)
		}
	}
	return out, err
}
