package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/urfave/cli/v2"
)

// ls and inspect read each INITRD argument as one image (several arguments
// are several images, not one concatenation) and exit with the worst
// verdict: 0 whole, 1 broken, 2 unsupported compression or unreadable.
// Listings go to stdout; problems to stderr, each line "boot-guard: PATH: ...".

func lsCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list every path in the initrd images, as the kernel unpacks them",
		Description: "Prints one path a line, relative to the root (the root itself is \".\"), in archive order,\n" +
			"like lsinitramfs, but also the archives lsinitramfs misses: every compressed member and every\n" +
			"archive after the first one inside a member. --long adds the segment, mode and size.",
		ArgsUsage: "INITRD...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "add segment, mode and size"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("ls needs at least one INITRD")
			}
			worst := verify.Bootable
			for _, p := range c.Args().Slice() {
				worst = verify.Worst(worst, lsImage(c.Context, env, p, c.Bool("long")))
			}
			return exit(worst.ExitCode())
		},
	}
}

// lsImage lists one image and returns its verdict.
func lsImage(ctx context.Context, env *Env, path string, long bool) verify.Verdict {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "boot-guard: error: %v\n", err)
		return verify.CannotTell
	}
	defer f.Close()
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	kv := kernelDirs{}
	// ls prints no module's .modinfo: reading them was most of its time.
	im, err := initrd.Walk(ctx, f, initrd.Options{Modinfo: initrd.NoModinfo}, func(e initrd.Entry) error {
		kv.see(e.Path)
		if long {
			fmt.Fprintf(w, "%3d %s %10d %s", e.Segment, modeString(e.Mode), e.Size, e.Path)
			switch {
			case e.Link != "":
				fmt.Fprintf(w, " -> %s", e.Link)
			case e.HardLink != "":
				fmt.Fprintf(w, " link to %s", e.HardLink)
			}
			return w.WriteByte('\n')
		}
		_, err := fmt.Fprintln(w, e.Path)
		return err
	})
	if err != nil {
		w.Flush()
		fmt.Fprintf(env.Stderr, "boot-guard: error: %s: %v\n", path, err)
		return verify.CannotTell
	}
	w.Flush()
	return reportProblems(env.Stderr, path, im, true, kv)
}

// imageVerdict maps an image's problems to the contract's verdicts.
func imageVerdict(im *initrd.Image) verify.Verdict {
	v := verify.Bootable
	for _, p := range im.Problems {
		if p.Kind == initrd.Unsupported {
			v = verify.Worst(v, verify.CannotTell)
		} else {
			v = verify.Worst(v, verify.Unbootable)
		}
	}
	return v
}

// reportProblems prints an image's problems (when each is not already on
// stdout) and what they mean to stderr, and returns its verdict. kv are the
// lib/modules/VERSION directories seen in the image, for the fix command.
func reportProblems(stderr io.Writer, path string, im *initrd.Image, each bool, kv kernelDirs) verify.Verdict {
	v := imageVerdict(im)
	for _, p := range im.Problems {
		if each {
			fmt.Fprintf(stderr, "boot-guard: %s: %s: %s\n", path, p.Kind, p.Message)
		}
	}
	switch v {
	case verify.Unbootable:
		fmt.Fprintf(stderr, "boot-guard: %s: the image is broken: the kernel stops unpacking at the first problem, so nothing after it reaches the root filesystem\n", path)
		if v := kv.version(path); v != "" {
			fmt.Fprintf(stderr, "boot-guard: hint: rebuild it: update-initramfs -u -k %s (initramfs-tools) or dracut --force --kver %s (dracut)\n", v, v)
		} else {
			fmt.Fprintln(stderr, "boot-guard: hint: rebuild it with update-initramfs -u -k and the version of the kernel it is for (initramfs-tools), "+
				"or dracut --force --kver and that version (dracut); ls /lib/modules lists the installed kernels")
		}
	case verify.CannotTell:
		fmt.Fprintf(stderr, "boot-guard: %s: cannot tell whether the image is whole: boot-guard cannot decode part of it\n", path)
	}
	return v
}

