package initrd

import (
	"errors"
	"io"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/decomp"
)

// newTopStream reads the image itself through decomp.Source, so a compressed
// member can be handed to decomp.Member and the stream stands on the exact
// byte after it.
func newTopStream(r io.Reader) stream { return decomp.NewSource(r) }

// newMemberStream reads a member's decompressed bytes, counting offsets from 0.
func newMemberStream(r io.Reader) stream { return decomp.NewSource(r) }

// detectCodec names the compressed member starting with head, as the
// kernel's decompress_method does ("" for none).
func detectCodec(head []byte) string { return string(decomp.Detect(head)) }

// openMember returns the decompressed bytes of the member at src's position.
func openMember(codec string, src stream) (io.ReadCloser, error) {
	return decomp.Member(decomp.Codec(codec), src.(*decomp.Source))
}

// memberErrKind classifies a decoder's error.
func memberErrKind(err error) ProblemKind {
	switch {
	case errors.Is(err, decomp.ErrUnsupported):
		return Unsupported
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Truncated
	}
	return Corrupt
}

// memberDetail returns where in the image a decoder's error was found and
// what it says, without the member and class prefixes the reader's own
// message already gives.
func memberDetail(err error) (off int64, detail string, ok bool) {
	var me *decomp.MemberError
	if !errors.As(err, &me) || me.Err == nil {
		return 0, "", false
	}
	detail = me.Err.Error()
	for _, class := range []error{decomp.ErrCorrupt, decomp.ErrUnsupported, io.ErrUnexpectedEOF} {
		detail = strings.TrimPrefix(detail, class.Error()+": ")
	}
	return me.Offset, detail, true
}
