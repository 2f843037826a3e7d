package bootentry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// debian12Cfg is testdata/debian12-separate-boot.grub.cfg: the output of
// Debian 12's real grub-mkconfig (grub-common 2.06-13+deb12u2) run by
// scripts/audit-real-system.sh's make_grub_cfg in a scratch mount namespace:
// /boot a separate filesystem holding vmlinuz-6.1.0-17-amd64 with its initrd
// and vmlinuz-6.1.0-18-amd64 without one, GRUB_DEFAULT=saved. Note how
// 10_linux writes root=/dev/vda2 (not UUID=) for the kernel with no initrd.
func debian12Cfg(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/debian12-separate-boot.grub.cfg")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const (
	rootUUID = "7c0ffee0-2222-4d4d-8e8e-0123456789ab"
	bootUUID = "0b5e7a0c-1111-4a4a-9c9c-0123456789ab"
)

// writeTree creates files (path -> content) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// grubenv builds a 1024-byte environment block as grub-editenv writes it.
func grubenv(vars ...string) string {
	s := "# GRUB Environment Block\n"
	for _, v := range vars {
		s += v + "\n"
	}
	return s + strings.Repeat("#", 1024-len(s))
}

func TestParseDebian12GrubCfg(t *testing.T) {
	cfg, err := ParseGrubConfig(strings.NewReader(debian12Cfg(t)), "grub.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Items) != 2 || cfg.Items[0].IsMenu || !cfg.Items[1].IsMenu {
		t.Fatalf("top level: %+v", cfg.Items)
	}
	if !cfg.UsesNextEntry || len(cfg.Defaults) != 1 || cfg.Defaults[0] != "${saved_entry}" {
		t.Fatalf("defaults %q, next_entry %v", cfg.Defaults, cfg.UsesNextEntry)
	}
	first := cfg.Items[0]
	if first.Title != "Debian GNU/Linux" || first.ID != "gnulinux-simple-"+rootUUID {
		t.Errorf("first entry title %q id %q", first.Title, first.ID)
	}
	if first.Linux != "/vmlinuz-6.1.0-18-amd64" || len(first.Initrds) != 0 || first.SearchUUID != bootUUID {
		t.Errorf("first entry: linux %q initrds %q search %q", first.Linux, first.Initrds, first.SearchUUID)
	}
	if first.Args != "root=/dev/vda2 ro quiet" {
		t.Errorf("first entry args %q", first.Args)
	}
	sub := cfg.Items[1].Submenu
	if len(sub) != 4 {
		t.Fatalf("submenu has %d entries, want 4", len(sub))
	}
	if sub[2].Title != "Debian GNU/Linux, with Linux 6.1.0-17-amd64" || len(sub[2].Initrds) != 1 || sub[2].Initrds[0] != "/initrd.img-6.1.0-17-amd64" {
		t.Errorf("submenu[2]: %+v", sub[2])
	}
}

