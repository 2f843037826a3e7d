package diagnose

import (
	"os"
	"path/filepath"
	"testing"
)

// dracutCore are the files dracut-core installs next to initramfs-tools on
// trixie and later: the programs and the kernel-install plugin, no
// postinst.d hook (that is in the dracut package, which conflicts with
// initramfs-tools).
var dracutCore = []string{"usr/bin/dracut", "usr/lib/kernel/install.d/50-dracut.install"}

// initramfsTools are the files initramfs-tools installs: its kernel hook and
// update-initramfs.
var initramfsTools = []string{"etc/kernel/postinst.d/initramfs-tools", "usr/sbin/update-initramfs"}

// TestGeneratorOfImageAndHooks: the generator a fix names is the one that
// made the image, else the one the kernel's hooks run, else the one
// installed; each combination a real system has.
func TestGeneratorOfImageAndHooks(t *testing.T) {
	cat := func(lists ...[]string) []string {
		var out []string
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}
	cases := []struct {
		name  string
		files []string
		image Generator
		want  Generator
	}{
		// The reported case: dracut-core installed, initramfs-tools built
		// the image.
		{"initramfs-tools image, dracut-core installed", cat(initramfsTools, dracutCore), GeneratorInitramfsTools, GeneratorInitramfsTools},
		{"no image, dracut-core installed: initramfs-tools' hook runs", cat(initramfsTools, dracutCore), GeneratorUnknown, GeneratorInitramfsTools},
		{"dracut image on an initramfs-tools system", cat(initramfsTools, dracutCore), GeneratorDracut, GeneratorDracut},
		{"no image, dracut's hook (testing)", cat(dracutCore, []string{"usr/share/kernel/postinst.d/dracut"}), GeneratorUnknown, GeneratorDracut},
		{"no image, initramfs-tools' hook in /usr/share (trixie)", cat(dracutCore, []string{"usr/share/kernel/postinst.d/initramfs-tools"}), GeneratorUnknown, GeneratorInitramfsTools},
		{"no image, only dracut's kernel-install plugin", dracutCore, GeneratorUnknown, GeneratorDracut},
		{"no image, both postinst.d hooks", []string{"etc/kernel/postinst.d/initramfs-tools", "etc/kernel/postinst.d/dracut"}, GeneratorUnknown, GeneratorUnknown},
		{"no hooks, only update-initramfs", []string{"usr/sbin/update-initramfs"}, GeneratorUnknown, GeneratorInitramfsTools},
		{"no hooks, both programs", []string{"usr/sbin/update-initramfs", "usr/sbin/dracut"}, GeneratorUnknown, GeneratorUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tc.files {
				write(t, root, f, "#!/bin/sh\n")
			}
			f := Inspect(Options{Root: root, Space: plenty, Image: tc.image}, kver)
			if f.Generator != tc.want {
				t.Errorf("Inspect: generator %q, want %q", f.Generator, tc.want)
			}
			if g := GeneratorOf(root, tc.image); g != tc.want {
				t.Errorf("GeneratorOf: %q, want %q", g, tc.want)
			}
		})
	}
}

// TestHookMasked: an /etc hook overrides the /usr one of the same name;
// as a symlink to /dev/null it masks it, as
// linux-run-hooks and kernel-install do.
func TestHookMasked(t *testing.T) {
	root := t.TempDir()
	write(t, root, "usr/share/kernel/postinst.d/dracut", "#!/bin/sh\n")
	write(t, root, "usr/lib/kernel/install.d/50-dracut.install", "#!/bin/sh\n")
	write(t, root, "usr/sbin/update-initramfs", "#!/bin/sh\n")
	if g := GeneratorOf(root, GeneratorUnknown); g != GeneratorDracut {
		t.Fatalf("unmasked: %q", g)
	}
	mask(t, root, "etc/kernel/postinst.d/dracut")
	if g := GeneratorOf(root, GeneratorUnknown); g != GeneratorDracut {
		t.Fatalf("postinst.d hook masked, plugin left: %q", g)
	}
	mask(t, root, "etc/kernel/install.d/50-dracut.install")
	if g := GeneratorOf(root, GeneratorUnknown); g != GeneratorInitramfsTools {
		t.Errorf("both masked: %q, want the installed update-initramfs", g)
	}
}

// mask makes root/name a symlink to /dev/null.
func mask(t *testing.T, root, name string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", p); err != nil {
		t.Fatal(err)
	}
}

// TestImageGenerator: each generator's own files in the image name it;
// none, or both generators' marks, name none.
func TestImageGenerator(t *testing.T) {
	cases := []struct {
		name  string
		paths []string
		want  Generator
	}{
		{"initramfs-tools", []string{"init", "conf/initramfs.conf", "conf/arch.conf", "scripts/functions"}, GeneratorInitramfsTools},
		{"dracut", []string{"init", "usr/lib/dracut/build-parameter.txt", "usr/lib/dracut/modules.txt"}, GeneratorDracut},
		{"dracut, old lib layout", []string{"lib/dracut-lib.sh"}, GeneratorDracut},
		{"hand-made", []string{"init", "bin/sh"}, GeneratorUnknown},
		{"both", []string{"conf/initramfs.conf", "usr/lib/dracut/modules.txt"}, GeneratorUnknown},
	}
	for _, tc := range cases {
		has := map[string]bool{}
		for _, p := range tc.paths {
			has[p] = true
			if !IsImageMark(p) && p != "init" && p != "bin/sh" {
				t.Errorf("%s: %s is not a mark", tc.name, p)
			}
		}
		if g := ImageGenerator(func(p string) bool { return has[p] }); g != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, g, tc.want)
		}
	}
}
