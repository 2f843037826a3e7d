package verify_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestCheckKernelImageHeaders(t *testing.T) {
	const sbVar = "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	signed := kimagetest.SignedBzImage(kv, 1472)
	arm := kimagetest.Arm64Image(0xaa64)
	armz := gzipped(t, arm)
	armSigned := kimagetest.SignedArm64Image(0xaa64, 1472)
	cases := []struct {
		name    string
		image   []byte
		arch    string // the kernel package's Architecture in dpkg's status; "" none
		sys     map[string][]byte
		noSys   bool
		code    verify.Code // "" no kernel problem
		verdict verify.Verdict
		says    string
	}{
		{"whole", kimagetest.BzImage(kv), "amd64", nil, false, "", verify.Bootable, ""},
		{"padded past its length", append(kimagetest.BzImage(kv), make([]byte, 4096)...), "amd64", nil, false, "", verify.Bootable, ""},
		{"cut short", kimagetest.BzImage(kv)[:900], "amd64", nil, false, verify.CodeKernelTruncated, verify.Unbootable,
			"is 900 bytes, but its setup header: (setup_sects 1 + 1) * 512 + syssize 2 * 16 says a boot loader reads 1056 bytes (the file ends 156 bytes early, at offset 900)"},
		{"signature cut, BIOS boot", signed[:len(signed)-100], "amd64", nil, false, "", verify.Bootable, ""},
		{"signature cut, Secure Boot on", signed[:len(signed)-100], "amd64",
			map[string][]byte{sbVar: {7, 0, 0, 0, 1}}, false, verify.CodeKernelTruncated, verify.Unbootable, "Secure Boot is on"},
		{"signature cut, Secure Boot off", signed[:len(signed)-100], "amd64",
			map[string][]byte{sbVar: {7, 0, 0, 0, 0}}, false, "", verify.Bootable, ""},
		{"signature cut, Secure Boot unknown", signed[:len(signed)-100], "amd64", nil, true, verify.CodeKernelTruncated, verify.CannotTell, "whether Secure Boot is on is unknown"},
		{"another release", kimagetest.BzImage("6.1.0-17-amd64"), "amd64", nil, false, verify.CodeKernelWrongVersion, verify.Unbootable,
			"is kernel 6.1.0-17-amd64: it will look for its modules in /lib/modules/6.1.0-17-amd64"},
		{"arm64 kernel on amd64", arm, "amd64", nil, false, verify.CodeKernelWrongArch, verify.Unbootable,
			"is a arm64 kernel (arm64 Image), but this machine is amd64 (the Architecture of package linux-image-" + kv + " in /var/lib/dpkg/status)"},
		{"arm64 kernel for an arm64 package", arm, "arm64", nil, false, "", verify.Bootable, ""},
		{"gzip arm64 Image cut short", armz[:len(armz)-6], "arm64", nil, false, verify.CodeKernelTruncated, verify.Unbootable, "does not decompress whole"},
		{"gzip arm64 Image whole", armz, "arm64", nil, false, "", verify.Bootable, ""},
		// Debian 12's arm64 vmlinuz: an uncompressed, signed Image (scripts/e2e/arm64.sh boots it).
		{"signed arm64 Image whole", armSigned, "arm64", nil, false, "", verify.Bootable, ""},
		{"signed arm64 Image cut in its .text", armSigned[:4096], "arm64", nil, false, verify.CodeKernelTruncated, verify.Unbootable,
			"(arm64 Image) is cut short: it is 4096 bytes, but its PE section \".text\""},
		// Unlike a bzImage: UEFI's loader fails on it even with Secure Boot off (scripts/e2e/arm64.sh).
		{"signed arm64 Image, signature cut, UEFI, Secure Boot off", armSigned[:len(armSigned)-100], "arm64",
			map[string][]byte{sbVar: {7, 0, 0, 0, 0}}, false, verify.CodeKernelTruncated, verify.Unbootable,
			"past the end of the file (9564 bytes): this machine boots through UEFI, whose loader (EDK2) fails on an image whose PE header points past the file's end, even with Secure Boot off"},
		{"signed arm64 Image, signature cut to its sections, UEFI without efivarfs", armSigned[:8192], "arm64",
			map[string][]byte{"firmware/efi/runtime": {}}, false, verify.CodeKernelTruncated, verify.Unbootable, "this machine boots through UEFI"},
		{"signed arm64 Image, signature cut, no UEFI", armSigned[:len(armSigned)-100], "arm64", nil, false, "", verify.Bootable, ""},
		{"signed arm64 Image, signature cut, no /sys", armSigned[:len(armSigned)-100], "arm64", nil, true, verify.CodeKernelTruncated, verify.CannotTell,
			"a UEFI firmware's loader fails on it, and whether this machine boots through UEFI is unknown here"},
		{"signed arm64 Image, signature cut, Secure Boot on", armSigned[:len(armSigned)-100], "arm64",
			map[string][]byte{sbVar: {7, 0, 0, 0, 1}}, false, verify.CodeKernelTruncated, verify.Unbootable, "Secure Boot is on"},
		{"not a kernel", []byte("not a kernel image\n"), "amd64", nil, false, verify.CodeKernelUnrecognized, verify.CannotTell,
			"cannot tell whether the kernel image /boot/vmlinuz-" + kv + " is whole and for this machine: not a bzImage, PE or arm64 Image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			checktest.WriteFile(t, filepath.Join(f.root, "boot/vmlinuz-"+kv), c.image)
			if c.arch != "" {
				checktest.WriteFile(t, filepath.Join(f.root, "var/lib/dpkg/status"),
					[]byte("Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\n\nPackage: linux-image-"+kv+"\nStatus: install ok installed\nArchitecture: "+c.arch+"\n"))
			}
			for p, b := range c.sys {
				checktest.WriteFile(t, filepath.Join(f.m.Sys, p), b)
			}
			req := f.request()
			if c.noSys {
				req.Sys, req.Proc, req.Modules = nil, nil, rootNeeds
			}
			k := check(t, req)
			if c.code == "" {
				if k.Verdict != verify.Bootable {
					t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
				}
				return
			}
			p := problem(t, k, c.code)
			if p.Verdict != c.verdict || !strings.Contains(p.Message, c.says) {
				t.Errorf("%v: %q", p.Verdict, p.Message)
			}
			if c.verdict == verify.Unbootable && !strings.Contains(p.Hint, "apt-get install --reinstall linux-image-"+kv) {
				t.Errorf("hint %q", p.Hint)
			}
		})
	}
}

func TestCheckKernelArchFromDpkg(t *testing.T) {
	// Without the kernel's package, dpkg's own Architecture is the machine's.
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	checktest.WriteFile(t, filepath.Join(f.root, "boot/vmlinuz-"+kv), kimagetest.Zboot(0xaa64, "gzip"))
	checktest.WriteFile(t, filepath.Join(f.root, "var/lib/dpkg/status"), []byte("Package: dpkg\nArchitecture: riscv64\n"))
	p := problem(t, check(t, f.request()), verify.CodeKernelWrongArch)
	if !strings.Contains(p.Message, "this machine is riscv64 (the Architecture of package dpkg in /var/lib/dpkg/status)") {
		t.Errorf("%q", p.Message)
	}
	os.Remove(filepath.Join(f.root, "var/lib/dpkg/status"))
	k := check(t, f.request())
	for _, p := range k.Problems {
		if p.Code == verify.CodeKernelWrongArch && !strings.Contains(p.Message, "boot-guard's own architecture") {
			t.Errorf("%q", p.Message)
		}
	}
}