func TestScanSeparateBoot(t *testing.T) {
	advanced17 := "gnulinux-advanced-" + rootUUID + ">gnulinux-6.1.0-17-amd64-advanced-" + rootUUID
	files := map[string]string{
		"boot/grub/grub.cfg":             debian12Cfg(t),
		"boot/vmlinuz-6.1.0-17-amd64":    "k",
		"boot/initrd.img-6.1.0-17-amd64": "i",
		"boot/vmlinuz-6.1.0-18-amd64":    "k",
		"etc/fstab":                      "UUID=" + rootUUID + " / ext4 errors=remount-ro 0 1\nUUID=" + bootUUID + " /boot ext4 defaults 0 2\n",
		"etc/default/grub":               "GRUB_DEFAULT=saved\nGRUB_TIMEOUT=5\n",
	}
	cases := []struct {
		name     string
		env      string
		want     int // index of the default entry
		oneShot  bool
		fromWant string
	}{
		{"no grubenv: first entry", "", 0, false, "no saved_entry"},
		{"saved_entry by ids", grubenv("saved_entry=" + advanced17), 3, false, "saved_entry"},
		{"saved_entry by numbers", grubenv("saved_entry=1>1"), 2, false, "saved_entry"},
		{"saved_entry by title", grubenv("saved_entry=Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-17-amd64"), 3, false, "saved_entry"},
		{"next_entry wins for one boot", grubenv("saved_entry=0", "next_entry="+advanced17), 3, true, "next_entry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := map[string]string{}
			for k, v := range files {
				f[k] = v
			}
			if tc.env != "" {
				f["boot/grub/grubenv"] = tc.env
			}
			root := writeTree(t, f)
			m, err := Scan(Options{Root: root})
			if err != nil {
				t.Fatal(err)
			}
			if m.Loader != LoaderGRUB || len(m.Unknown) != 0 {
				t.Fatalf("loader %q unknown %q", m.Loader, m.Unknown)
			}
			if len(m.Entries) != 5 {
				t.Fatalf("%d entries, want 5", len(m.Entries))
			}
			e0 := m.Entries[0]
			if e0.Kernel != filepath.Join(root, "boot/vmlinuz-6.1.0-18-amd64") || len(e0.Initrds) != 0 || e0.Version != "6.1.0-18-amd64" {
				t.Errorf("entry 0: kernel %q initrds %q version %q", e0.Kernel, e0.Initrds, e0.Version)
			}
			if r, _ := e0.Root(); r != "/dev/vda2" {
				t.Errorf("entry 0 root= %q", r)
			}
			e3 := m.Entries[3]
			if len(e3.Initrds) != 1 || e3.Initrds[0] != filepath.Join(root, "boot/initrd.img-6.1.0-17-amd64") {
				t.Errorf("entry 3 initrds %q", e3.Initrds)
			}
			if e3.Selector != advanced17 || e3.MenuPath != "1>2" {
				t.Errorf("entry 3 selector %q path %q", e3.Selector, e3.MenuPath)
			}
			if m.Default != tc.want || m.OneShot != tc.oneShot || !strings.Contains(m.DefaultFrom, tc.fromWant) {
				t.Errorf("default %d (%s) one-shot %v; want %d, %v, from containing %q", m.Default, m.DefaultFrom, m.OneShot, tc.want, tc.oneShot, tc.fromWant)
			}
			if !m.GrubSaved() {
				t.Error("GRUB_DEFAULT=saved not seen")
			}
		})
	}
}

func TestScanBootOnRootFilesystem(t *testing.T) {
	// The same grub.cfg as grub-mkconfig writes it when /boot is a directory
	// of the root filesystem: every path starts with /boot/ (written from
	// the format: the fixture's paths with the /boot prefix added).
	cfg := strings.NewReplacer("linux\t/vmlinuz", "linux\t/boot/vmlinuz", "initrd\t/initrd", "initrd\t/boot/initrd").Replace(debian12Cfg(t))
	root := writeTree(t, map[string]string{
		"boot/grub/grub.cfg":             cfg,
		"boot/vmlinuz-6.1.0-17-amd64":    "k",
		"boot/initrd.img-6.1.0-17-amd64": "i",
		"etc/fstab":                      "UUID=" + rootUUID + " / ext4 errors=remount-ro 0 1\n",
	})
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	e := m.Entries[3]
	if e.Kernel != filepath.Join(root, "boot/vmlinuz-6.1.0-17-amd64") || e.Initrds[0] != filepath.Join(root, "boot/initrd.img-6.1.0-17-amd64") {
		t.Errorf("kernel %q initrds %q", e.Kernel, e.Initrds)
	}
	if m.GrubDefault != "" || m.GrubSaved() {
		t.Errorf("no /etc/default/grub, yet GRUB_DEFAULT=%q", m.GrubDefault)
	}
}

func TestGrubPathWithoutFstab(t *testing.T) {
	// No fstab (many images): "/vmlinuz-V" is found under /boot when only
	// that exists.
	root := writeTree(t, map[string]string{"boot/vmlinuz-1": "k"})
	l := Layout{Root: root}
	got, why := l.grubPath("/vmlinuz-1", "")
	if why != "" || got != filepath.Join(root, "boot/vmlinuz-1") {
		t.Errorf("grubPath = %q, %q", got, why)
	}
	if _, why := l.grubPath("${prefix}/vmlinuz", ""); !strings.Contains(why, "GRUB variable") {
		t.Errorf("a variable path was mapped: %q", why)
	}
	// btrfs: the subvolume mounted at / is part of GRUB's path.
	got, _ = l.grubPath("/@rootfs/boot/vmlinuz-1", "")
	if got != filepath.Join(root, "boot/vmlinuz-1") {
		t.Errorf("btrfs subvolume path mapped to %q", got)
	}
	got, _ = l.grubPath("(hd0,gpt2)/boot/vmlinuz-1", "")
	if got != filepath.Join(root, "boot/vmlinuz-1") {
		t.Errorf("device-prefixed path mapped to %q", got)
	}
}

