package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boot-guard/boot-guard/verify"
	"github.com/boot-guard/boot-guard/verify/checktest"
)

// TestCheckCommandLineStopsModules: what the running machine's command line
// (/proc/cmdline: root= is the running one) does to the modules root needs,
// as the real boots of scripts/e2e showed (issue 11 item 5).
func TestCheckCommandLineStopsModules(t *testing.T) {
	for _, tc := range []struct {
		name, cmdline string
		want          verify.Verdict
		code          verify.Code
		says          string
	}{
		{"module_blacklist of the driver", "module_blacklist=nvme", verify.Unbootable, verify.CodeModuleBlacklisted, "module_blacklist=nvme"},
		{"module_blacklist of a dependency", "module_blacklist=floppy,nvme_core", verify.Unbootable, verify.CodeModuleBlacklisted, "refuse nvme_core"},
		{"module_blacklist with '-' matches nothing", "module_blacklist=nvme-core", verify.Bootable, "", ""},
		{"the last module_blacklist counts", "module_blacklist=nvme module_blacklist=floppy", verify.Bootable, "", ""},
		{"modprobe.blacklist of the driver udev loads", "modprobe.blacklist=nvme", verify.Unbootable, verify.CodeModuleBlacklisted, "udev loads it by its modalias"},
		{"modprobe.blacklist of the filesystem", "modprobe.blacklist=floppy modprobe.blacklist=ext4", verify.Unbootable, verify.CodeModuleBlacklisted, "fs-TYPE"},
		{"modprobe.blacklist of a dependency: kmod loads it anyway", "modprobe.blacklist=nvme_core,jbd2", verify.Bootable, "", ""},
		{"modprobe.blacklist of other modules", "modprobe.blacklist=floppy,e1000", verify.Bootable, "", ""},
		{"after -- it is init's", "-- module_blacklist=nvme", verify.Bootable, "", ""},
		{"rdinit of a missing program", "rdinit=/nonexistent", verify.Unbootable, verify.CodeInitProgramMissing, "rdinit=/nonexistent"},
		{"rdinit of a program the initrd has", "rdinit=/bin/sh", verify.Bootable, "", ""},
		{"rdinit=/init", "rdinit=/init", verify.Bootable, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			checktest.WriteFile(t, filepath.Join(f.m.Proc, "cmdline"), []byte("BOOT_IMAGE=/vmlinuz-"+kv+" root=UUID=1234 ro "+tc.cmdline+"\n"))
			k := check(t, f.request())
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
			if tc.code == "" {
				return
			}
			p := problem(t, k, tc.code)
			if !strings.Contains(p.Message, tc.says) || !strings.Contains(p.Message, "/proc/cmdline") || !strings.Contains(p.Message, kv) {
				t.Errorf("message %q does not say %q, the kernel and where the line is from", p.Message, tc.says)
			}
			if p.Hint == "" {
				t.Error("no hint")
			}
		})
	}
}

