package initrd

import (
	"crypto/sha256"
	"fmt"
	"path"
	"strings"

	"github.com/boot-guard/boot-guard/verify/internal/modelf"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxDecompressed int64 = 4 << 30  // 4 GiB over all compressed members
	DefaultMaxFileSize     int64 = 16 << 20 // 16 MiB per kept file
	// MaxModuleSize caps the bytes of one module (compressed, and again
	// decompressed) buffered to read its .modinfo.
	MaxModuleSize int64 = 64 << 20
	// ModuleTail is how many bytes of a module's end Module.Tail keeps
	// (a module signature of a 4096-bit RSA key is under 1 KiB).
	ModuleTail = 8 << 10
	// PathMax is the kernel's PATH_MAX: longer cpio names are not created.
	PathMax = 4096
)

// Options tune one read. The zero value is ready to use.
type Options struct {
	// MaxDecompressed caps the total bytes produced by all compressed
	// members of the image (a decompression bomb gives a TooLarge problem).
	// 0 means DefaultMaxDecompressed.
	MaxDecompressed int64
	// Keep says which regular files' contents to keep in Image.Files. It is
	// called with the entry's path (as in Entry.Path) and, for a path under
	// usr/ (usr/lib/..., usr/bin/..., usr/sbin/...), also with the same path
	// without "usr/", so a caller can ask for "lib/modules/V/modules.dep" in
	// a merged-/usr image. nil keeps nothing.
	Keep func(path string) bool
	// MaxFileSize caps each kept file; a larger one is listed in
	// Image.NotKept and its content is not kept (it is not a problem of the
	// image). 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Modinfo says which modules' .modinfo to read, by normalised module
	// name (Module.Name: suffix stripped, '-' as '_'). A module it does
	// not choose is still listed in Image.Modules with Path, Name and
	// KernelVersion, with ModinfoSkipped set and no Vermagic, Depends or
	// Err: its data is checked and streamed past like any file's, never
	// buffered or decompressed. Reading .modinfo is most of the cost of a
	// read on an image with thousands of modules, so a caller that looks
	// at a few names them (verify: its requirements' closures), one that
	// looks at none says so (ls: NoModinfo). nil reads every module's
	// (inspect). It may be called more than once per module.
	Modinfo func(name string) bool
	// ModinfoOnly reads, of each chosen module, only its .modinfo's
	// strings (Vermagic, Depends), decoding a compressed module only as
	// far as they lie (modinfoprefix.go): what inspect lists. HasVersions,
	// Versions, Imports, Exports, Size and Tail stay empty, and a module
	// damaged past its .modinfo reads without Err. Issue 16 item 2.
	ModinfoOnly bool
}

// NoModinfo is an Options.Modinfo that chooses no module: modules are
// listed, their .modinfo is not read.
func NoModinfo(string) bool { return false }

// wantModinfo reports whether the .modinfo of the module named name (as
// moduleName gives it) is to be read.
func (o Options) wantModinfo(name string) bool {
	return o.Modinfo == nil || o.Modinfo(name)
}

func (o Options) maxDecompressed() int64 {
	if o.MaxDecompressed > 0 {
		return o.MaxDecompressed
	}
	return DefaultMaxDecompressed
}

func (o Options) maxFileSize() int64 {
	if o.MaxFileSize > 0 {
		return o.MaxFileSize
	}
	return DefaultMaxFileSize
}

func (o Options) keep(p string) bool {
	if o.Keep == nil {
		return false
	}
	if o.Keep(p) {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "usr/"); ok && rest != "" {
		return o.Keep(rest)
	}
	return false
}

// File type bits of a raw cpio mode (the S_IFMT bits of stat(2)).
const (
	ModeType    uint32 = 0o170000
	ModeSocket  uint32 = 0o140000
	ModeSymlink uint32 = 0o120000
	ModeRegular uint32 = 0o100000
	ModeBlock   uint32 = 0o060000
	ModeDir     uint32 = 0o040000
	ModeChar    uint32 = 0o020000
	ModeFIFO    uint32 = 0o010000
)

// Entry is one cpio entry the kernel creates in the rootfs.
type Entry struct {
	// Path is where the kernel creates it, relative to the root, without a
	// leading "/" or "./" and cleaned ("a/./b", "a//b", "../a" become
	// "a/b", "a/b", "a"); the root itself is ".".
	Path string `json:"path"`
	// Mode is the raw cpio mode: file type bits (ModeType) and permissions.
	Mode uint32 `json:"mode"`
	// Size is the data size. For a hard link it is the size of the data
	// the link group holds (the data travels with one member, usually the
	// last); Walk reports the size known when the entry is read.
	Size int64 `json:"size"`
	// Segment is the index in Image.Segments of the segment it is in.
	Segment int `json:"segment"`
	// Offset is where its cpio header starts: in the image for an
	// uncompressed segment, in the member's decompressed bytes for a
	// compressed one.
	Offset int64 `json:"offset"`
	// Link is a symlink's target ("" for other types).
	Link string `json:"link,omitempty"`
	// HardLink is, for the second and later members of a hard-link group
	// (same inode, device and type, nlink >= 2, in the same archive), the
	// path of the first member, which the kernel links this one to.
	HardLink string `json:"hardlink,omitempty"`
}

