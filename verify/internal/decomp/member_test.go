package decomp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// encoders lists every way the tests make members: the Go libraries (or a
// container built by hand) and, when installed, the real tools.
func encoders() []encoder {
	return []encoder{
		{name: "gzip/go", codec: Gzip, enc: gzipEnc, sums: true},
		{name: "gzip/cli", codec: Gzip, enc: cliEnc("gzip", "-c", "-9"), sums: true},
		{name: "gzip/cli-noname", codec: Gzip, enc: cliEnc("gzip", "-c", "-n", "-1"), sums: true},
		{name: "zstd/go", codec: Zstd, enc: zstdEnc, sums: true},
		{name: "zstd/cli", codec: Zstd, enc: cliEnc("zstd", "-q", "-c", "-19"), sums: true},
		{name: "zstd/cli-raw", codec: Zstd, enc: cliEnc("zstd", "-q", "-c", "--no-check", "-1", "--zstd=strategy=1"), sums: false},
		{name: "xz/go-crc32", codec: XZ, enc: xzEnc(xzCRC32), sums: true},
		{name: "xz/cli-crc32", codec: XZ, enc: cliEnc("xz", "-c", "--check=crc32", "--lzma2=preset=6,dict=256KiB"), sums: true},
		{name: "xz/cli-mt", codec: XZ, enc: cliEnc("xz", "-c", "-T2", "--check=crc32", "--block-size=65536", "--lzma2=preset=1,dict=64KiB"), sums: true},
		{name: "bzip2/cli", codec: Bzip2, enc: cliEnc("bzip2", "-c", "-9"), sums: true},
		{name: "bzip2/cli-1", codec: Bzip2, enc: cliEnc("bzip2", "-c", "-1"), sums: true},
		{name: "lzo/go-adler32", codec: LZO, enc: lzopEnc(32<<10, false), sums: true},
		{name: "lzo/go-crc32", codec: LZO, enc: lzopEnc(100<<10, true), sums: true},
		{name: "lzo/cli", codec: LZO, enc: cliEnc("lzop", "-c", "-9"), sums: true},
		{name: "lzo/cli-1", codec: LZO, enc: cliEnc("lzop", "-c", "-1"), sums: true},
		{name: "lzma/go-size", codec: LZMA, enc: lzmaEnc(true)},
		{name: "lzma/go-eos", codec: LZMA, enc: lzmaEnc(false)},
		{name: "lzma/cli", codec: LZMA, enc: cliEnc("lzma", "-c", "-6")},
		{name: "lzma/cli-9", codec: LZMA, enc: cliEnc("lzma", "-c", "-9e")},
		{name: "lz4/go", codec: LZ4, enc: lz4LegacyEnc(64 << 10), blockCuts: lz4Cuts, sep: make([]byte, 4)},
		{name: "lz4/cli", codec: LZ4, enc: cliEnc("lz4", "-l", "-c", "-q", "-9"), blockCuts: lz4Cuts, sep: make([]byte, 4)},
	}
}

const marker = "070701MARKER-next-segment"

