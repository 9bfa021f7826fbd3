#!/usr/bin/python3
"""area_reference.py IN.npy OUT.npy H W: exit 0 when OUT (float32, H x W x C) is the area (box) resampling of IN
(h x w x C) within 1e-4, computed here in matrix form: OUT[:, :, c] = Ry @ IN[:, :, c] @ Rx.T, where R[o, i] is the
fraction of output pixel o's span [o*s, (o+1)*s) covered by input pixel i, over the span's length."""
import sys

import numpy as np


def coverage(n_in, n_out):
    s = n_in / n_out
    r = np.zeros((n_out, n_in), dtype=np.float64)
    for o in range(n_out):
        a, b = o * s, min(n_in, (o + 1) * s)
        for i in range(int(np.floor(a)), int(np.ceil(b))):
            r[o, i] = max(0.0, min(b, i + 1) - max(a, i)) / (b - a)
    return r


src = np.load(sys.argv[1]).astype(np.float64)
ours = np.load(sys.argv[2])
h, w = int(sys.argv[3]), int(sys.argv[4])
ry, rx = coverage(src.shape[0], h), coverage(src.shape[1], w)
ref = np.stack([ry @ src[:, :, c] @ rx.T for c in range(src.shape[2])], axis=2)
diff = np.abs(ref - ours).max()
if ours.shape != ref.shape or diff > 1e-4:
    sys.exit(f"shape {ours.shape} vs {ref.shape}, max difference {diff}")
print(f"max difference {diff:.2e}")
