package verify

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/boot-guard/boot-guard/verify/kimage"
	"github.com/boot-guard/boot-guard/verify/secureboot"
)

// Issue 13: Secure Boot. What the firmware, shim and the target kernel's
// lockdown will refuse at the next boot: an unsigned kernel image under
// Secure Boot (shim: "bad shim signature"), and, when the kernel will
// enforce module signatures, a module root needs that is unsigned or signed
// by a key it does not trust ("Loading of unsigned module is rejected").
// Learned from kernel/module/signing.c (module_sig_check: without a valid
// signature a module loads only when neither is_module_sig_enforced() nor
// lockdown's LOCKDOWN_MODULE_SIGNATURE refuses it; a malformed signature is
// refused always), security/lockdown/lockdown.c and Debian's
// CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT (the EFI stub locks the kernel down
// to integrity when it boots under Secure Boot; shim's MokSBState=1 turns
// that off), and drivers/firmware/efi/libstub/secureboot.c.

// The answers of SecureBoot.ModuleSignatures.
const (
	EnforcedYes        = "yes"
	EnforcedNo         = "no"
	EnforcedCannotTell = "cannot-tell"
)

// SecureBoot is what a check found of Secure Boot and module signing for
// one kernel: always set by Check once the kernel version is valid.
type SecureBoot struct {
	// Firmware is the machine's Secure Boot as the firmware and shim
	// left it: "on" (boot images are verified), "off", "unknown";
	// FirmwareWhy what was read.
	Firmware    string `json:"firmware"`
	FirmwareWhy string `json:"firmware_why"`
	// ModuleSignatures says whether the kernel will refuse modules
	// without a valid signature of a key it trusts at the next boot:
	// "yes", "no", "cannot-tell"; Why says why.
	ModuleSignatures string `json:"module_signatures_enforced"`
	Why              string `json:"why"`
	// KernelSigner is the kernel image's Authenticode signer; "" when it
	// is not signed or was not read (NotChecked says).
	KernelSigner string `json:"kernel_signer,omitempty"`
	// TrustedKeys are the keys found that the kernel trusts for modules,
	// with where each was found.
	TrustedKeys []string `json:"trusted_keys,omitempty"`
	// Checked and NotChecked say what was and was not checked.
	Checked    []string `json:"checked,omitempty"`
	NotChecked []string `json:"not_checked,omitempty"`
}

// secureBootState reads the machine's Secure Boot state once.
func (c *checker) secureBootState() secureboot.State {
	if c.sbState == nil {
		s := secureboot.ReadState(c.req.Sys)
		c.sbState = &s
	}
	return *c.sbState
}

// secureBootReport fills the report's SecureBoot: the firmware's state and
// whether the target kernel will enforce module signatures.
func (c *checker) secureBootReport() *SecureBoot {
	if c.rep.SecureBoot != nil {
		return c.rep.SecureBoot
	}
	st := c.secureBootState()
	sb := &SecureBoot{Firmware: "unknown", FirmwareWhy: st.Why}
	switch {
	case st.Enforcing():
		sb.Firmware = "on"
	case st.Known:
		sb.Firmware = "off"
	}
	if st.Lockdown != "" {
		sb.FirmwareWhy += "; the running kernel's lockdown is " + st.Lockdown
	}
	sb.ModuleSignatures, sb.Why = c.moduleSigEnforcement(st)
	c.rep.SecureBoot = sb
	return sb
}

// moduleSigEnforcement decides whether the target kernel will refuse a
// module without a valid, trusted signature at the next boot.
func (c *checker) moduleSigEnforcement(st secureboot.State) (answer, why string) {
	if c.kcfg == nil {
		if st.Known && !st.Enforcing() {
			// As noConfigNote: CONFIG_MODULE_SIG_FORCE is off in defconfig
			// and every distribution's; only Secure Boot's lockdown differs.
			return EnforcedNo, fmt.Sprintf("Secure Boot is off (%s); the kernel's config cannot be read (%v), and CONFIG_MODULE_SIG_FORCE, off in every distribution's, is presumed off", st.Why, c.kcfgErr)
		}
		return EnforcedCannotTell, fmt.Sprintf("the kernel's config cannot be read (%v), so whether it locks down under Secure Boot is unknown", c.kcfgErr)
	}
	cfg, at := *c.kcfg, c.kcfg.Path
	if !cfg.Enabled("MODULE_SIG") {
		return EnforcedNo, fmt.Sprintf("its config %s has CONFIG_MODULE_SIG %s: it checks no module signature", at, optionState(cfg, "MODULE_SIG"))
	}
	if cfg.Enabled("MODULE_SIG_FORCE") {
		return EnforcedYes, fmt.Sprintf("its config %s has CONFIG_MODULE_SIG_FORCE=y", at)
	}
	line, source := c.cmdline()
	if v, ok := cmdlineValue(line, "module.sig_enforce"); ok && isTrue(v) {
		return EnforcedYes, fmt.Sprintf("its command line (%s) has module.sig_enforce=%s", source, v)
	}
	lsm := lockdownLSM(cfg, line)
	if lsm {
		for _, o := range []string{"LOCK_DOWN_KERNEL_FORCE_INTEGRITY", "LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY"} {
			if cfg.Enabled(o) {
				return EnforcedYes, fmt.Sprintf("its config %s has CONFIG_%s=y: it is locked down from the start, which refuses modules without a valid signature", at, o)
			}
		}
		if v, _ := cmdlineValue(line, "lockdown"); v == "integrity" || v == "confidentiality" {
			return EnforcedYes, fmt.Sprintf("its command line (%s) has lockdown=%s, which refuses modules without a valid signature", source, v)
		}
	}
	switch {
	case !st.Known:
		return EnforcedCannotTell, "whether Secure Boot will be on is unknown (" + st.Why + "), and it decides"
	case !st.Enforcing():
		return EnforcedNo, "Secure Boot is off (" + st.Why + "), CONFIG_MODULE_SIG_FORCE is not set and nothing locks the kernel down"
	}
	// Both hold for Debian 12's kernel; a real Secure Boot boot printed
	// "Loading of unsigned module is rejected": IMA's policy's
	// set_module_sig_enforced() answers first.
	var by []string
	if cfg.Enabled("IMA_ARCH_POLICY") {
		by = append(by, "CONFIG_IMA_ARCH_POLICY=y (IMA's architecture policy enforces module signatures under Secure Boot)")
	}
	if lsm && cfg.Enabled("LOCK_DOWN_IN_EFI_SECURE_BOOT") {
		by = append(by, "CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT=y (it locks itself down to integrity, which refuses modules without a valid signature)")
	}
	if len(by) > 0 {
		return EnforcedYes, fmt.Sprintf("Secure Boot is on (%s) and its config %s has %s", st.Why, at, strings.Join(by, " and "))
	}
	return EnforcedNo, fmt.Sprintf("Secure Boot is on (%s), but its config %s neither locks the kernel down under it (CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT) nor forces module signatures", st.Why, at)
}

