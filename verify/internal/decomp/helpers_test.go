package decomp

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// payload returns n bytes that compress to about a third: words from a small
// vocabulary with random digits, so every codec emits real matches and
// literals (and, beyond a block size, several blocks).
func payload(n int, seed int64) []byte {
	rng := rand.New(rand.NewSource(seed))
	words := []string{"kernel/", "drivers/", "nvme", "ext4.ko", "\x00\x00\x00", "070701", "modules.dep", "usr/lib/", "crc32c", "dm-crypt"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[rng.Intn(len(words))])
		b.WriteByte(byte('0' + rng.Intn(10)))
		if rng.Intn(8) == 0 {
			b.WriteByte(byte(rng.Intn(256)))
		}
	}
	return b.Bytes()[:n]
}

// encoder makes one compressed member of data.
type encoder struct {
	name  string
	codec Codec
	enc   func(t testing.TB, data []byte) []byte
	// sums: every byte of the member is covered by a checksum or a
	// structural check, so flipping any byte gives an error or the same
	// output.
	sums bool
	// blockCuts, when set, lists prefix lengths that are themselves whole
	// members (lz4 legacy has no end marker: the kernel accepts a member cut
	// at a block boundary).
	blockCuts func(member []byte) map[int]bool
	// sep goes between two members in a row: lz4 legacy needs a zero word,
	// or the next member's magic would be skipped as a repeated magic and
	// its blocks read as part of the first.
	sep []byte
}

func gzipEnc(t testing.TB, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdEnc(t testing.TB, data []byte) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

// cliEnc runs a real compressor on a temporary file holding data, skipping
// the test when the tool is missing.
func cliEnc(tool string, args ...string) func(t testing.TB, data []byte) []byte {
	return func(t testing.TB, data []byte) []byte {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s not installed (apt-get install %s): real-tool member not tested", tool, tool)
		}
		in := filepath.Join(t.TempDir(), "payload")
		if err := os.WriteFile(in, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(path, append(args, in)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v: %s", tool, args, err, stderr.String())
		}
		return out
	}
}

// decode runs one member of codec c from img and returns its output, the
// Source, and the reader's final error (nil on a clean io.EOF).
func decode(c Codec, img []byte, limit int64) ([]byte, *Source, error) {
	s := NewSource(bytes.NewReader(img))
	r, err := Member(c, s)
	if err != nil {
		return nil, s, err
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, limit))
	if err == nil && int64(len(out)) == limit {
		return out, s, errors.New("output limit reached")
	}
	return out, s, err
}

// checkMemberError asserts err is a *MemberError of codec c with an offset
// inside img, and returns it.
func checkMemberError(t *testing.T, err error, c Codec, imgLen int) *MemberError {
	t.Helper()
	var me *MemberError
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *MemberError", err, err)
	}
	if me.Codec != c {
		t.Errorf("MemberError.Codec = %q, want %q", me.Codec, c)
	}
	if me.Offset < 0 || me.Offset > int64(imgLen) {
		t.Errorf("MemberError.Offset = %d outside the %d-byte input", me.Offset, imgLen)
	}
	return me
}

// lz4LegacyEnc builds an lz4 legacy member by hand: the magic, then blocks of
// at most blockSize input bytes, each compressed with pierrec's CompressBlock
// behind its 4-byte little-endian size.
func lz4LegacyEnc(blockSize int) func(t testing.TB, data []byte) []byte {
	return func(t testing.TB, data []byte) []byte {
		out := binary.LittleEndian.AppendUint32(nil, lz4LegacyMagic)
		for len(data) > 0 {
			chunk := data[:min(blockSize, len(data))]
			data = data[len(chunk):]
			dst := make([]byte, lz4.CompressBlockBound(len(chunk)))
			n, err := lz4.CompressBlock(chunk, dst, nil)
			if err != nil || n == 0 {
				t.Fatalf("CompressBlock: n=%d err=%v", n, err)
			}
			out = binary.LittleEndian.AppendUint32(out, uint32(n))
			out = append(out, dst[:n]...)
		}
		return out
	}
}

// lz4Cuts lists the prefixes of a legacy member the kernel accepts as whole:
// the magic alone, each block end, and each block end followed by 1 to 3
// bytes of the next size word.
func lz4Cuts(m []byte) map[int]bool {
	cuts := map[int]bool{}
	pos := 4
	for {
		for k := 0; k < 4 && pos+k <= len(m); k++ {
			cuts[pos+k] = true
		}
		if pos+4 > len(m) {
			break
		}
		size := binary.LittleEndian.Uint32(m[pos:])
		if size == lz4LegacyMagic {
			pos += 4
			continue
		}
		pos += 4 + int(size)
	}
	return cuts
}

func xzEnc(check byte) func(t testing.TB, data []byte) []byte {
	return func(t testing.TB, data []byte) []byte {
		var b bytes.Buffer
		w, err := xz.WriterConfig{CheckSum: check, DictCap: 1 << 16}.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
}

const (
	xzCRC32  = xz.CRC32
	xzCRC64  = xz.CRC64
	xzSHA256 = xz.SHA256
)

// lzmaEnc makes a legacy .lzma member with ulikunitz's writer: with the
// size in the header and no end marker, or with an unknown size and the
// end marker (what the lzma tool writes).
func lzmaEnc(sizeInHeader bool) func(t testing.TB, data []byte) []byte {
	return func(t testing.TB, data []byte) []byte {
		var b bytes.Buffer
		c := lzma.WriterConfig{DictCap: 1 << 16}
		if sizeInHeader {
			c.SizeInHeader = true
			c.Size = int64(len(data))
		} else {
			c.EOSMarker = true
		}
		w, err := c.NewWriter(&b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
}
