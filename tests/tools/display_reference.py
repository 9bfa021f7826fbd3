#!/usr/bin/python3
"""display_reference.py DICOM STORED.npy OURS.npy FRAME: exit 0 when OURS (uint8, rows x columns: our display image of
FRAME) is within 1 of what pydicom's own LUT functions make of the same stored values (STORED, rows x columns):
apply_modality_lut (Rescale or Modality LUT Sequence), then apply_voi_lut (VOI LUT Sequence preferred, else the
window with its LINEAR/LINEAR_EXACT/SIGMOID function), scaled to 0..255 over the output range pydicom gives
(the LUT's bit depth; for a window, its y_min..y_max), MONOCHROME1 inverted. For enhanced multi-frame instances
the frame's Pixel Value Transformation and Frame VOI LUT items (per-frame, else shared) are copied to the top level
first, since pydicom 2.3's functions read only top-level attributes."""
import sys

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut

ds = pydicom.dcmread(sys.argv[1])
stored = np.load(sys.argv[2])
ours = np.load(sys.argv[3]).astype(np.int64)
frame = int(sys.argv[4])


def functional(macro):
    for groups, index in (("PerFrameFunctionalGroupsSequence", frame), ("SharedFunctionalGroupsSequence", 0)):
        seq = getattr(ds, groups, None)
        if seq is not None and len(seq) > index and macro in seq[index] and len(seq[index][macro].value) > 0:
            return seq[index][macro].value[0]
    return None


for macro in ("PixelValueTransformationSequence", "FrameVOILUTSequence"):
    item = functional(macro)
    if item is not None:
        for element in item:
            ds[element.tag] = element

modality = apply_modality_lut(stored, ds)
if "VOILUTSequence" in ds:
    out = apply_voi_lut(modality, ds).astype(np.float64)
    bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
    expected = out * 255.0 / ((1 << bits) - 1)
else:
    # pydicom's window output spans [y_min, y_max]: the Modality LUT's range, else the stored range through rescale.
    out = apply_voi_lut(modality.astype(np.float64), ds).astype(np.float64)
    if ds.get("ModalityLUTSequence"):
        y_min, y_max = 0.0, float((1 << int(ds.ModalityLUTSequence[0].LUTDescriptor[2])) - 1)
    elif int(ds.PixelRepresentation) == 0:
        y_min, y_max = 0.0, float((1 << int(ds.BitsStored)) - 1)
    else:
        y_min, y_max = float(-(1 << (int(ds.BitsStored) - 1))), float((1 << (int(ds.BitsStored) - 1)) - 1)
    if ds.get("RescaleSlope") is not None and ds.get("RescaleIntercept") is not None:
        y_min = y_min * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        y_max = y_max * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    expected = (out - y_min) * 255.0 / (y_max - y_min)
expected = np.clip(np.round(expected), 0, 255).astype(np.int64)
if str(ds.PhotometricInterpretation).strip() == "MONOCHROME1":
    expected = 255 - expected
diff = np.abs(expected - ours)
if diff.max() > 1:
    at = tuple(np.argwhere(diff > 1)[0])
    sys.exit(f"{int((diff > 1).sum())} pixels differ by more than 1; first at {at}: ours {ours[at]}, pydicom {expected[at]}")
print(f"within 1: max difference {int(diff.max())}, {int((diff == 1).sum())} pixels differ by 1")