// TestCheckModprobeConf: the initrd's modprobe.d, read as libkmod reads it.
func TestCheckModprobeConf(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []checktest.File
		want  verify.Verdict
		code  verify.Code
		says  string
	}{
		{"blacklist of the driver", conf("etc/modprobe.d/local.conf", "# keep it out\nblacklist nvme\n"),
			verify.Unbootable, verify.CodeModuleBlacklisted, "etc/modprobe.d/local.conf:2 blacklists it"},
		{"blacklist continued on the next line, '-' as '_'", conf("etc/modprobe.d/local.conf", "options nvme x=1\nblacklist \\\n  ext4\nblacklist nvme-core\n"),
			verify.Unbootable, verify.CodeModuleBlacklisted, "etc/modprobe.d/local.conf:2 blacklists it"},
		{"blacklist in usr/lib through the lib symlink", conf("usr/lib/modprobe.d/x.conf", "blacklist nvme"),
			verify.Unbootable, verify.CodeModuleBlacklisted, "usr/lib/modprobe.d/x.conf:1"},
		{"the same name in etc hides lib's", append(conf("etc/modprobe.d/x.conf", "# nothing\n"), conf("usr/lib/modprobe.d/x.conf", "blacklist nvme\n")...),
			verify.Bootable, "", ""},
		{"a file not named .conf is not read", conf("etc/modprobe.d/x.conf.dpkg-old", "blacklist nvme\n"), verify.Bootable, "", ""},
		{"a comment only when # is first", conf("etc/modprobe.d/x.conf", "#blacklist nvme\n  # blacklist ext4\nsoftdep nvme pre: floppy\nblacklist floppy\n"),
			verify.Bootable, "", ""},
		{"install /bin/false", conf("etc/modprobe.d/x.conf", "install nvme /bin/false\n"),
			verify.Unbootable, verify.CodeModuleInstallCommand, `etc/modprobe.d/x.conf:1 runs "/bin/false" instead of loading nvme`},
		{"install /bin/true of a dependency", conf("etc/modprobe.d/x.conf", "install nvme_core /bin/true\n"),
			verify.Unbootable, verify.CodeModuleInstallCommand, "instead of loading nvme_core"},
		{"install by a pattern", conf("etc/modprobe.d/x.conf", "install ext* /bin/false\n"),
			verify.Unbootable, verify.CodeModuleInstallCommand, "instead of loading ext4"},
		{"install that loads it after all", conf("etc/modprobe.d/x.conf", "install nvme /sbin/modprobe floppy; /sbin/modprobe --ignore-install nvme $CMDLINE_OPTS\n"),
			verify.Bootable, "", ""},
		{"install of an unknown program", conf("etc/modprobe.d/x.conf", "install nvme /usr/local/sbin/load-nvme\n"),
			verify.CannotTell, verify.CodeModuleInstallCommand, "whether that loads it is unknown"},
		{"the first install line counts", conf("etc/modprobe.d/x.conf", "install nvme /sbin/modprobe -i nvme\ninstall nvme /bin/false\n"),
			verify.Bootable, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), Extra: tc.files}.Write(t, f.root)
			k := check(t, f.request())
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
			if tc.code == "" {
				return
			}
			if p := problem(t, k, tc.code); !strings.Contains(p.Message, tc.says) {
				t.Errorf("message %q does not say %q", p.Message, tc.says)
			}
		})
	}
}

func conf(p, text string) []checktest.File {
	return []checktest.File{{Path: p, Data: []byte(text)}}
}

