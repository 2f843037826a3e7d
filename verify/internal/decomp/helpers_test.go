package decomp

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
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
