package verify_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// faultFS is a /sys or /proc whose files fail with errno: on open, or on
// read when onRead is set (a sysfs attribute whose driver returns EIO).
type faultFS struct {
	base   fs.FS
	errno  syscall.Errno
	onRead bool
}

func (f faultFS) Open(name string) (fs.File, error) {
	if !f.onRead {
		return nil, &fs.PathError{Op: "open", Path: name, Err: f.errno}
	}
	file, err := f.base.Open(name)
	if err != nil {
		return nil, err
	}
	return faultFile{file, f.errno}, nil
}

type faultFile struct {
	fs.File
	errno syscall.Errno
}

func (f faultFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: "?", Err: f.errno}
}

// Reads that fail (a broken disk, a forbidden file) on what the verdict
// needs never give "bootable": the check says it could not tell.
func TestReadFaultsNeverBootable(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	if k := check(t, f.request()); k.Verdict != verify.Bootable {
		t.Fatalf("the fixture does not boot: %+v", k.Problems)
	}
	for _, errno := range []syscall.Errno{syscall.EIO, syscall.EACCES} {
		for _, onRead := range []bool{false, true} {
			step := "open"
			if onRead {
				step = "read"
			}
			for _, which := range []string{"sys", "proc"} {
				t.Run(which+"/"+step+"/"+errno.Error(), func(t *testing.T) {
					req := f.request()
					if which == "sys" {
						req.Sys = faultFS{os.DirFS(f.m.Sys), errno, onRead}
					} else {
						req.Proc = faultFS{os.DirFS(f.m.Proc), errno, onRead}
					}
					if k := check(t, req); k.Verdict != verify.CannotTell {
						t.Errorf("verdict %v, want cannot-tell: %+v", k.Verdict, k.Problems)
					}
				})
			}
		}
	}
}

// Files under /boot and /lib/modules that fail with EIO on read (a link to
// /proc/self/mem: the kernel answers read(2) at offset 0 with EIO): what the
// verdict needs gives cannot-tell naming the file; the kernel's config,
// which only adds checks, is reported not checked; the *.bin indexes are not
// read on the host at all (the text indexes are).
func TestDiskReadFaults(t *testing.T) {
	if _, err := os.ReadFile("/proc/self/mem"); err == nil || !strings.Contains(err.Error(), "input/output error") {
		t.Skipf("no EIO from /proc/self/mem here: %v", err)
	}
	cases := []struct {
		rel  string
		want verify.Verdict
		code verify.Code
	}{
		{"lib/modules/" + kv + "/modules.dep", verify.CannotTell, verify.CodeModuleIndex},
		{"lib/modules/" + kv + "/modules.builtin", verify.CannotTell, verify.CodeModuleIndex},
		{"boot/config-" + kv, verify.Bootable, verify.CodeKernelConfig},
		{"lib/modules/" + kv + "/modules.dep.bin", verify.Bootable, ""},
		{"etc/kernel/cmdline", verify.CannotTell, verify.CodeCmdlineUnreadable},
	}
	for _, tc := range cases {
		t.Run(tc.rel, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			p := filepath.Join(f.root, tc.rel)
			os.Remove(p)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.Symlink("/proc/self/mem", p); err != nil {
				t.Fatal(err)
			}
			k := check(t, f.request())
			if k.Verdict != tc.want {
				t.Errorf("verdict %v, want %v: %+v", k.Verdict, tc.want, k.Problems)
			}
			if tc.code != "" {
				if p := problem(t, k, tc.code); !strings.Contains(p.Message, "input/output error") {
					t.Errorf("the problem does not give the error: %q", p.Message)
				}
			}
		})
	}
}

// A check whose context ends (a time bound, a signal) says why and what it
// was doing.
func TestCheckInterruptedSaysWhy(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	ctx, progress := verify.WithProgress(context.Background())
	ctx, cancel := context.WithCancelCause(ctx)
	cancel(errors.New("terminated signal received"))
	k := verify.Check(ctx, f.request())
	if k.Verdict != verify.CannotTell {
		t.Fatalf("verdict %v", k.Verdict)
	}
	if p := problem(t, k, verify.CodeNotChecked); !strings.Contains(p.Message, "interrupted: terminated signal received") {
		t.Errorf("message %q", p.Message)
	}
	if d := progress.Doing(); !strings.Contains(d, "reading the initrd") {
		t.Errorf("progress %q, want the last step", d)
	}
}