func TestResolveGrubDefault(t *testing.T) {
	cfg, err := ParseGrubConfig(strings.NewReader(debian12Cfg(t)), "grub.cfg")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		def  string
		want string
		ok   bool
	}{
		{"0", "0", true},
		{"1", "1>0", true}, // a submenu alone boots its first entry
		{"1>3", "1>3", true},
		{"gnulinux-simple-" + rootUUID, "0", true},
		{"Debian GNU/Linux", "0", true},
		{"gnulinux-advanced-" + rootUUID + ">gnulinux-6.1.0-17-amd64-recovery-" + rootUUID, "1>3", true},
		{"7", "0", false},
		{"no such title", "0", false},
		{"1>9", "1>0", false},
		{"0>1", "0", false},
	}
	for _, tc := range cases {
		p, ok := ResolveGrubDefault(cfg.Items, tc.def)
		if got := joinInts(p); got != tc.want || ok != tc.ok {
			t.Errorf("ResolveGrubDefault(%q) = %s, %v; want %s, %v", tc.def, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLexScript(t *testing.T) {
	src := "set a='x y' # comment\n" +
		"echo \"q \\\"d\\\" $v\" b\\ c; echo ${x}{\n" +
		"menuentry 'T' {\n linux /k root=UUID=1\n}\n" +
		"x \\\n continued\n"
	cmds, err := lexScript(strings.NewReader(src), "t.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"set", "a=x y"},
		{"echo", `q "d" $v`, "b c"},
		{"echo", "${x}{"}, // braces glued to a word are part of it
		{"menuentry", "T", "{"},
		{"linux", "/k", "root=UUID=1"},
		{"}"},
		{"x", "continued"},
	}
	if len(cmds) != len(want) {
		t.Fatalf("got %d commands %v, want %d", len(cmds), cmds, len(want))
	}
	for i := range want {
		if strings.Join(cmds[i].words, "|") != strings.Join(want[i], "|") {
			t.Errorf("command %d = %q, want %q", i, cmds[i].words, want[i])
		}
	}
	if cmds[4].line != 4 {
		t.Errorf("linux command on line %d, want 4", cmds[4].line)
	}
}

func TestGrubErrorsSayWhere(t *testing.T) {
	cases := map[string]string{
		"menuentry 'a' {\n linux /k\n":           "never closed",
		"echo 'unterminated\n\n":                 "line 1: unterminated single quote",
		"}\n":                                    "line 1: '}' without a block",
		"submenu 'x' {\n menuentry 'y' {\n}\n":   "'}' is missing",
		"menuentry 'no brace'\n linux /k\n":      "without '{'",
		"function f {\n echo\n":                  "never closed",
		strings.Repeat("submenu 'x' {\n", 40):    "nested deeper",
		"menuentry 'a' {\n echo \"open\n}\n\n\n": "line 2: unterminated double quote",
	}
	for src, want := range cases {
		_, err := ParseGrubConfig(strings.NewReader(src), "grub.cfg")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "grub.cfg: ") {
			t.Errorf("ParseGrubConfig(%q) error %v, want one containing %q", src, err, want)
		}
	}
}

func TestOtherEntriesAreNotLinux(t *testing.T) {
	src := "menuentry 'Memory test (memtest86+x64.bin)' {\n\tlinux16\t/boot/memtest86+x64.bin\n}\n" +
		"menuentry 'Windows Boot Manager' {\n\tchainloader /EFI/Microsoft/Boot/bootmgfw.efi\n}\n" +
		"if [ \"$grub_platform\" = \"efi\" ]; then\nmenuentry 'UEFI Firmware Settings' $menuentry_id_option 'uefi-firmware' {\n\tfwsetup\n}\nfi\n"
	root := writeTree(t, map[string]string{"boot/grub/grub.cfg": src})
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 3 {
		t.Fatalf("%d entries", len(m.Entries))
	}
	for _, e := range m.Entries {
		if e.Kind != KindOther {
			t.Errorf("%q is %s, want other", e.Title, e.Kind)
		}
	}
	if m.Entries[2].ID != "uefi-firmware" {
		t.Errorf("id %q", m.Entries[2].ID)
	}
}

func TestParseGrubenv(t *testing.T) {
	env, err := ParseGrubenv([]byte(grubenv("saved_entry=1>2", `next_entry=a\\b`)), "grubenv")
	if err != nil {
		t.Fatal(err)
	}
	if env["saved_entry"] != "1>2" || env["next_entry"] != `a\b` {
		t.Errorf("env %q", env)
	}
	if _, err := ParseGrubenv([]byte("saved_entry=0\n"), "/boot/grub/grubenv"); err == nil || !strings.Contains(err.Error(), "/boot/grub/grubenv: not a GRUB environment block") {
		t.Errorf("bad header: %v", err)
	}
}

func TestParseShellAssignments(t *testing.T) {
	src := "# If you change this file, run 'update-grub'\nGRUB_DEFAULT=\"1>2\"\nGRUB_TIMEOUT=5 # five\n" +
		"GRUB_CMDLINE_LINUX_DEFAULT='quiet splash'\nexport GRUB_X=y\nnot an assignment\nGRUB_DISTRIBUTOR=`lsb_release -i -s`\n"
	m, err := ParseShellAssignments(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"GRUB_DEFAULT": "1>2", "GRUB_TIMEOUT": "5", "GRUB_CMDLINE_LINUX_DEFAULT": "quiet splash", "GRUB_X": "y"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
}

func TestStaleGrubCfgNoted(t *testing.T) {
	root := writeTree(t, map[string]string{
		"boot/grub/grub.cfg": "set default=\"0\"\nmenuentry 'a' {\n linux /boot/vmlinuz-1 root=/dev/sda1\n}\n",
		"etc/default/grub":   "GRUB_DEFAULT=1\n",
	})
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if m.Default != 0 || len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "run update-grub") {
		t.Errorf("default %d notes %q", m.Default, m.Notes)
	}
}

func FuzzParseGrubConfig(f *testing.F) {
	b, err := os.ReadFile("testdata/debian12-separate-boot.grub.cfg")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add("menuentry 'a' {\n}\n")
	f.Add("submenu \"x\" { menuentry y { linux /v } }")
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := ParseGrubConfig(strings.NewReader(s), "f")
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		// Every resolution stays inside the menu.
		for _, d := range append(cfg.Defaults, "0", "1>1", "x") {
			p, _ := ResolveGrubDefault(cfg.Items, d)
			level := cfg.Items
			for _, i := range p {
				if i < 0 || i >= len(level) {
					t.Fatalf("default %q resolved outside the menu: %v", d, p)
				}
				level = level[i].Submenu
			}
		}
	})
}

