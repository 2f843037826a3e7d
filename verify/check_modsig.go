package verify

import (
	"bufio"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
	"github.com/boot-guard/boot-guard/verify/internal/decomp"
	"github.com/boot-guard/boot-guard/verify/secureboot"
)

// modTrust is what the target kernel trusts for module signatures: the keys
// found, the revocation lists, and what could not be read (then a signer
// not found among the keys is of unknown trust, never untrusted).
type modTrust struct {
	keys    []secureboot.Key
	revoked []secureboot.SignatureList
	gaps    []string
	// dkms is the DKMS signing certificate on disk (nil: none), found at
	// dkmsPath, and whether MokListRT holds it.
	dkms         *secureboot.Key
	dkmsPath     string
	dkmsEnrolled bool
}

// builtinSamples is how many in-tree modules are read for the kernel's
// built-in signing key.
const builtinSamples = 3

// moduleTrust gathers the keys the target kernel trusts for modules
// (VERIFY_USE_SECONDARY_KEYRING: its built-in keys; with the platform or
// machine keyring, the MOK list and db shim and the firmware pass it).
func (c *checker) moduleTrust() *modTrust {
	t := &modTrust{}
	sb := c.secureBootReport()
	t.builtin(c)
	if c.kcfg == nil {
		t.gaps = append(t.gaps, "which UEFI keys the kernel imports (its config cannot be read)")
	} else {
		if v, _ := c.kcfg.Value("SYSTEM_TRUSTED_KEYS"); strings.Trim(v, `"`) != "" {
			t.gaps = append(t.gaps, fmt.Sprintf("the certificates CONFIG_SYSTEM_TRUSTED_KEYS=%s builds into the kernel image (not read)", v))
		}
		t.uefi(c)
	}
	for _, k := range t.keys {
		sb.TrustedKeys = append(sb.TrustedKeys, k.Name+" ("+k.Source+")")
	}
	if t.dkms != nil {
		state := "not enrolled in MokListRT"
		if t.dkmsEnrolled {
			state = "enrolled in MokListRT"
		}
		sb.Checked = append(sb.Checked, fmt.Sprintf("the DKMS signing key %s (%s): %s", t.dkmsPath, t.dkms.Name, state))
	}
	sb.NotChecked = append(sb.NotChecked, t.gaps...)
	sb.NotChecked = append(sb.NotChecked, "the cryptographic validity of module signatures (only their signers are compared)")
	return t
}

// builtin adds the kernel's built-in signing key, evident as the signer of
// its in-tree modules (the first of modules.order).
func (t *modTrust) builtin(c *checker) {
	dir := c.hostPath("/lib/modules/" + c.req.Version)
	f, err := os.Open(filepath.Join(dir, "modules.order"))
	if err != nil {
		t.gaps = append(t.gaps, fmt.Sprintf("the kernel's built-in key (its in-tree modules' signer: %v)", err))
		return
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(io.LimitReader(f, 4<<20))
	for sc.Scan() && found < builtinSamples {
		rel := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "kernel/")
		if rel == "" {
			continue
		}
		s, err := moduleFileSignature(filepath.Join(dir, "kernel", rel))
		if err != nil || !s.Signed {
			continue
		}
		found++
		for _, sg := range s.Signers {
			k := secureboot.KeyOfSigner(sg)
			k.Source = "the kernel's built-in key: signer of its in-tree module " + rel
			if !slices.ContainsFunc(t.keys, k.Same) {
				t.keys = append(t.keys, k)
			}
		}
	}
	if found == 0 {
		t.gaps = append(t.gaps, "the kernel's built-in key (no in-tree module in modules.order carries a readable signature)")
	}
}

// moduleFileSignature reads the signature of a module file on disk, named
// as modules.order names it (.ko), installed as .ko or compressed.
func moduleFileSignature(p string) (secureboot.ModuleSignature, error) {
	if _, err := os.Stat(p); err == nil {
		return secureboot.ReadModuleFileSignature(p)
	}
	for _, suf := range []string{".xz", ".zst", ".gz"} {
		f, err := os.Open(p + suf)
		if err != nil {
			continue
		}
		defer f.Close()
		rc, err := decomp.OpenFile(p+suf, f, initrd.MaxModuleSize)
		if err != nil {
			return secureboot.ModuleSignature{}, err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			return secureboot.ModuleSignature{}, err
		}
		return secureboot.ParseModuleSignature(b[max(0, len(b)-secureboot.TailSize):], int64(len(b)))
	}
	return secureboot.ModuleSignature{}, os.ErrNotExist
}

