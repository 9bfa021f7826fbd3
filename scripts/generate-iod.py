#!/usr/bin/python3
"""Generate the IOD / module attribute types the de-identifier needs to keep its output valid (PS3.3), from GDCM's
machine-readable Part 3 (Debian package libgdcm3.0: /usr/share/gdcm-3.0/XML/Part3.xml) and the SOP classes in
../shared/standard/sops.json. Run from the repo root:

    /usr/bin/python3 scripts/generate-iod.py [--part3 /usr/share/gdcm-3.0/XML/Part3.xml] [--standard ../shared/standard] [--out FILE]

Output (checked in): src/ServerlessMed.Deid/Iod/iod-attributes.tsv, three kinds of rows:
    S <sop class uid> <iod number>                    which IOD a SOP class uses
    I <iod number> <iod name>                         one IOD
    M <iod number> <usage M|C|U> <module number>      a module of an IOD
    A <module number> <parent> <tag> <type> <dependsOn> <enum>   an attribute of a module: parent is the enclosing
        sequence's tag (00000000 at the top level), type 1, 1C, 2, 2C or 3, dependsOn the attribute whose presence
        its condition names ("Required if X (gggg,eeee) is present", else empty), enum its first Enumerated Value
        (CS dummies must be one of them)
GDCM's file is the 2008 edition of PS3.3: IODs and attributes added since then are absent (the de-identifier then
falls back to its IOD-free choices). Only the standard library is used so that it runs on a bare Debian python3.
"""
import argparse
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TAG = re.compile(r"^[0-9A-Fa-f]{4}$")
TABLE_REF = re.compile(r"Table\s*\(?\s*([A-Z]?\.?[0-9][0-9A-Za-z.\-]*[0-9a-z])")
CONDITION = re.compile(r"Required if (?:the )?([A-Za-z'/ \-]+?)\s*(?:\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\))? is present(?: and has a value)?\s*\.")
ENUM = re.compile(r"Enumerated Values?:\s*\n\s*([A-Z0-9_ ]{1,16})\s*\n")

# IOD names in sops.json (the current standard) that the 2008 tables spell differently.
IOD_ALIASES = {
    "computed radiography image": "cr image",
    "enhanced x-ray angiographic image": "enhanced x ray angiographic image",
    "enhanced xa image": "enhanced x ray angiographic image",
    "enhanced x-ray radiofluoroscopic image": "enhanced x ray rf image",
    "enhanced xrf image": "enhanced x ray rf image",
    "x-ray radiofluoroscopic image": "xrf image",
    "x-ray angiographic image": "x ray angiographic image",
    "ultrasound image": "us image",
    "ultrasound multi-frame image": "us multi frame image",
    "secondary capture image": "sc image",
    "multi-frame single bit secondary capture image": "multi frame single bit sc image",
    "multi-frame grayscale byte secondary capture image": "multi frame grayscale byte sc image",
    "multi-frame grayscale word secondary capture image": "multi frame grayscale word sc image",
    "multi-frame true color secondary capture image": "multi frame true color sc image",
    "positron emission tomography image": "pet image",
    "nuclear medicine image": "nm image",
    "computed tomography image": "ct image",
    "magnetic resonance image": "mr image",
    "basic voice audio waveform": "basic voice audio",
    "hemodynamic waveform": "hemodynamic",
    "basic cardiac electrophysiology waveform": "basic cardiac ep",
}


def norm(name):
    name = re.sub(r"\s+IOD Modules$", "", name.strip(), flags=re.I).lower()
    return IOD_ALIASES.get(name, name).replace("-", " ").replace("  ", " ")


def text_of(el):
    d = el.find("description")
    return "".join(d.itertext()) if d is not None else ""


def depth_and_name(name):
    n = len(name) - len(name.lstrip(">"))
    return n, name.lstrip("> ").strip()


class Tables:
    def __init__(self, root):
        self.by_table = {}
        self.modules = {}
        for el in root:
            if el.tag in ("macro", "module") and el.get("table"):
                self.by_table.setdefault(self.key(el.get("table")), el)
            if el.tag == "module" and el.get("ref"):
                self.modules.setdefault(el.get("ref"), el)

    @staticmethod
    def key(table):
        return re.sub(r"[^0-9A-Za-z]", "", table).lower()

    def find(self, ref):
        for m in TABLE_REF.finditer(ref):
            t = self.by_table.get(self.key(m.group(1)))
            if t is not None:
                return t
        return None

    def expand(self, table_el, base, stack, out):
        """Rows (depth, tag, type, condition text, enum) of a module or macro, includes expanded in place; a table
        that includes itself (the SR content tree) is expanded once: its (parent, child) pairs are the same."""
        key = id(table_el)
        if key in stack:
            return
        stack = stack | {key}
        for el in table_el:
            if el.tag == "entry":
                g, e = el.get("group", ""), el.get("element", "")
                if not (TAG.match(g) and TAG.match(e)):
                    continue  # repeating groups (60xx) and the like
                depth, name = depth_and_name(el.get("name", ""))
                desc = text_of(el)
                enum = ENUM.search(desc + "\n")
                out.append((base + depth, (int(g, 16) << 16) | int(e, 16), (el.get("type") or "3").strip().upper(), desc,
                            enum.group(1).strip() if enum else "", name))
            elif el.tag == "include":
                ref = el.get("ref", "")
                depth, _ = depth_and_name(ref)
                target = self.find(ref)
                if target is not None:
                    self.expand(target, base + depth, stack, out)


