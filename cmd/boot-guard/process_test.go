//go:build unix

package main

// Process tests (issue 17): the test binary re-executes itself as
// boot-guard (TestMain, BG_TEST_ARGS), so that what only a real process
// shows is tested: os.Exit after a hard time bound, signals, closed stdio,
// and several hooks running at once.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the tests, or, when BG_TEST_ARGS is set, is boot-guard
// itself with root BG_TEST_ROOT and /sys and /proc under BG_TEST_MACHINE
// (none when unset).
func TestMain(m *testing.M) {
	if a := os.Getenv("BG_TEST_ARGS"); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		env := NewEnv()
		env.Root, env.Sys, env.Proc = os.Getenv("BG_TEST_ROOT"), nil, nil
		if mach := os.Getenv("BG_TEST_MACHINE"); mach != "" {
			env.Sys, env.Proc = os.DirFS(filepath.Join(mach, "sys")), os.DirFS(filepath.Join(mach, "proc"))
		}
		os.Exit(runProcess(args, env))
	}
	os.Exit(m.Run())
}

// bootGuard is a command running this test binary as boot-guard over root,
// with argv args (args[0] is the name it is invoked by).
func bootGuard(t *testing.T, root string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(args)
	cmd := exec.Command(exe)
	cmd.Env = []string{"BG_TEST_ARGS=" + string(a), "BG_TEST_ROOT=" + root, "PATH=/usr/bin:/bin"}
	return cmd
}

// exitCode runs cmd and returns its exit code and stderr; a death by signal
// fails the test.
func exitCode(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var errb strings.Builder
	if cmd.Stderr == nil {
		cmd.Stderr = &errb
	}
	err := cmd.Run()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("boot-guard was killed by %v; stderr:\n%s", ws.Signal(), errb.String())
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), errb.String()
}

// hangingRoot is bareRoot whose /boot/config-VERSION is a FIFO with no
// writer: opening it blocks in open(2) where nothing can cancel it, as a
// read of /boot on a dead NFS server does.
func hangingRoot(t *testing.T, config string) string {
	t.Helper()
	root := bareRoot(t)
	if err := syscall.Mkfifo(filepath.Join(root, "boot", "config-"+kv1), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	writeFile(t, root, "etc/default/boot-guard", config)
	return root
}

// awaitFIFO returns once process pid sleeps in the kernel opening a FIFO (wait_for_partner,
// in /proc/PID/task/*/wchan): only then is the check surely under way, its signal handler in
// place. Where there is no /proc it falls back to half a second.
func awaitFIFO(t *testing.T, pid int) {
	t.Helper()
	if _, err := os.Stat("/proc/self/wchan"); err != nil {
		time.Sleep(500 * time.Millisecond)
		return
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", pid))
		for _, f := range tasks {
			if b, err := os.ReadFile(f); err == nil && string(b) == "wait_for_partner" {
				return
			}
		}
	}
	t.Fatalf("boot-guard (pid %d) never blocked opening the FIFO", pid)
}

func TestHardTimeBound(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, config string
		args         []string
		want         int
	}{
		{"postinst CANNOT_TELL=fail", "TIMEOUT=1\nCANNOT_TELL=fail\n", []string{"/etc/kernel/postinst.d/zz-boot-guard", kv1}, 1},
		{"postinst CANNOT_TELL=warn", "TIMEOUT=1\n", []string{"/etc/kernel/postinst.d/zz-boot-guard", kv1}, 0},
		{"verify --json --timeout", "TIMEOUT=600\n", []string{"boot-guard", "verify", kv1, "--json", "--timeout", "1"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := hangingRoot(t, tc.config)
			start := time.Now()
			cmd := bootGuard(t, root, tc.args...)
			var stdout strings.Builder
			cmd.Stdout = &stdout
			code, stderr := exitCode(t, cmd)
			took := time.Since(start)
			if stdout.Len() != 0 {
				t.Errorf("stdout after giving up: %q", stdout.String())
			}
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			if took > 1*time.Second+5*time.Second {
				t.Errorf("took %v: the bound is 1 s plus 2 s of grace", took)
			}
			for _, want := range []string{"cannot tell", "time bound of 1s", "still waiting for: reading the kernel image and config of " + kv1} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestSignalMidCheck(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			// No time bound: only the signal ends the stuck check.
			root := hangingRoot(t, "TIMEOUT=0\nCANNOT_TELL=fail\n")
			cmd := bootGuard(t, root, "/etc/kernel/postinst.d/zz-boot-guard", kv1)
			var errb strings.Builder
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal only once the check is stuck on the FIFO: a fixed sleep lost the race on
			// a loaded machine, the signal arriving before the handler was installed.
			awaitFIFO(t, cmd.Process.Pid)
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 10 s after %v; stderr:\n%s", sig, errb.String())
			}
			if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); ws.Signaled() || ws.ExitStatus() != 1 {
				t.Errorf("wait status %v, want exit 1 (cannot-tell under CANNOT_TELL=fail); stderr:\n%s", ws, errb.String())
			}
			if s := errb.String(); !strings.Contains(s, "signal") || !strings.Contains(s, "still waiting for: reading the kernel image") {
				t.Errorf("stderr does not say which signal and what it waited for:\n%s", s)
			}
		})
	}
}

// TestClosedStdio: dpkg under debconf can leave stderr a pipe nobody reads,
// or closed. The exit code stays the verdict's (1: no initrd), never a death
// by SIGPIPE.
func TestClosedStdio(t *testing.T) {
	t.Parallel()
	root := bareRoot(t)
	for _, args := range [][]string{
		{"/etc/kernel/postinst.d/zz-boot-guard", kv1},
		{"boot-guard", "hook", "kernel-postinst", kv1},
	} {
		t.Run("broken pipe "+args[0], func(t *testing.T) {
			cmd := bootGuard(t, root, args...)
			cmd.Stdout, cmd.Stderr = brokenPipe(t), brokenPipe(t)
			code, _ := exitCode(t, cmd)
			if code != 1 {
				t.Errorf("exit %d, want 1 (unbootable: no initrd)", code)
			}
		})
	}
	// A person's pipeline (boot-guard ls IMG | grep -q x) ends with the
	// reader: the CLI dies of SIGPIPE as other commands do, with no
	// "broken pipe" error on stderr.
	t.Run("broken pipe CLI", func(t *testing.T) {
		cmd := bootGuard(t, root, "boot-guard", "--version")
		cmd.Stdout = brokenPipe(t)
		var errb strings.Builder
		cmd.Stderr = &errb
		err := cmd.Run()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if err == nil || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
			t.Errorf("wait status %v (%v), want death by SIGPIPE", ws, err)
		}
		if errb.Len() != 0 {
			t.Errorf("stderr %q, want nothing", errb.String())
		}
	})
	t.Run("closed", func(t *testing.T) {
		exe, _ := os.Executable()
		a, _ := json.Marshal([]string{"/etc/kernel/postinst.d/zz-boot-guard", kv1})
		cmd := exec.Command("/bin/sh", "-c", `exec "$0" 0<&- 1>&- 2>&-`, exe)
		cmd.Env = []string{"BG_TEST_ARGS=" + string(a), "BG_TEST_ROOT=" + root}
		code, _ := exitCode(t, cmd)
		if code != 1 {
			t.Errorf("exit %d, want 1 (unbootable: no initrd)", code)
		}
	})
}

// brokenPipe is the write end of a pipe whose reader is already closed.
func brokenPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}
