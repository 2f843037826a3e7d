package hook

import (
	"context"
	"fmt"
	"strings"

	"github.com/boot-guard/boot-guard/verify"
)

// Action is what one hook invocation asks boot-guard to check. Protocol
// parsers return it; Verify carries it out.
type Action struct {
	// Hook is the protocol name, for messages.
	Hook string
	// Skip, when not empty, says why there is nothing to check: the hook
	// exits 0 without checking.
	Skip string
	// Version is the kernel release (uname -r of the new kernel).
	Version string
	// Kernel is the kernel image the caller named; "" means
	// /boot/vmlinuz-VERSION under the root.
	Kernel string
	// Initrds are the images to check in boot order; nil means
	// /boot/initrd.img-VERSION under the root.
	Initrds []string
	// UKI, when not empty, is the unified kernel image that will boot
	// (kernel-install's layout=uki): its sections replace Kernel and
	// Initrds.
	UKI string
	// Notes are printed with the report: who called, who dpkg will blame.
	Notes []string
}

// UsageError is a hook called with arguments its protocol does not allow.
type UsageError struct {
	Hook string
	Msg  string
}

func (e *UsageError) Error() string { return e.Hook + ": " + e.Msg }

func usage(hook, format string, a ...any) error {
	return &UsageError{hook, fmt.Sprintf(format, a...)}
}

// Verify checks a's kernel, prints the report on env.Stderr and returns the
// exit code the caller must see under env.Config and env.Override.
func Verify(ctx context.Context, a Action, env Env) int {
	out := Printer{W: env.Stderr}
	if a.Skip != "" {
		return 0
	}
	rep := verify.Check(ctx, verify.Request{
		Root:    env.Root,
		Sys:     env.Sys,
		Proc:    env.Proc,
		Dev:     hostDev(env),
		Version: a.Version,
		Kernel:  a.Kernel,
		Initrds: a.Initrds,
		UKI:     a.UKI,
		Modules: env.Config.Modules,
	})
	d := Decide(rep.Verdict, env.Config, env.Override)
	out.Report(rep, Explanation{
		Notes:           a.Notes,
		Decision:        d,
		CannotTellFails: env.Config.CannotTell == CannotTellFail,
		InHook:          true,
	})
	if d.Exit != 0 {
		out.Line("failing %s so that kernel %s is not booted as it is", a.Hook, a.Version)
	}
	return d.Exit
}

// parsed wraps a protocol parser into a Func: usage errors exit 2.
func parsed(name string, parse func(args []string, env Env) (Action, error)) Func {
	return func(ctx context.Context, args []string, env Env) int {
		a, err := parse(args, env)
		if err != nil {
			Printer{W: env.Stderr}.Error("%v", err)
			return 2
		}
		a.Hook = name
		return Verify(ctx, a, env)
	}
}

// dpkgWords splits DEB_MAINT_PARAMS the way the kernel packages' hooks do
// with eval set -- "$DEB_MAINT_PARAMS": words, with simple quotes removed.
func dpkgWords(s string) []string {
	w := strings.Fields(s)
	for i := range w {
		w[i] = strings.Trim(w[i], `'"`)
	}
	return w
}
