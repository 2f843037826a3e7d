//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faulty is a temporary file whose step `at` fails with errno.
type faulty struct {
	*os.File
	at    string
	errno syscall.Errno
}

func (f faulty) fail(step string) error {
	if f.at == step {
		return &fs.PathError{Op: step, Path: f.Name(), Err: f.errno}
	}
	return nil
}

func (f faulty) Write(p []byte) (int, error) {
	if err := f.fail("write"); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f faulty) Chmod(m fs.FileMode) error {
	if err := f.fail("chmod"); err != nil {
		return err
	}
	return f.File.Chmod(m)
}

func (f faulty) Sync() error {
	if err := f.fail("sync"); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f faulty) Close() error {
	err := f.File.Close()
	if ferr := f.fail("close"); ferr != nil {
		return ferr
	}
	return err
}

// Every step of a write fails as a full, broken, read-only or forbidden
// disk does: the error says so (errors.Is holds), the old file is intact and
// no temporary file is left.
func TestWriteFileFaults(t *testing.T) {
	errnos := []syscall.Errno{syscall.ENOSPC, syscall.EIO, syscall.EROFS, syscall.EACCES}
	for _, step := range []string{"open", "write", "chmod", "sync", "close"} {
		for _, errno := range errnos {
			t.Run(step+"/"+errno.Error(), func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "m.prom")
				if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				restore := inject(step, errno)
				defer restore()
				err := WriteFile(path, []byte("new\n"), 0o644)
				if !errors.Is(err, errno) {
					t.Fatalf("error %v, want one wrapping %v", err, errno)
				}
				if b, _ := os.ReadFile(path); string(b) != "old\n" {
					t.Errorf("the old file changed: %q", b)
				}
				if tmp := leftovers(t, dir); tmp != nil {
					t.Errorf("temporary files left: %v", tmp)
				}
			})
		}
	}
}

// inject makes step fail with errno until the returned func is called.
func inject(step string, errno syscall.Errno) func() {
	oldWrap, oldOpen := wrap, openFile
	if step == "open" {
		openFile = func(*os.Root, string, int, fs.FileMode) (*os.File, error) { return nil, errno }
	} else {
		wrap = func(f *os.File) file { return faulty{f, step, errno} }
	}
	return func() { wrap, openFile = oldWrap, oldOpen }
}

// A link planted at the target is replaced, never written through; a link
// or a hard link planted where the file will be leaves the file they point
// to as it was.
func TestWriteFileNotRedirected(t *testing.T) {
	victimDir := t.TempDir()
	victim := filepath.Join(victimDir, "shadow")
	if err := os.WriteFile(victim, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	intact := func(t *testing.T) {
		t.Helper()
		if b, err := os.ReadFile(victim); err != nil || string(b) != "secret\n" {
			t.Errorf("the file the link pointed to changed: %q, %v", b, err)
		}
	}
	t.Run("symlink at target", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "m.prom")
		os.Symlink(victim, path)
		if err := WriteFile(path, []byte("new\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		intact(t)
		if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
			t.Errorf("the target is not a regular file: %v %v", st, err)
		}
	})
	t.Run("hard link at target", func(t *testing.T) {
		dir := filepath.Join(victimDir, "metrics") // a hard link needs the same filesystem
		os.Mkdir(dir, 0o755)
		path := filepath.Join(dir, "m.prom")
		if err := os.Link(victim, path); err != nil {
			t.Skip(err)
		}
		if err := WriteFile(path, []byte("new\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		intact(t)
	})
	t.Run("symlink at the temporary name", func(t *testing.T) {
		dir := t.TempDir()
		old := tempName
		tempName = func(string) string { return ".m.prom.tmp-x" }
		defer func() { tempName = old }()
		os.Symlink(victim, filepath.Join(dir, ".m.prom.tmp-x"))
		if err := WriteFile(filepath.Join(dir, "m.prom"), []byte("new\n"), 0o644); err == nil {
			t.Error("no error, want: no unused temporary name")
		}
		intact(t)
	})
}

// A directory another user can write to, or owned by another user, is
// refused before anything is written in it.
func TestWriteFileUnsafeDir(t *testing.T) {
	t.Run("world-writable", func(t *testing.T) {
		dir := t.TempDir()
		os.Chmod(dir, 0o777)
		err := WriteFile(filepath.Join(dir, "m.prom"), []byte("x"), 0o644)
		if !errors.Is(err, ErrUnsafeDir) {
			t.Fatalf("error %v, want ErrUnsafeDir", err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("wrote %v", ents)
		}
	})
	t.Run("hostile owner", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give the directory to another user")
		}
		dir := t.TempDir()
		if err := os.Chown(dir, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		err := WriteFile(filepath.Join(dir, "m.prom"), []byte("x"), 0o644)
		if !errors.Is(err, ErrUnsafeDir) {
			t.Fatalf("error %v, want ErrUnsafeDir", err)
		}
	})
}

// Lock is exclusive: a second taker waits, and gives up when its context
// ends, saying so.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := Lock(ctx, dir); err == nil || !strings.Contains(err.Error(), "another boot-guard holds it") {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	unlock2, err := Lock(context.Background(), dir)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	unlock2()
	// A link planted at the lock's name may not lead out of the directory.
	dir2 := t.TempDir()
	os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), filepath.Join(dir2, LockName))
	if _, err := Lock(context.Background(), dir2); err == nil {
		t.Error("a lock through a link out of the directory was taken")
	}
}
