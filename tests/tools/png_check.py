#!/usr/bin/python3
"""Independent PNG check for tests: signature, chunk CRCs, IHDR, and that IDAT inflates to the right size.
Prints 'ok WxH channels' or exits 1 with the problem."""
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("bad signature")
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    (length,) = struct.unpack(">I", data[pos:pos + 4])
    ctype = data[pos + 4:pos + 8]
    body = data[pos + 8:pos + 8 + length]
    (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
    if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
        sys.exit(f"bad CRC in {ctype!r}")
    if ctype == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif ctype == b"IDAT":
        idat += body
    elif ctype == b"IEND":
        break
    pos += 12 + length
w, h, depth, color = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
channels = {0: 1, 2: 3}[color]
raw = zlib.decompress(idat)
if len(raw) != h * (1 + w * channels * depth // 8):
    sys.exit(f"IDAT inflates to {len(raw)} bytes, expected {h * (1 + w * channels * depth // 8)}")
print(f"ok {w}x{h} {channels}")