// uefi adds MokListRT and db when the kernel checks modules against them:
// Debian's and Ubuntu's kernels check the platform keyring
// (CONFIG_INTEGRITY_PLATFORM_KEYRING, filled from db and the MOK list
// under Secure Boot with CONFIG_LOAD_UEFI_KEYS); upstream trusts the MOK
// list through the machine keyring when shim sets MokListTrustedRT.
func (t *modTrust) uefi(c *checker) {
	st := c.secureBootState()
	for _, p := range secureboot.DKMSKeyPaths {
		if cert, err := secureboot.ReadCertFile(c.hostPath(p)); err == nil {
			k := secureboot.KeyOf(cert)
			t.dkms, t.dkmsPath = &k, p
			break
		}
	}
	if !st.Known {
		t.gaps = append(t.gaps, "MokListRT and db: "+st.Why)
		return
	}
	if !st.Enforcing() || !c.kcfg.Enabled("LOAD_UEFI_KEYS") {
		return // the kernel loads no UEFI key
	}
	mok, err := secureboot.ReadMokLists(c.req.Sys)
	if err != nil {
		t.gaps = append(t.gaps, "MokListRT: "+err.Error())
	}
	if t.dkms != nil {
		t.dkmsEnrolled = slices.ContainsFunc(mok.List.Certs, func(x *x509Cert) bool { return t.dkms.Same(secureboot.KeyOf(x)) })
	}
	t.revoked = append(t.revoked, mok.Revoked)
	if dbx, err := secureboot.ReadDB(c.req.Sys, "dbx"); err == nil {
		t.revoked = append(t.revoked, dbx)
	}
	if !c.kcfg.Enabled("INTEGRITY_PLATFORM_KEYRING") && !(c.kcfg.Enabled("INTEGRITY_MACHINE_KEYRING") && mok.Trusted) {
		return
	}
	for _, cert := range mok.List.Certs {
		k := secureboot.KeyOf(cert)
		k.Source = "MokListRT"
		t.keys = append(t.keys, k)
	}
	db, err := secureboot.ReadDB(c.req.Sys, "db")
	if err != nil {
		t.gaps = append(t.gaps, "db: "+err.Error())
	}
	for _, cert := range db.Certs {
		k := secureboot.KeyOf(cert)
		k.Source = "the firmware's db"
		t.keys = append(t.keys, k)
	}
}

// trusted says whether the kernel trusts signer s: known true, known false,
// or unknown (ok false).
func (t *modTrust) trusted(s secureboot.Signer) (trust, ok bool, key secureboot.Key) {
	k, found := secureboot.Find(t.keys, s)
	if found {
		for _, r := range t.revoked {
			if secureboot.Revoked(r, k) {
				return false, true, k
			}
		}
		return true, true, k
	}
	return false, len(t.gaps) == 0, secureboot.KeyOfSigner(s)
}

// modinfoFor chooses the modules whose .modinfo (and signature) the image
// read decodes: every module when the kernel will enforce signatures (each
// gets a note), else those root needs.
func (c *checker) modinfoFor(n needs) func(string) bool {
	if c.rep.SecureBoot != nil && c.rep.SecureBoot.ModuleSignatures == EnforcedYes {
		return nil
	}
	return n.modinfo()
}

// sigFinding is what one module's signature means for the target kernel.
type sigFinding struct {
	code    Code
	verdict Verdict // for a module root needs
	what    string
	hint    string
}

