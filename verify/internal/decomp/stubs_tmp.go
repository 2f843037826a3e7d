package decomp

import "io"

func newXZ(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "xz: not implemented yet")
}
func newLZMA(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "lzma: not implemented yet")
}
func newLZ4(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "lz4: not implemented yet")
}
func newBzip2(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "bzip2: not implemented yet")
}
func newLZO(s *Source) (io.Reader, error) {
	return nil, unsupportedAt(s.Offset(), "lzo: not implemented yet")
}
