// Package rootdev finds what the root filesystem (and a separate /usr) is made
// of on this machine: the mount in /proc/self/mountinfo, its block device in
// /sys/dev/block, the partition, device-mapper and md layers under it, and
// every device from the disk up to /sys/devices with its modalias and bound
// driver. It turns that into Needs (modaliases, module names, filesystem
// types) and Userspace programs that a kernel and its initrd must provide,
// each with a reason a person can read, and into Unknown sentences for what
// it could not see.
//
// It resolves the device the way initramfs-tools' MODULES=dep
// (hook-functions: dep_add_modules, block_dev_mod_add) and dracut's hostonly
// mode (modules.d/90kernel-modules, instmods of host_fs_types and of every
// modalias up the device's sysfs chain) do, and follows the kernel's sysfs
// ABI (Documentation/ABI/stable/sysfs-block, sysfs-devices). mountinfo lines
// are parsed by verify/internal/mounts (the format of
// Documentation/filesystems/proc.rst section 3.5), shared with bootentry and
// diagnose.
//
// It never reads the real / behind the caller's back: /sys and /proc come in
// as fs.FS values, and symbolic links inside them are resolved here through
// fs.ReadLinkFS (os.DirFS and fstest.MapFS implement it), never outside the
// given tree. Every file is read through a size cap and every walk is bounded,
// so a hostile or broken tree gives an Unknown, never a hang. It never maps a
// Need to a module of a particular kernel (the resolver in verify does that),
// never writes anything and never shells out. Of boot-guard's packages it
// imports only verify/internal/mounts.
package rootdev
