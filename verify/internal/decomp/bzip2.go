package decomp

import (
	"compress/bzip2"
	"io"
)

// newBzip2 decodes one bzip2 stream with compress/bzip2, which verifies
// every block CRC and the combined stream CRC. The kernel's bunzip2
// (lib/decompress_bunzip2.c) reads bits a byte at a time and stops after the
// end-of-stream marker's CRC, so the member ends at the byte holding that
// CRC's last bit. compress/bzip2 would go on to look for a concatenated
// stream, so it reads through an endWatch that says io.EOF there.
func newBzip2(s *Source) (io.Reader, error) {
	start := s.Offset()
	h, err := peekFull(s, 4, "bzip2 header")
	if err != nil {
		return nil, err
	}
	if h[0] != 'B' || h[1] != 'Z' || h[2] != 'h' || h[3] < '1' || h[3] > '9' {
		return nil, corruptAt(start, "bzip2 header %q, want \"BZh1\" to \"BZh9\"", h)
	}
	w := &endWatch{s: s, atEnd: bzip2AtEnd}
	return &watchedReader{r: bzip2.NewReader(w), w: w, what: "bzip2 end-of-stream marker"}, nil
}
