package decomp

import (
	"bytes"
	"testing"
)

// TestLZMAEnd pins where an lzma member ends over many members: on the
// encoder's last byte, or one before it when the kernel's decoder (which
// never normalizes after the last bit) leaves it, and that byte is then 0.
// Sizes in the header and end markers both.
func TestLZMAEnd(t *testing.T) {
	early := 0
	for i := 0; i < 120; i++ {
		data := payload(1+i*97%5000, int64(i))
		for _, sized := range []bool{true, false} {
			m := lzmaEnc(sized)(t, data)
			out, s, err := decode(LZMA, append(m, marker...), 1<<20)
			if err != nil {
				t.Fatalf("member %d (sized %v): %v", i, sized, err)
			}
			if !bytes.Equal(out, data) {
				t.Fatalf("member %d (sized %v): output differs", i, sized)
			}
			checkEnd(t, LZMA, m, s.Offset())
			if s.Offset() < int64(len(m)) {
				early++
			}
		}
	}
	t.Logf("%d of 240 members ended one zero byte before the encoder's end", early)
}
