package verify_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/bootentry/bootentrytest"
	"github.com/boot-guard/boot-guard/verify/checktest"
	"github.com/boot-guard/boot-guard/verify/kimage/kimagetest"
)

// ukiFile assembles a UKI as 60-ukify.install stages it: .linux is the
// kernel image, .initrd the initrd (nil: no section).
func ukiFile(linux, initrd []byte, cmdline string) []byte {
	secs := bootentrytest.UKI(kv, cmdline, initrd)
	for i := range secs {
		if secs[i].Name == ".linux" {
			secs[i].Data = linux
		}
	}
	return bootentrytest.PE(secs)
}

// TestCheckUKI: under kernel-install's layout=uki the image that boots is
// the staged UKI, so its sections decide, whatever /boot holds.
func TestCheckUKI(t *testing.T) {
	f := newFixture(t)
	good := checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Build()
	lacking := checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds, "nvme")}.Build()
	kernel := kimagetest.BzImage(kv)
	const cmdline = "root=/dev/nvme0n1p2 ro quiet"
	cases := []struct {
		name    string
		file    []byte // nil: no file
		verdict verify.Verdict
		code    verify.Code
		says    string
	}{
		{"good", ukiFile(kernel, good, cmdline), verify.Bootable, "", "uki.efi (.initrd section"},
		{"initrd lacks the root driver", ukiFile(kernel, lacking, cmdline), verify.Unbootable, verify.CodeModuleMissing, "nvme"},
		{"initrd section cut", ukiFile(kernel, good[:len(good)/2], cmdline), verify.Unbootable, verify.CodeInitrdTruncated, ".initrd section"},
		{"no initrd section", ukiFile(kernel, nil, cmdline), verify.Unbootable, verify.CodeInitrdMissing, "has no .initrd section, and the kernel cannot mount root without one"},
		{"kernel of another release", ukiFile(kimagetest.BzImage("6.1.0-17-amd64"), good, cmdline), verify.Unbootable, verify.CodeKernelWrongVersion, ".linux section is kernel 6.1.0-17-amd64"},
		{"kernel cut", ukiFile(kernel[:900], good, cmdline), verify.Unbootable, verify.CodeKernelTruncated, ".linux section"},
		{"file cut", ukiFile(kernel, good, cmdline)[:3000], verify.CannotTell, verify.CodeKernelUnrecognized, "the image is truncated"},
		{"not a PE", []byte("not an EFI program\n"), verify.CannotTell, verify.CodeKernelUnrecognized, "not a PE image"},
		{"missing", nil, verify.Unbootable, verify.CodeKernelMissing, "cannot read the unified kernel image"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			// /boot's own files are broken: only the UKI may decide.
			checktest.WriteFile(t, filepath.Join(f.root, "boot/vmlinuz-"+kv), []byte("junk"))
			checktest.WriteFile(t, filepath.Join(f.root, "boot/initrd.img-"+kv), []byte("junk"))
			uki := filepath.Join(t.TempDir(), "uki.efi")
			if c.file != nil {
				checktest.WriteFile(t, uki, c.file)
			}
			req := f.request()
			req.UKI = uki
			k := check(t, req)
			if k.Verdict != c.verdict {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, c.verdict, k.Problems)
			}
			text := strings.Join(k.Initrds, " ")
			for _, p := range k.Problems {
				text += " " + p.Message
				if c.code != "" && p.Code == c.code {
					c.code = ""
				}
			}
			if c.code != "" {
				t.Errorf("no %s problem in %+v", c.code, k.Problems)
			}
			if !strings.Contains(text, c.says) {
				t.Errorf("%q does not say %q", text, c.says)
			}
		})
	}
}