func TestDetect(t *testing.T) {
	tests := []struct {
		head []byte
		want Codec
	}{
		{[]byte{0x1f, 0x8b, 8}, Gzip},
		{[]byte{0x1f, 0x9e}, Gzip},
		{[]byte("BZh9"), Bzip2},
		{[]byte{0x5d, 0, 0, 0x80}, LZMA},
		{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, XZ},
		{[]byte{0x89, 'L', 'Z', 'O'}, LZO},
		{[]byte{0x02, 0x21, 0x4c, 0x18}, LZ4},
		{[]byte{0x28, 0xb5, 0x2f, 0xfd}, Zstd},
		{[]byte("070701"), None},
		{[]byte{0x1f}, None},
		{nil, None},
		{[]byte{0, 0, 0, 0}, None},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("% x", tt.head), func(t *testing.T) {
			if got := Detect(tt.head); got != tt.want {
				t.Errorf("Detect(% x) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

// TestMemberFollowedBySegment is the property the package exists for: after
// a member, the Source stands on the first byte after it, whatever follows
// (another segment, zero padding, the end of the image).
func TestMemberFollowedBySegment(t *testing.T) {
	data := payload(300<<10, 1)
	for _, e := range encoders() {
		t.Run(e.name, func(t *testing.T) {
			m := e.enc(t, data)
			if got := Detect(m); got != e.codec {
				t.Fatalf("Detect = %q, want %q", got, e.codec)
			}
			tails := map[string][]byte{
				"padding+marker": append(make([]byte, 7), marker...),
				"end":            nil,
			}
			if e.sep == nil {
				tails["marker"] = []byte(marker)
				tails["same-member"] = m
			} else {
				tails["sep+same-member"] = append(append([]byte{}, e.sep...), m...)
			}
			for name, tail := range tails {
				t.Run(name, func(t *testing.T) {
					img := append(append([]byte{}, m...), tail...)
					out, s, err := decode(e.codec, img, 1<<30)
					if err != nil {
						t.Fatalf("decode: %v", err)
					}
					if !bytes.Equal(out, data) {
						t.Fatalf("output differs: %d bytes, want %d", len(out), len(data))
					}
					checkEnd(t, e.codec, m, s.Offset())
					left := len(m) - int(s.Offset()) // lzma may leave one zero byte
					rest, err := io.ReadAll(s)
					if err != nil {
						t.Fatal(err)
					}
					rest = rest[left:]
					if !bytes.Equal(rest, tail) {
						t.Fatalf("bytes after member = %q, want %q", trim(rest), trim(tail))
					}
				})
			}
		})
	}
}

func trim(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// TestMemberThroughPipe feeds two members and a marker through an io.Pipe,
// a reader that cannot seek and returns short reads.
func TestMemberThroughPipe(t *testing.T) {
	for _, e := range encoders() {
		t.Run(e.name, func(t *testing.T) {
			a, b := payload(100<<10, 2), payload(50<<10, 3)
			ma, mb := e.enc(t, a), e.enc(t, b)
			img := append(append(append(append(append([]byte{}, ma...), e.sep...), mb...), e.sep...), marker...)
			pr, pw := io.Pipe()
			go func() {
				for i := 0; i < len(img); i += 777 {
					if _, err := pw.Write(img[i:min(i+777, len(img))]); err != nil {
						return
					}
				}
				pw.Close()
			}()
			defer pr.Close()
			s := NewSource(pr)
			for i, want := range [][]byte{a, b} {
				r, err := Member(e.codec, s)
				if err != nil {
					t.Fatalf("member %d: %v", i, err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil {
					t.Fatalf("member %d: %v", i, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("member %d: output differs", i)
				}
				skipZeros(t, s)
			}
			if want := int64(len(ma) + len(mb) + 2*len(e.sep)); s.Offset() != want {
				t.Fatalf("Offset = %d, want %d", s.Offset(), want)
			}

			rest, _ := io.ReadAll(s)
			if string(rest) != marker {
				t.Fatalf("rest = %q, want the marker", trim(rest))
			}
		})
	}
}

// TestMemberTruncated cuts each member at every byte offset (every offset for
// small members, a dense sample for big ones): never a clean io.EOF, always
// a *MemberError wrapping io.ErrUnexpectedEOF when the cut is inside it.
func TestMemberTruncated(t *testing.T) {
	data := payload(12<<10, 4)
	for _, e := range encoders() {
		t.Run(e.name, func(t *testing.T) {
			m := e.enc(t, data)
			var cuts map[int]bool
			if e.blockCuts != nil {
				cuts = e.blockCuts(m)
			}
			maxCuts := 1500
			if raceEnabled {
				maxCuts = 300
			}
			step := 1
			if len(m) > maxCuts {
				step = len(m) / maxCuts
			}
			for n := 0; n < len(m); n += step {
				out, _, err := decode(e.codec, m[:n], 1<<30)
				if cuts[n] {
					if err != nil {
						t.Fatalf("cut at block boundary %d: %v", n, err)
					}
					if !bytes.HasPrefix(data, out) {
						t.Fatalf("cut at %d: output is not a prefix of the payload", n)
					}
					continue
				}
				if err == nil {
					t.Fatalf("member cut to %d of %d bytes decoded without error (%d bytes out)", n, len(m), len(out))
				}
				me := checkMemberError(t, err, e.codec, n)
				if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("cut at %d: error %v wraps neither io.ErrUnexpectedEOF nor ErrCorrupt", n, err)
				}
				_ = me
			}
		})
	}
}

// TestMemberFlipped flips every byte of checksummed members: an error, or
// (for bytes no check covers, like gzip's mtime) exactly the same output.
func TestMemberFlipped(t *testing.T) {
	data := payload(4<<10, 5)
	for _, e := range encoders() {
		if !e.sums {
			continue
		}
		t.Run(e.name, func(t *testing.T) {
			m := e.enc(t, data)
			bad := make([]byte, len(m)+len(marker))
			step := 1
			if raceEnabled {
				step = 7 // a prime, so every field kind is still hit
			}
			for i := 0; i < len(m); i += step {
				for _, x := range flips(e.codec) {
					copy(bad, m)
					copy(bad[len(m):], marker)
					bad[i] ^= x
					out, _, err := decode(e.codec, bad, 1<<30)
					if err != nil {
						checkMemberError(t, err, e.codec, len(bad))
						continue
					}
					if !bytes.Equal(out, data) {
						t.Fatalf("byte %d ^ %#x: decoded without error to different output (%d bytes)", i, x, len(out))
					}
				}
			}
		})
	}
}

func TestMemberErrors(t *testing.T) {
	tests := []struct {
		name  string
		codec Codec
		img   []byte
		want  error
	}{
		{"gzip old magic", Gzip, []byte{0x1f, 0x9e, 8, 0, 0, 0, 0, 0, 0, 3, 0, 0}, ErrCorrupt},
		{"gzip not deflate", Gzip, []byte{0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3, 0, 0}, ErrCorrupt},
		{"gzip FEXTRA", Gzip, []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 3, 0, 0}, ErrCorrupt},
		{"gzip short header", Gzip, []byte{0x1f, 0x8b, 8}, io.ErrUnexpectedEOF},
		{"zstd reserved bit", Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x08, 0, 0, 0, 0}, ErrCorrupt},
		{"zstd dictionary", Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x50, 7, 1, 0, 0}, ErrCorrupt},
		{"zstd huge window", Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 1, 0, 0}, ErrUnsupported},
		{"zstd reserved block type", Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0x07, 0, 0}, ErrCorrupt},
		{"zstd oversized block", Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x01, 0x00, 0x10}, ErrCorrupt},
		{"zstd truncated block", Zstd, []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0x51, 0, 0, 'a'}, io.ErrUnexpectedEOF},
		{"none", None, []byte("070701"), ErrUnsupported},
		{"unknown codec", Codec("brotli"), []byte("x"), ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decode(tt.codec, tt.img, 1<<20)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want one wrapping %v", err, tt.want)
			}
			checkMemberError(t, err, tt.codec, len(tt.img))
		})
	}
}

