package kmodtest

// Debian returns a small but faithful slice of a Debian 12 amd64 kernel's
// index: the storage drivers of the machines boot-guard meets (NVMe, AHCI,
// virtio-blk, virtio-scsi, MMC, Xen), the filesystems ext4, xfs and btrfs,
// device-mapper and md, with dependencies, aliases and softdeps as depmod
// writes them for 6.1. Modules are .ko files, as Debian 12 ships them.
func Debian(version string) Kernel {
	return Kernel{
		Version: version,
		Dep:     debianDep(),
		Alias:   debianAlias(),
		Softdep: debianSoftdep(),
		Builtin: []string{
			"kernel/drivers/block/loop.ko",
			"kernel/drivers/pci/pcie/pcieportdrv.ko",
			"kernel/crypto/aes_generic.ko", // issue 12 item 3: dm-crypt's ciphers
			"kernel/crypto/cbc.ko",
			"kernel/crypto/sha256_generic.ko",
		},
		Modinfo: []string{
			"loop.alias=devname:loop-control",
			"loop.alias=char-major-10-237",
			"loop.alias=block-major-7-*",
			"loop.file=drivers/block/loop",
			"printk.time=Y",
			"pcieportdrv.file=drivers/pci/pcie/pcieportdrv",
			"aes_generic.alias=crypto-aes",
			"aes_generic.alias=aes",
			"cbc.alias=crypto-cbc",
			"sha256_generic.alias=crypto-sha256",
		},
		Config: DebianConfig(),
	}
}

// DebianConfig is the part of Debian 12's /boot/config-VERSION that
// decides how the kernel reads its initrd and modules.
func DebianConfig() []string {
	return []string{
		"CONFIG_BLK_DEV_INITRD=y",
		"CONFIG_RD_GZIP=y", "CONFIG_RD_BZIP2=y", "CONFIG_RD_LZMA=y", "CONFIG_RD_XZ=y",
		"CONFIG_RD_LZO=y", "CONFIG_RD_LZ4=y", "CONFIG_RD_ZSTD=y",
		"CONFIG_MODULES=y",
		"CONFIG_MODULE_COMPRESS_NONE=y",
		"# CONFIG_MODULE_COMPRESS_GZIP is not set",
		"# CONFIG_MODULE_COMPRESS_XZ is not set",
		"# CONFIG_MODULE_COMPRESS_ZSTD is not set",
	}
}

// debianDep is modules.dep: each module and every module it needs.
func debianDep() []string {
	return []string{
		"kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko kernel/block/t10-pi.ko kernel/lib/crc64-rocksoft.ko kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko kernel/crypto/crct10dif_common.ko",
		"kernel/drivers/nvme/host/nvme-core.ko: kernel/block/t10-pi.ko kernel/lib/crc64-rocksoft.ko kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko kernel/crypto/crct10dif_common.ko",
		"kernel/lib/crc-t10dif.ko: kernel/crypto/crct10dif_common.ko",
		"kernel/crypto/crct10dif_common.ko:",
		"kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko",
		"kernel/drivers/ata/libahci.ko: kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko",
		"kernel/drivers/ata/libata.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko",
		"kernel/drivers/ata/ata_generic.ko: kernel/drivers/ata/libata.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko",
		"kernel/drivers/scsi/scsi_mod.ko: kernel/drivers/scsi/scsi_common.ko",
		"kernel/drivers/scsi/scsi_common.ko:",
		"kernel/drivers/scsi/sd_mod.ko: kernel/block/t10-pi.ko kernel/lib/crc64-rocksoft.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko kernel/crypto/crct10dif_common.ko",
		"kernel/lib/crc64-rocksoft.ko: kernel/lib/crc64.ko",
		"kernel/lib/crc64.ko:",
		"kernel/block/t10-pi.ko: kernel/lib/crc64-rocksoft.ko kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko kernel/crypto/crct10dif_common.ko",
		"kernel/drivers/scsi/virtio_scsi.ko: kernel/drivers/scsi/scsi_mod.ko kernel/drivers/scsi/scsi_common.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
		"kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
		"kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
		"kernel/drivers/virtio/virtio_pci_legacy_dev.ko:",
		"kernel/drivers/virtio/virtio_pci_modern_dev.ko:",
		"kernel/drivers/virtio/virtio.ko:",
		"kernel/drivers/virtio/virtio_ring.ko:",
		"kernel/drivers/mmc/host/sdhci-pci.ko: kernel/drivers/mmc/host/cqhci.ko kernel/drivers/mmc/host/sdhci.ko kernel/drivers/mmc/core/mmc_core.ko",
		"kernel/drivers/mmc/host/sdhci.ko: kernel/drivers/mmc/core/mmc_core.ko",
		"kernel/drivers/mmc/host/cqhci.ko: kernel/drivers/mmc/core/mmc_core.ko",
		"kernel/drivers/mmc/core/mmc_block.ko: kernel/drivers/mmc/core/mmc_core.ko",
		"kernel/drivers/mmc/core/mmc_core.ko:",
		"kernel/drivers/block/xen-blkfront.ko:",
		"kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko",
		"kernel/lib/crc16.ko:",
		"kernel/fs/mbcache.ko:",
		"kernel/fs/jbd2/jbd2.ko:",
		"kernel/arch/x86/crypto/crc32c-intel.ko:",
		"kernel/crypto/crc32c_generic.ko:",
		"kernel/crypto/crct10dif_generic.ko: kernel/crypto/crct10dif_common.ko",
		"kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko",
		"kernel/lib/libcrc32c.ko:",
		"kernel/fs/btrfs/btrfs.ko: kernel/crypto/xor.ko kernel/lib/raid6/raid6_pq.ko kernel/lib/libcrc32c.ko",
		"kernel/lib/raid6/raid6_pq.ko:",
		"kernel/crypto/xor.ko:",
		"kernel/drivers/md/dm-mod.ko:",
		"kernel/drivers/md/dm-crypt.ko: kernel/drivers/md/dm-mod.ko",
		"kernel/crypto/xts.ko:",
		"kernel/crypto/essiv.ko:",
		"kernel/arch/x86/crypto/aesni-intel.ko:",
		"kernel/drivers/md/raid1.ko: kernel/drivers/md/md-mod.ko",
		"kernel/drivers/md/md-mod.ko:",
		// issue 12 item 4: an LVM thin pool's target module.
		"kernel/drivers/md/dm-thin-pool.ko: kernel/drivers/md/dm-bufio.ko kernel/drivers/md/dm-mod.ko",
		"kernel/drivers/md/dm-bufio.ko: kernel/drivers/md/dm-mod.ko",
	}
}