// moduleSignatures checks the signatures of the image's modules for this
// kernel: those root needs decide the verdict, the others get notes when
// the kernel will enforce signatures.
func (c *checker) moduleSignatures(img *initrd.Image, n needs) {
	sb := c.secureBootReport()
	sigOn := c.kcfg != nil && c.kcfg.Enabled("MODULE_SIG")
	if sb.ModuleSignatures == EnforcedNo && !sigOn {
		return // nothing in the kernel reads a signature
	}
	needed := n.modinfo()
	var trust *modTrust
	others := map[Code][]string{}
	checked := 0
	for _, m := range img.Modules {
		if m.KernelVersion != c.req.Version || m.Tail == nil || m.Unreachable != "" {
			continue
		}
		checked++
		need := needed(m.Name)
		if !need && sb.ModuleSignatures != EnforcedYes {
			continue
		}
		s, err := secureboot.ParseModuleSignature(m.Tail, m.Size)
		if err == nil && s.Signed && trust == nil && sb.ModuleSignatures != EnforcedNo {
			trust = c.moduleTrust()
		}
		f, bad := c.signatureFinding(m, s, err, trust, sb.ModuleSignatures)
		if !bad {
			continue
		}
		if !need || f.verdict == Bootable {
			others[f.code] = append(others[f.code], m.Name)
			continue
		}
		c.rep.Add(Problem{Code: f.code, Verdict: f.verdict, Hint: f.hint,
			Message: fmt.Sprintf("kernel %s: module %s (/%s in the initrd), which root needs, %s", c.req.Version, m.Name, m.Path, f.what)})
	}
	sb.Checked = append(sb.Checked, fmt.Sprintf("the signatures of %d modules in the initrd", checked))
	for _, code := range []Code{CodeModuleUnsigned, CodeModuleSignerUntrusted, CodeModuleSignatureMalformed} {
		if names := others[code]; len(names) > 0 && sb.ModuleSignatures != EnforcedYes {
			sb.NotChecked = append(sb.NotChecked, fmt.Sprintf("whether the kernel refuses %d modules of the initrd (%s; refused when module signatures are enforced): %s", len(names), codeWhy(code), strings.Join(names, ", ")))
		} else if len(names) > 0 {
			c.rep.Add(Problem{Code: code, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: %d modules of the initrd root does not need will not load (%s, and module signatures will be enforced): %s", c.req.Version, len(names), codeWhy(code), strings.Join(names, ", "))})
		}
	}
}

func codeWhy(c Code) string {
	switch c {
	case CodeModuleUnsigned:
		return "unsigned"
	case CodeModuleSignerUntrusted:
		return "signed by a key the kernel does not trust"
	}
	return "a malformed signature"
}

// signatureFinding judges one module's signature; bad is false when the
// kernel will load it.
func (c *checker) signatureFinding(m initrd.Module, s secureboot.ModuleSignature, err error, trust *modTrust, enforce string) (f sigFinding, bad bool) {
	sb := c.rep.SecureBoot
	enforced := fmt.Sprintf("kernel %s will enforce module signatures at the next boot (%s)", c.req.Version, sb.Why)
	ifEnforced := func(code Code, what, hint string) (sigFinding, bool) {
		switch enforce {
		case EnforcedYes:
			return sigFinding{code, Unbootable, what + ", and " + enforced + ": it refuses the module", hint}, true
		case EnforcedCannotTell:
			v := CannotTell
			if c.req.Sys == nil {
				// Under --root: said in the report, as for an
				// unsigned kernel image (moduleSignatures). A
				// machine whose efivarfs cannot be read is
				// cannot-tell (seen in a real Secure Boot guest
				// without the efivarfs module loaded).
				v = Bootable
			}
			return sigFinding{code, v, what + "; whether the kernel will enforce module signatures is unknown: " + sb.Why, hint}, true
		}
		return sigFinding{}, false
	}
	signHint := c.signHint(trust)
	switch {
	case errors.Is(err, secureboot.ErrSigMalformed) && !errors.Is(err, secureboot.ErrPKCS7):
		return sigFinding{CodeModuleSignatureMalformed, Unbootable, fmt.Sprintf("ends with a malformed signature (%v): the kernel refuses it even when signatures are not enforced", err), "rebuild the module and sign it again (sign-file, or dkms), then rebuild the initrd"}, true
	case err != nil && !errors.Is(err, secureboot.ErrSigNotPKCS7):
		return sigFinding{CodeModuleSignatureMalformed, CannotTell, fmt.Sprintf("has a signature boot-guard cannot read (%v)", err), "check it with: modinfo " + m.Name}, true
	case !s.Signed || err != nil:
		what := "is not signed (\"Loading of unsigned module is rejected\")"
		if err != nil {
			what = fmt.Sprintf("is not signed with a PKCS#7 message (%v)", err)
		}
		return ifEnforced(CodeModuleUnsigned, what, signHint)
	case enforce == EnforcedNo:
		return sigFinding{}, false // a signer the kernel does not know loads
	}
	for _, sg := range s.Signers {
		ok, known, key := trust.trusted(sg)
		switch {
		case ok:
			continue
		case known:
			return ifEnforced(CodeModuleSignerUntrusted, "is signed by "+sg.String()+", a key the kernel will not trust"+c.dkmsNote(trust, key), signHint)
		}
		what := fmt.Sprintf("is signed by %s, which is none of the keys found that the kernel trusts, and these could not be read: %s", sg.String(), strings.Join(trust.gaps, "; "))
		if enforce == EnforcedYes {
			return sigFinding{CodeModuleSignerUntrusted, CannotTell, what, signHint}, true
		}
		return ifEnforced(CodeModuleSignerUntrusted, what, signHint)
	}
	return sigFinding{}, false
}

// dkmsNote says when a key is the DKMS key on disk.
func (c *checker) dkmsNote(t *modTrust, k secureboot.Key) string {
	if t.dkms != nil && t.dkms.Same(k) {
		return fmt.Sprintf(" (the DKMS signing key %s, not enrolled in shim's MOK list)", t.dkmsPath)
	}
	return ""
}

// signHint is the fix for a module the kernel will not load for its
// signature.
func (c *checker) signHint(t *modTrust) string {
	if t != nil && t.dkms != nil && !t.dkmsEnrolled {
		return fmt.Sprintf("enrol the DKMS signing key: mokutil --import %s, then reboot and confirm the enrolment in shim's MOK manager (it asks for the password mokutil set); until then boot the previous kernel", t.dkmsPath)
	}
	return "sign the module with a key the kernel trusts: DKMS signs what it builds with /var/lib/dkms/mok.key (or mok_signing_key and mok_certificate in /etc/dkms/framework.conf): dkms autoinstall -k " + c.req.Version + ", enrol the certificate with mokutil --import /var/lib/dkms/mok.pub and confirm it at the next boot, then rebuild the initrd"
}

type x509Cert = x509.Certificate
