// Package decomp owns the decompressors boot-guard reads initrds with, and
// the one thing they must get exactly right: where a compressed member ends.
//
// The kernel's init/initramfs.c (unpack_to_rootfs) unpacks an initramfs as a
// sequence of segments: uncompressed cpio archives, runs of zero bytes, and
// compressed members. It picks a member's decompressor by the first two
// bytes (lib/decompress.c, mirrored by Detect), lets it report how many input
// bytes it consumed, and continues at that byte. A Source counts absolute
// offsets and never loses read-ahead: decoders either read it byte by byte
// (it is an io.ByteReader) or are fed exactly the member's bytes by a walker
// that looks ahead with Peek. No give-back is needed, so none is offered.
// After Member's reader returns io.EOF the Source stands on the byte the
// kernel would continue at. That is how the next segment is found, and how
// a checker sees exactly what the kernel sees.
//
// What the package never does: it does not parse cpio or decide verdicts;
// it does not open files by path (callers hand it readers) and never
// writes; it never buffers a whole member; it never recovers from panics
// (decoders are written so hostile input yields an error instead of a
// panic, a hang or a huge allocation). Memory per member is bounded by the
// format's window or block and capped where a header field would otherwise
// decide it: zstd window 128 MiB, xz and lzma dictionary 64 MiB (beyond:
// ErrUnsupported, the verdict is cannot-tell), lz4 8 MiB, lzo 256 KiB,
// bzip2 and gzip by their formats.
//
// Where each member ends, after the kernel file whose behaviour is followed:
//
//   - gzip (lib/decompress_inflate.c): the 10-byte header plus a file name of
//     any length when FNAME is set (the only optional field the kernel
//     skips: FEXTRA, FCOMMENT, FHCRC are corrupt to it), the raw deflate
//     stream read by compress/flate byte by byte, and the 8-byte trailer.
//     CRC32 and ISIZE are verified here (the kernel does not).
//   - zstd (lib/decompress_unzstd.c): exactly one frame, header to last block
//     plus the content checksum when flagged; a following frame is a new
//     member. The frame and block headers are walked here (RFC 8878) and
//     klauspost/compress/zstd is fed exactly that frame. Checksum and
//     content size are verified.
//   - xz (lib/decompress_unxz.c): exactly one stream, through its 12-byte
//     footer; stream padding and further streams are left to the caller
//     (unpack_to_rootfs skips zero bytes). The stream's structure is walked
//     here (block headers, LZMA2 chunks, padding, index, footer) and the
//     LZMA2 chunks are decoded by this package's LZMA decoder, checking what
//     XZ Embedded checks: each chunk ends exactly at its packed size, after
//     a last normalization; block checks; the index against the blocks; the
//     footer. Checks other than none and CRC32 are corrupt to the kernel (XZ Embedded rejects them, Documentation/staging/xz.rst).
//     Filter chains other than plain LZMA2 (BCJ, delta) are ErrUnsupported.
//   - lzma (lib/decompress_unlzma.c): the 13-byte header, then range-coded
//     data until the header's size is reached or the end marker is decoded,
//     by a decoder written here that, like the kernel's, normalizes the
//     range before each bit and never after the last. In about one member
//     in seven that leaves the encoder's final byte unread; that byte is
//     then always 0, and unpack_to_rootfs skips it as padding. The format
//     has no checksum.
//   - lz4 legacy (lib/decompress_unlz4.c): the magic, then blocks each with
//     a 4-byte little-endian size; a repeated magic is skipped; the member
//     ends, without consuming it, at a zero size word, with fewer than 4
//     bytes left, or at the end of input. Any other word is a block size, so
//     a legacy lz4 member must be followed by zero padding or the end of the
//     image. The format has no checksum, and a member cut at a block
//     boundary is whole to the kernel too.
//   - bzip2 (lib/decompress_bunzip2.c): one stream, through the byte holding
//     the last bit of the end-of-stream marker's combined CRC. The decoder
//     is written here (table-driven Huffman codes, the inverse BWT as one
//     chain of links); it verifies every block CRC and the stream CRC and
//     reads input bytes only as it needs their bits, so it stops there.
//   - lzo (lib/decompress_unlzo.c): the lzop header, then blocks until a zero
//     uncompressed length (consumed). The kernel skips exactly one 4-byte
//     checksum per block, so other checksum layouts are corrupt to it; the
//     checksum present (adler32 or crc32 of the data) and the header
//     checksum are verified. The LZO1X decoder is written here.
//
// OpenFile decompresses whole module files (.ko, .ko.gz, .ko.xz, .ko.zst)
// with the same decoders, under a size limit, as userspace (kmod) reads
// them: any gzip header field and any xz check.
//
// Formats: RFC 1952 (gzip), RFC 8878 (zstd), the .xz file format 1.x, the
// legacy .lzma (LZMA_Alone) header, lz4's legacy frame, bzip2 1.0, lzop 1.x
// with the LZO1X stream of the kernel's Documentation/staging/lzo.rst.
package decomp
