package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// version is set at link time (-X main.version=...); otherwise it comes from
// the module's build information.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// exitError carries a contract exit code out of a command's Action. The
// message, if any, has already been printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exit returns the error that makes run() exit with code.
func exit(code int) error {
	if code == 0 {
		return nil
	}
	return exitError{code}
}

// usageError is a mistake in how boot-guard was called: exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// run is the whole CLI: it parses args, runs one command and returns the exit
// code. The CLI library's own exit codes never leak: only 0, 1, 2.
func run(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 {
		args = []string{"boot-guard"}
	}
	if name, ok := hookFromInvocation(args[0]); ok {
		// Invoked through a hook path: the caller's protocol, not the CLI's.
		return runHook(ctx, name, args[1:], env)
	}
	app := newApp(env)
	err := app.RunContext(ctx, normalizeArgs(app, args))
	return exitCodeFor(err, env.Stderr)
}

func exitCodeFor(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "boot-guard: usage: %s\n", ue.msg)
		fmt.Fprintln(stderr, "boot-guard: hint: run 'boot-guard --help' or 'boot-guard COMMAND --help'")
		return 2
	}
	fmt.Fprintf(stderr, "boot-guard: error: %v\n", err)
	return 2
}

func newApp(env *Env) *cli.App {
	app := &cli.App{
		Name:                 "boot-guard",
		Usage:                "check that a kernel's initrd will mount the root filesystem, before the reboot",
		Version:              buildVersion(),
		Reader:               env.Stdin,
		Writer:               env.Stdout,
		ErrWriter:            env.Stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		Commands:             commands(env),
		// Never let the library call os.Exit or pick exit codes.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err.Error()}
		},
		CommandNotFound: func(c *cli.Context, name string) {
			// Recorded and turned into exit 2 in Action below.
			c.App.Metadata["unknown"] = name
		},
		Metadata: map[string]any{},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("unknown command %q", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return exit(2)
		},
	}
	for _, cmd := range app.Commands {
		cmd.OnUsageError = app.OnUsageError
	}
	app.After = func(c *cli.Context) error {
		if name, ok := c.App.Metadata["unknown"].(string); ok {
			return usagef("unknown command %q", name)
		}
		return nil
	}
	return app
}

func commands(env *Env) []*cli.Command {
	return []*cli.Command{
		verifyCommand(env),
		requirementsCommand(env),
		lsCommand(env),
		inspectCommand(env),
		auditCommand(env),
		hookCommand(env),
	}
}

// normalizeArgs moves a command's flags in front of its positional arguments,
// because urfave/cli v2 stops parsing flags at the first positional one. After
// "--" nothing is moved. Hook commands pass their arguments through untouched.
func normalizeArgs(app *cli.App, args []string) []string {
	out := []string{args[0]}
	i := 1
	// Global flags before the command name stay where they are.
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		out = append(out, args[i])
		i++
	}
	if i >= len(args) {
		return out
	}
	cmd := app.Command(args[i])
	if cmd == nil || cmd.SkipFlagParsing {
		return append(out, args[i:]...)
	}
	out = append(out, args[i])
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, positional []string
	rest := args[i+1:]
	// Shell completion asks with this flag as the very last argument, and
	// urfave/cli only recognises it there, and only without "--": keep it last.
	completion := len(rest) > 0 && rest[len(rest)-1] == "--generate-bash-completion"
	if completion {
		rest = rest[:len(rest)-1]
	}
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j+1:]...)
			j = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && j+1 < len(rest) {
				flags = append(flags, rest[j+1])
				j++
			}
		default:
			positional = append(positional, a)
		}
	}
	out = append(out, flags...)
	if completion {
		// urfave/cli turns completion off when "--" is present.
		out = append(out, positional...)
		return append(out, "--generate-bash-completion")
	}
	if len(positional) > 0 {
		out = append(out, "--")
		out = append(out, positional...)
	}
	return out
}

// hookFromInvocation maps the path boot-guard was invoked by to a hook name
// (CONTRACT.md, "Hook entry points"). The directory decides: the file name
// inside it is the administrator's to choose.
func hookFromInvocation(argv0 string) (string, bool) {
	dir := filepath.Base(filepath.Dir(argv0))
	base := filepath.Base(argv0)
	if base == "boot-guard" {
		return "", false
	}
	switch dir {
	case "preinst.d":
		return "kernel-preinst", true
	case "postinst.d":
		return "kernel-postinst", true
	case "prerm.d":
		return "kernel-prerm", true
	case "install.d":
		return "kernel-install", true
	case "post-update.d":
		return "initramfs-post-update", true
	}
	return "", false
}

// rootFlags are shared by verify, requirements and audit.
func rootFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "root", Usage: "check the system whose filesystem root is `DIR` (a chroot, a mounted image)"},
		&cli.StringSliceFlag{Name: "module", Usage: "an extra required module `NAME` (repeatable)"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON document on stdout"},
		timeoutFlag,
	}
}
