//go:build race

package initrd

// raceEnabled: the race detector changes what allocates (its sync.Pool
// drops items at random), so allocation bounds are checked without it.
const raceEnabled = true
