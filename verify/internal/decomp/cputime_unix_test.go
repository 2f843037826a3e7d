//go:build unix

package decomp

import (
	"syscall"
	"time"
)

// cpuTime is the user+system time of this process so far (BenchmarkImage).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
