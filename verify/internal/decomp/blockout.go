package decomp

import "io"

// blockOut serves the output of a decoder that works a block at a time
// (lz4 legacy, lzop): out holds the current block's decompressed bytes, pos
// the next one to return, and done is set once the member has ended.
type blockOut struct {
	out  []byte
	pos  int
	done bool
}

// read copies buffered output into p, calling next to decode another block
// whenever the current one is used up.
func (b *blockOut) read(p []byte, next func() error) (int, error) {
	for b.pos == len(b.out) {
		if b.done {
			return 0, io.EOF
		}
		if err := next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, b.out[b.pos:])
	b.pos += n
	return n, nil
}
