package decomp

import "io"

func newLZMA(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "lzma: not implemented yet")
}
