// Package decomp owns the decompressors boot-guard reads initrds with, and
// the one thing they must get exactly right: where a compressed member ends.
//
// The kernel's init/initramfs.c (unpack_to_rootfs) unpacks an initramfs as a
// sequence of segments: uncompressed cpio archives, runs of zero padding,
// and compressed members. It picks a member's decompressor by the first two
// bytes (lib/decompress.c, mirrored by Detect), lets it report how many input
// bytes it consumed, and continues at that byte. A Source counts absolute
// offsets and never loses read-ahead, so after Member's reader returns io.EOF
// the Source stands on the byte the kernel would continue at. That is how
// the next segment is found and how a checker sees exactly what the kernel
// sees.
//
// What the package never does: it does not parse cpio, it does not open
// files by path (callers hand it readers), it never writes, and it never
// buffers a whole member: memory is bounded by each format's window or block
// size, capped where a header field would otherwise decide it. It does not
// recover from panics; decoders are written so that hostile input yields an
// error, not a panic, a hang or a huge allocation.
//
// Where each member ends (the kernel file whose behaviour is followed):
//
//   - gzip (lib/decompress_inflate.c): the 10-byte header plus a file name
//     when FNAME is set (the only optional field the kernel skips), the
//     deflate stream, and the 8-byte trailer. CRC32 and ISIZE are verified.
//   - zstd (lib/decompress_unzstd.c): exactly one frame, header to last block
//     plus the content checksum when flagged (verified). A following frame
//     is a new member. The window is capped at 128 MiB (ErrUnsupported).
//   - xz (lib/decompress_unxz.c): exactly one stream, through its 12-byte
//     footer; stream padding and further streams are left to the caller
//     (zero bytes are skipped by unpack_to_rootfs). Block checks, the index
//     and the footer are verified.
//   - lzma (lib/decompress_unlzma.c): the 13-byte header, then range-coded
//     data until the size in the header is reached or the end marker is
//     decoded.
//   - lz4 legacy (lib/decompress_unlz4.c): the magic, then blocks each with
//     a 4-byte little-endian size; a repeated magic is skipped; the member
//     ends at a zero size word (not consumed), with fewer than 4 bytes left,
//     or at the end of input. Any other word is a block size, so a legacy
//     lz4 member must be followed by zero padding or the end of the image.
//   - bzip2 (lib/decompress_bunzip2.c): one stream, through the byte that
//     holds the last bit of the end-of-stream marker's combined CRC. Block
//     and stream CRCs are verified.
//   - lzo (lib/decompress_unlzo.c): the lzop header, then blocks until a zero
//     uncompressed length (consumed). Block checksums (adler32/crc32) are
//     verified when the header's flags ask for them.
//
// Formats: RFC 1952 (gzip), RFC 8878 (zstd), the .xz file format 1.x, the
// legacy .lzma (LZMA_Alone) header, lz4's legacy frame, bzip2 1.0, lzop 1.x.
package decomp