// kernelDirs collects the VERSION of every lib/modules/VERSION (or
// usr/lib/modules/VERSION) path in an image: the kernel it was built for.
type kernelDirs map[string]bool

// see records the kernel version p lies under, if any.
func (k kernelDirs) see(p string) {
	p = strings.TrimPrefix(strings.TrimPrefix(p, "./"), "usr/")
	rest, ok := strings.CutPrefix(p, "lib/modules/")
	if !ok {
		return
	}
	if v, _, _ := strings.Cut(rest, "/"); v != "" && v != "." && v != ".." {
		k[v] = true
	}
}

// version names the kernel an image is for: the one kernel its modules'
// directories name, else the one its file name names (Debian's
// initrd.img-VERSION, dracut's initramfs-VERSION.img), else "".
func (k kernelDirs) version(path string) string {
	if len(k) == 1 {
		for v := range k {
			return v
		}
	}
	base := filepath.Base(path)
	if v, ok := strings.CutPrefix(base, "initrd.img-"); ok && v != "" {
		return strings.TrimSuffix(v, ".new")
	}
	if v, ok := strings.CutPrefix(base, "initramfs-"); ok && strings.HasSuffix(v, ".img") && len(v) > len(".img") {
		return strings.TrimSuffix(v, ".img")
	}
	return ""
}

// modeString renders a raw cpio mode the way ls -l does.
func modeString(m uint32) string {
	var b [10]byte
	switch m & initrd.ModeType {
	case initrd.ModeDir:
		b[0] = 'd'
	case initrd.ModeSymlink:
		b[0] = 'l'
	case initrd.ModeChar:
		b[0] = 'c'
	case initrd.ModeBlock:
		b[0] = 'b'
	case initrd.ModeFIFO:
		b[0] = 'p'
	case initrd.ModeSocket:
		b[0] = 's'
	case initrd.ModeRegular:
		b[0] = '-'
	default:
		b[0] = '?'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		} else {
			b[1+i] = '-'
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if m&bit != 0 {
			if b[at] == '-' {
				b[at] = unset
			} else {
				b[at] = set
			}
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b[:])
}

func inspectCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "show segments, compression, modules and integrity problems of initrd images",
		ArgsUsage: "INITRD...",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("inspect needs at least one INITRD")
			}
			doc := inspectDoc{SchemaVersion: verify.SchemaVersion, Images: []inspectImage{}}
			worst := verify.Bootable
			for _, p := range c.Args().Slice() {
				ii := inspectOne(c.Context, p)
				worst = verify.Worst(worst, ii.Verdict)
				doc.Images = append(doc.Images, ii)
				if !c.Bool("json") {
					printInspect(env.Stdout, ii)
				}
				if ii.Error != "" {
					fmt.Fprintf(env.Stderr, "boot-guard: error: %s\n", ii.Error)
				} else if ii.image != nil {
					// The text report lists the problems on stdout;
					// --json's stdout is for machines.
					reportProblems(env.Stderr, p, ii.image, c.Bool("json"), ii.kernels)
				}
			}
			if c.Bool("json") {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(doc); err != nil {
					return err
				}
			}
			return exit(worst.ExitCode())
		},
	}
}

// inspectDoc is what inspect --json prints.
type inspectDoc struct {
	SchemaVersion int            `json:"schema_version"`
	Images        []inspectImage `json:"images"`
}

type inspectImage struct {
	Path     string           `json:"path"`
	Verdict  verify.Verdict   `json:"verdict"`
	Whole    bool             `json:"whole"`
	Error    string           `json:"error,omitempty"`
	Size     int64            `json:"size"`
	Entries  int              `json:"entries"`
	Segments []initrd.Segment `json:"segments"`
	// KernelVersions counts modules by the VER of their lib/modules/VER
	// path; Vermagic by the kernel release their vermagic names.
	KernelVersions map[string]int   `json:"kernel_versions"`
	Vermagic       map[string]int   `json:"vermagic"`
	Modules        []inspectModule  `json:"modules"`
	Problems       []initrd.Problem `json:"problems"`

	image   *initrd.Image
	kernels kernelDirs
}

