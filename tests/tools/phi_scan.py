#!/usr/bin/python3
"""Independent PHI scanner for de-identified output (pydicom; does not use ServerlessMed's codec or tables).

    phi_scan.py STANDARD_DIR OPTIONS_JSON PAIRS_TSV [EXTRA_TEXT_FILE ...]

PAIRS_TSV: one line per instance: input path, output path, audit JSON path. OPTIONS_JSON: the PS3.15 option
columns that apply, e.g. '["rtnUIDsOpt"]'. For each input it collects the values of every attribute whose action
(Table E.1-1, read here from the standard JSON: the first applicable option column, else the basic profile) is
not K or C, at any depth, plus every private attribute; then it looks for them in every element of the output
at any depth (text, and binary read as text), in the output's file name, in the audit JSON, and in the extra
text files (captured logs). A value that also occurs in an attribute the profile keeps is not a leak (the profile
keeps it) and is reported separately. Prints findings; exit 1 if any."""
import json
import os
import re
import sys
import warnings

warnings.simplefilter("ignore")
import pydicom  # noqa: E402
from pydicom.multival import MultiValue  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.valuerep import PersonName  # noqa: E402

PIXEL_TAGS = {0x7FE00010, 0x7FE00008, 0x7FE00009}
# What PS3.15 E.1.1 requires the de-identifier to add: standard text (CID 7050 code meanings), not input values.
ADDED_BY_PROFILE = {0x00120063, 0x00120064}
OPTION_ORDER = ["rtnSafePrivOpt", "rtnUIDsOpt", "rtnDevIdOpt", "rtnInstIdOpt", "rtnPatCharsOpt",
                "rtnLongFullDatesOpt", "rtnLongModifDatesOpt", "cleanDescOpt", "cleanStructContOpt", "cleanGraphOpt"]
MIN_LEN = 4


def load_table(standard_dir):
    rows = json.load(open(os.path.join(standard_dir, "confidentiality_profile_attributes.json"), encoding="utf-8"))
    exact, masked = {}, []
    for r in rows:
        t = r["tag"].upper()
        m = re.match(r"\(([0-9A-FX]{4}),([0-9A-FX]{4})\)", t)
        if not m:
            continue
        digits = m.group(1) + m.group(2)
        value = int(digits.replace("X", "0"), 16)
        mask = int("".join("0" if c == "X" else "F" for c in digits), 16)
        (exact.__setitem__(value, r) if mask == 0xFFFFFFFF else masked.append((value, mask, r)))
    return exact, masked


def action(tag, exact, masked, options):
    if tag >> 16 & 1:
        return "PRIVATE"
    row = exact.get(tag)
    if row is None:
        for value, mask, r in masked:
            if tag & mask == value:
                row = r
                break
    if row is None:
        return "K"
    for o in OPTION_ORDER:
        if o in options and row.get(o):
            return row[o]
    return row["basicProfile"]


def strings_of(elem):
    v = elem.value
    items = v if isinstance(v, (list, MultiValue)) else [v]
    out = []
    for x in items:
        if isinstance(x, PersonName):
            s = str(x)
            out.extend(p for p in re.split(r"[\^=]", s))
            out.append(s)
        elif isinstance(x, bytes):
            out.append(x.decode("latin-1"))
        elif x is not None:
            out.append(str(x))
    return [s.strip(" \0") for s in out]


def walk(ds):
    for elem in ds:
        if elem.tag in PIXEL_TAGS:
            continue
        if elem.VR == "SQ" or isinstance(elem.value, Sequence):
            yield elem, True
            for item in elem.value:
                yield from walk(item)
        else:
            yield elem, False


def json_strings(node):
    """The string and number values of a JSON document (not its keys)."""
    if isinstance(node, dict):
        for v in node.values():
            yield from json_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from json_strings(v)
    elif node is not None:
        yield str(node)


def meaningful(s):
    return len(s) >= MIN_LEN and not re.fullmatch(r"[0\. \\-]*", s)


def main():
    standard, options, pairs = sys.argv[1], set(json.loads(sys.argv[2])), sys.argv[3]
    extra = "\n".join(open(p, encoding="utf-8", errors="replace").read() for p in sys.argv[4:])
    exact, masked = load_table(standard)
    findings, kept_overlaps, needles_total, files = [], 0, 0, 0
    for line in open(pairs, encoding="utf-8"):
        if not line.strip():
            continue
        src, out, audit = line.rstrip("\n").split("\t")
        files += 1
        inp = pydicom.dcmread(src, force=True)
        needles, kept = set(), set()
        for elem, is_sq in walk(inp):
            if is_sq:
                continue
            try:
                values = strings_of(elem)
            except Exception:  # noqa: BLE001 - undecodable value: compare its raw bytes
                values = [bytes(elem.value).decode("latin-1")] if isinstance(elem.value, bytes) else []
            a = action(int(elem.tag), exact, masked, options)
            target = kept if a in ("K", "C") else needles
            target.update(v for v in values if meaningful(v))
        kept_text = "\n".join(kept)
        real = set()
        for n in needles:
            if n in kept_text:
                kept_overlaps += 1
            else:
                real.add(n)
        needles_total += len(real)
        output = pydicom.dcmread(out, force=True)
        for t in ADDED_BY_PROFILE:
            if t in output:
                del output[t]
        haystack = [os.path.relpath(out, os.path.dirname(os.path.dirname(os.path.dirname(out))))]
        for elem, is_sq in walk(output):
            if not is_sq:
                try:
                    haystack.extend(strings_of(elem))
                except Exception:  # noqa: BLE001
                    if isinstance(elem.value, bytes):
                        haystack.append(elem.value.decode("latin-1"))
        haystack.extend(json_strings(json.load(open(audit, encoding="utf-8"))))
        text = "\n".join(haystack)
        for n in sorted(real):
            # Whole tokens only: a leaked value is copied whole, while a short word or digit run can occur
            # inside an unrelated token (a mapped 2.25 UID, a JSON key) without being the same value.
            pattern = re.compile(r"(?<![0-9A-Za-z])" + re.escape(n) + r"(?![0-9A-Za-z])")
            if pattern.search(text):
                findings.append(f"{src}: value of a removed attribute found in output: {n[:40]!r}")
            if extra and pattern.search(extra):
                findings.append(f"{src}: value of a removed attribute found in logs: {n[:40]!r}")
    print(f"scanned {files} instances for {needles_total} identifying values "
          f"({kept_overlaps} more also occur in attributes the profile keeps); findings: {len(findings)}")
    for f in findings[:50]:
        print(f)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
