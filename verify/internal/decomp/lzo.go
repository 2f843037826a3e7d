package decomp

import "io"

func newLZO(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "lzo: not implemented yet")
}
