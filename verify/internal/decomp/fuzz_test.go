package decomp

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"testing"
)

// fuzzSeeds returns one small member of every codec, made in code (bzip2
// only when the bzip2 tool exists: Go has no bzip2 encoder).
func fuzzSeeds(t testing.TB) map[Codec][]byte {
	data := payload(3000, 42)
	seeds := map[Codec][]byte{
		Gzip:  gzipEnc(t, data),
		Zstd:  zstdEnc(t, data),
		XZ:    xzEnc(xzCRC32)(t, data),
		LZMA:  lzmaEnc(false)(t, data),
		LZ4:   lz4LegacyEnc(1024)(t, data),
		LZO:   lzopEnc(1024, false)(t, data),
		Bzip2: nil,
	}
	if _, err := exec.LookPath("bzip2"); err == nil {
		seeds[Bzip2] = cliEnc("bzip2", "-c", "-1")(t, data)
	} else {
		// A stream with one empty block's worth of header and no data:
		// enough for the fuzzer to find the bzip2 paths from.
		seeds[Bzip2] = []byte("BZh91AY&SY")
	}
	return seeds
}

// FuzzMember decodes arbitrary bytes as a member of each codec, then goes on
// as an initrd reader would (skip zeros, detect, decode the next member).
// Invariants: no panic or hang; output bounded; Member returns a reader or
// an error, never both; every error is a *MemberError whose offsets lie in
// the input; Offset never goes back and never passes the input's end.
func FuzzMember(f *testing.F) {
	for c, m := range fuzzSeeds(f) {
		f.Add(uint8(codecIndex(c)), m)
		f.Add(uint8(codecIndex(c)), append(append(append([]byte{}, m...), 0, 0, 0, 0), m...))
	}
	f.Fuzz(func(t *testing.T, ci uint8, data []byte) {
		c := Codecs[int(ci)%len(Codecs)]
		s := NewSource(bytes.NewReader(data))
		const maxOut = 1 << 20
		total := 0
		buf := make([]byte, 32<<10)
		last := int64(0)
		check := func() {
			off := s.Offset()
			if off < last || off > int64(len(data)) {
				t.Fatalf("Offset %d after %d (input %d bytes)", off, last, len(data))
			}
			last = off
		}
		for members := 0; members < 16; members++ {
			r, err := Member(c, s)
			check()
			if err != nil {
				if r != nil {
					t.Fatal("Member returned a reader and an error")
				}
				checkFuzzErr(t, err, c, len(data))
				return
			}
			for {
				n, err := r.Read(buf)
				check()
				if n < 0 || n > len(buf) {
					t.Fatalf("Read returned %d", n)
				}
				total += n
				if total > maxOut {
					r.Close()
					return // a bomb is allowed; reading it all is not the test
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					checkFuzzErr(t, err, c, len(data))
					r.Close()
					return
				}
			}
			r.Close()
			for {
				b, err := s.Peek(1)
				if err != nil || b[0] != 0 {
					break
				}
				s.Discard(1)
			}
			check()
			head, _ := s.Peek(4)
			if c = Detect(head); c == None {
				return
			}
		}
	})
}

func checkFuzzErr(t *testing.T, err error, c Codec, n int) {
	t.Helper()
	var me *MemberError
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *MemberError", err, err)
	}
	if me.Codec != c || me.Start < 0 || me.Start > int64(n) || me.Offset < me.Start || me.Offset > int64(n) {
		t.Fatalf("MemberError %+v out of bounds for a %d-byte %s input", me, n, c)
	}
}

func codecIndex(c Codec) int {
	for i, x := range Codecs {
		if x == c {
			return i
		}
	}
	return 0
}

// TestFuzzSeedsDecode keeps the seeds honest: each is a whole member.
func TestFuzzSeedsDecode(t *testing.T) {
	for c, m := range fuzzSeeds(t) {
		if len(m) < 20 {
			continue // the placeholder bzip2 seed
		}
		if _, _, err := decode(c, m, 1<<20); err != nil {
			t.Errorf("%s seed: %v", c, err)
		}
	}
}
