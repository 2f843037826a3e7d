//go:build race

package decomp

// raceEnabled thins the per-byte truncation and flip loops under the race
// detector (make test), which runs them about ten times slower; plain
// go test keeps them dense.
const raceEnabled = true
