// Package initrd reads initrd (initramfs) images the way the Linux kernel
// unpacks them at boot, and says whether every byte of an image unpacks.
//
// It owns: splitting an image into segments (zero padding, uncompressed cpio
// archives, compressed members found by their magic, any number in a row, as
// init/initramfs.c's unpack_to_rootfs does), parsing the cpio "newc" (070701)
// and "crc" (070702) formats of the kernel's
// Documentation/driver-api/early-userspace/buffer-format.rst with every header
// field validated, the path each entry gets in the rootfs, hard links, the
// data checksum of the crc format, every kernel module the image carries
// (path, name, kernel version) and the .modinfo (vermagic, depends) of those
// Options.Modinfo chooses (all when it is nil), and the tree the kernel ends
// up with after unpacking every archive in order (init/initramfs.c's
// do_name, clean_path, maybe_link, do_symlink): Image.Has and Image.File
// answer for that tree, Image.NotCreated lists the entries the kernel does not
// create and why, Module.Unreachable the modules modprobe does not find at
// /lib/modules/VERSION/.
//
// It never writes anything, never reads a path it was not given, never shells
// out and never uses the network. Memory does not grow with the bytes of the
// image (Read keeps one Entry per entry; Walk not even that): bodies are
// streamed and discarded unless Options.Keep asks for them
// (each capped at Options.MaxFileSize), a chosen module is buffered one at
// a time, in one scratch buffer (capped at 64 MiB), to read its .modinfo
// (a module not chosen is streamed past like any file), and the total of
// decompressed bytes is capped by Options.MaxDecompressed. A buffer grows
// with the data that arrives, never from a header's filesize alone.
//
// Files: image.go holds the types and Options; read.go the entry points
// and the kernel's unpack_to_rootfs loop over segments; codec.go and
// source.go the compressed members and byte streams; cpio.go reads one cpio
// entry (header, name, file type); data.go streams a regular file's data
// into its sinks (checksum, kept content, module bytes); links.go keeps the
// hard-link groups; modules.go lists modules and reads their .modinfo;
// rootfs.go builds the tree the kernel unpacks (one small node per name,
// no contents). Decoders come from
// verify/internal/decomp; nothing here imports another leaf package of verify.
//
// # Problems and errors
//
// What is wrong with an image is data: Image.Problems, each with a Kind
// (Truncated, Corrupt, Unsupported, TooLarge), the segment, the byte offset and
// a message that says what was expected. The error Read, ReadFiles and Walk
// return is only for failing to read the input itself (an I/O error, a file
// that cannot be opened) or for ctx being cancelled; when it is not nil the
// *Image is nil. Reading stops at the first problem, as the kernel's unpacker
// stops at its first error, so Entries lists what was read before it.
//
// The reader is stricter than the kernel in a few places, always towards
// "broken", never towards "whole": every cpio archive must end with
// TRAILER!!!, header fields must be hexadecimal, a name must end with its
// NUL, entries the kernel would silently skip (a name longer than PATH_MAX,
// a directory with a body, an unknown file type) are Corrupt, and an image
// with no cpio archive at all (empty, or zero padding only) is Truncated.
//
// # Offsets
//
// Offsets in the image (Segment.Offset and End, Problem.Offset, Entry.Offset
// in an uncompressed segment) count bytes from the start of what the kernel
// receives: for Read the reader's first byte, for ReadFiles the
// concatenation of the files (see ReadFiles and Image.Inputs). Inside a
// compressed member, Entry.Offset and Problem.InnerOffset count decompressed
// bytes from the start of that member.
package initrd
