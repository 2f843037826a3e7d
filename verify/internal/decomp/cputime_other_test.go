//go:build !unix

package decomp

import "time"

// cpuTime is not measured off Unix: BenchmarkImage's cpu-ns/op reads 0.
func cpuTime() time.Duration { return 0 }
