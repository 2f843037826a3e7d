package decomp

import (
	"errors"
	"fmt"
	"io"
)

// sourceBufSize is the Source's buffer: the most Peek can show at once. Every
// structure the walkers peek at (frame and block headers, lzop headers, the
// xz footer) is far smaller.
const sourceBufSize = 64 << 10

// ErrPeekTooLarge is returned by Peek for n beyond the Source's buffer.
var ErrPeekTooLarge = errors.New("decomp: peek larger than the source buffer")

// Source is a buffered reader over an image that knows the absolute offset of
// the next byte it returns. Decoders read from it through io.ByteReader or
// look ahead with Peek without consuming, so after a member the Source stands
// on the exact byte the kernel's decompressor stops at; nothing is ever read
// ahead and lost.
//
// A Source is not safe for concurrent use.
type Source struct {
	r    io.Reader
	buf  []byte
	rpos int   // next byte to return is buf[rpos]
	wpos int   // buf[rpos:wpos] is buffered
	off  int64 // absolute offset of buf[rpos]
	err  error // sticky error from r, returned once the buffer is drained
}

// NewSource returns a Source reading r from its current position, which it
// counts as offset 0.
func NewSource(r io.Reader) *Source {
	return &Source{r: r, buf: make([]byte, sourceBufSize)}
}

// reset makes s read r from offset 0, keeping its buffer.
func (s *Source) reset(r io.Reader) {
	*s = Source{r: r, buf: s.buf}
}

// Offset returns the absolute offset of the next byte Read, ReadByte or
// Discard would return.
func (s *Source) Offset() int64 { return s.off }

// fill reads more into the buffer, keeping buf[rpos:wpos]. It returns once
// at least one byte was added or an error was recorded.
func (s *Source) fill() {
	if s.rpos > 0 {
		copy(s.buf, s.buf[s.rpos:s.wpos])
		s.wpos -= s.rpos
		s.rpos = 0
	}
	for tries := 0; s.err == nil && s.wpos < len(s.buf); tries++ {
		n, err := s.r.Read(s.buf[s.wpos:])
		if n < 0 || n > len(s.buf)-s.wpos {
			s.err = fmt.Errorf("decomp: reader returned invalid count %d", n)
			return
		}
		s.wpos += n
		if err != nil {
			s.err = err
			return
		}
		if n > 0 {
			return
		}
		if tries >= 100 {
			s.err = io.ErrNoProgress
			return
		}
	}
}

// buffered returns the number of bytes readable without touching the reader.
func (s *Source) buffered() int { return s.wpos - s.rpos }

// readErr returns the sticky error for a caller that found the buffer empty.
func (s *Source) readErr() error {
	err := s.err
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// Read reads up to len(p) bytes.
func (s *Source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.buffered() == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if len(p) >= directRead {
			return s.readDirect(p)
		}
		s.fill()
		if s.buffered() == 0 {
			return 0, s.readErr()
		}
	}
	n := copy(p, s.buf[s.rpos:s.wpos])
	s.rpos += n
	s.off += int64(n)
	return n, nil
}

// directRead: a Read this large with nothing buffered goes straight from
// the reader into the caller's slice, as bufio does, saving a copy per byte
// (the cpio walk reads file data 32 KiB at a time from the decoded stream).
// It reads no more than p holds, so nothing is read ahead.
const directRead = 16 << 10

func (s *Source) readDirect(p []byte) (int, error) {
	for tries := 0; ; tries++ {
		n, err := s.r.Read(p)
		if n < 0 || n > len(p) {
			s.err = fmt.Errorf("decomp: reader returned invalid count %d", n)
			return 0, s.err
		}
		s.off += int64(n)
		if err != nil {
			s.err = err
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if n > 0 {
			return n, nil
		}
		if tries >= 100 {
			s.err = io.ErrNoProgress
			return 0, s.err
		}
	}
}

// ReadByte reads one byte.
func (s *Source) ReadByte() (byte, error) {
	if s.rpos == s.wpos {
		if s.err != nil {
			return 0, s.err
		}
		s.fill()
		if s.rpos == s.wpos {
			return 0, s.readErr()
		}
	}
	b := s.buf[s.rpos]
	s.rpos++
	s.off++
	return b, nil
}

// Peek returns the next n bytes without consuming them; the slice is valid
// until the next call on s. With fewer than n bytes left before the end of
// input it returns what there is and io.EOF (or the reader's error). n may
// not exceed 64 KiB.
func (s *Source) Peek(n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("decomp: negative peek %d", n)
	}
	if n > len(s.buf) {
		return nil, ErrPeekTooLarge
	}
	for s.buffered() < n && s.err == nil {
		s.fill()
	}
	if s.buffered() < n {
		return s.buf[s.rpos:s.wpos], s.readErr()
	}
	return s.buf[s.rpos : s.rpos+n], nil
}

// Discard skips the next n bytes, returning how many it skipped; fewer than n
// only with an error (io.EOF at the end of input).
func (s *Source) Discard(n int) (int, error) {
	if n < 0 {
		return 0, fmt.Errorf("decomp: negative discard %d", n)
	}
	done := 0
	for done < n {
		if s.buffered() == 0 {
			if s.err != nil {
				return done, s.err
			}
			s.fill()
			if s.buffered() == 0 {
				return done, s.readErr()
			}
		}
		k := min(n-done, s.buffered())
		s.rpos += k
		s.off += int64(k)
		done += k
	}
	return done, nil
}
