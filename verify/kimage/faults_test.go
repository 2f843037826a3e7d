package kimage_test

import (
	"errors"
	"io"
	"syscall"
	"testing"

	"github.com/boot-guard/boot-guard/verify/kimage"
	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

// failingAt is a kernel image on a disk that fails with errno at and past
// byte off (a bad sector under /boot).
type failingAt struct {
	data  []byte
	off   int64
	errno syscall.Errno
}

func (f failingAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.off {
		return 0, f.errno
	}
	if off >= int64(len(f.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// issue 17 item 3: a read error on the kernel image is that error, never
// "unrecognized" (a verdict on the file) nor a header read from half of it.
func TestReadFaults(t *testing.T) {
	for name, img := range map[string][]byte{
		"bzImage": kimagetest.BzImage("6.1.0-18-amd64"),
		"zboot":   kimagetest.Zboot(0xaa64, "gzip"),
	} {
		for _, errno := range []syscall.Errno{syscall.EIO, syscall.EACCES} {
			for _, off := range []int64{0, 0x200, 0x1000} {
				_, err := kimage.Read(failingAt{img, off, errno}, int64(len(img)))
				if err != nil && (errors.Is(err, kimage.ErrUnrecognized) || !errors.Is(err, errno)) {
					t.Errorf("%s, %v at %#x: %v: want the read error, not a verdict on the file", name, errno, off, err)
				}
				if off == 0 && err == nil {
					t.Errorf("%s, %v at 0: no error", name, errno)
				}
			}
		}
	}
}