// flips is the set of xor masks tried at every byte: three for cheap
// decoders, one for bzip2 (each decode allocates its block buffers).
func flips(c Codec) []byte {
	if c == Bzip2 || raceEnabled {
		return []byte{0x10}
	}
	return []byte{0x01, 0x80, 0xff}
}

// checkEnd asserts the Source stopped at the member's end: its last byte,
// except for lzma, where the kernel's decoder (normalizing before each bit,
// never after the last) leaves the encoder's final byte unread when the
// range needed one more normalization. That byte is then always 0 (the
// encoder's low register had just been shifted), and unpack_to_rootfs skips
// it as padding.
func checkEnd(t *testing.T, c Codec, m []byte, off int64) {
	t.Helper()
	if off == int64(len(m)) {
		return
	}
	if c == LZMA && off == int64(len(m))-1 && m[len(m)-1] == 0 {
		return
	}
	t.Fatalf("Offset after member = %d, want %d (member length)", off, len(m))
}

// skipZeros skips zero bytes as unpack_to_rootfs does between segments.
func skipZeros(t *testing.T, s *Source) {
	t.Helper()
	for {
		b, err := s.Peek(1)
		if err != nil || b[0] != 0 {
			return
		}
		s.Discard(1)
	}
}

// TestZstdContentSize: a frame whose content size field disagrees with its
// blocks is corrupt (the kernel's zstd checks it too).
func TestZstdContentSize(t *testing.T) {
	m := zstdEnc(t, payload(1000, 1))
	if m[4] != 0x44 || m[6] != 0xe8 || m[7] != 0x02 {
		t.Fatalf("unexpected frame header % x", m[:8])
	}
	for _, fcs := range []byte{0xe7, 0xe9} {
		bad := append([]byte{}, m...)
		bad[6] = fcs
		_, _, err := decode(Zstd, bad, 1<<20)
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("content size %#x: error %v, want ErrCorrupt", fcs, err)
		}
	}
}
