package hook

import "github.com/boot-guard/boot-guard/verify"

// Decision is what a hook does with a verdict.
type Decision struct {
	// Exit is the code the caller sees: 0 or 1 (never 77, which
	// kernel-install reads as success).
	Exit int
	// Fails is set when the verdict is a failure by itself (unbootable, or
	// cannot-tell under CANNOT_TELL=fail), whether or not warn mode lets the
	// hook exit 0.
	Fails bool
	// Why explains an exit 0 despite Fails ("MODE=warn in ...").
	Why string
}

// Decide applies MODE, CANNOT_TELL and the BOOT_GUARD override to v.
func Decide(v verify.Verdict, cfg Config, ov Override) Decision {
	var d Decision
	switch v {
	case verify.Bootable:
		return d
	case verify.CannotTell:
		d.Fails = cfg.CannotTell == CannotTellFail
	default:
		d.Fails = true
	}
	if !d.Fails {
		return d
	}
	switch {
	case ov == OverrideWarn:
		d.Why = "BOOT_GUARD=warn: reporting, not failing"
	case cfg.Mode == Warn:
		d.Why = "MODE=warn"
		if cfg.Source != "" {
			d.Why += " in " + cfg.Source
		}
		d.Why += ": reporting, not failing"
	default:
		d.Exit = 1
	}
	return d
}
