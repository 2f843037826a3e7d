package verify

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/boot-guard/boot-guard/verify/initrd"
)

// Sizes of the memory rule (issue 11 item 6).
const (
	// LargeInitrd is the decompressed size over which an initrd gets a
	// note naming its largest files: Debian's MODULES=most image of a
	// 6.1 kernel is about 130 MiB.
	LargeInitrd int64 = 256 << 20
	// BootRoom is the memory the boot needs next to the unpacked initrd
	// and its compressed image, counted against the MemTotal the running
	// kernel reports (which already leaves out the kernel's code and
	// reserved memory, and counts the initrd's pages it freed): the
	// kernel's own allocations while it unpacks (dentries and inodes,
	// device probing), then udev, modprobe and the loaded modules.
	// Measured by booting Debian 12's 6.1 kernel under QEMU on an NVMe
	// ext4 root with the e2e good image (31727481 bytes of zstd, 133580288
	// unpacked: 157.6 MiB together): -m 244 (MemTotal 193.8 MiB, 36.1 MiB
	// of room) ran out of memory in the kernel's unpack ("System is
	// deadlocked on memory"); -m 248 (MemTotal 197.8 MiB, 40.1 MiB of
	// room) mounted root. 38 MiB splits the two: strict only where the
	// boot failed. TestInitrdMemoryMeasured replays those boots.
	BootRoom int64 = 38 << 20
	// largestShown is how many files the large-initrd note names.
	largestShown = 5
)

// initrdSize checks that the image fits in memory: the kernel keeps the
// compressed image until it has unpacked it into the rootfs (ramfs, or
// tmpfs without root=), which lives in RAM until the switch to the real
// root. Without /proc (--root) only the size note applies.
func (c *checker) initrdSize(img *initrd.Image) {
	var unpacked int64
	for _, s := range img.Segments {
		unpacked += s.DecompressedSize
	}
	shown := strings.Join(c.rep.Initrds, " + ")
	if memTotal, ok := memTotal(c.req.Proc); ok {
		need := unpacked + img.Size + BootRoom
		if need > memTotal {
			c.rep.Add(Problem{Code: CodeInitrdTooBigForMemory, Verdict: Unbootable,
				Message: fmt.Sprintf("kernel %s: initrd %s does not fit in this machine's memory: it unpacks to %s in RAM next to its %s compressed image, plus %s for the boot, %s in all, and MemTotal is %s; the kernel runs out of memory while unpacking it",
					c.req.Version, shown, mib(unpacked), mib(img.Size), mib(BootRoom), mib(need), mib(memTotal)),
				Hint: "make the initrd smaller (initramfs-tools: MODULES=dep in /etc/initramfs-tools/initramfs.conf; strip the modules of a kernel built by hand: make INSTALL_MOD_STRIP=1 modules_install), then rebuild it: " + c.diagnosis().FixCommand() + "; " + largestFiles(img)})
			return
		}
	}
	if unpacked > LargeInitrd {
		c.rep.Add(Problem{Code: CodeInitrdLarge, Verdict: Bootable,
			Message: fmt.Sprintf("kernel %s: initrd %s unpacks to %s in RAM at every boot (over %s); %s",
				c.req.Version, shown, mib(unpacked), mib(LargeInitrd), largestFiles(img)),
			Hint: "modules of a kernel built by hand carry debug info unless installed with make INSTALL_MOD_STRIP=1 modules_install; initramfs-tools' MODULES=dep takes only this machine's modules"})
	}
}

// largestFiles names the image's largest regular files, for a message.
func largestFiles(img *initrd.Image) string {
	last := map[string]initrd.Entry{}
	for _, e := range img.Entries {
		last[e.Path] = e // the last entry of a path wins, as in the kernel
	}
	var files []initrd.Entry
	var modBytes int64
	var mods int
	for _, e := range last {
		if !e.IsRegular() {
			continue
		}
		files = append(files, e)
		if strings.Contains(e.Path, ".ko") {
			modBytes += e.Size
			mods++
		}
	}
	slices.SortFunc(files, func(a, b initrd.Entry) int {
		if a.Size != b.Size {
			return int(min(max(b.Size-a.Size, -1), 1))
		}
		return strings.Compare(a.Path, b.Path)
	})
	var names []string
	for _, e := range files[:min(len(files), largestShown)] {
		names = append(names, fmt.Sprintf("%s (%s)", e.Path, mib(e.Size)))
	}
	return fmt.Sprintf("its largest files: %s; its %d modules take %s", strings.Join(names, ", "), mods, mib(modBytes))
}

// mib renders a byte count for a person.
func mib(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// memTotal reads MemTotal from /proc/meminfo; false when there is no /proc
// (--root) or it cannot be read.
func memTotal(proc fs.FS) (int64, bool) {
	if proc == nil {
		return 0, false
	}
	b, err := fs.ReadFile(proc, "meminfo")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb <= 0 || kb > 1<<50 {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}
