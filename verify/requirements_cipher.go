package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/boot-guard/boot-guard/verify/kmod"
	"github.com/boot-guard/boot-guard/verify/rootdev"
)

// Issue 12 item 3: the crypto modules a dm-crypt mapping's cipher needs.
// dm-crypt (drivers/md/dm-crypt.c, crypt_ctr_cipher) asks the crypto API
// for "CHAINMODE(CIPHER)" ("xts(aes)"), or for the capi: spec as written;
// the crypto API (crypto/api.c, crypto_larval_lookup) has modprobe load
// "crypto-NAME" for the algorithm and each template it is built from, and
// an essiv IV asks for its hash. Without them the table does not load
// ("crypt: Error allocating crypto tfm") and root never appears. Which
// cipher the mapping uses is in its live table (rootdev.TableReader).

// maxCipherSpec bounds a cipher spec read from a table.
const maxCipherSpec = 256

// cryptCiphers returns the cipher spec of each crypt target of a dm table
// in `dmsetup table` form ("START LENGTH crypt CIPHER KEY IV_OFFSET DEV
// OFFSET [OPTIONS]"), each once.
func cryptCiphers(table string) []string {
	var out []string
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[2] != "crypt" {
			continue
		}
		seen := false
		for _, c := range out {
			seen = seen || c == f[3]
		}
		if !seen && len(out) < 64 {
			out = append(out, f[3])
		}
	}
	return out
}

// errCipher: a cipher spec boot-guard cannot read.
var errCipher = errors.New("not a cipher spec dm-crypt takes")

// cipherModules returns the crypto API names ("crypto-xts", "crypto-aes")
// whose modules the cipher spec needs: "CIPHER[:KEYCOUNT]-CHAINMODE-IVMODE
// [:IVOPTS]" (aes-xts-plain64, aes-cbc-essiv:sha256), or "capi:ALG-IVMODE"
// (capi:xts(aes)-plain64).
func cipherModules(spec string) ([]string, error) {
	if len(spec) > maxCipherSpec {
		return nil, fmt.Errorf("%w: longer than %d bytes", errCipher, maxCipherSpec)
	}
	var names []string
	var ivmode, ivopts string
	if capi, ok := strings.CutPrefix(spec, "capi:"); ok {
		alg := capi
		if i := strings.LastIndexByte(capi, '-'); i > strings.LastIndexByte(capi, ')') {
			alg, ivmode = capi[:i], capi[i+1:]
		}
		names = strings.FieldsFunc(alg, func(r rune) bool { return r == '(' || r == ')' || r == ',' })
	} else {
		parts := strings.SplitN(spec, "-", 3)
		cipher, _, _ := strings.Cut(parts[0], ":")
		chain := "cbc" // dm-crypt's default for a bare cipher ("aes": aes-cbc-plain)
		if len(parts) > 1 {
			chain = parts[1]
		}
		names = append(names, cipher, chain)
		if len(parts) > 2 {
			ivmode = parts[2]
		}
	}
	ivmode, ivopts, _ = strings.Cut(ivmode, ":")
	switch ivmode {
	case "essiv":
		names = append(names, "essiv", ivopts)
	case "lmk":
		names = append(names, "md5")
	case "tcw":
		names = append(names, "crc32")
	case "elephant":
		names = append(names, "ecb")
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no algorithm in %q", errCipher, spec)
	}
	var out []string
	for _, n := range names {
		if n == "" || !validAlgName(n) {
			return nil, fmt.Errorf("%w: %q in %q", errCipher, n, spec)
		}
		out = append(out, "crypto-"+n)
	}
	return out, nil
}

// validAlgName reports whether n reads as a crypto API algorithm or
// template name.
func validAlgName(n string) bool {
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return len(n) <= 64
}

// cipherNeeds adds to res the crypto modules of each dm-crypt mapping's
// cipher, read from its live table through sys (a rootdev.TableReader),
// and returns problems for what could not be read: notes (bootable), as
// without the table the cipher is unknown, not missing.
func cipherNeeds(sys any, res *rootdev.Result, ix *kmod.Index, v string) []Problem {
	var probs []Problem
	tr, ok := sys.(rootdev.TableReader)
	for _, u := range res.Userspace {
		if u.Program != "cryptsetup" || u.MajMin == "" {
			continue
		}
		why := fmt.Sprintf("cipher of %s", u.Detail)
		if !ok {
			probs = append(probs, Problem{Code: CodeDevicesUnknown, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: the %s is unknown: the device-mapper tables cannot be read here, so its crypto modules were not checked (aes-xts-plain64, LUKS2's default, needs xts)", v, why)})
			continue
		}
		table, err := tr.DMTable(u.MajMin)
		if err != nil {
			probs = append(probs, Problem{Code: CodeDevicesUnknown, Verdict: Bootable,
				Message: fmt.Sprintf("kernel %s: the %s is unknown, its crypto modules were not checked: %v", v, why, err),
				Hint:    "run boot-guard as root: the table is read through /dev/mapper/control"})
			continue
		}
		for _, spec := range cryptCiphers(table) {
			mods, err := cipherModules(spec)
			if err != nil {
				probs = append(probs, Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
					Message: fmt.Sprintf("kernel %s: the %s, %v: its crypto modules were not checked", v, why, err)})
				continue
			}
			for _, m := range mods {
				if len(ix.Resolve(m)) == 0 {
					probs = append(probs, Problem{Code: CodeDevicesUnknown, Verdict: CannotTell,
						Message: fmt.Sprintf("kernel %s: no module or built-in driver of it declares %s, which cipher %s of %s needs: whether the kernel has it under another name was not checked", v, m, spec, u.Detail)})
					continue
				}
				res.Needs = append(res.Needs, rootdev.Need{Kind: rootdev.NeedModule, Value: m,
					Reason: fmt.Sprintf("needed by cipher %s of %s", spec, u.Detail)})
			}
		}
	}
	return probs
}

// HostSys is the running machine's /sys at dir, which also reads the live
// device-mapper tables through control (/dev/mapper/control): the Sys of
// a Request on the host (rootdev.HostSys).
func HostSys(dir, control string) fs.FS { return rootdev.HostSys(dir, control) }
