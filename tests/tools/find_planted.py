#!/usr/bin/python3
"""Looks for planted identifying values in de-identified outputs, independently of ServerlessMed (pydicom).

    find_planted.py PLANTED_JSON FILE [FILE ...]

PLANTED_JSON holds {"needles": [...]} (tests/tools/build_phi_inputs.py writes it). Each FILE that reads as DICOM is
decoded in its own character set and every value at every depth (file meta included) is searched, case-insensitively;
every FILE (DICOM or not: audit records, logs) is also searched as raw bytes for each needle encoded in UTF-8, Latin-1
and ISO 2022 IR 87, in its own, upper and lower case. Prints "findings: N" and one line per finding; exit 1 if any."""
import json
import sys
import warnings

warnings.simplefilter("ignore")
import pydicom  # noqa: E402
from pydicom.charset import encode_string  # noqa: E402
from pydicom.multival import MultiValue  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402


def texts(ds):
    for elem in ds:
        if isinstance(elem.value, Sequence):
            for item in elem.value:
                yield from texts(item)
            continue
        values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
        for v in values:
            if isinstance(v, bytes):
                yield elem.tag, v.decode("latin-1")
                yield elem.tag, v.decode("utf-8", errors="ignore")
            elif v is not None:
                yield elem.tag, str(v)


def encodings(needle):
    out = set()
    for variant in {needle, needle.upper(), needle.lower()}:
        for codec in ("utf-8", "latin-1"):
            try:
                out.add(variant.encode(codec))
            except UnicodeEncodeError:
                pass
        try:
            out.add(encode_string(variant, ["", "ISO 2022 IR 87"]))
        except Exception:  # noqa: BLE001 - not representable in that set
            pass
    return out


def main():
    needles = json.load(open(sys.argv[1], encoding="utf-8"))["needles"]
    findings = []
    for path in sys.argv[2:]:
        raw = open(path, "rb").read()
        for n in needles:
            if any(e in raw for e in encodings(n)):
                findings.append(f"{path}: bytes of {n!r}")
        if not path.endswith(".dcm"):
            continue
        ds = pydicom.dcmread(path, force=True)
        haystack = list(texts(ds.file_meta)) + list(texts(ds))
        for n in needles:
            for tag, text in haystack:
                if n.lower() in text.lower():
                    findings.append(f"{path}: {n!r} in {tag}")
                    break
    print(f"findings: {len(findings)}")
    for f in findings:
        print(f)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
