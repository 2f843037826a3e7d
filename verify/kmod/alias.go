package kmod

import "sort"

// aliasIndex finds the patterns that match a modalias without trying all of
// them: a real modules.alias has ~30,000 patterns, and a pattern can only
// match strings that start with its literal prefix (the bytes before its first
// glob character). Patterns are grouped by that prefix; a lookup tries the
// groups of each prefix of the modalias, len(modalias)+1 map lookups, and runs
// fnmatch only on the few patterns whose prefix is really there.
type aliasIndex struct {
	byPrefix map[string][]aliasEntry
	n        int
}

type aliasEntry struct {
	pattern string // normalised (alias_normalize)
	module  string // normalised module name
}

func newAliasIndex() *aliasIndex {
	return &aliasIndex{byPrefix: make(map[string][]aliasEntry)}
}

func (a *aliasIndex) add(pattern, module string) {
	pattern = normalizeAlias(pattern)
	prefix := literalPrefix(pattern)
	a.byPrefix[prefix] = append(a.byPrefix[prefix], aliasEntry{pattern, module})
	a.n++
}

// lookup returns the sorted, distinct modules whose pattern matches modalias.
func (a *aliasIndex) lookup(modalias string) []string {
	modalias = normalizeAlias(modalias)
	seen := map[string]bool{}
	var out []string
	for i := 0; i <= len(modalias); i++ {
		for _, e := range a.byPrefix[modalias[:i]] {
			if seen[e.module] {
				continue
			}
			if len(e.pattern) == i {
				// No glob at all: the prefix is the whole pattern.
				if i != len(modalias) {
					continue
				}
			} else if !fnmatch(e.pattern, modalias) {
				continue
			}
			seen[e.module] = true
			out = append(out, e.module)
		}
	}
	sort.Strings(out)
	return out
}
