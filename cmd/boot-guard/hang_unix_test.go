//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdHang makes $WORK/FILE a FIFO with no writer: opening it for reading
// blocks in open(2), where nothing can cancel it, as a read of /boot on a
// dead NFS server does (issue 17 item 2). At the script's end a writer opens
// it, so the blocked goroutine ends too.
func cmdHang(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hang FILE")
	}
	p := state(ts).local(ts, args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(syscall.Mkfifo(p, 0o644))
	ts.Defer(func() {
		if f, err := os.OpenFile(p, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
}
