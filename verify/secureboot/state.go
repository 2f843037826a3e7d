package secureboot

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// State is the running machine's Secure Boot state, as its firmware, shim
// and kernel left it in /sys. The firmware's variables hold for the next
// boot too, unless someone enters its setup.
type State struct {
	// Known: the state could be read. False when sys is nil (a system
	// under --root: /sys describes another machine) or the variables
	// cannot be read; Why says why.
	Known bool
	// EFI: the machine booted through UEFI (/sys/firmware/efi exists).
	EFI bool
	// SecureBoot and SetupMode are the firmware's variables (1 = true).
	SecureBoot, SetupMode bool
	// ShimValidationOff: shim's MokSBStateRT is 1 (mokutil
	// --disable-validation): shim boots what it is given, and the kernel's
	// EFI stub does not treat the boot as a Secure Boot one.
	ShimValidationOff bool
	// Lockdown is the running kernel's lockdown level ("none",
	// "integrity", "confidentiality"); "" when not known (no securityfs,
	// a kernel without the lockdown LSM).
	Lockdown string
	// Why says what was read, for a person: "SecureBoot=1, SetupMode=0,
	// MokSBStateRT absent (efivarfs)".
	Why string
}

// Enforcing reports whether the firmware and shim verify what they boot
// (Secure Boot on, not in setup mode, shim's validation not disabled): then
// the kernel image must be signed, and a kernel with
// CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT locks itself down. Meaningful only
// when Known.
func (s State) Enforcing() bool {
	return s.Known && s.EFI && s.SecureBoot && !s.SetupMode && !s.ShimValidationOff
}

// ReadState reads the Secure Boot state from sys, the host's /sys; nil sys
// gives an unknown state.
func ReadState(sys fs.FS) State {
	if sys == nil {
		return State{Why: "/sys is not read (a system under --root): the machine's firmware is unknown"}
	}
	s := State{Lockdown: readLockdown(sys)}
	if _, err := fs.Stat(sys, efiDir); errors.Is(err, fs.ErrNotExist) {
		s.Known = true
		s.Why = "the machine booted from BIOS (no /sys/firmware/efi): no Secure Boot"
		return s
	} else if err != nil {
		s.Why = fmt.Sprintf("cannot read /sys/%s: %v", efiDir, err)
		return s
	}
	s.EFI = true
	sb, sbErr := boolVar(sys, "SecureBoot", GlobalGUID)
	if errors.Is(sbErr, ErrNoVar) {
		// UEFI without the variable has no Secure Boot, but only when
		// efivarfs is mounted (it lists other variables).
		if vars, _ := fs.ReadDir(sys, efivarsDir); len(vars) == 0 {
			s.Why = "efivarfs is not mounted (/sys/firmware/efi/efivars is empty): the SecureBoot variable cannot be read"
			return s
		}
		s.Known = true
		s.Why = "the firmware has no SecureBoot variable: it does not implement Secure Boot"
		return s
	}
	if sbErr != nil {
		s.Why = fmt.Sprintf("cannot read the SecureBoot variable: %v", sbErr)
		return s
	}
	s.SecureBoot = sb
	setup, err := boolVar(sys, "SetupMode", GlobalGUID)
	if err != nil && !errors.Is(err, ErrNoVar) {
		s.Why = fmt.Sprintf("cannot read the SetupMode variable: %v", err)
		return s
	}
	s.SetupMode = setup
	why := []string{fmt.Sprintf("SecureBoot=%d", b2i(sb)), fmt.Sprintf("SetupMode=%d", b2i(setup))}
	mok, err := boolVar(sys, "MokSBStateRT", ShimGUID)
	switch {
	case errors.Is(err, ErrNoVar):
		why = append(why, "MokSBStateRT absent")
	case err != nil:
		s.Why = fmt.Sprintf("cannot read shim's MokSBStateRT variable: %v", err)
		return s
	default:
		s.ShimValidationOff = mok
		why = append(why, fmt.Sprintf("MokSBStateRT=%d", b2i(mok)))
		if mok {
			why[len(why)-1] += " (shim's validation disabled)"
		}
	}
	s.Known = true
	s.Why = strings.Join(why, ", ") + " in efivarfs"
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// boolVar reads a one-byte boolean variable.
func boolVar(sys fs.FS, name, guid string) (bool, error) {
	_, v, err := ReadVar(sys, name, guid)
	if err != nil {
		return false, err
	}
	if len(v) < 1 {
		return false, fmt.Errorf("/sys/%s holds no value", VarPath(name, guid))
	}
	return v[0] == 1, nil
}

// readLockdown reads the running kernel's lockdown level, "" when unknown.
func readLockdown(sys fs.FS) string {
	b, err := readBounded(sys, lockdownFile)
	if err != nil {
		return ""
	}
	l, err := ParseLockdown(string(b))
	if err != nil {
		return ""
	}
	return l
}
