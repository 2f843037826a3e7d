#!/usr/bin/env python3
# issue 12 item 3 (scripts/e2e/run.sh): the filesystem of a LUKS root disk, encrypted in userspace, as
# this machine has no device-mapper to write it through.
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
# luks-wrap.py PLAIN VOLKEY OUT OFFSET: encrypt PLAIN with aes-xts-plain64 (512-byte sectors, IV =
# sector number) under the 64-byte volume key, written into OUT at OFFSET (the LUKS data segment).
plain, vk, out, off = sys.argv[1], open(sys.argv[2], 'rb').read(), sys.argv[3], int(sys.argv[4])
assert len(vk) == 64
with open(plain, 'rb') as f, open(out, 'r+b') as o:
    o.seek(off)
    n = 0
    while True:
        buf = f.read(1 << 20)
        if not buf:
            break
        res = bytearray()
        for i in range(0, len(buf), 512):
            enc = Cipher(algorithms.AES(vk), modes.XTS(n.to_bytes(16, 'little'))).encryptor()
            res += enc.update(buf[i:i+512]) + enc.finalize()
            n += 1
        o.write(res)
