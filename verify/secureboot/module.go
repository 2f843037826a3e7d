package secureboot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// ModuleMagic ends a signed module (include/linux/module_signature.h's
// MODULE_SIG_STRING).
const ModuleMagic = "~Module signature appended~\n"

// moduleSigTrailer is sizeof(struct module_signature): algo, hash, id_type,
// signer_len, key_id_len, __pad[3], sig_len (__be32).
const moduleSigTrailer = 12

// pkeyIDPKCS7 is enum pkey_id_type's PKEY_ID_PKCS7, the only id_type the
// kernel accepts.
const pkeyIDPKCS7 = 2

// TailSize is how many bytes of a module's end ReadModuleSignature needs to
// find any signature the kernel's own signing writes (a PKCS#7 of a 4096-bit
// RSA key without certificates is under 1 KiB).
const TailSize = 8 << 10

// The ways a module's signature can be wrong, as kernel/module/signing.c
// and kernel/module_signature.c tell them apart.
var (
	// ErrSigMalformed: the trailer is malformed (sig_len past the module,
	// non-zero algo/hash/signer_len/key_id_len/pad) or the PKCS#7 does not
	// parse: the kernel's mod_check_sig returns -EBADMSG, which is fatal
	// even when signatures are not enforced.
	ErrSigMalformed = errors.New("malformed module signature")
	// ErrSigNotPKCS7: id_type is not PKEY_ID_PKCS7 (-ENOPKG, "module
	// with unsupported crypto"): as if unsigned.
	ErrSigNotPKCS7 = errors.New("module signature is not a PKCS#7 message")
	// ErrSigBeyondTail: the signature is longer than the bytes handed in,
	// so it was not read.
	ErrSigBeyondTail = errors.New("module signature longer than the bytes read")
)

// ModuleSignature is a module's appended signature.
type ModuleSignature struct {
	// Signed: the module ends with ModuleMagic. When false nothing else
	// is set.
	Signed bool
	// Len is sig_len, the PKCS#7 message's length.
	Len int
	SignedData
}

// ParseModuleSignature reads the signature at the end of a module whose last
// bytes are tail and whose (decompressed) length is size. An unsigned module
// is Signed false with a nil error. Errors wrap ErrSigMalformed,
// ErrSigNotPKCS7 or ErrSigBeyondTail (and ErrPKCS7 for a message that does
// not parse, with ErrSigMalformed).
func ParseModuleSignature(tail []byte, size int64) (ModuleSignature, error) {
	if size < int64(len(tail)) {
		size = int64(len(tail))
	}
	m := len(ModuleMagic)
	if size <= int64(m) || !bytes.HasSuffix(tail, []byte(ModuleMagic)) {
		return ModuleSignature{}, nil
	}
	out := ModuleSignature{Signed: true}
	tail, size = tail[:len(tail)-m], size-int64(m)
	if size <= moduleSigTrailer {
		return out, fmt.Errorf("%w: %d bytes before the magic, no room for struct module_signature", ErrSigMalformed, size)
	}
	if len(tail) < moduleSigTrailer {
		return out, fmt.Errorf("%w: struct module_signature lies before the %d bytes read", ErrSigBeyondTail, len(tail)+m)
	}
	ms := tail[len(tail)-moduleSigTrailer:]
	sigLen := int64(binary.BigEndian.Uint32(ms[8:]))
	out.Len = int(sigLen)
	if sigLen >= size-moduleSigTrailer {
		return out, fmt.Errorf("%w: sig_len %d is not less than the %d bytes before it", ErrSigMalformed, sigLen, size-moduleSigTrailer)
	}
	if ms[2] != pkeyIDPKCS7 {
		return out, fmt.Errorf("%w: id_type %d (the kernel takes only %d, PKCS#7)", ErrSigNotPKCS7, ms[2], pkeyIDPKCS7)
	}
	if ms[0] != 0 || ms[1] != 0 || ms[3] != 0 || ms[4] != 0 || ms[5] != 0 || ms[6] != 0 || ms[7] != 0 {
		return out, fmt.Errorf("%w: struct module_signature has non-zero algo/hash/signer_len/key_id_len/pad (% x)", ErrSigMalformed, ms[:8])
	}
	body := tail[:len(tail)-moduleSigTrailer]
	if int64(len(body)) < sigLen {
		return out, fmt.Errorf("%w: sig_len %d, %d bytes read", ErrSigBeyondTail, sigLen, len(body))
	}
	sd, err := ParsePKCS7(body[int64(len(body))-sigLen:])
	if err != nil {
		return out, fmt.Errorf("%w: %w", ErrSigMalformed, err)
	}
	out.SignedData = sd
	return out, nil
}

// ReadModuleFileSignature reads the signature of an uncompressed module file
// (.ko) from its last TailSize bytes.
func ReadModuleFileSignature(path string) (ModuleSignature, error) {
	f, err := os.Open(path)
	if err != nil {
		return ModuleSignature{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ModuleSignature{}, err
	}
	n := min(st.Size(), TailSize)
	tail := make([]byte, n)
	if _, err := f.ReadAt(tail, st.Size()-n); err != nil && !errors.Is(err, io.EOF) {
		return ModuleSignature{}, fmt.Errorf("reading %s: %w", path, err)
	}
	s, err := ParseModuleSignature(tail, st.Size())
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
