package verify

import "github.com/boot-guard/boot-guard/verify/kmod"

// nearNames returns up to three module names within two edits of name, for
// "did you mean".
func (r *resolver) nearNames(name string) []string {
	n := kmod.Normalize(name)
	var out []string
	for _, m := range r.ix.Names() {
		if editDistance(n, m, 2) <= 2 {
			out = append(out, m)
			if len(out) == 3 {
				break
			}
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b, or limit+1 when it
// is larger than limit (cheap: most names differ in length already).
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
