package hook

import (
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// installedHooks reads debian/rules' HOOKS list: path -> protocol name.
func installedHooks(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../debian/rules")
	if err != nil {
		t.Fatal(err)
	}
	hooks := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*((?:etc|usr)/[^\s:]+):([a-z-]+)`).FindAllStringSubmatch(string(b), -1) {
		hooks["/"+m[1]] = m[2]
	}
	if len(hooks) != 5 {
		t.Fatalf("debian/rules' HOOKS: found %v, want 5 entries", hooks)
	}
	return hooks
}

// TestHookOrderOnEachRelease checks the package's hook names against the
// hooks each release's packages install in the same run-parts or
// kernel-install list (issue 14 item 1; README, "Where each release runs the
// hooks", gives the package versions they were read from). run-parts
// (debianutils 5.17 to 5.24) and kernel-install sort one merged list of
// names in C collation, which sort.Strings is.
func TestHookOrderOnEachRelease(t *testing.T) {
	hooks := installedHooks(t)
	byName := map[string]string{}
	for p, name := range hooks {
		byName[name] = p
	}
	// run-parts without --lsbsysinit runs only names of [A-Za-z0-9_-].
	runParts := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	cases := []struct {
		release, hook string
		after, before []string
	}{
		// postinst.d: Debian 13 (/etc only in its packages), testing
		// (00-legacy-boot and zz-systemd-boot in /usr/share/kernel), Ubuntu
		// 24.04 and 26.04 (xx-update-initrd-links from linux-base).
		{"Debian 13", "kernel-postinst", []string{"dkms", "dracut", "initramfs-tools"}, []string{"zz-systemd-boot", "zz-update-grub"}},
		{"Debian testing", "kernel-postinst", []string{"00-legacy-boot", "dkms", "dracut", "initramfs-tools", "touch-reboot-required"}, []string{"zz-systemd-boot", "zz-update-grub"}},
		{"Ubuntu 24.04/26.04", "kernel-postinst", []string{"dkms", "dracut", "initramfs-tools", "xx-update-initrd-links"}, []string{"zz-systemd-boot", "zz-update-grub"}},
		// prerm.d: before dkms removes the modules and before testing's
		// zz-legacy-boot removes /boot/vmlinuz-VERSION.
		{"Debian testing", "kernel-prerm", nil, []string{"dkms", "zz-legacy-boot"}},
		// kernel-install: after the generators and 60-ukify, before the
		// plugins that install the entry or the UKI.
		{"systemd 255-262", "kernel-install", []string{"40-dkms.install", "50-depmod.install", "50-dracut.install", "51-dracut-rescue.install", "55-initrd.install", "60-ukify.install", "85-initrd.install"},
			[]string{"90-loaderentry.install", "90-uki-copy.install"}},
	}
	for _, c := range cases {
		name := path.Base(byName[c.hook])
		if c.hook != "kernel-install" && !runParts.MatchString(name) {
			t.Errorf("%s: run-parts skips %q: not [A-Za-z0-9_-]+", c.hook, name)
		}
		if c.hook == "kernel-install" && !strings.HasSuffix(name, ".install") {
			t.Errorf("%s: kernel-install runs only *.install plugins, not %q", c.hook, name)
		}
		list := append(append(append([]string{}, c.after...), name), c.before...)
		sort.Strings(list)
		at := sort.SearchStrings(list, name)
		for _, a := range c.after {
			if i := sort.SearchStrings(list, a); i > at {
				t.Errorf("%s, %s: %s sorts after %s, must run before it", c.release, c.hook, a, name)
			}
		}
		for _, b := range c.before {
			if i := sort.SearchStrings(list, b); i < at {
				t.Errorf("%s, %s: %s sorts before %s, must run after it", c.release, c.hook, b, name)
			}
		}
	}
}
