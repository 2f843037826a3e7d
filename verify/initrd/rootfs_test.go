package initrd

import (
	"strconv"
	"strings"
	"testing"
)

// rootfsOf reads archives, each a segment of its own (the last gzip-
// compressed, as the main archive of an image usually is), keeping every
// file's content.
func rootfsOf(t *testing.T, archives ...[]byte) *Image {
	t.Helper()
	var img []byte
	for i, a := range archives {
		if i == len(archives)-1 {
			a = gz(t, a)
		}
		img = cat(img, a)
	}
	im := mustRead(t, img, Options{Keep: func(string) bool { return true }})
	wantWhole(t, im)
	return im
}

// wantAt checks what p is at boot: "" absent, else "TYPE SEGMENT CONTENT"
// ("file 1 new", "dir 0 ", "symlink 1 usr/lib").
func wantAt(t *testing.T, im *Image, p, want string) {
	t.Helper()
	got := ""
	if e, ok := im.Has(p); ok {
		got = typeName(e.Mode&ModeType) + " " + string(rune('0'+e.Segment)) + " "
		switch {
		case e.IsSymlink():
			got += e.Link
		case e.IsRegular():
			b, ok := im.File(p)
			if !ok {
				b = []byte("<no content>")
			}
			got += string(b)
		}
	}
	if got != want {
		t.Errorf("%s at boot: got %q, want %q", p, got, want)
	}
}

// wantNotCreated checks that the entry at p (of segment seg) is in
// NotCreated with a reason holding every word of why.
func wantNotCreated(t *testing.T, im *Image, p string, seg int, why ...string) {
	t.Helper()
	for _, nc := range im.NotCreated {
		if nc.Path == p && nc.Segment == seg {
			for _, w := range why {
				if !strings.Contains(nc.Reason, w) {
					t.Errorf("NotCreated %s: reason %q lacks %q", p, nc.Reason, w)
				}
			}
			return
		}
	}
	t.Errorf("%s (segment %d) not in NotCreated %+v", p, seg, im.NotCreated)
}

func TestRootfsNonEmptyDirStays(t *testing.T) {
	// Ubuntu's layout gone wrong: the modules archive has a real lib/,
	// main's lib -> usr/lib cannot replace it.
	mods := archive(dir("lib"), dir("lib/modules"), dir("lib/modules/V"), file("lib/modules/V/a.ko", "A"),
		dir("etc"), file("etc/x", "x"), dir("empty"), dir("empty2"))
	main := archive(dir("usr"), dir("usr/lib"), dir("usr/lib/modules"), dir("usr/lib/modules/V"),
		file("usr/lib/modules/V/modules.dep", "a.ko:\n"), symlink("lib", "usr/lib"),
		file("etc", "a file over a directory"), symlink("empty", "usr"), file("empty2", "f"))
	im := rootfsOf(t, mods, main)
	wantAt(t, im, "lib", "directory 0 ")
	wantAt(t, im, "lib/modules/V/a.ko", "file 0 A")
	wantAt(t, im, "lib/modules/V/modules.dep", "")
	wantAt(t, im, "usr/lib/modules/V/modules.dep", "file 1 a.ko:\n")
	wantNotCreated(t, im, "lib", 1, "lib is a directory that is not empty", `made by "lib" in segment 0`, "symlink is not created")
	wantAt(t, im, "etc/x", "file 0 x")
	wantNotCreated(t, im, "etc", 1, "not empty", "file is not created")
	// An empty directory is removed (rmdir works) and replaced.
	wantAt(t, im, "empty", "symlink 1 usr")
	wantAt(t, im, "empty2", "file 1 f")
	if b, ok := im.File("lib/modules/V/modules.dep"); ok {
		t.Errorf("File found modules.dep through the lib the kernel did not create: %q", b)
	}
	why := im.WhyNot("/lib/modules/V/modules.dep")
	for _, w := range []string{"does not exist at boot", `does not create symlink "lib" (segment 1)`, "usr/lib/modules/V/modules.dep"} {
		if !strings.Contains(why, w) {
			t.Errorf("WhyNot %q lacks %q", why, w)
		}
	}
	if m := im.Modules[0]; m.Unreachable != "" {
		t.Errorf("lib/modules/V/a.ko is where modprobe looks: %q", m.Unreachable)
	}
}

