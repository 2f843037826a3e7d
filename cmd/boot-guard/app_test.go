package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs the real CLI in-process and returns exit code, stdout, stderr.
func runCLI(t *testing.T, env *Env, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if env == nil {
		env = &Env{Getenv: func(string) string { return "" }, Root: t.TempDir()}
	}
	env.Stdout, env.Stderr = &out, &errb
	code := run(context.Background(), append([]string{"boot-guard"}, args...), env)
	return code, out.String(), errb.String()
}

func TestExitCodesNeverLeak(t *testing.T) {
	cases := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"ls", "--bogus", "x"}, 2, "flag provided but not defined"},
		{"no command", nil, 2, ""},
		{"version", []string{"--version"}, 0, ""},
		{"help", []string{"--help"}, 0, ""},
		{"hook without name", []string{"hook"}, 2, "hook needs a NAME"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.err) {
				t.Fatalf("stderr %q does not contain %q", stderr, tc.err)
			}
		})
	}
}

func TestNormalizeArgsMovesFlagsBeforePositionals(t *testing.T) {
	app := newApp(&Env{})
	cases := []struct{ in, want string }{
		{"boot-guard verify 6.1.0 --json --module nvme", "boot-guard verify --json --module nvme -- 6.1.0"},
		{"boot-guard verify --initrd a 6.1.0 --initrd=b", "boot-guard verify --initrd a --initrd=b -- 6.1.0"},
		{"boot-guard ls x -- -weird", "boot-guard ls -- x -weird"},
		{"boot-guard hook kernel-postinst 6.1.0 --json", "boot-guard hook kernel-postinst 6.1.0 --json"},
		{"boot-guard --version", "boot-guard --version"},
		{"boot-guard verify 6.1.0 --json --generate-bash-completion", "boot-guard verify --json 6.1.0 --generate-bash-completion"},
		{"boot-guard verify --generate-bash-completion", "boot-guard verify --generate-bash-completion"},
	}
	for _, tc := range cases {
		got := strings.Join(normalizeArgs(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("normalizeArgs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHookFromInvocation(t *testing.T) {
	cases := map[string]string{
		"/etc/kernel/postinst.d/zz-boot-guard":            "kernel-postinst",
		"/etc/kernel/preinst.d/zz-boot-guard":             "kernel-preinst",
		"/etc/kernel/prerm.d/00-boot-guard":               "kernel-prerm",
		"/usr/lib/kernel/install.d/89-boot-guard.install": "kernel-install",
		"/etc/initramfs/post-update.d/zz-boot-guard":      "initramfs-post-update",
		"/usr/sbin/boot-guard":                            "",
		"boot-guard":                                      "",
	}
	for path, want := range cases {
		got, ok := hookFromInvocation(path)
		if got != want || ok != (want != "") {
			t.Errorf("hookFromInvocation(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}
