#!/usr/bin/python3
"""compare_npy.py DICOM NPY [FRAME]: exit 0 when NPY (from `smed pixels`) holds exactly pydicom's pixel_array for
DICOM (all frames, or FRAME), read through Bits Stored, with the same dtype family and shape (frames, rows, columns[, samples]); prints why not."""
import sys

import numpy as np
import pydicom
from stored_values import through_bits_stored

ds = pydicom.dcmread(sys.argv[1])
ours = np.load(sys.argv[2])
ref = ds.pixel_array
frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
samples = int(getattr(ds, "SamplesPerPixel", 1))
if frames == 1:
    ref = ref[np.newaxis, ...]
if len(sys.argv) > 3:
    f = int(sys.argv[3])
    ref = ref[f:f + 1]
ref = through_bits_stored(ref, ds)
if ours.shape != ref.shape:
    print(f"shape {ours.shape} != pydicom {ref.shape}")
    sys.exit(1)
if ours.dtype.kind != ref.dtype.kind or ours.dtype.itemsize != ref.dtype.itemsize:
    print(f"dtype {ours.dtype} != pydicom {ref.dtype}")
    sys.exit(1)
if not np.array_equal(ours, ref):
    diff = np.argwhere(ours != ref)[0]
    print(f"values differ first at {tuple(diff)}: ours {ours[tuple(diff)]}, pydicom {ref[tuple(diff)]}")
    sys.exit(1)
print(f"identical {ours.shape} {ours.dtype}")
