#!/usr/bin/python3
"""Compare our DICOM JSON (PS3.18 F) for a file with pydicom's Dataset.to_json_dict() on the same file.

    compare_json.py DICOM_FILE OUR_JSON_FILE

Numbers are compared as numbers (relative 1e-6 for FL), pixel data only by presence (DumpCommandTests compares its bytes),
and empty values as absent. Prints 'equal' or the differences (paths), exit 1 on difference, 2 when pydicom
cannot read the file (the caller skips such files only if DCMTK also rejects them)."""
import base64
import json
import math
import sys
import warnings

warnings.simplefilter("ignore")
import pydicom  # noqa: E402
from pydicom import config  # noqa: E402

PIXEL = {"7FE00010", "7FE00008", "7FE00009"}


def bulk(elem):
    return "bulk"


def norm_value(vr, values):
    out = []
    for v in values:
        if v is None or v == "":
            out.append(None)
        elif vr in ("DS", "FL", "FD", "IS") and isinstance(v, (int, float)):
            out.append(("num", float(v)))
        elif vr in ("DS", "IS") and isinstance(v, str):
            try:
                out.append(("num", float(v)))
            except ValueError:
                out.append(v.strip())
        elif vr == "PN" and isinstance(v, dict):
            out.append({k: v[k] for k in ("Alphabetic", "Ideographic", "Phonetic") if v.get(k)})
        elif isinstance(v, str):
            out.append(v.rstrip(" \0"))
        else:
            out.append(v)
    while out and out[-1] is None and len(out) > 1:
        out.pop()
    return out


def norm(ds_json, path=""):
    result = {}
    for tag, el in ds_json.items():
        vr = el.get("vr")
        p = path + tag
        if tag in PIXEL:
            result[tag] = ("pixel",)
            continue
        if vr == "SQ":
            result[tag] = ("SQ", [norm(item, p + "/") for item in el.get("Value", [])])
        elif "Value" in el:
            if False:
                result[tag] = ("SQ", [norm(item, p + "/") for item in el["Value"]])
            else:
                vals = norm_value(vr, el["Value"])
                result[tag] = (vr, vals) if any(x is not None for x in vals) else (vr, None)
        elif "InlineBinary" in el:
            data = base64.b64decode(el["InlineBinary"])
            data = data.rstrip(b"\0") if len(data) % 2 == 0 else data
            result[tag] = ("bin", data)
        elif "BulkDataURI" in el:
            result[tag] = ("bulk",)
        else:
            result[tag] = (vr, None)
    return result


def same(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple) and a[:1] == ("num",) and b[:1] == ("num",):
        return math.isclose(a[1], b[1], rel_tol=1e-6, abs_tol=1e-30)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def diff(a, b, path, out):
    for tag in sorted(set(a) | set(b)):
        if tag not in a or tag not in b:
            out.append(f"{path}{tag}: only in {'pydicom' if tag not in a else 'ours'}")
            continue
        x, y = a[tag], b[tag]
        if x[0] == "SQ" and y[0] == "SQ":
            if len(x[1]) != len(y[1]):
                out.append(f"{path}{tag}: {len(x[1])} vs {len(y[1])} items")
            for i, (xi, yi) in enumerate(zip(x[1], y[1])):
                diff(xi, yi, f"{path}{tag}[{i}]/", out)
        elif x[0] == "pixel" or y[0] == "pixel":
            if x[0] != y[0]:
                out.append(f"{path}{tag}: pixel data on one side only")
        elif x[0] in ("bulk", "bin") or y[0] in ("bulk", "bin"):
            # Binary: equal bytes, or one side deferred to bulk data.
            if x[0] == "bin" and y[0] == "bin" and x[1] != y[1]:
                out.append(f"{path}{tag}: binary differs")
        elif not same(x[1], y[1]):
            out.append(f"{path}{tag}: ours {x} vs pydicom {y}"[:300])


def main():
    try:
        ds = pydicom.dcmread(sys.argv[1], force=True)
        theirs = ds.to_json_dict(bulk_data_threshold=1 << 30, bulk_data_element_handler=bulk)
    except Exception as e:  # noqa: BLE001 - any failure means pydicom cannot serve as the reference here
        print(f"pydicom cannot read: {type(e).__name__}: {e}")
        return 2
    ours = json.load(open(sys.argv[2], encoding="utf-8"))
    out = []
    diff(norm(ours), norm(theirs), "", out)
    if out:
        print("\n".join(out[:40]))
        return 1
    print("equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
