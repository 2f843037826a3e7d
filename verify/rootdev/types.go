package rootdev

// NeedKind says how a Need names what the kernel must provide.
type NeedKind string

const (
	// NeedModalias: a device's modalias; any one module whose alias pattern
	// matches it satisfies the need (requiring all of them would cry wolf).
	NeedModalias NeedKind = "modalias"
	// NeedModule: a module by name (dm_crypt, raid1, a driver bound now that
	// exposes no modalias).
	NeedModule NeedKind = "module"
	// NeedFilesystem: a filesystem type, asked for as the kernel does, through
	// the alias "fs-TYPE".
	NeedFilesystem NeedKind = "fs"
	// NeedCrypto (issue 12 item 5): an algorithm the mount asks the kernel's
	// crypto API for ("xxhash64", the checksum of a btrfs made with
	// mkfs.btrfs --csum xxhash), loaded as the kernel loads it: through the
	// alias "crypto-NAME".
	NeedCrypto NeedKind = "crypto"
)

// Need is one thing the root (or /usr) mount needs from the target kernel.
type Need struct {
	Kind NeedKind `json:"kind"`
	// Value is the modalias, module name or filesystem type.
	Value string `json:"value"`
	// Bound is the loadable module (its name as sysfs shows it, normalised)
	// whose driver is bound to the device now, if any: preferred when several
	// modules match. Empty when no driver is bound, or when the bound driver
	// is built into the running kernel (then BuiltinDriver names it).
	Bound string `json:"bound,omitempty"`
	// BuiltinDriver names the driver bound now when it is built into the
	// running kernel (no driver/module link, or a /sys/module entry without
	// initstate). It is for people, not for lookups: it need not be a module
	// name (the pcieport driver belongs to pcieportdrv, which is a bool
	// option and listed in no modules.builtin), so a modalias no module of
	// the target kernel claims, on a device a built-in driver drives now, is
	// not a missing module (initramfs-tools and dracut skip it too).
	BuiltinDriver string `json:"builtin_driver,omitempty"`
	// Guess is set when the need was inferred, not read (issue 12 item 4):
	// an LVM device's dm target module guessed from its names because its
	// live table could not be read, or a dm target boot-guard does not know
	// (another module may register it). It says why; lacking such a module
	// makes the verdict cannot-tell, not unbootable.
	Guess string `json:"guess,omitempty"`
	// Reason is a chain a person can read:
	// "driver for PCI 0000:02:00.0, disk nvme0n1, partition nvme0n1p2, mounted at /".
	Reason string `json:"reason"`
}

// Mount is one mount whose device boot-guard walked ("/" and a separate "/usr").
type Mount struct {
	Target string `json:"target"`
	Source string `json:"source"`
	FSType string `json:"fstype"`
	MajMin string `json:"majmin"`
}

// Result is everything the root filesystem needs from a kernel and its initrd,
// as far as this machine's /proc and /sys show it.
type Result struct {
	Mounts []Mount `json:"mounts"`
	Needs  []Need  `json:"needs"`
	// Userspace names programs the initrd must carry for a stack layer:
	// "cryptsetup" (with the crypttab entry), "lvm", "mdadm".
	Userspace []Userspace `json:"userspace,omitempty"`
	// Unknown lists what could not be determined, each a sentence a person can
	// read ("/ is on overlay: a container's root has no block device to
	// check"). Any entry makes the device part of the verdict cannot-tell.
	Unknown []string `json:"unknown,omitempty"`
	// Notes are what was read only in part without changing the verdict
	// by itself (issue 12 item 4: a dm table that could not be read, its
	// targets guessed): each a sentence.
	Notes []string `json:"notes,omitempty"`
	// Undescribed is set when nothing here describes a block device under
	// the root filesystem: no /proc, or its mountinfo unreadable or without
	// a mount at /; / in memory, on a union (a container) or a hypervisor's
	// share; no /sys to walk. This is a chroot without /proc or /sys
	// mounted, or a container: the machine the system boots on is not
	// shown at all, so a caller may take the modules a person named
	// instead. A network root or a device walked in part is described.
	Undescribed bool `json:"undescribed,omitempty"`
}

// Userspace is a program a stack layer needs inside the initrd.
type Userspace struct {
	Program string `json:"program"` // "cryptsetup", "lvm", "mdadm", "mdmon"
	// Detail names what needs it: "LUKS device dm-0 (luks-1234...)", and for
	// LUKS the crypttab name the initrd must carry.
	Detail string `json:"detail"`
	// CryptName is the dm name of a LUKS mapping, to look for in the initrd's
	// crypttab. Empty for other programs.
	CryptName string `json:"crypt_name,omitempty"`
	// Issue 12 item 3: what names the device under a dm-crypt mapping, for
	// the crypttab entry or rd.luks option that must name it.
	// LUKSUUID is the LUKS header's UUID, dashed and lower case, as
	// cryptsetup records it in the mapping's dm/uuid
	// ("CRYPT-LUKS2-<uuid without dashes>-<name>"); empty for another
	// dm-crypt type (plain, TCRYPT, BitLocker).
	LUKSUUID string `json:"luks_uuid,omitempty"`
	// Device and MajMin are the mapping's block device ("dm-0", "254:0"),
	// whose live table names its cipher.
	Device string `json:"device,omitempty"`
	MajMin string `json:"majmin,omitempty"`
	// Under are the kernel names of the devices in its slaves/ ("nvme0n1p3"):
	// what a crypttab source /dev/NAME must name.
	Under []string `json:"under,omitempty"`
	// Issue 12 item 4: what dracut's command line must name for it to
	// activate the layer (rd.lvm.vg=/rd.lvm.lv=, rd.md.uuid=). VG and LV
	// are the volume group and logical volume of lvm's topmost LV (its
	// dm/name "VG-LV", dashes in either doubled); MDUUID is the md array's
	// UUID as md/uuid gives it, dashed. Empty when not known.
	VG     string `json:"vg,omitempty"`
	LV     string `json:"lv,omitempty"`
	MDUUID string `json:"md_uuid,omitempty"`
}