// TestCheckCommandLineRootAndInit: root= and init= of /etc/kernel/cmdline,
// against the running machine's root device and its root filesystem.
func TestCheckCommandLineRootAndInit(t *testing.T) {
	for _, tc := range []struct {
		name, cmdline string
		noInit        bool
		want          verify.Verdict
		code          verify.Code
	}{
		{"this root", "root=/dev/nvme0n1p2 ro", false, verify.Bootable, ""},
		{"another device", "root=/dev/sdz ro", false, verify.Unbootable, verify.CodeRootMismatch},
		{"the last root= counts", "root=/dev/sdz root=/dev/nvme0n1p2", false, verify.Bootable, ""},
		{"init= missing, /sbin/init there", "root=/dev/nvme0n1p2 init=/nonexistent", false, verify.Bootable, verify.CodeInitProgramMissing},
		{"init= missing, no fallback", "root=/dev/nvme0n1p2 init=/nonexistent", true, verify.Unbootable, verify.CodeInitProgramMissing},
		{"init= through a symlink", "root=/dev/nvme0n1p2 init=/sbin/init", false, verify.Bootable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
			checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte(tc.cmdline+"\n"))
			if !tc.noInit {
				checktest.WriteFile(t, filepath.Join(f.root, "lib/systemd/systemd"), []byte("ELF"))
				if err := os.Chmod(filepath.Join(f.root, "lib/systemd/systemd"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(filepath.Join(f.root, "sbin"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink("/lib/systemd/systemd", filepath.Join(f.root, "sbin/init")); err != nil {
					t.Fatal(err)
				}
			}
			req := f.request()
			req.Dev = machineDev(t)
			k := check(t, req)
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
			if tc.code != "" {
				p := problem(t, k, tc.code)
				if !strings.Contains(p.Message, "/etc/kernel/cmdline") {
					t.Errorf("message %q does not say where the line is from", p.Message)
				}
			}
		})
	}
}

// TestAuditEntriesDifferInCommandLine: two entries boot the same kernel and
// initrd; the one whose line has module_blacklist=nvme is unbootable, the
// other is not (the audit checks each command line, not one per kernel).
func TestAuditEntriesDifferInCommandLine(t *testing.T) {
	f := newAuditFixture(t)
	entry := func(title, extra string) string {
		return "menuentry '" + title + "' {\n\tsearch --no-floppy --fs-uuid --set=root " + bootUUID +
			"\n\tlinux\t/vmlinuz-" + kvOld + " root=UUID=" + rootUUID + " ro " + extra + "\n\tinitrd\t/initrd.img-" + kvOld + "\n}\n"
	}
	cfg := "set default=\"0\"\n" + entry("Debian", "quiet module_blacklist=nvme") + entry("Debian (recovery mode)", "single")
	checktest.WriteFile(t, filepath.Join(f.root, "boot/grub/grub.cfg"), []byte(cfg))
	rep := verify.Audit(context.Background(), f.request())
	if len(rep.Entries) != 2 {
		t.Fatalf("entries %+v", rep.Entries)
	}
	first, second := rep.Entries[0], rep.Entries[1]
	if first.Verdict != verify.Unbootable || first.Kernel == nil {
		t.Fatalf("first entry: %v %+v", first.Verdict, first.Kernel)
	}
	if p := problem(t, *first.Kernel, verify.CodeModuleBlacklisted); !strings.Contains(p.Message, "grub.cfg:") {
		t.Errorf("message does not name the entry's line: %q", p.Message)
	}
	if second.Verdict != verify.Bootable {
		t.Errorf("second entry: %v %+v", second.Verdict, second.Kernel)
	}
}

// TestCheckNoInitrdInitAndRoot: without an initramfs the kernel runs init=
// itself and panics when it cannot (no fallback), and root= is compared
// with the machine's root as with one.
func TestCheckNoInitrdInitAndRoot(t *testing.T) {
	for _, tc := range []struct {
		name, cmdline string
		want          verify.Verdict
		code          verify.Code
	}{
		{"init= missing", "root=/dev/nvme0n1p2 init=/nonexistent", verify.Unbootable, verify.CodeInitProgramMissing},
		{"root= of another device", "root=/dev/sdz", verify.Unbootable, verify.CodeRootMismatch},
		{"both fine", "root=PARTUUID=0a1b-02 init=/bin/sh", verify.Bootable, verify.CodeNoInitrd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := builtinKernel(t)
			checktest.WriteFile(t, filepath.Join(f.root, "bin/sh"), []byte("ELF"))
			if err := os.Chmod(filepath.Join(f.root, "bin/sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte(tc.cmdline+"\n"))
			req := f.request()
			req.Dev = machineDev(t)
			k := check(t, req)
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
			problem(t, k, tc.code)
		})
	}
}

// TestCheckBlacklistOfNamedModules: a module named outright (--module, as an
// image builder does under --root) may be loaded by udev's alias (the
// blacklist stops it) or by name (it does not): cannot-tell, unless
// initramfs-tools' conf/modules loads it by name.
func TestCheckBlacklistOfNamedModules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []checktest.File
		want  verify.Verdict
	}{
		{"blacklisted", conf("etc/modprobe.d/x.conf", "blacklist nvme\n"), verify.CannotTell},
		{"blacklisted, loaded by name", append(conf("etc/modprobe.d/x.conf", "blacklist nvme\n"), conf("conf/modules", "# named\nnvme\n")...), verify.Bootable},
		{"install /bin/false stops it either way", conf("etc/modprobe.d/x.conf", "install nvme /bin/false\n"), verify.Unbootable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), Extra: tc.files}.Write(t, f.root)
			k := check(t, verify.Request{Root: f.root, Version: kv, Modules: rootNeeds,
				Space: func(string) (uint64, uint64, error) { return 500 << 20, 1 << 30, nil }})
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
		})
	}
}