// IsDir, IsRegular and IsSymlink say what type the entry is.
func (e Entry) IsDir() bool     { return e.Mode&ModeType == ModeDir }
func (e Entry) IsRegular() bool { return e.Mode&ModeType == ModeRegular }
func (e Entry) IsSymlink() bool { return e.Mode&ModeType == ModeSymlink }

// Segment is one part of the image: one uncompressed cpio archive, or one
// compressed member holding one or more archives. Zero padding between
// segments belongs to none of them.
type Segment struct {
	Index int `json:"index"`
	// Offset and End delimit the segment in the image: End is the offset
	// of the byte after it (the archive's TRAILER!!! and its padding, or
	// the member's last byte). A segment cut short by a problem ends where
	// reading stopped.
	Offset int64 `json:"offset"`
	End    int64 `json:"end"`
	// Compression is "none" or the codec: gzip, zstd, xz, lzma, lz4,
	// bzip2, lzo.
	Compression string `json:"compression"`
	// CompressedSize is End-Offset; DecompressedSize the bytes of cpio data
	// it holds (equal for "none").
	CompressedSize   int64 `json:"compressed_size"`
	DecompressedSize int64 `json:"decompressed_size"`
	// Archives counts cpio archives (ended by TRAILER!!!, or cut short);
	// Entries counts entries, trailers not included.
	Archives int `json:"archives"`
	Entries  int `json:"entries"`
	// File and FileOffset say, for ReadFiles, which input file the segment
	// starts in and where in it; for Read, File is "" and FileOffset equals
	// Offset.
	File       string `json:"file,omitempty"`
	FileOffset int64  `json:"file_offset"`
}

// Module is a kernel module found in the image.
type Module struct {
	// Path is the module's path in the image.
	Path string `json:"path"`
	// Name is the module name from the file name: ".ko", ".ko.gz",
	// ".ko.xz", ".ko.zst" stripped, '-' turned into '_'.
	Name string `json:"name"`
	// KernelVersion is the VER of lib/modules/VER/ or usr/lib/modules/VER/.
	KernelVersion string `json:"kernel_version"`
	// Vermagic and Depends come from the module's .modinfo section.
	// Depends is nil when the module depends on nothing.
	Vermagic string   `json:"vermagic"`
	Depends  []string `json:"depends"`
	// HasVersions, Versions, Imports and Exports are what the kernel checks
	// a module's symbols by (issue 12 item 1): whether it has a __versions
	// section, its entries, the symbols it imports (.symtab's undefined
	// ones) and the CRCs of those it exports, read with .modinfo.
	HasVersions bool              `json:"has_versions,omitempty"`
	Versions    []modelf.Version  `json:"-"`
	Imports     []string          `json:"-"`
	Exports     map[string]uint64 `json:"-"`
	// Err says why .modinfo could not be read (nil when it was, and when
	// it was skipped).
	Err error `json:"-"`
	// ModinfoSkipped is true when Options.Modinfo did not choose the
	// module: its .modinfo was not read, by choice (the module is not
	// known to be broken, nor whole).
	ModinfoSkipped bool `json:"modinfo_skipped,omitempty"`
	// Size and Tail are, for a module whose .modinfo was read, its length
	// decoded (decompressed: the kernel checks a compressed module's
	// signature on its decompressed bytes) and its last ModuleTail bytes,
	// where an appended signature lies; 0 and nil when it was not read or
	// does not decode.
	Size int64  `json:"-"`
	Tail []byte `json:"-"`
	// Sum is the SHA-256 of a compressed module's file as the image holds
	// it (the bytes before decoding), for one read whole without an error;
	// zero otherwise. A kernel's own copy of the module with the same bytes
	// reads the same (kmod.Reference.Know), without decoding it again.
	Sum [sha256.Size]byte `json:"-"`
	// Unreachable says why modprobe in the booted initrd does not find
	// this file at /lib/modules/KernelVersion/... (the kernel did not
	// create it, a later entry replaced it, or that path leads elsewhere in
	// the rootfs the kernel ends up with); "" when it does. Always "" for
	// Walk, which builds no rootfs.
	Unreachable string `json:"unreachable,omitempty"`
}