type inspectModule struct {
	Path          string   `json:"path"`
	Name          string   `json:"name"`
	KernelVersion string   `json:"kernel_version"`
	Vermagic      string   `json:"vermagic,omitempty"`
	Depends       []string `json:"depends"`
	Error         string   `json:"error,omitempty"`
}

// inspectOne reads one image for inspect.
func inspectOne(ctx context.Context, path string) inspectImage {
	ii := inspectImage{Path: path, Verdict: verify.CannotTell, Segments: []initrd.Segment{},
		KernelVersions: map[string]int{}, Vermagic: map[string]int{}, Modules: []inspectModule{}, Problems: []initrd.Problem{}}
	f, err := os.Open(path)
	if err != nil {
		ii.Error = err.Error()
		return ii
	}
	defer f.Close()
	n := 0
	ii.kernels = kernelDirs{}
	im, err := initrd.Walk(ctx, f, initrd.Options{}, func(e initrd.Entry) error { n++; ii.kernels.see(e.Path); return nil })
	if err != nil {
		ii.Error = fmt.Sprintf("%s: %v", path, err)
		return ii
	}
	ii.image = im
	ii.Verdict, ii.Whole, ii.Size, ii.Entries = imageVerdict(im), im.Whole(), im.Size, n
	ii.Segments, ii.Problems = im.Segments, im.Problems
	for _, m := range im.Modules {
		im := inspectModule{Path: m.Path, Name: m.Name, KernelVersion: m.KernelVersion, Vermagic: m.Vermagic, Depends: m.Depends}
		if im.Depends == nil {
			im.Depends = []string{}
		}
		if m.Err != nil {
			im.Error = m.Err.Error()
		}
		ii.Modules = append(ii.Modules, im)
		ii.KernelVersions[m.KernelVersion]++
		if rel, _, _ := strings.Cut(m.Vermagic, " "); rel != "" {
			ii.Vermagic[rel]++
		}
	}
	return ii
}

// printInspect renders one image for people.
func printInspect(w io.Writer, ii inspectImage) {
	if ii.Error != "" {
		fmt.Fprintf(w, "%s: unreadable\n\n", ii.Path)
		return
	}
	state := "whole"
	switch ii.Verdict {
	case verify.Unbootable:
		state = "BROKEN"
	case verify.CannotTell:
		state = "cannot tell (unsupported compression)"
	}
	fmt.Fprintf(w, "%s: %d bytes, %d segments, %d entries, %s\n", ii.Path, ii.Size, len(ii.Segments), ii.Entries, state)
	fmt.Fprintf(w, "  %-3s %10s %10s %-6s %12s %12s %8s %8s\n", "seg", "offset", "end", "codec", "compressed", "decompressed", "archives", "entries")
	for _, s := range ii.Segments {
		fmt.Fprintf(w, "  %-3d %10d %10d %-6s %12d %12d %8d %8d\n", s.Index, s.Offset, s.End, s.Compression, s.CompressedSize, s.DecompressedSize, s.Archives, s.Entries)
	}
	fmt.Fprintf(w, "  modules: %d\n", len(ii.Modules))
	for _, v := range sortedKeys(ii.KernelVersions) {
		fmt.Fprintf(w, "    %d under lib/modules/%s\n", ii.KernelVersions[v], v)
	}
	for _, v := range sortedKeys(ii.Vermagic) {
		fmt.Fprintf(w, "    %d with vermagic %s\n", ii.Vermagic[v], v)
	}
	for _, m := range ii.Modules {
		if m.Error != "" {
			fmt.Fprintf(w, "    unreadable .modinfo: %s\n", m.Error)
		} else if rel, _, _ := strings.Cut(m.Vermagic, " "); rel != m.KernelVersion {
			fmt.Fprintf(w, "    %s: under lib/modules/%s but built for %s\n", m.Path, m.KernelVersion, rel)
		}
	}
	if len(ii.Problems) == 0 {
		fmt.Fprintln(w, "  problems: none")
	} else {
		fmt.Fprintf(w, "  problems: %d\n", len(ii.Problems))
		for _, p := range ii.Problems {
			fmt.Fprintf(w, "    %s: %s\n", p.Kind, p.Message)
		}
	}
	fmt.Fprintln(w)
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
