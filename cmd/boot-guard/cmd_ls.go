package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/boot-guard/boot-guard/verify"
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
	w := bufio.NewWriter(env.Stdout)
	defer w.Flush()
	img, err := verify.WalkImage(ctx, path, false, func(e verify.ImageEntry) error {
		if long {
			fmt.Fprintf(w, "%3d %s %10d %s", e.Segment, e.ModeString(), e.Size, e.Path)
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
	w.Flush()
	if err != nil {
		fmt.Fprintf(env.Stderr, "boot-guard: error: %v\n", err)
		return verify.CannotTell
	}
	return reportProblems(env.Stderr, env.Root, path, img, true)
}

// reportProblems prints an image's problems (when each is not already on
// stdout) and what they mean to stderr, with the fix for a broken one, and
// returns its verdict.
func reportProblems(stderr io.Writer, root, path string, img verify.ImageFile, each bool) verify.Verdict {
	for _, p := range img.Image.Problems {
		if each {
			fmt.Fprintf(stderr, "boot-guard: %s: %s: %s\n", path, p.Kind, p.Message)
		}
	}
	switch img.Verdict {
	case verify.Unbootable:
		fmt.Fprintf(stderr, "boot-guard: %s: the image is broken: the kernel stops unpacking at the first problem, so nothing after it reaches the root filesystem\n", path)
		fmt.Fprintf(stderr, "boot-guard: hint: %s\n", verify.ImageFixHint(root, img))
	case verify.CannotTell:
		fmt.Fprintf(stderr, "boot-guard: %s: cannot tell whether the image is whole: boot-guard cannot decode part of it\n", path)
	}
	return img.Verdict
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
				} else if ii.image.Image != nil {
					// The text report lists the problems on stdout;
					// --json's stdout is for machines.
					reportProblems(env.Stderr, env.Root, p, ii.image, c.Bool("json"))
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
	Path     string                `json:"path"`
	Verdict  verify.Verdict        `json:"verdict"`
	Whole    bool                  `json:"whole"`
	Error    string                `json:"error,omitempty"`
	Size     int64                 `json:"size"`
	Entries  int                   `json:"entries"`
	Segments []verify.ImageSegment `json:"segments"`
	// KernelVersions counts modules by the VER of their lib/modules/VER
	// path; Vermagic by the kernel release their vermagic names.
	KernelVersions map[string]int      `json:"kernel_versions"`
	Vermagic       map[string]int      `json:"vermagic"`
	Modules        []inspectModule     `json:"modules"`
	Problems       []verify.ImageIssue `json:"problems"`

	image verify.ImageFile
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
	ii := inspectImage{Path: path, Verdict: verify.CannotTell, Segments: []verify.ImageSegment{},
		KernelVersions: map[string]int{}, Vermagic: map[string]int{}, Modules: []inspectModule{}, Problems: []verify.ImageIssue{}}
	img, err := verify.WalkImage(ctx, path, true, nil)
	if err != nil {
		ii.Error = err.Error()
		return ii
	}
	im := img.Image
	ii.image = img
	ii.Verdict, ii.Whole, ii.Size, ii.Entries = img.Verdict, im.Whole(), im.Size, img.Entries
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
