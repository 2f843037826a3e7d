package initrd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"syscall"
	"testing"
)

// failAfter reads r, then fails with errno once n bytes are read: a disk
// that breaks under /boot in the middle of an image.
type failAfter struct {
	r     io.Reader
	n     int
	errno syscall.Errno
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.errno
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// issue 17 item 3: a read error in the middle of an image is an error that
// says so (errors.Is holds), never a whole image and never a truncated one
// (which would be a verdict on the file, not on the disk).
func TestReadFaultMidImage(t *testing.T) {
	img := archive(dir("usr"), file("usr/init", "#!/bin/sh\n"), file("lib/modules/x", string(bytes.Repeat([]byte("m"), 4096))), trailerEnt())
	for _, data := range [][]byte{img, gz(t, img)} {
		for _, errno := range []syscall.Errno{syscall.EIO, syscall.EACCES} {
			for _, at := range []int{0, 100, len(data) / 2, len(data) - 1} {
				im, err := Read(context.Background(), &failAfter{bytes.NewReader(data), at, errno}, Options{})
				if !errors.Is(err, errno) {
					t.Errorf("%v after %d of %d bytes: image %v, error %v; want the error", errno, at, len(data), im != nil, err)
				}
			}
		}
	}
}
