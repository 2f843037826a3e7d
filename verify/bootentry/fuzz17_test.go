package bootentry

import (
	"strings"
	"testing"
	"testing/fstest"
)

// Fuzz targets of issue 17 item 1 for the boot loader files another
// program writes: grubenv, /etc/default/grub, BLS entries, loader.conf and
// the EFI variables of systemd-boot.

// FuzzParseGrubenv: no panic; a map only without an error; every name is a
// line's text before its first '='.
func FuzzParseGrubenv(f *testing.F) {
	f.Add([]byte("# GRUB Environment Block\nsaved_entry=gnulinux-6.1.0-9-amd64-advanced-x\nnext_entry=\n" + strings.Repeat("#", 900)))
	f.Add([]byte("# GRUB Environment Block\na=b\\nc\\\\\n"))
	f.Add([]byte("# GRUB Environment Block\nnoequals\n"))
	f.Add([]byte("#"))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseGrubenv(data, "grubenv")
		if err != nil {
			if env != nil {
				t.Fatal("map alongside an error")
			}
			if !strings.HasPrefix(err.Error(), "grubenv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for k := range env {
			if strings.ContainsAny(k, "=\n") {
				t.Fatalf("name %q", k)
			}
		}
	})
}

// FuzzParseShellAssignments (/etc/default/grub, parsed, never run): no
// panic, names are never empty and hold no space or '='.
func FuzzParseShellAssignments(f *testing.F) {
	f.Add("GRUB_DEFAULT=saved\nexport GRUB_CMDLINE_LINUX=\"quiet splash\"\n# c\n")
	f.Add("GRUB_DEFAULT='1>2'\nX=$(rm -rf /)\n")
	f.Add("=\n'\"\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseShellAssignments(strings.NewReader(s))
		if err != nil {
			return
		}
		for k := range m {
			if k == "" || strings.ContainsAny(k, " \t=\n") {
				t.Fatalf("name %q", k)
			}
		}
	})
}

// FuzzParseBLSEntry: no panic; the ID is the file's name whatever the
// content; options never start or end with a space (joined as the spec says).
func FuzzParseBLSEntry(f *testing.F) {
	f.Add("title Debian\nversion 6.1.0-9-amd64\noptions root=UUID=1 ro\noptions quiet\nlinux /x/linux\ninitrd /x/initrd\n")
	f.Add("efi /EFI/Linux/debian.efi\nsort-key debian\n")
	f.Add("linux\t/tab\n#c\n\n\x00")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseBLSEntry(strings.NewReader(s), "/boot/efi/loader/entries/a.conf")
		if err != nil {
			return
		}
		if e.ID != "a.conf" {
			t.Fatalf("id %q", e.ID)
		}
		if e.Options != strings.TrimSpace(e.Options) {
			t.Fatalf("options %q", e.Options)
		}
	})
}

// FuzzLoaderConfDefault: systemd-boot's default from loader.conf, then
// from EFI variables of any payload, picks an entry of the menu or none.
func FuzzLoaderConfDefault(f *testing.F) {
	f.Add("timeout 3\ndefault *-6.1.0-9-amd64.conf\n", []byte("\x07\x00\x00\x00a\x00.\x00c\x00o\x00n\x00f\x00\x00\x00"), []byte{})
	f.Add("default @saved\n", []byte{}, []byte("\x07\x00\x00\x00z\x00z\x00*\x00"))
	f.Add("default\n", []byte{0, 0, 0, 0, 0xd8, 0xd8}, []byte("\x07\x00\x00"))
	f.Fuzz(func(t *testing.T, conf string, def, oneShot []byte) {
		files := blsFiles()
		files["boot/efi/loader/loader.conf"] = conf
		vars := fstest.MapFS{
			"LoaderEntryDefault-" + loaderGUID: {Data: def},
			"LoaderEntryOneShot-" + loaderGUID: {Data: oneShot},
			"LoaderInfo-" + loaderGUID:         {Data: def},
		}
		m, err := Scan(Options{Root: writeTree(t, files), EFIVars: vars})
		if err != nil {
			t.Fatal(err)
		}
		if m.Default < -1 || m.Default >= len(m.Entries) {
			t.Fatalf("default %d of %d entries", m.Default, len(m.Entries))
		}
		if s, err := efiString(vars, "LoaderEntryDefault"); err != nil || strings.ContainsRune(s, 0) {
			t.Fatalf("efiString %q, %v", s, err)
		}
	})
}

// FuzzCmdline: the kernel command line of an entry, /etc/kernel/cmdline or
// /proc/cmdline. CmdlineValue is the last of CmdlineValues; a value never
// holds a double quote (they only group).
func FuzzCmdline(f *testing.F) {
	f.Add(`BOOT_IMAGE=/vmlinuz root=UUID=1 ro quiet -- init=/x`, "root")
	f.Add(`root="/dev/disk/by-label/a b" modprobe.blacklist=nvme modprobe.blacklist=ahci`, "modprobe.blacklist")
	f.Add("\"\"=\"\t\n", "")
	f.Fuzz(func(t *testing.T, line, key string) {
		v, ok := CmdlineValue(line, key)
		all := CmdlineValues(line, key)
		if ok != (len(all) > 0) || ok && v != all[len(all)-1] {
			t.Fatalf("CmdlineValue %q %v, CmdlineValues %q", v, ok, all)
		}
		for _, x := range all {
			if strings.Contains(x, `"`) {
				t.Fatalf("value %q holds a quote", x)
			}
		}
	})
}