STRICTNESS = ["1", "1C", "2", "2C", "3"]
TYPES = set(STRICTNESS)


def pairs(rows):
    """(parent, tag, type, dependsOn, enum) from depth-annotated rows: parent is the last sequence one level up; a
    condition that names an attribute without its tag is resolved among the same module's attributes."""
    result, last_at = [], {}
    by_name = {name.lower(): tag for _, tag, _, _, _, name in rows}
    for depth, tag, typ, desc, enum, _ in rows:
        parent = last_at.get(depth - 1, 0) if depth > 0 else 0
        last_at[depth] = tag
        for d in [d for d in last_at if d > depth]:
            del last_at[d]
        typ = typ if typ in TYPES else "3"
        dep = ""
        if typ in ("1C", "2C"):
            m = CONDITION.search(desc)
            if m and m.group(2):
                dep = f"{int(m.group(2), 16):04X}{int(m.group(3), 16):04X}"
            elif m and m.group(1).lower() in by_name:
                dep = f"{by_name[m.group(1).lower()]:08X}"
        result.append((parent, tag, typ, dep, enum))
    return result


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap.add_argument("--part3", default="/usr/share/gdcm-3.0/XML/Part3.xml")
    ap.add_argument("--standard", default=os.path.join(root, "..", "shared", "standard"))
    ap.add_argument("--out", default=os.path.join(root, "src", "ServerlessMed.Deid", "Iod", "iod-attributes.tsv"))
    args = ap.parse_args()
    if not os.path.exists(args.part3):
        print(f"{args.part3} is missing: install Debian's libgdcm3.0 (scripts/setup.sh does)", file=sys.stderr)
        return 1

    doc = ET.parse(args.part3).getroot()
    edition = doc.get("edition", "?")
    tables = Tables(doc)
    sops = json.load(open(os.path.join(args.standard, "sops.json"), encoding="utf-8"))

    iods = [el for el in doc if el.tag == "iod" and el.get("table", "").startswith("A.")]
    iod_index = {norm(el.get("name")): i for i, el in enumerate(iods)}
    module_index, module_rows = {}, []
    lines = [f"# IOD module attribute types from GDCM Part3.xml (PS3.3 edition {edition}); generated by scripts/generate-iod.py"]
    unmapped = []
    for s in sops:
        i = iod_index.get(norm(s.get("ciod", "")))
        if i is None:
            unmapped.append(s["ciod"])
            continue
        lines.append(f"S\t{s['id']}\t{i}")
    for i, el in enumerate(iods):
        lines.append(f"I\t{i}\t{re.sub(r' IOD Modules$', '', el.get('name'))}")
        for m in el:
            if m.tag != "entry":
                continue
            module = tables.modules.get(m.get("ref", ""))
            if module is None:
                continue
            if m.get("ref") not in module_index:
                module_index[m.get("ref")] = len(module_index)
                rows = []
                tables.expand(module, 0, frozenset(), rows)
                module_rows.append((len(module_index) - 1, module.get("name", ""), pairs(rows)))
            usage = (m.get("usage") or "U").strip()[:1].upper()
            lines.append(f"M\t{i}\t{usage if usage in 'MCU' else 'U'}\t{module_index[m.get('ref')]}")
    for n, name, rows in module_rows:
        lines.append(f"# module {n}: {name}")
        merged = {}
        for parent, tag, typ, dep, enum in rows:
            # A tag a module defines twice in one place (two macros, or a recursion's second level): the stricter wins.
            other = merged.get((parent, tag))
            if other is None or STRICTNESS.index(typ) < STRICTNESS.index(other[0]):
                merged[(parent, tag)] = (typ, dep, enum)
        for (parent, tag), (typ, dep, enum) in merged.items():
            lines.append(f"A\t{n}\t{parent:08X}\t{tag:08X}\t{typ}\t{dep}\t{enum}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"PS3.3 edition {edition}: {len(iods)} IODs, {len(module_rows)} modules, "
          f"{sum(len(r) for _, _, r in module_rows)} attribute rows; {len(sops) - len(unmapped)} of {len(sops)} SOP classes mapped")
    print("IODs of the current standard not in this edition: " + "; ".join(sorted(set(unmapped))), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
