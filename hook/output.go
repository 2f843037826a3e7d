package hook

// This file holds every output helper of boot-guard: the hooks' messages,
// the audit's, and the commands' (verify, audit) that reuse them. A second
// renderer or a second way to word a fix stands out here. The rules are:
//
//   - Every line goes to standard error with the "boot-guard: " prefix
//     (Prefix); a message with newlines becomes several lines, each prefixed.
//   - A line that is a diagnostic says what it is: "error: " (what fails:
//     will not boot, cannot tell under CANNOT_TELL=fail, a write or a command
//     that did not happen), "warning: " (cannot tell, or something to know
//     that does not fail), "hint: " (the exact command to run next), "note: "
//     (context). Lowercase, no final period.
//   - Each likely cause and each fix command is said once, however many
//     problems share it (fixes).
//   - Every failure of a hook ends with the override (OverrideText), so a
//     person is never locked out of apt; a command's failure says once how
//     the override works in the hooks (CLIOverrideText).
//   - In hook mode nothing goes to standard output: dpkg, debconf and
//     kernel-install own it. Only the commands write there, and only their
//     result (a --json document, ls's listing, requirements' table), never
//     through a Printer.
//   - Paths under --root are shown as they are inside it (Printer.Root).
//   - The library (verify) never prints and never exits: it returns reports,
//     this file turns them into lines, and the caller picks the exit code.

import (
	"fmt"
	"io"
	"strings"

	"github.com/boot-guard/boot-guard/verify"
)

// Prefix starts every line boot-guard writes to stderr.
const Prefix = "boot-guard: "

// OverrideText names the one-run override and the permanent one. Every
// failure message ends with it, so a person is never locked out of apt.
const OverrideText = "to go on anyway for one run: BOOT_GUARD=warn (report, do not fail) or BOOT_GUARD=off (do not check), " +
	"e.g. BOOT_GUARD=warn apt-get -f install; for good: MODE=warn in " + ConfigPath

// CLIOverrideText is what the commands (not the hooks) say about the
// override: BOOT_GUARD changes what the hooks exit with, never what verify
// exits with, so a command's failure names it as the hooks' switch.
const CLIOverrideText = "this command only reports; in the kernel hooks, BOOT_GUARD=warn lets an install go on " +
	"(e.g. BOOT_GUARD=warn apt-get -f install) and BOOT_GUARD=off skips the check"

// Printer writes lines for a person, each prefixed "boot-guard: ", in the
// shape of age's output: "error:", "warning:", "hint:" labels.
type Printer struct {
	W io.Writer
	// Root, when an absolute directory other than "/", is the root the
	// files are read under (--root DIR): a path under it is written as it
	// is inside it ("/boot/initrd.img-..."), the way verify names the files
	// it reads, and the command says once which root it checked.
	Root string
}

// Line writes one message; a message with newlines becomes several lines,
// each prefixed.
func (p Printer) Line(format string, a ...any) {
	if p.W == nil {
		return
	}
	msg := insideRoot(fmt.Sprintf(format, a...), p.Root)
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		b.WriteString(Prefix)
		b.WriteString(l)
		b.WriteByte('\n')
	}
	io.WriteString(p.W, b.String())
}

// insideRoot rewrites each path under root in msg ("ROOT/boot/x" where a
// path starts: at the start, after a space, quote, bracket, '=' or ':') as the
// path inside it ("/boot/x").
func insideRoot(msg, root string) string {
	if root == "" || !strings.HasPrefix(root, "/") {
		return msg
	}
	root = strings.TrimRight(root, "/")
	if root == "" {
		return msg
	}
	prefix := root + "/"
	var b strings.Builder
	for {
		i := strings.Index(msg, prefix)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		if i == 0 || strings.ContainsRune(" \t\"'([=:,", rune(msg[i-1])) {
			b.WriteString(msg[:i])
			b.WriteByte('/')
		} else {
			b.WriteString(msg[:i+len(prefix)])
		}
		msg = msg[i+len(prefix):]
	}
}

// Error writes an "error:" line.
func (p Printer) Error(format string, a ...any) { p.Line("error: "+format, a...) }

// Warning writes a "warning:" line.
func (p Printer) Warning(format string, a ...any) { p.Line("warning: "+format, a...) }

// Hint writes a "hint:" line: the command to run next.
func (p Printer) Hint(format string, a ...any) { p.Line("hint: "+format, a...) }

// Note writes a "note:" line.
func (p Printer) Note(format string, a ...any) { p.Line("note: "+format, a...) }

// Override writes the override line of a hook's failure.
func (p Printer) Override() { p.Line("override: %s", OverrideText) }

// CLIOverride writes, once after a command's failures, how the override
// works in the hooks.
func (p Printer) CLIOverride() { p.Note("%s", CLIOverrideText) }

