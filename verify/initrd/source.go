package initrd

import (
	"errors"
	"io"
)

// stream is a byte stream that knows its offset: the image itself or the
// decompressed bytes of one member, both read through decomp.Source (whose
// errors are sticky: once a read fails, every later one fails the same way).
type stream interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	Read(p []byte) (int, error)
	Offset() int64
}

// ioRecorder remembers the first error of the underlying reader other than
// io.EOF, so a failure to read the file is told apart from a problem of the
// image (which is data, not an error).
type ioRecorder struct {
	r   io.Reader
	err error
	n   int64
}

func (r *ioRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// errTooLarge is returned by budget once the decompressed bytes exceed the
// limit.
var errTooLarge = errors.New("decompressed size limit reached")

// budget counts the decompressed bytes of all members of one read.
type budget struct {
	used, max int64
}

// limited reads r while charging b; past the limit it fails with errTooLarge.
// Its errors are sticky.
type limited struct {
	r   io.Reader
	b   *budget
	err error
}

func (l *limited) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.b.used >= l.b.max {
		// One byte more tells "exactly at the limit" from "over it".
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			err = errTooLarge
		}
		l.err = err
		return 0, err
	}
	if rem := l.b.max - l.b.used; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.b.used += int64(n)
	l.err = err
	return n, err
}
