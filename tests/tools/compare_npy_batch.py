#!/usr/bin/python3
"""compare_npy_batch.py LIST: LIST has lines "DICOM<TAB>NPY"; for each, prints "DICOM<TAB>ok|FAIL<TAB>detail" where ok
means NPY (from `smed pixels`) holds exactly pydicom's pixel_array (read through Bits Stored, see below) for all frames, with the same dtype family and
shape (frames, rows, columns[, samples]). One process for many files: importing numpy and pydicom is the slow part.
Exit 0 when every line is ok."""
import sys
import warnings

import numpy as np
import pydicom
from stored_values import through_bits_stored

warnings.simplefilter("ignore")
failed = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.strip():
        continue
    dcm, npy = line.rstrip("\n").split("\t")
    try:
        ds = pydicom.dcmread(dcm)
        ref = ds.pixel_array
        if int(getattr(ds, "NumberOfFrames", 1) or 1) == 1:
            ref = ref[np.newaxis, ...]
        ours = np.load(npy)
        ref = through_bits_stored(ref, ds)
        if ours.shape != ref.shape:
            raise ValueError(f"shape {ours.shape} != pydicom {ref.shape}")
        if ours.dtype.kind != ref.dtype.kind or ours.dtype.itemsize != ref.dtype.itemsize:
            raise ValueError(f"dtype {ours.dtype} != pydicom {ref.dtype}")
        if not np.array_equal(ours, ref):
            d = tuple(np.argwhere(ours != ref)[0])
            raise ValueError(f"values differ first at {d}: ours {ours[d]}, pydicom {ref[d]}")
        print(f"{dcm}\tok\tidentical {ours.shape} {ours.dtype}")
    except Exception as e:  # one bad file must not hide the others
        failed += 1
        print(f"{dcm}\tFAIL\t{e}")
sys.exit(1 if failed else 0)