// debianAlias is modules.alias without the "alias " keyword: device
// modaliases, filesystems (fs-TYPE), crypto and md names.
func debianAlias() []string {
	return []string{
		"pci:v0000106Bd00002001sv*sd*bc*sc*i* nvme",
		"pci:v*d*sv*sd*bc01sc08i02* nvme",
		"pci:v*d*sv*sd*bc01sc06i01* ahci",
		"pci:v00008086d00002922sv*sd*bc*sc*i* ahci",
		"pci:v*d*sv*sd*bc01sc01i*    ata_generic",
		"scsi:t-0x00* sd_mod",
		"scsi:t-0x04* sd_mod",
		"scsi:t-0x0e* sd_mod",
		"virtio:d00000008v* virtio_scsi",
		"virtio:d00000002v* virtio_blk",
		"pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci",
		"pci:v*d*sv*sd*bc08sc05i* sdhci_pci",
		"pci:v00008086d00000F14sv*sd*bc*sc*i* sdhci_pci",
		"mmc:block mmc_block",
		"xen:vbd xen_blkfront",
		"fs-ext4 ext4",
		"fs-ext3 ext4",
		"fs-ext2 ext4",
		"ext3 ext4",
		"ext2 ext4",
		"fs-xfs xfs",
		"fs-btrfs btrfs",
		"devname:btrfs-control btrfs",
		"crypto-crc32c crc32c_generic",
		"crypto-crc32c-generic crc32c_generic",
		"crc32c crc32c_generic",
		"crypto-crc32c crc32c_intel",
		"crypto-crc32c-intel crc32c_intel",
		"crct10dif crct10dif_generic",
		"crc32c crc32c_intel",
		"cpu:type:x86,ven*fam*mod*:feature:*0094* crc32c_intel",
		"dm-crypt dm_crypt",
		"crypto-xts xts",
		"crypto-essiv essiv",
		"crypto-aes aesni_intel",
		"md-raid1 raid1",
		"md-personality-3 raid1",
		"md-level-1 raid1", // issue 12 item 4: what md_run asks for
		"devname:mapper/control dm_mod",
	}
}

// debianSoftdep is modules.softdep without the "softdep " keyword.
func debianSoftdep() []string {
	return []string{
		"ext4 pre: crypto-crc32c",
		"jbd2 pre: crypto-crc32c",
		"btrfs pre: blake2b-256",
		"btrfs pre: sha256",
		"btrfs pre: xxhash64",
		"btrfs pre: crypto-crc32c",
		"libcrc32c pre: crc32c",
		"crc64_rocksoft pre: crc64",
		"crc_t10dif pre: crct10dif",
		"cifs gcm",
	}
}
