package hook

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/boot-guard/boot-guard/verify"
)

// DefaultTimeout bounds a check when TIMEOUT is not set: long enough for the
// largest initrd on a slow disk (a 500 MB dracut image reads in seconds), short
// enough that dpkg is never held for long by a /boot on a dead NFS server.
const DefaultTimeout = 120 * time.Second

// Grace is how long a check whose context has ended (its time is up, or a
// SIGTERM) may take to wind up, print its cannot-tell report and write its
// files, before Bounded stops waiting for it. The whole run ends within the
// time bound plus Grace.
const Grace = 2 * time.Second

// limitError is the cause of a context that ran out of time: verify's
// "interrupted" problem and Bounded's message both print it.
type limitError struct{ limit time.Duration }

func (e *limitError) Error() string {
	return fmt.Sprintf("no verdict within the time bound of %s (TIMEOUT in %s, or --timeout)", e.limit, ConfigPath)
}

// TimeoutError is a bounded function that had not returned Grace after its
// context ended: it is blocked where nothing can cancel it (read(2) on a hung
// mount, open(2) of a FIFO with no writer).
type TimeoutError struct {
	// Cause is why the context ended: the time bound, or a signal.
	Cause error
	// Doing is what the check was doing (verify.Progress), "" if unknown.
	Doing string
}

func (e *TimeoutError) Error() string {
	if e.Doing == "" {
		return fmt.Sprintf("%v; still waiting (a hung mount or a file that never ends?)", e.Cause)
	}
	return fmt.Sprintf("%v; still waiting for: %s (a hung mount or a file that never ends?)", e.Cause, e.Doing)
}

// Bounded runs f with a context that ends after limit (0: never) and carries
// a verify.Progress. It returns f's result, or a *TimeoutError when f has not
// returned Grace after that context ended (its time was up, or ctx itself
// ended: a signal). The verdict path is context-aware: verify stops at its
// next step and reports cannot-tell. What is not (a goroutine blocked in a
// read) keeps running after Bounded returns, so the caller must not wait for
// it: the CLI returns its exit code and main exits the process, which ends it.
func Bounded[T any](ctx context.Context, limit time.Duration, f func(context.Context) T) (T, error) {
	ctx, progress := verify.WithProgress(ctx)
	cancel := context.CancelFunc(func() {})
	if limit > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, limit, &limitError{limit})
	}
	defer cancel()
	done := make(chan T, 1) // buffered: a late f never blocks on it
	go func() { done <- f(ctx) }()
	select {
	case v := <-done:
		return v, nil
	case <-ctx.Done():
	}
	grace := time.NewTimer(Grace)
	defer grace.Stop()
	select {
	case v := <-done:
		return v, nil
	case <-grace.C:
		var zero T
		return zero, &TimeoutError{Cause: context.Cause(ctx), Doing: progress.Doing()}
	}
}

// Gate is a writer that can be shut: after Bounded gave up on a check, the
// late goroutine (if its read ever returns) must not print a second verdict
// after the cannot-tell already printed.
type Gate struct {
	mu   sync.Mutex
	w    io.Writer
	shut bool
}

// NewGate returns an open Gate to w.
func NewGate(w io.Writer) *Gate { return &Gate{w: w} }

func (g *Gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return len(p), nil
	}
	return g.w.Write(p)
}

// Shut shuts g and returns the writer behind it, for the caller's last words.
func (g *Gate) Shut() io.Writer {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
	return g.w
}