func TestGrubDefaultFromGrubD(t *testing.T) {
	// Debian's cloud images set GRUB_DEFAULT in /etc/default/grub.d/*.cfg,
	// sourced after /etc/default/grub: the last one wins.
	root := writeTree(t, map[string]string{
		"boot/grub/grub.cfg":                              debian12Cfg(t),
		"etc/default/grub":                                "GRUB_DEFAULT=0\n",
		"etc/default/grub.d/15_timeout.cfg":               "GRUB_TIMEOUT=0\n",
		"etc/default/grub.d/50-cloudimg-settings.cfg":     "GRUB_DEFAULT=saved\n",
		"etc/default/grub.d/init-select.cfg.dpkg-dist":    "GRUB_DEFAULT=7\n",
		"etc/default/grub.d/40-not-a-cfg-file.cfg.ignore": "GRUB_DEFAULT=3\n",
	})
	m, err := Scan(Options{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if m.GrubDefault != "saved" || !m.GrubSaved() {
		t.Errorf("GRUB_DEFAULT=%q, want saved", m.GrubDefault)
	}
}

func BenchmarkParseGrubConfig(b *testing.B) {
	data, err := os.ReadFile("testdata/debian12-separate-boot.grub.cfg")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseGrubConfig(strings.NewReader(string(data)), "grub.cfg"); err != nil {
			b.Fatal(err)
		}
	}
}
