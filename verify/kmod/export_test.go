package kmod

// AliasesFromBin reports whether ix answers modules.alias's lookups from
// modules.alias.bin, and why not when it does not.
func AliasesFromBin(ix *Index) (bool, error) { return ix.aliasBin != nil, ix.aliasBinErr }

// NormalizeAlias is alias_normalize, for tests comparing patterns.
func NormalizeAlias(s string) string { return normalizeAlias(s) }

// CheckBinIndex and MatchAliases expose the alias search of modules.alias.bin.
func CheckBinIndex(x *BinIndex) error { return x.check() }

func MatchAliases(x *BinIndex, modalias string) ([]string, error) {
	return x.matchAliases(modalias, nil)
}