// lockdownLSM reports whether the lockdown LSM will run: built, and either
// started early or named by lsm= (else CONFIG_LSM).
func lockdownLSM(cfg kconfigView, line string) bool {
	if !cfg.Enabled("SECURITY_LOCKDOWN_LSM") {
		return false
	}
	if cfg.Enabled("SECURITY_LOCKDOWN_LSM_EARLY") {
		return true
	}
	list, ok := cmdlineValue(line, "lsm")
	if !ok {
		list, _ = cfg.Value("LSM")
	}
	for _, l := range strings.Split(strings.Trim(list, `"`), ",") {
		if strings.TrimSpace(l) == "lockdown" {
			return true
		}
	}
	return false
}

// kconfigView is what lockdownLSM asks of a config.
type kconfigView interface {
	Enabled(string) bool
	Value(string) (string, bool)
}

// isTrue is the kernel's kstrtobool for true.
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "y", "yes", "on", "true":
		return true
	}
	return false
}

// kernelSignature reads the kernel image's Authenticode signature: under
// Secure Boot an unsigned image is refused by shim. The signer's chain of
// trust (to db, MokListRT or shim's built-in certificate) is not checked.
func (c *checker) kernelSignature(r io.ReaderAt, h kimage.Header, shown string, size int64) {
	sb := c.secureBootReport()
	st := c.secureBootState()
	if h.SignatureEnd > size {
		return // cut short: kernelWhole reported it
	}
	sig, err := secureboot.ReadImageSignature(r, h.SignatureOffset, h.SignatureEnd)
	if err == nil {
		var names []string
		for _, s := range sig.Signers() {
			names = append(names, s.String())
		}
		sb.KernelSigner = strings.Join(names, "; ")
		sb.Checked = append(sb.Checked, "the kernel image's Authenticode signature: signed by "+sb.KernelSigner)
		sb.NotChecked = append(sb.NotChecked, "whether shim trusts the kernel image's signer (its built-in certificate, db, MokListRT) and the signature's digest")
		return
	}
	v := c.req.Version
	unsigned := errors.Is(err, secureboot.ErrNotSigned)
	what := fmt.Sprintf("kernel %s: the kernel image %s has no Authenticode signature", v, shown)
	if !unsigned {
		what = fmt.Sprintf("kernel %s: the kernel image %s's Authenticode signature cannot be read: %v", v, shown, err)
	}
	sb.Checked = append(sb.Checked, strings.TrimPrefix(what, "kernel "+v+": "))
	hint := "boot a signed kernel (Debian's linux-image-*-amd64 packages are signed), or sign this one (sbsign --key KEY --cert CERT " + shown + ") with a key enrolled in MOK (mokutil --import CERT.der, then confirm it in shim's MOK manager at the next boot)"
	switch {
	case st.Enforcing() && unsigned:
		c.rep.Add(Problem{Code: CodeKernelUnsigned, Verdict: Unbootable, Hint: hint,
			Message: what + ", and Secure Boot is on (" + st.Why + "): shim refuses to boot it (\"bad shim signature\")"})
	case st.Enforcing():
		c.rep.Add(Problem{Code: CodeKernelUnsigned, Verdict: CannotTell, Hint: hint,
			Message: what + "; Secure Boot is on, and shim boots only a kernel whose signature it verifies"})
	case !st.Known && unsigned && c.req.Sys != nil:
		c.rep.Add(Problem{Code: CodeKernelUnsigned, Verdict: CannotTell, Hint: hint,
			Message: what + ": Secure Boot refuses it, and whether Secure Boot is on cannot be read here (" + st.Why + ")"})
	case !st.Known && unsigned:
		// Not a problem: a system under --root says nothing of the
		// firmware it will boot on, and an unsigned kernel is a choice
		// made for machines without Secure Boot. The report says it.
		sb.NotChecked = append(sb.NotChecked, "whether the firmware will refuse the unsigned kernel image: it does under Secure Boot, and the firmware is unknown here")
	}
}