// TestCheckDracutDriverBlacklist: dracut's initrd turns rd.driver.blacklist=
// into blacklist lines and loads rd.driver.pre= by name; other initrds
// ignore both.
func TestCheckDracutDriverBlacklist(t *testing.T) {
	dracut := []checktest.File{{Path: "usr/lib/dracut/build-parameter.txt", Data: []byte("\n")}}
	for _, tc := range []struct {
		name, cmdline string
		files         []checktest.File
		want          verify.Verdict
	}{
		{"dracut, rd.driver.blacklist", "rd.driver.blacklist=floppy,nvme", dracut, verify.Unbootable},
		{"dracut, rdblacklist with '-'", "rdblacklist=nvme-core rdblacklist=ext4", dracut, verify.Unbootable},
		{"dracut, rd.driver.pre loads it by name", "rd.driver.blacklist=nvme rd.driver.pre=nvme", dracut, verify.Bootable},
		{"initramfs-tools ignores it", "rd.driver.blacklist=nvme", nil, verify.Bootable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds), Extra: tc.files}.Write(t, f.root)
			checktest.WriteFile(t, filepath.Join(f.m.Proc, "cmdline"), []byte("BOOT_IMAGE=/vmlinuz-"+kv+" root=UUID=1234 ro "+tc.cmdline+"\n"))
			k := check(t, f.request())
			if k.Verdict != tc.want {
				t.Fatalf("verdict %v, want %v; problems %+v", k.Verdict, tc.want, k.Problems)
			}
			if tc.want == verify.Unbootable {
				if p := problem(t, k, verify.CodeModuleBlacklisted); !strings.Contains(p.Message, "dracut's initrd blacklist it") {
					t.Errorf("message %q", p.Message)
				}
			}
		})
	}
}

// TestProcCmdlineNotFromABootLoader: a running kernel that no boot loader
// reading /boot started (no BOOT_IMAGE=; seen on a firecracker CI machine
// booted with rdinit=/process_api) says nothing of the next boot's command
// line: its words are not held against the kernel, and a note says so.
func TestProcCmdlineNotFromABootLoader(t *testing.T) {
	f := newFixture(t)
	checktest.Initrd{Version: kv, Modules: f.modules(t, rootNeeds)}.Write(t, f.root)
	checktest.WriteFile(t, filepath.Join(f.m.Proc, "cmdline"), []byte("console=ttyS0 reboot=k panic=1 nomodule rdinit=/process_api module_blacklist=nvme -- --firecracker-init\n"))
	k := check(t, f.request())
	p := problem(t, k, verify.CodeCmdlineNotTheBootLoaders)
	if k.Verdict != verify.Bootable || p.Verdict != verify.Bootable || len(k.Problems) != 1 || !strings.Contains(p.Message, "no BOOT_IMAGE=") {
		t.Fatalf("verdict %v, problems %+v", k.Verdict, k.Problems)
	}
	// The same words in /etc/kernel/cmdline are the boot loader's: checked.
	checktest.WriteFile(t, filepath.Join(f.root, "etc/kernel/cmdline"), []byte("root=/dev/nvme0n1p2 rdinit=/process_api\n"))
	req := f.request()
	req.Dev = machineDev(t)
	if k := check(t, req); k.Verdict != verify.Unbootable {
		t.Fatalf("from /etc/kernel/cmdline: verdict %v, problems %+v", k.Verdict, k.Problems)
	}
}
