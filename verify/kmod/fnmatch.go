package kmod

// This file holds the glob matcher for alias patterns. kmod calls
// fnmatch(pattern, modalias, 0): '*' matches any run of bytes including '/',
// '?' any one byte, "[...]" a set ("[!...]" or "[^...]" its complement, a ']'
// right after the opening bracket is a member, "a-z" a range), and a backslash
// makes the next byte literal. An unterminated '[' is a literal '['.

// normalizeAlias folds '-' to '_' outside bracket expressions, as kmod's
// alias_normalize does to both the patterns it indexes and the modalias it
// looks up, so "fs-ext4" and "fs_ext4" are the same alias.
func normalizeAlias(s string) string {
	b := []byte(s)
	inBracket := false
	changed := false
	for i := 0; i < len(b); i++ {
		switch {
		case inBracket:
			if b[i] == ']' {
				inBracket = false
			}
		case b[i] == '[':
			inBracket = true
		case b[i] == '-':
			b[i] = '_'
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(b)
}

// literalPrefix is the part of a pattern before its first special byte: every
// string the pattern matches starts with it.
func literalPrefix(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*', '?', '[', '\\':
			return pattern[:i]
		}
	}
	return pattern
}

// fnmatch reports whether s matches the glob pattern, with fnmatch(3)'s
// semantics for flags 0. It runs in O(len(pattern)*len(s)) at worst: on a
// mismatch after '*' it retries from the last star only, never recursing.
func fnmatch(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, -1
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				// Collapse runs of stars; remember where to resume.
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starI = p, i
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if ok, next, valid := matchBracket(pattern, p, s[i]); valid {
					if ok {
						p = next
						i++
						continue
					}
				} else if s[i] == '[' { // unterminated: a literal '['
					p++
					i++
					continue
				}
			case '\\':
				if p+1 < len(pattern) {
					if pattern[p+1] == s[i] {
						p += 2
						i++
						continue
					}
				} else if s[i] == '\\' { // trailing backslash matches itself
					p++
					i++
					continue
				}
			default:
				if c == s[i] {
					p++
					i++
					continue
				}
			}
		}
		// Mismatch: let the last star swallow one more byte, or fail.
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchBracket matches byte c against the bracket expression starting at
// pattern[p] == '['. It returns whether c is in the set, the index after the
// closing ']', and whether the expression is terminated at all.
func matchBracket(pattern string, p int, c byte) (matched bool, next int, valid bool) {
	i := p + 1
	negate := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(pattern) {
		lo := pattern[i]
		if lo == ']' && !first {
			return matched != negate, i + 1, true
		}
		first = false
		if lo == '\\' && i+1 < len(pattern) {
			i++
			lo = pattern[i]
		}
		i++
		hi := lo
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			hi = pattern[i+1]
			i += 2
			if hi == '\\' && i < len(pattern) {
				hi = pattern[i]
				i++
			}
		}
		if lo <= c && c <= hi {
			matched = true
		}
	}
	return false, 0, false
}