// Explanation is the context a report is printed in.
type Explanation struct {
	// Notes are printed after the problems of a kernel that is not
	// bootable ("dpkg is running initramfs-tools' trigger: ...").
	Notes []string
	// Decision is the hook's decision; its Why is printed when the hook
	// exits 0 despite a failing verdict. Zero in the CLI.
	Decision Decision
	// CannotTellFails prints cannot-tell problems as errors (CANNOT_TELL=fail).
	CannotTellFails bool
	// Quiet leaves out the line for a bootable kernel.
	Quiet bool
	// InHook: the report is a hook's, and a failure ends with the
	// BOOT_GUARD override. A command (verify) prints CLIOverride once
	// instead: the override does not change what it exits with.
	InHook bool
}

// Report writes k for a person: a headline with the kernel and verdict, then
// each problem (what, for which device and kernel), its likely causes, the
// fix, and, for any failure in a hook, the override.
func (p Printer) Report(k verify.KernelReport, x Explanation) {
	images, checked := "no initrd", "no initrd"
	if len(k.Initrds) > 0 {
		images = strings.Join(k.Initrds, " + ")
		checked = "checked " + images
	}
	switch k.Verdict {
	case verify.Bootable:
		if !x.Quiet {
			p.Line("kernel %s: bootable (%s; %s)", k.Version, images, summarize(k.Requirements))
		}
	case verify.Unbootable:
		p.Error("kernel %s will not mount its root filesystem at the next boot (unbootable; %s)", k.Version, checked)
	default:
		label := p.Warning
		if x.CannotTellFails {
			label = p.Error
		}
		label("kernel %s: cannot tell whether it will mount its root filesystem (cannot-tell; %s)", k.Version, checked)
	}
	p.secureBoot(k, x) // issue 13
	// The same cause or fix under several problems is printed once.
	said := fixes{}
	for _, pr := range k.Problems {
		switch {
		case pr.Verdict == verify.Unbootable, pr.Verdict == verify.CannotTell && x.CannotTellFails:
			p.Error("%s", pr.Message)
		case pr.Verdict == verify.CannotTell:
			p.Warning("%s", pr.Message)
		default:
			p.Note("%s", pr.Message)
		}
		said.print(p, pr)
	}
	if k.Verdict != verify.Bootable {
		// Who called and who dpkg will blame matter only when the hook
		// really fails: under MODE=warn, or for a cannot-tell that passes,
		// dpkg blames nobody and saying so would send a person hunting.
		if !x.InHook || x.Decision.Exit != 0 {
			for _, n := range x.Notes {
				p.Note("%s", n)
			}
		}
		if x.InHook && x.Decision.Fails {
			// Only a hook that fails (or would, but for MODE=warn or
			// BOOT_GUARD=warn) has anything to override.
			p.Override()
		}
	}
	if x.Decision.Why != "" {
		p.Line("%s", x.Decision.Why)
	}
}

// secureBoot says, under the headline, whether the kernel will enforce
// module signatures and why (issue 13), with the kernel image's signer.
func (p Printer) secureBoot(k verify.KernelReport, x Explanation) {
	sb := k.SecureBoot
	if sb == nil || (x.Quiet && k.Verdict == verify.Bootable) {
		return
	}
	p.secureBootLines(sb)
}

func (p Printer) secureBootLines(sb *verify.SecureBoot) {
	p.Line("  Secure Boot %s; module signatures enforced at the next boot: %s (%s)", sb.Firmware, sb.ModuleSignatures, sb.Why)
	if sb.KernelSigner != "" {
		p.Line("  kernel image signed by %s", sb.KernelSigner)
	}
}

// fixes remembers the likely causes and hints already printed, so that a
// person reads each cause and each fix command once, however many problems
// share it.
type fixes map[string]bool

// print writes pr's causes and hint, leaving out what was already said.
func (said fixes) print(p Printer, pr verify.Problem) {
	for _, c := range pr.Causes {
		if !said["cause "+c] {
			said["cause "+c] = true
			p.Line("  likely cause: %s", c)
		}
	}
	if pr.Hint == "" || said["hint "+pr.Hint] {
		return
	}
	said["hint "+pr.Hint] = true
	// "rebuild it: CMD; if nvme is still missing: ..." after the same
	// rebuild command was given: only the new part.
	h := pr.Hint
	if pr.Fix != "" {
		if rest, ok := strings.CutPrefix(h, pr.Fix+"; "); ok && said["fix "+pr.Fix] {
			h = rest
		}
		said["fix "+pr.Fix] = true
	}
	p.Hint("%s", h)
}

// summarize says what was found, e.g. "3 required modules: 2 builtin, 1 in the initrd".
func summarize(reqs []verify.Requirement) string {
	if len(reqs) == 0 {
		return "no modules required"
	}
	var builtin, in int
	for _, r := range reqs {
		switch r.Status {
		case verify.StatusBuiltin:
			builtin++
		case verify.StatusInInitrd:
			in++
		}
	}
	return fmt.Sprintf("%d required modules: %d built in, %d in the initrd", len(reqs), builtin, in)
}

func auditSummary(rep verify.AuditReport) string {
	for _, p := range rep.Problems {
		return p.Message
	}
	if d := rep.DefaultEntry(); d != nil {
		for _, p := range d.Problems {
			return p.Message
		}
		if d.Kernel != nil {
			for _, p := range d.Kernel.Problems {
				if p.Verdict != verify.Bootable {
					return p.Message
				}
			}
		}
	}
	return "no details"
}

