package hook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/boot-guard/boot-guard/verify"
)

// Env is everything a hook takes from its process.
type Env struct {
	// Root is the filesystem root (/boot, /lib/modules, /etc under it): "/"
	// in production, a t.TempDir() in tests.
	Root string
	// Sys and Proc are the host's /sys and /proc; nil when unavailable.
	Sys, Proc fs.FS
	// Getenv looks up an environment variable ("" when unset).
	Getenv func(string) string
	// Stderr receives every message; hooks write nothing else.
	Stderr io.Writer
	// ReadDir lists a directory given by absolute path (the kernel-install
	// staging area); nil means the real one.
	ReadDir func(dir string) ([]fs.DirEntry, error)

	// Config and Override are filled in by Run before a Func is called.
	Config   Config
	Override Override
}

// Func runs one hook protocol and returns the exit code its caller must see.
type Func func(ctx context.Context, args []string, env Env) int

var (
	mu        sync.RWMutex
	protocols = map[string]Func{}
)

// Register makes protocol name runnable through Run. Each protocol file calls
// it from init. Registering a name twice panics: that is a programming error.
func Register(name string, f Func) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := protocols[name]; dup {
		panic("hook: protocol " + name + " registered twice")
	}
	protocols[name] = f
}

// Names lists the registered protocols, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	var n []string
	for k := range protocols {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// ErrUnknownHook is returned by Lookup for a name no protocol registered.
var ErrUnknownHook = errors.New("unknown hook")

// Lookup returns the protocol registered as name.
func Lookup(name string) (Func, error) {
	mu.RLock()
	defer mu.RUnlock()
	if f, ok := protocols[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownHook, name, strings.Join(namesLocked(), ", "))
}

func namesLocked() []string {
	var n []string
	for k := range protocols {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// NeverFails names the protocols that must exit 0 whatever happens
// (CONTRACT.md: kernel-preinst only warns; a failing DPkg::Post-Invoke would
// fail apt for a package that installed fine). Run does not fail them for a
// malformed configuration either: it reports it and goes on with defaults.
var NeverFails = map[string]bool{"kernel-preinst": true, "apt": true}

// Run speaks protocol name: it applies the BOOT_GUARD override, loads the
// configuration under env.Root, then calls the protocol. An unknown name is
// exit 2. A malformed configuration fails the hook (exit 1) with the file and
// line, unless BOOT_GUARD says otherwise or the protocol NeverFails: an
// administrator's intent that cannot be read must not silently become the
// default.
func Run(ctx context.Context, name string, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Root == "" {
		env.Root = "/"
	}
	out := Printer{W: env.Stderr}
	f, err := Lookup(name)
	if err != nil {
		out.Error("%v", err)
		return 2
	}
	ov, err := OverrideFrom(env.Getenv)
	if err != nil {
		out.Warning("%v", err)
	}
	env.Override = ov
	if ov == OverrideOff {
		out.Line("BOOT_GUARD=off: hook %s %s: not checking", name, strings.Join(args, " "))
		return 0
	}
	g := NewGate(env.Stderr)
	env.Stderr, out.W = g, g
	cfg, err := boundedConfig(ctx, env.Root)
	if err != nil {
		out.Error("%v", err)
		out.Hint("fix or remove that line; see the Configuration section of boot-guard's README")
		switch {
		case NeverFails[name]:
			out.Line("hook %s never fails: going on with the default configuration", name)
			cfg = DefaultConfig()
		case ov == OverrideWarn:
			out.Line("BOOT_GUARD=warn: going on with the default configuration and not failing")
			cfg = DefaultConfig()
			cfg.Mode = Warn
		default:
			out.Override()
			return 1
		}
	}
	env.Config = cfg
	code, err := Bounded(ctx, cfg.Timeout, func(ctx context.Context) int { return f(ctx, args, env) })
	if err != nil {
		return timedOut(Printer{W: g.Shut()}, name, args, err, env)
	}
	return code
}

// boundedConfig is LoadConfig within DefaultTimeout: /etc on a hung mount,
// or a FIFO planted as the configuration file, must not hold dpkg either.
func boundedConfig(ctx context.Context, root string) (Config, error) {
	type loaded struct {
		cfg Config
		err error
	}
	r, err := Bounded(ctx, DefaultTimeout, func(context.Context) loaded {
		cfg, err := LoadConfig(root)
		return loaded{cfg, err}
	})
	if err != nil {
		return DefaultConfig(), fmt.Errorf("reading configuration %s: %w", ConfigPath, err)
	}
	return r.cfg, r.err
}

// timedOut ends a hook whose check did not finish in time (Bounded): the
// verdict is cannot-tell, and the hook follows CANNOT_TELL (MODE and
// BOOT_GUARD apply as to any verdict). The check's goroutine may still be
// blocked in a read: the caller exits the process.
func timedOut(out Printer, name string, args []string, err error, env Env) int {
	out.Line("cannot tell: hook %s %s: %v", name, strings.Join(args, " "), err)
	out.Hint("find what hangs (a stale NFS mount of /boot: findmnt /boot), or raise TIMEOUT in %s", ConfigPath)
	if NeverFails[name] {
		return 0
	}
	d := Decide(verify.CannotTell, env.Config, env.Override)
	switch {
	case d.Exit != 0:
		out.Override()
		out.Line("failing %s: CANNOT_TELL=fail", name)
	case d.Why != "":
		out.Line("%s", d.Why)
	}
	return d.Exit
}
