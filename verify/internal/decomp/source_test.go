package decomp

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestSource(t *testing.T) {
	data := []byte("0123456789abcdef")
	s := NewSource(iotest.OneByteReader(bytes.NewReader(data)))
	if b, err := s.Peek(4); err != nil || string(b) != "0123" {
		t.Fatalf("Peek(4) = %q, %v", b, err)
	}
	if s.Offset() != 0 {
		t.Fatalf("Peek moved the offset to %d", s.Offset())
	}
	if n, err := s.Discard(3); n != 3 || err != nil {
		t.Fatalf("Discard(3) = %d, %v", n, err)
	}
	if c, err := s.ReadByte(); c != '3' || err != nil {
		t.Fatalf("ReadByte = %q, %v", c, err)
	}
	buf := make([]byte, 5)
	if n, err := io.ReadFull(s, buf); n != 5 || err != nil || string(buf) != "45678" {
		t.Fatalf("ReadFull = %q, %v", buf[:n], err)
	}
	if s.Offset() != 9 {
		t.Fatalf("Offset = %d, want 9", s.Offset())
	}
	if b, err := s.Peek(100); err != io.EOF || string(b) != "9abcdef" {
		t.Fatalf("Peek past the end = %q, %v; want the rest and io.EOF", b, err)
	}
	if _, err := s.Peek(sourceBufSize + 1); !errors.Is(err, ErrPeekTooLarge) {
		t.Fatalf("oversized Peek: %v", err)
	}
	if n, err := s.Discard(100); n != 7 || err != io.EOF {
		t.Fatalf("Discard past the end = %d, %v", n, err)
	}
	if s.Offset() != int64(len(data)) {
		t.Fatalf("Offset = %d, want %d", s.Offset(), len(data))
	}
	if _, err := s.ReadByte(); err != io.EOF {
		t.Fatalf("ReadByte at the end: %v", err)
	}
}

// TestMemberReadError: an I/O error from the image is reported as itself
// (wrapped in a *MemberError), never as corruption or truncation.
func TestMemberReadError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	data := payload(50<<10, 31)
	for _, e := range encoders() {
		if e.name != "gzip/go" && e.name != "zstd/go" && e.name != "xz/go-crc32" && e.name != "lzma/go-eos" && e.name != "lz4/go" && e.name != "lzo/go-adler32" {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			m := e.enc(t, data)
			r := io.MultiReader(bytes.NewReader(m[:len(m)/2]), iotest.ErrReader(errDisk))
			s := NewSource(r)
			var err error
			if mr, err2 := Member(e.codec, s); err2 != nil {
				err = err2
			} else {
				_, err = io.ReadAll(mr)
			}
			if !errors.Is(err, errDisk) {
				t.Fatalf("error %v, want one wrapping the reader's error", err)
			}
			if errors.Is(err, ErrCorrupt) || errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("I/O error classed as bad data: %v", err)
			}
			checkMemberError(t, err, e.codec, len(m))
		})
	}
}

// TestSourceDirectRead: large reads with nothing buffered bypass the buffer
// and still count every byte, keep the error sticky, and mix with Peek.
func TestSourceDirectRead(t *testing.T) {
	data := payload(200<<10, 4)
	s := NewSource(iotest.HalfReader(bytes.NewReader(data)))
	var got []byte
	buf := make([]byte, directRead+5)
	for i := 0; ; i++ {
		if i%3 == 2 {
			if _, err := s.Peek(7); err != nil && err != io.EOF {
				t.Fatal(err)
			}
		}
		n, err := s.Read(buf)
		got = append(got, buf[:n]...)
		if s.Offset() != int64(len(got)) {
			t.Fatalf("Offset %d after %d bytes", s.Offset(), len(got))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(data))
	}
	if n, err := s.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the end = %d, %v", n, err)
	}
	er := errors.New("disk on fire")
	s = NewSource(iotest.DataErrReader(iotest.ErrReader(er)))
	if _, err := s.Read(buf); !errors.Is(err, er) {
		t.Fatalf("Read = %v, want %v", err, er)
	}
	if _, err := s.Read(buf); !errors.Is(err, er) {
		t.Fatalf("second Read = %v, want the sticky %v", err, er)
	}
}
