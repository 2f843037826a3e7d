#!/usr/bin/env python3
"""Issue 12 item 4: write an md RAID1 v1.0 superblock on each member image.

This machine has no md driver, so mdadm --create cannot run. Metadata 1.0
keeps the superblock at the end of each member and the data from sector 0,
so a RAID1 member is the filesystem image itself plus a superblock: this
writes struct mdp_superblock_1 (include/uapi/linux/raid/md_p.h) where the
kernel looks for it (super_1_load: (sectors - 16) & ~7), with the checksum
of calc_sb_1_csum. `mdadm --examine` reads it back.

usage: md-super.py SET-UUID MEMBER0 MEMBER1 (equal sizes, the data in place)
"""
import os
import struct
import sys
import uuid


def superblock(set_uuid, sectors, sb_start, dev_number):
    sb = bytearray(256 + 2 * 2)
    struct.pack_into("<IIII", sb, 0, 0xA92B4EFC, 1, 0, 0)
    sb[16:32] = set_uuid.bytes
    sb[32:64] = b"bg-e2e:root".ljust(32, b"\0")
    ctime = 1700000000
    struct.pack_into("<QIIQ", sb, 64, ctime, 1, 0, sb_start)  # level 1, layout 0, size
    struct.pack_into("<III", sb, 88, 0, 2, 0)  # chunksize, raid_disks, bitmap_offset
    struct.pack_into("<QQQQ", sb, 128, 0, sb_start, sb_start, 0)  # data_offset, data_size, super_offset
    struct.pack_into("<II", sb, 160, dev_number, 0)
    sb[168:184] = uuid.uuid5(set_uuid, str(dev_number)).bytes
    struct.pack_into("<QQQ", sb, 192, ctime, 1, 0xFFFFFFFFFFFFFFFF)  # utime, events, resync_offset: clean
    struct.pack_into("<II", sb, 216, 0, 2)  # sb_csum (below), max_dev
    struct.pack_into("<HH", sb, 256, 0, 1)  # dev_roles: member 0 is role 0, 1 is role 1
    csum = sum(struct.unpack_from("<%dI" % (len(sb) // 4), sb))
    csum = (csum & 0xFFFFFFFF) + (csum >> 32)
    struct.pack_into("<I", sb, 216, csum & 0xFFFFFFFF)
    return bytes(sb)


def main():
    set_uuid = uuid.UUID(sys.argv[1])
    members = sys.argv[2:]
    sizes = {os.path.getsize(m) for m in members}
    if len(members) != 2 or len(sizes) != 1:
        sys.exit("md-super.py: two members of one size")
    sectors = sizes.pop() // 512
    sb_start = (sectors - 16) & ~7
    for i, m in enumerate(members):
        with open(m, "r+b") as f:
            f.seek(sb_start * 512)
            f.write(superblock(set_uuid, sectors, sb_start, i).ljust(4096, b"\0"))


main()