const rule = "======================================================================"

// PrintAuditBlock writes the loud block for a default entry that will not
// boot (or cannot be told to): the entry, every problem with its fix, the
// fallback and how to select it, and the override.
func PrintAuditBlock(out Printer, rep verify.AuditReport, cannotTellFails bool) {
	out.Line(rule)
	d := rep.DefaultEntry()
	switch {
	case d == nil:
		out.Error("cannot tell which boot entry boots by default, nor whether it will boot (cannot-tell)")
	case rep.Verdict == verify.Unbootable:
		out.Error("the DEFAULT boot entry will NOT boot: %q (kernel %s, %s)", d.Title, d.Version, d.Source)
		out.Line("do not reboot before this is fixed")
	default:
		out.Error("cannot tell whether the default boot entry %q (kernel %s) will boot (cannot-tell)", d.Title, d.Version)
	}
	if d != nil {
		out.Line("default chosen by %s", rep.DefaultFrom)
	}
	said := fixes{}
	for _, p := range rep.Problems {
		printProblem(out, p, cannotTellFails, said)
	}
	if d != nil {
		for _, p := range d.Problems {
			printProblem(out, p, cannotTellFails, said)
		}
		if d.Kernel != nil {
			for _, p := range d.Kernel.Problems {
				printProblem(out, p, cannotTellFails, said)
			}
		}
	}
	printFallback(out, rep)
	out.Hint("every boot entry and its verdict: boot-guard audit")
	out.Override()
	out.Line(rule)
}

func printProblem(out Printer, p verify.Problem, cannotTellFails bool, said fixes) {
	switch {
	case p.Verdict == verify.Unbootable, p.Verdict == verify.CannotTell && cannotTellFails:
		out.Error("%s", p.Message)
	case p.Verdict == verify.CannotTell:
		out.Warning("%s", p.Message)
	default:
		return
	}
	said.print(out, p)
}

func printFallback(out Printer, rep verify.AuditReport) {
	fb := rep.Fallback
	if fb == nil {
		switch {
		case len(rep.Entries) == 0:
		case rep.Verdict == verify.Unbootable:
			out.Error("no other boot entry will boot either: fix the default before rebooting")
		case rep.Verdict == verify.CannotTell:
			out.Warning("no other boot entry is known to boot either")
		}
		return
	}
	out.Line("fallback: %q (kernel %s) will boot", fb.Title, fb.Version)
	if fb.Command != "" {
		out.Hint("make it the default: %s", fb.Command)
	}
	if fb.OnceCommand != "" {
		out.Hint("or boot it the next time only: %s", fb.OnceCommand)
	}
	if fb.Instructions != "" {
		out.Hint("%s", fb.Instructions)
	}
}

// PrintAudit writes the whole audit for a person (the CLI): the default
// entry's verdict first, then every entry with its verdict, then the
// fallback.
func PrintAudit(out Printer, rep verify.AuditReport) {
	d := rep.DefaultEntry()
	switch {
	case d == nil:
		out.Warning("no default boot entry found (cannot-tell): %s", rep.LoaderWhy)
	case rep.Verdict == verify.Bootable:
		out.Line("default boot entry %q (kernel %s): bootable", d.Title, d.Version)
	case rep.Verdict == verify.Unbootable:
		out.Error("the default boot entry %q (kernel %s) will NOT boot (unbootable)", d.Title, d.Version)
	default:
		out.Warning("cannot tell whether the default boot entry %q (kernel %s) will boot (cannot-tell)", d.Title, d.Version)
	}
	if d != nil {
		oneShot := ""
		if rep.OneShot {
			oneShot = ", for the next boot only"
		}
		out.Line("  boot loader %s (%s); default from %s%s", rep.Loader, rep.LoaderWhy, rep.DefaultFrom, oneShot)
		if d.Kernel != nil && d.Kernel.SecureBoot != nil {
			out.secureBootLines(d.Kernel.SecureBoot) // issue 13
		}
	}
	for _, p := range rep.Problems {
		printProblem(out, p, false, fixes{})
	}
	for _, n := range rep.Notes {
		out.Note("%s", n)
	}
	for i, e := range rep.Entries {
		mark := " "
		if i == rep.Default {
			mark = "*"
		}
		v := e.Version
		if v == "" {
			v = "-"
		}
		out.Line("%s [%d] %-11s %-6s %s (%s)", mark, i, e.Verdict, e.Loader, e.Title, v)
		if e.Verdict == verify.Bootable {
			continue
		}
		said := fixes{} // per entry: each entry's fixes are read with it
		for _, p := range e.Problems {
			printProblem(out, p, false, said)
		}
		if e.Kernel != nil {
			for _, p := range e.Kernel.Problems {
				printProblem(out, p, false, said)
			}
		}
	}
	if rep.Verdict != verify.Bootable {
		printFallback(out, rep)
	}
}
