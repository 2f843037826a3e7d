package verify

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Progress says what a running Check or Audit is doing, for the caller that
// bounds it in time (hook.Bounded): when a read hangs (a /boot on a dead
// NFS server, a FIFO where an initrd should be), the goroutine blocked in
// read(2) cannot be cancelled, and the process must end with a message that
// says what it was waiting for. Safe for concurrent use.
type Progress struct {
	doing atomic.Pointer[string]
}

type progressKey struct{}

// WithProgress returns ctx carrying a new Progress, which Check and Audit
// update at every step that reads something.
func WithProgress(ctx context.Context) (context.Context, *Progress) {
	p := &Progress{}
	return context.WithValue(ctx, progressKey{}, p), p
}

// Doing is the last step started ("reading the initrd /boot/initrd.img-6.1.0-57-amd64"),
// "" before the first.
func (p *Progress) Doing() string {
	if p == nil {
		return ""
	}
	if s := p.doing.Load(); s != nil {
		return *s
	}
	return ""
}

// step records the step ctx's check is starting, when ctx carries a Progress.
func step(ctx context.Context, format string, a ...any) {
	if p, ok := ctx.Value(progressKey{}).(*Progress); ok {
		s := fmt.Sprintf(format, a...)
		p.doing.Store(&s)
	}
}

// interrupted is the message of a check or audit whose context ended: the
// cause (a time bound, a signal) when the caller gave one.
func interrupted(ctx context.Context) error {
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return ctx.Err()
}