// ProblemKind classifies a problem of an image.
type ProblemKind int

// The kinds of problems. Unsupported means the image could not be checked
// (cannot-tell); the others mean the image is broken.
const (
	// Truncated: the image (or a compressed member) ends before what it
	// started is complete.
	Truncated ProblemKind = iota + 1
	// Corrupt: bytes that are not what the format allows.
	Corrupt
	// Unsupported: a compression this reader cannot decode.
	Unsupported
	// TooLarge: decompressing would exceed Options.MaxDecompressed.
	TooLarge
)

// String names the kind as inspect --json prints it.
func (k ProblemKind) String() string {
	switch k {
	case Truncated:
		return "truncated"
	case Corrupt:
		return "corrupt"
	case Unsupported:
		return "unsupported"
	case TooLarge:
		return "too-large"
	}
	return fmt.Sprintf("problem-kind(%d)", int(k))
}

// MarshalText renders the kind by name in JSON.
func (k ProblemKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Problem is one integrity problem of an image.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	// Segment is the index of the segment being read, -1 outside any.
	Segment int `json:"segment"`
	// Offset is the image offset where the problem was found; inside a
	// compressed member it is the member's first byte, and InnerOffset is
	// the offset in its decompressed bytes (-1 otherwise).
	Offset      int64 `json:"offset"`
	InnerOffset int64 `json:"inner_offset"`
	// Message says what was found and what was expected, with the offset
	// and segment.
	Message string `json:"message"`
}

// Input is one file of ReadFiles: where its bytes start in the
// concatenation the kernel receives, and its size.
type Input struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

// Image is what reading an initrd found.
type Image struct {
	// Size is the number of bytes read: all of the image (for ReadFiles,
	// of the concatenation with the padding between files), unless a
	// problem stopped reading before its end.
	Size     int64     `json:"size"`
	Inputs   []Input   `json:"inputs,omitempty"`
	Segments []Segment `json:"segments"`
	// Entries lists every entry in order (nil for Walk, which streams
	// them). A path may appear more than once: the last one wins.
	Entries []Entry  `json:"entries,omitempty"`
	Modules []Module `json:"modules"`
	// Files holds the contents Options.Keep asked for, by Entry.Path.
	Files map[string][]byte `json:"-"`
	// NotKept lists paths Keep asked for whose content is not in Files,
	// with the reason (larger than MaxFileSize, ...).
	NotKept  map[string]string `json:"not_kept,omitempty"`
	Problems []Problem         `json:"problems"`
	// NotCreated lists the entries the kernel does not create when it
	// unpacks the archives in order (a symlink over a directory that is not
	// empty, a name whose directory is missing, ...), with why. Has and
	// File answer for the tree the kernel ends up with. Nil for Walk.
	NotCreated []NotCreated `json:"not_created,omitempty"`

	fs *rootfs // the rootfs the kernel ends up with (Read and ReadFiles)
}

// Whole reports whether the image has no problem at all: every segment
// decoded to its end, every archive reached TRAILER!!!, nothing but zero
// padding after the last segment.
func (im *Image) Whole() bool { return len(im.Problems) == 0 }

// Has returns the entry at path p in the rootfs the kernel ends up with
// (see NotCreated): it follows symlinks in the directories leading to it (so
// "lib/modules/V/x.ko" finds "usr/lib/modules/V/x.ko" when lib is a symlink
// to usr/lib) but not a symlink at p itself. p may start with "/" or "./".
// The entry is the one that made that name, with the mode it has now (a
// directory entry over a directory changes only its mode). Images from Walk
// have no Entries: Has finds nothing in them.
func (im *Image) Has(p string) (Entry, bool) {
	if im.fs == nil {
		return Entry{}, false
	}
	return im.entryAt(im.fs.walk(p, false).n)
}

// File returns the kept content of the regular file at p in the rootfs the
// kernel ends up with, following symlinks everywhere in p, including at the
// end. For an image from Walk (no rootfs) it looks p up in Files by path.
func (im *Image) File(p string) ([]byte, bool) {
	if im.fs == nil {
		b, ok := im.Files[CleanPath(p)]
		return b, ok
	}
	e, ok := im.entryAt(im.fs.walk(p, true).n)
	if !ok || !e.IsRegular() {
		return nil, false
	}
	b, ok := im.Files[e.Path]
	return b, ok
}

// maxSymlinks bounds symlink resolution, as the kernel's MAXSYMLINKS does.
const maxSymlinks = 40

// CleanPath returns the path the kernel creates for a cpio name, relative to
// the root: leading "/" and "./" go, ".." cannot climb above the root, and
// the root is ".".
func CleanPath(name string) string {
	p := path.Clean("/" + name)
	if p == "/" {
		return "."
	}
	return p[1:]
}
