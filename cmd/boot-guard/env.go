package main

import (
	"io"
	"io/fs"
	"os"

	"github.com/boot-guard/boot-guard/verify"
)

// Env is everything the CLI takes from the process, so tests can run the real
// CLI in-process against fixture roots.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv looks up an environment variable ("" when unset).
	Getenv func(string) string
	// Root is the host filesystem root: /boot, /lib/modules, /etc are read
	// under it. "/" in production; a t.TempDir() in tests. --root replaces it.
	Root string
	// Sys and Proc are the host's /sys and /proc. They are never read under
	// --root. nil means not available (device requirements are cannot-tell).
	Sys  fs.FS
	Proc fs.FS
}

// NewEnv returns the environment of the running process.
func NewEnv() *Env {
	return &Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Root:   "/",
		Sys:    verify.HostSys("/sys", "/dev/mapper/control"), // issue 12 item 3: and the dm tables
		Proc:   os.DirFS("/proc"),
	}
}
