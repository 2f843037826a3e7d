package hook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func init() {
	Register("kernel-preinst", func(ctx context.Context, args []string, env Env) int {
		return KernelPreinst(ctx, args, env, Statfs)
	})
}

// SpaceFunc reports the free and total bytes of the filesystem holding dir.
type SpaceFunc func(dir string) (free, total uint64, err error)

// initrdHeadroom is how much bigger than the largest initrd today the new
// one is assumed to be (a newer kernel's modules, another firmware).
const initrdHeadroom = 1.1

// KernelPreinst is /etc/kernel/preinst.d/zz-boot-guard: run by a kernel
// package's preinst (DEB_MAINT_PARAMS "install" or "upgrade ...", VERSION
// [IMAGE]) before anything is unpacked. It warns when /boot lacks room for
// the new kernel's files plus another initrd the size of the largest one
// there now: that is how an update-initramfs dies with "No space left on
// device" and leaves a truncated initrd behind. It never fails: the
// package has not been touched yet, and the warning is the point.
func KernelPreinst(ctx context.Context, args []string, env Env, space SpaceFunc) int {
	const name = "kernel-preinst"
	out := Printer{W: env.Stderr}
	if len(args) < 1 || len(args) > 2 || args[0] == "" {
		out.Warning("%v", usage(name, "want VERSION [IMAGE], got %d arguments %q", len(args), args))
		return 0
	}
	version := args[0]
	if p := strings.TrimSpace(env.Getenv("DEB_MAINT_PARAMS")); p != "" {
		if w := dpkgWords(p); w[0] != "install" && w[0] != "upgrade" {
			return 0
		}
	}
	boot := filepath.Join(env.Root, "boot")
	need, largest, err := bootNeed(boot)
	if err != nil {
		out.Warning("cannot estimate the room kernel %s needs in /boot: %v", version, err)
		return 0
	}
	if need == 0 {
		return 0 // no kernel or initrd yet to measure by
	}
	free, total, err := space(boot)
	if err != nil {
		out.Warning("cannot tell how much room /boot has for kernel %s: %v", version, err)
		return 0
	}
	if free >= need {
		return 0
	}
	out.Line(rule)
	out.Warning("/boot has %s free of %s; kernel %s needs about %s there: its files plus an initrd like %s (%s) with %d%% headroom",
		mib(free), mib(total), version, mib(need), largest.path, mib(largest.size), int(initrdHeadroom*100)-100)
	out.Warning("update-initramfs will likely fail with \"No space left on device\" and leave a truncated initrd behind")
	out.Hint("make room before going on: remove kernels you no longer need (apt-get autoremove --purge; list them with: dpkg -l 'linux-image-[0-9]*'), or use a smaller initrd (MODULES=dep in /etc/initramfs-tools/initramfs.conf)")
	out.Line("boot-guard will check the new initrd after it is built (kernel-postinst)")
	out.Line(rule)
	return 0
}

type sized struct {
	path string
	size uint64
}

// bootNeed estimates the bytes a new kernel takes in /boot: the largest
// initrd with headroom, plus the largest set of one version's other files
// (vmlinuz, System.map, config).
func bootNeed(boot string) (need uint64, largest sized, err error) {
	ents, err := os.ReadDir(boot)
	if err != nil {
		return 0, largest, err
	}
	perVersion := map[string]uint64{}
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		if strings.HasSuffix(n, ".dpkg-tmp") || strings.HasSuffix(n, ".dpkg-bak") || strings.HasSuffix(n, ".old-dkms") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		size := uint64(info.Size())
		switch {
		case strings.HasPrefix(n, "initrd.img-"):
			if size > largest.size {
				largest = sized{path: filepath.Join("/boot", n), size: size}
			}
		default:
			for _, prefix := range []string{"vmlinuz-", "System.map-", "config-"} {
				if v, ok := strings.CutPrefix(n, prefix); ok {
					perVersion[v] += size
				}
			}
		}
	}
	var files uint64
	for _, s := range perVersion {
		files = max(files, s)
	}
	return uint64(float64(largest.size)*initrdHeadroom) + files, largest, nil
}

func mib(b uint64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
