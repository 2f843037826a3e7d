//go:build !race

package initrd

const raceEnabled = false
