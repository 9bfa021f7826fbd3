#!/usr/bin/python3
"""deflated_reference.py DEFLATED.dcm OURS.npy [NATIVE_TWIN.dcm]: exit 0 when OURS holds, for every frame, the raw
Deflate (RFC 1951) inflation of that frame's fragment by Python's zlib with its bits unpacked LSB first (PS3.5 8.2.16
for Bits Allocated 1), and, when given, pydicom's pixel_array of the native file with the same frames."""
import sys
import zlib

import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_frame

ds = pydicom.dcmread(sys.argv[1])
ours = np.load(sys.argv[2])
frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
rows, cols = int(ds.Rows), int(ds.Columns)
if int(ds.BitsAllocated) != 1:
    sys.exit("only the 1-bit case is checked here")
ref = []
for fragment in generate_pixel_data_frame(ds.PixelData, frames):
    native = zlib.decompress(fragment, -15)
    ref.append(np.unpackbits(np.frombuffer(native, np.uint8), bitorder="little")[: rows * cols].reshape(rows, cols))
ref = np.stack(ref)
if ours.shape != ref.shape or not np.array_equal(ours, ref):
    sys.exit(f"differs from zlib: ours {ours.shape} {ours.dtype}, reference {ref.shape}")
if len(sys.argv) > 3:
    twin = pydicom.dcmread(sys.argv[3]).pixel_array
    twin = twin.reshape(ref.shape)
    if not np.array_equal(ours, twin):
        sys.exit("differs from the native twin's pixel_array")
print(f"identical {ours.shape}, {int(ours.sum())} set samples")
