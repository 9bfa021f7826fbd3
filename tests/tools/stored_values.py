"""Shared by the pixel comparison tools: a reference array read the way PS3.5 8.1.1 defines stored values."""
import numpy as np


def through_bits_stored(ref, ds):
    """pydicom 2.3 leaves bits above Bits Stored in place (and some writers, e.g. dcmdjpls, leave signed values
    unextended); a stored value is the low Bits Stored bits, sign-extended when Pixel Representation is 1. Returns the
    array with that applied, in its own dtype."""
    stored = int(getattr(ds, "BitsStored", 0) or 0)
    if ref.dtype.kind not in "iu" or not 0 < stored < ref.dtype.itemsize * 8:
        return ref
    wide = ref.astype(np.int64) & ((1 << stored) - 1)
    if int(getattr(ds, "PixelRepresentation", 0)) == 1:
        wide = np.where(wide >= (1 << (stored - 1)), wide - (1 << stored), wide)
    return wide.astype(ref.dtype)