func TestRootfsSameType(t *testing.T) {
	first := archive(dir("d"), file("d/keep", "k"), file("f", "old"), symlink("s", "d"), chardev("c"))
	second := archive(ent{name: "d", mode: ModeDir | 0o700}, file("f", "new"), symlink("s", "elsewhere"),
		ent{name: "c", mode: ModeChar | 0o666})
	im := rootfsOf(t, first, second)
	// A directory over a directory keeps the old one, its contents, and
	// takes the new mode.
	wantAt(t, im, "d", "directory 0 ")
	if e, _ := im.Has("d"); e.Mode != ModeDir|0o700 {
		t.Errorf("d mode %#o, want the later entry's 040700", e.Mode)
	}
	wantAt(t, im, "d/keep", "file 0 k")
	wantAt(t, im, "f", "file 1 new")
	wantAt(t, im, "s", "symlink 1 elsewhere")
	if e, _ := im.Has("c"); e.Segment != 0 || e.Mode != ModeChar|0o666 {
		t.Errorf("c: %+v, want the first (mknod fails with EEXIST) with the later mode", e)
	}
	if len(im.NotCreated) != 0 {
		t.Errorf("NotCreated %+v", im.NotCreated)
	}
}

func TestRootfsOtherType(t *testing.T) {
	first := archive(file("a", "file"), symlink("b", "a"), file("c", "file"), dir("d"), symlink("e", "a"))
	second := archive(dir("a"), file("b", "now a file"), symlink("c", "a"), file("d", "was an empty dir"), dir("e"), file("e/x", "x"))
	im := rootfsOf(t, first, second)
	wantAt(t, im, "a", "directory 1 ")
	wantAt(t, im, "b", "file 1 now a file")
	wantAt(t, im, "c", "symlink 1 a")
	wantAt(t, im, "d", "file 1 was an empty dir")
	wantAt(t, im, "e/x", "file 1 x")
}

func TestRootfsParents(t *testing.T) {
	im := rootfsOf(t,
		archive(dir("usr"), dir("usr/lib"), symlink("lib", "usr/lib"), file("f", "a file"),
			symlink("dangling", "nowhere"), symlink("abs", "/usr"), symlink("loop", "loop")),
		archive(file("lib/x", "through lib"), file("nodir/x", "?"), file("f/x", "?"), file("dangling/x", "?"),
			file("abs/lib/y", "through /usr"), file("loop/x", "?")))
	// A name under a symlinked directory goes where the symlink leads.
	wantAt(t, im, "usr/lib/x", "file 1 through lib")
	wantAt(t, im, "lib/x", "file 1 through lib")
	if e, _ := im.Has("usr/lib/x"); e.Path != "lib/x" {
		t.Errorf("usr/lib/x is entry %q, want lib/x", e.Path)
	}
	wantAt(t, im, "usr/lib/y", "file 1 through /usr")
	wantNotCreated(t, im, "nodir/x", 1, "nodir does not exist")
	wantNotCreated(t, im, "f/x", 1, "f is a file, not a directory")
	wantNotCreated(t, im, "dangling/x", 1, "nowhere does not exist")
	wantNotCreated(t, im, "loop/x", 1, "too many levels of symlinks")
}

func TestRootfsHardLinks(t *testing.T) {
	hl := func(name, data string) ent {
		return ent{name: name, mode: ModeRegular | 0o644, data: data, ino: 7, nlink: 2}
	}
	im := rootfsOf(t,
		archive(dir("d"), file("d/x", "x"), file("b", "old b")),
		// b is linked over the old b; c's first member cannot be made.
		archive(hl("a", ""), hl("b", "shared"), ent{name: "nodir/c1", mode: ModeRegular | 0o644, ino: 9, nlink: 2},
			ent{name: "c2", mode: ModeRegular | 0o644, data: "c", ino: 9, nlink: 2},
			ent{name: "d", mode: ModeRegular | 0o644, ino: 7, nlink: 3}))
	wantAt(t, im, "a", "file 1 shared")
	wantAt(t, im, "b", "file 1 shared")
	if e, _ := im.Has("b"); e.HardLink != "a" {
		t.Errorf("b: %+v, want a hard link to a", e)
	}
	wantNotCreated(t, im, "nodir/c1", 1, "nodir does not exist")
	wantNotCreated(t, im, "c2", 1, `hard link to "nodir/c1", which cannot be reached`)
	wantAt(t, im, "c2", "")
	wantNotCreated(t, im, "d", 1, "d is a directory that is not empty")
	wantAt(t, im, "d/x", "file 0 x")
}

