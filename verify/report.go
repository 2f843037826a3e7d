package verify

import (
	"encoding/json"
	"fmt"
)

// SchemaVersion is the version of the JSON document that --json prints. Bump it
// when a field changes meaning or disappears; adding a field does not bump it.
const SchemaVersion = 1

// Verdict is boot-guard's answer for one kernel (or, for ls/inspect, one image).
// The zero value is Bootable only so that Worst can fold from it; code that has
// not checked something must say CannotTell, never leave the zero value.
type Verdict int

const (
	// Bootable: everything needed to mount root was checked and is there.
	Bootable Verdict = iota
	// CannotTell: something needed for the decision could not be checked.
	CannotTell
	// Unbootable: something needed is missing, broken or built for another kernel.
	Unbootable
)

// String returns the contract's name for v.
func (v Verdict) String() string {
	switch v {
	case Bootable:
		return "bootable"
	case CannotTell:
		return "cannot-tell"
	case Unbootable:
		return "unbootable"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// ExitCode returns the process exit code the contract assigns to v.
func (v Verdict) ExitCode() int {
	switch v {
	case Bootable:
		return 0
	case Unbootable:
		return 1
	}
	return 2
}

// MarshalText renders the verdict by its contract name in JSON.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a contract name back into a Verdict.
func (v *Verdict) UnmarshalText(b []byte) error {
	switch string(b) {
	case "bootable":
		*v = Bootable
	case "cannot-tell":
		*v = CannotTell
	case "unbootable":
		*v = Unbootable
	default:
		return fmt.Errorf("unknown verdict %q", b)
	}
	return nil
}

// Worst returns the more serious of a and b: unbootable over cannot-tell over
// bootable. Commands over several kernels exit with the worst.
func Worst(a, b Verdict) Verdict {
	if a > b {
		return a
	}
	return b
}

// Status says where a required module was found.
type Status string

// The statuses of the contract's JSON.
const (
	StatusBuiltin      Status = "builtin"
	StatusInInitrd     Status = "in-initrd"
	StatusMissing      Status = "missing"
	StatusWrongVersion Status = "wrong-version"
	// StatusLoadable is what `requirements` says of a module that is not
	// built in and so must be in the initrd: that command opens no initrd, so
	// it cannot say in-initrd or missing.
	StatusLoadable Status = "loadable"
)

// Requirement is one module the root filesystem needs from a kernel, with the
// chain of reasons a person can read ("nvme: driver for PCI 0000:02:00.0, disk
// nvme0n1, partition nvme0n1p2, mounted at /").
type Requirement struct {
	Module string `json:"module"`
	Status Status `json:"status"`
	Reason string `json:"reason"`
}

// Problem is one finding that affects a verdict. Code is stable and meant for
// machines (fleet dashboards grep for it); Message says what is wrong and Hint
// what to run next.
type Problem struct {
	Code    Code    `json:"code"`
	Message string  `json:"message"`
	Hint    string  `json:"hint,omitempty"`
	Verdict Verdict `json:"severity"`
	// Causes are what the machine shows as the likely cause, most likely
	// first ("the DKMS build of nvidia/535 failed for kernel ...").
	Causes []string `json:"causes,omitempty"`
	// Fix is the command Hint opens with when several problems share it
	// (rebuild the image): a renderer that has printed it once may print
	// only the rest of a later Hint. Not in the JSON: Hint carries it.
	Fix string `json:"-"`
}

// KernelReport is the verdict for one kernel version.
type KernelReport struct {
	Version string  `json:"version"`
	Verdict Verdict `json:"verdict"`
	// Initrds are the images checked, in boot order (none: no initrd).
	Initrds      []string      `json:"initrds,omitempty"`
	Requirements []Requirement `json:"requirements"`
	Problems     []Problem     `json:"problems"`
	// SecureBoot is the machine's Secure Boot state and whether the kernel
	// will enforce module signatures (issue 13); nil when the check did
	// not get that far.
	SecureBoot *SecureBoot `json:"secure_boot,omitempty"`
}

// Add records p and folds its severity into the report's verdict.
func (k *KernelReport) Add(p Problem) {
	k.Problems = append(k.Problems, p)
	k.Verdict = Worst(k.Verdict, p.Verdict)
}

// Report is the document --json prints: one entry per kernel checked.
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	Kernels       []KernelReport `json:"kernels"`
}

// Verdict is the worst verdict over all kernels; a report with no kernels
// checked is cannot-tell, never bootable.
func (r Report) Verdict() Verdict {
	if len(r.Kernels) == 0 {
		return CannotTell
	}
	v := Bootable
	for _, k := range r.Kernels {
		v = Worst(v, k.Verdict)
	}
	return v
}

// MarshalJSON keeps slices as [] rather than null so consumers need no nil checks.
func (k KernelReport) MarshalJSON() ([]byte, error) {
	type plain KernelReport
	p := plain(k)
	if p.Requirements == nil {
		p.Requirements = []Requirement{}
	}
	if p.Problems == nil {
		p.Problems = []Problem{}
	}
	return json.Marshal(p)
}
