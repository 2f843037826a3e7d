package rootdev

import (
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeSys builds a /sys and a /proc in a temp dir laid out as the kernel lays
// them out: real directories under devices/, relative symbolic links for
// block/, class/block/, dev/block/, driver, driver/module, subsystem and
// slaves/. All paths given to and returned by its methods are relative to
// the fake /sys ("devices/pci0000:00/0000:02:00.0").
type fakeSys struct {
	t    testing.TB
	sys  string
	proc string
	// builtin lists modules that are built into the kernel: their
	// /sys/module entry has no initstate.
	builtin map[string]bool
}

func newFakeSys(t *testing.T) *fakeSys { return newFakeSysTB(t) }

// newFakeSysTB is newFakeSys for tests and benchmarks alike.
func newFakeSysTB(t testing.TB) *fakeSys {
	t.Helper()
	root := t.TempDir()
	f := &fakeSys{t: t, sys: filepath.Join(root, "sys"), proc: filepath.Join(root, "proc"), builtin: map[string]bool{}}
	for _, d := range []string{"devices", "dev/block", "block", "class/block", "bus", "module", "fs"} {
		f.mkdir(d)
	}
	if err := os.MkdirAll(filepath.Join(f.proc, "4242"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("4242", filepath.Join(f.proc, "self")); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeSys) mkdir(rel string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Join(f.sys, rel), 0o755); err != nil {
		f.t.Fatal(err)
	}
}

// file writes a sysfs attribute (with the newline the kernel appends).
func (f *fakeSys) file(rel, content string) {
	f.t.Helper()
	f.mkdir(path.Dir(rel))
	if err := os.WriteFile(filepath.Join(f.sys, rel), []byte(content+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// link makes rel a relative symbolic link to target (both sysfs paths), the
// way sysfs does: "../../devices/...".
func (f *fakeSys) link(rel, target string) {
	f.t.Helper()
	f.mkdir(path.Dir(rel))
	to, err := filepath.Rel(filepath.Join(f.sys, path.Dir(rel)), filepath.Join(f.sys, target))
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.Symlink(to, filepath.Join(f.sys, rel)); err != nil {
		f.t.Fatal(err)
	}
}

// device makes a device directory with its subsystem link ("bus/pci",
// "class/nvme"), a modalias when given, and a bound driver when given (on
// the device's bus); module, when given, is the driver's module link (a
// loadable module unless f.builtin names it).
func (f *fakeSys) device(dir, subsystem, modalias, driver, module string) string {
	f.t.Helper()
	f.file(dir+"/uevent", "")
	if subsystem != "" {
		f.mkdir(subsystem)
		f.link(dir+"/subsystem", subsystem)
	}
	if modalias != "" {
		f.file(dir+"/modalias", modalias)
	}
	if driver != "" {
		drv := subsystem + "/drivers/" + driver
		if _, err := os.Lstat(filepath.Join(f.sys, drv)); err != nil {
			f.mkdir(drv)
			if module != "" {
				f.mkdir("module/" + module)
				if !f.builtin[module] {
					f.file("module/"+module+"/initstate", "live")
				}
				f.link(drv+"/module", "module/"+module)
			}
		}
		f.link(dir+"/driver", drv)
	}
	return dir
}

// pci makes devices/pci0000:00/ADDR (or under a bridge, when addr has a "/").
func (f *fakeSys) pci(addr, modalias, driver, module string) string {
	return f.device("devices/pci0000:00/"+addr, "bus/pci", modalias, driver, module)
}

// disk makes a whole disk directory dir/name with its block/, class/block/
// and dev/block/MAJ:MIN links.
func (f *fakeSys) disk(dir, name, majmin string) string {
	f.t.Helper()
	p := dir + "/" + name
	f.file(p+"/dev", majmin)
	f.file(p+"/uevent", "DEVNAME="+name)
	f.mkdir("class/block")
	f.link(p+"/subsystem", "class/block")
	f.mkdir(p + "/slaves")
	f.mkdir(p + "/holders")
	f.link("block/"+name, p)
	f.link("class/block/"+name, p)
	f.link("dev/block/"+majmin, p)
	return p
}

// partition makes partition name of disk (a subdirectory with a "partition"
// file, as the kernel lays partitions out).
func (f *fakeSys) partition(disk, name, majmin string) string {
	f.t.Helper()
	p := disk + "/" + name
	f.file(p+"/dev", majmin)
	f.file(p+"/partition", strings.TrimLeft(name[len(path.Base(disk)):], "p"))
	f.link(p+"/subsystem", "class/block")
	f.link("class/block/"+name, p)
	f.link("dev/block/"+majmin, p)
	return p
}

// dm makes devices/virtual/block/NAME, a device-mapper device over slaves.
func (f *fakeSys) dm(name, majmin, dmName, uuid string, slaves ...string) string {
	f.t.Helper()
	p := f.disk("devices/virtual/block", name, majmin)
	f.file(p+"/dm/name", dmName)
	f.file(p+"/dm/uuid", uuid)
	for _, s := range slaves {
		f.link(p+"/slaves/"+path.Base(s), s)
	}
	return p
}

// md makes devices/virtual/block/NAME, an md array of level over slaves.
func (f *fakeSys) md(name, majmin, level string, slaves ...string) string {
	f.t.Helper()
	p := f.disk("devices/virtual/block", name, majmin)
	f.file(p+"/md/level", level)
	for _, s := range slaves {
		f.link(p+"/slaves/"+path.Base(s), s)
	}
	return p
}

// nvme makes a PCI NVMe controller at addr with controller nvmeN and returns
// the controller directory (disks go directly under it).
func (f *fakeSys) nvme(addr, ctrl string) string {
	pci := f.pci(addr, "pci:v0000144Dd0000A808sv0000144Dsd0000A801bc01sc08i02", "nvme", "nvme")
	return f.device(pci+"/nvme/"+ctrl, "class/nvme", "", "", "")
}

// sata makes an AHCI port at PCI addr with one SCSI disk and returns the
// directory the disk goes in (.../0:0:0:0/block).
func (f *fakeSys) sata(addr, port string, host int) string {
	pci := f.pci(addr, "pci:v00008086d00002922sv00001AF4sd00001100bc01sc06i01", "ahci", "ahci")
	ata := f.device(pci+"/"+port, "", "", "", "")
	h := f.device(ata+"/host"+strconv.Itoa(host), "bus/scsi", "", "", "")
	tgt := f.device(h+"/target"+strconv.Itoa(host)+":0:0", "bus/scsi", "", "", "")
	sdev := f.device(tgt+"/"+strconv.Itoa(host)+":0:0:0", "bus/scsi", "scsi:t-0x00", "sd", "sd_mod")
	return sdev + "/block"
}

// mountinfo writes /proc/self/mountinfo (through the self -> PID link).
func (f *fakeSys) mountinfo(lines ...string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.proc, "4242", "mountinfo"), []byte(strings.Join(lines, "\n")+"\n"), 0o444); err != nil {
		f.t.Fatal(err)
	}
}

// discover runs Discover over the fake trees through os.DirFS.
func (f *fakeSys) discover() *Result {
	f.t.Helper()
	res, err := Discover(os.DirFS(f.sys), os.DirFS(f.proc))
	if err != nil {
		f.t.Fatalf("Discover: %v", err)
	}
	return res
}

// rootLine is a mountinfo line mounting source (fstype, majmin) at target.
func rootLine(id int, majmin, target, fstype, source string) string {
	return strconv.Itoa(id) + " 1 " + majmin + " / " + target + " rw,relatime shared:1 - " + fstype + " " + source + " rw"
}