func TestRootfsRoot(t *testing.T) {
	im := rootfsOf(t, archive(dir("."), symlink("./", "x"), file("/", "x")))
	if e, ok := im.Has("."); !ok || !e.IsDir() {
		t.Errorf("root: %+v %v", e, ok)
	}
	if len(im.NotCreated) != 2 || !strings.Contains(im.NotCreated[0].Reason, "root directory") {
		t.Errorf("NotCreated %+v", im.NotCreated)
	}
}

func TestRootfsModules(t *testing.T) {
	v := "6.1.0-13-amd64"
	mod := elfModule("vermagic=" + v + " SMP")
	usr := "usr/lib/modules/" + v + "/kernel/"
	im := rootfsOf(t,
		archive(dir("usr"), dir("usr/lib"), dir("usr/lib/modules"), dir("usr/lib/modules/"+v), dir(usr),
			file(usr+"a.ko", string(mod)), file(usr+"b.ko", string(mod)), symlink("lib", "usr/lib")),
		// A later archive's file over a module, through lib -> usr/lib.
		archive(file("lib/modules/"+v+"/kernel/b.ko", "garbage")))
	byPath := map[string]Module{}
	for _, m := range im.Modules {
		byPath[m.Path] = m
	}
	if m := byPath[usr+"a.ko"]; m.Unreachable != "" {
		t.Errorf("a.ko: %q", m.Unreachable)
	}
	if m := byPath[usr+"b.ko"]; !strings.Contains(m.Unreachable, `is "lib/modules/`+v+`/kernel/b.ko" (segment 1) at boot`) {
		t.Errorf("shadowed b.ko: %q", m.Unreachable)
	}
	if m := byPath["lib/modules/"+v+"/kernel/b.ko"]; m.Unreachable != "" || m.Err == nil {
		t.Errorf("the garbage b.ko is what modprobe finds: %+v", m)
	}
	wantAt(t, im, "lib/modules/"+v+"/kernel/b.ko", "file 1 garbage")

	// Without lib -> usr/lib, modprobe does not look under usr/lib.
	im = rootfsOf(t, archive(dir("usr"), dir("usr/lib"), dir("usr/lib/modules"), dir("usr/lib/modules/"+v), dir(usr),
		file(usr+"a.ko", string(mod))))
	if m := im.Modules[0]; !strings.Contains(m.Unreachable, "/lib/modules/"+v+"/kernel/a.ko cannot be reached at boot: lib does not exist") {
		t.Errorf("a.ko with no /lib: %q", m.Unreachable)
	}
}

func TestRootfsManyNotCreated(t *testing.T) {
	// A hostile image: many modules, none created (no directories). Each
	// is told why in one pass, not one scan of NotCreated per module.
	ents := make([]ent, 60000)
	for i := range ents {
		ents[i] = file("lib/modules/V/m"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strconv.Itoa(i)+".ko", "")
	}
	im := mustRead(t, archive(ents...), Options{Modinfo: NoModinfo})
	if len(im.NotCreated) != len(ents) || len(im.Modules) != len(ents) {
		t.Fatalf("%d not created, %d modules", len(im.NotCreated), len(im.Modules))
	}
	if m := im.Modules[len(ents)-1]; !strings.Contains(m.Unreachable, "lib does not exist") {
		t.Errorf("last module: %q", m.Unreachable)
	}
}

func TestRootfsHardLinkTruncated(t *testing.T) {
	// A later member with data truncates the shared file to its size
	// before writing (do_name's truncate), so no tail of the earlier data
	// stays.
	hl := func(name, data string) ent {
		return ent{name: name, mode: ModeRegular | 0o644, data: data, ino: 4, nlink: 2}
	}
	im := rootfsOf(t, archive(hl("a", "long first data"), hl("b", "short")))
	wantAt(t, im, "a", "file 0 short")
	wantAt(t, im, "b", "file 0 short")
	if e, _ := im.Has("a"); e.Size != 5 {
		t.Errorf("a size %d, want 5", e.Size)
	}
}
