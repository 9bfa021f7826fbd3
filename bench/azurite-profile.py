#!/usr/bin/env python3
"""Where an Azurite process spent its CPU: reads the V8 CPU profiles node writes when the emulator was started with
SMED_AZURITE_CPU_PROF=FOLDER (src/ServerlessMed.Azurite/AzuriteLauncher.cs) and prints, per profile, the busy time
and the time inside each of Azurite's persistence calls (inclusive), the functions a request mix pays for.

  SMED_AZURITE_CPU_PROF=/tmp/azprof bench/pipeline-load.sh 1000
  python3 bench/azurite-profile.py /tmp/azprof/*.cpuprofile      (one profile per Azurite process, in start order)
"""
import collections
import json
import sys


def frame(node):
    cf = node["callFrame"]
    url = cf["url"].split("node_modules/")[-1] if cf["url"] else ""
    return f"{cf['functionName'] or '(anonymous)'} {url}:{cf['lineNumber']}"


def report(path, pattern="/persistence/", top=12):
    profile = json.load(open(path))
    nodes = {n["id"]: n for n in profile["nodes"]}
    parent = {c: n["id"] for n in profile["nodes"] for c in n.get("children", [])}
    sampled = collections.Counter()
    for sample, delta in zip(profile["samples"], profile["timeDeltas"]):
        sampled[sample] += delta
    idle = sum(t for n, t in sampled.items() if nodes[n]["callFrame"]["functionName"] == "(idle)")
    inclusive = collections.Counter()
    for node_id, t in sampled.items():
        seen = set()
        while node_id is not None:
            name = frame(nodes[node_id])
            if name not in seen:
                inclusive[name] += t
                seen.add(name)
            node_id = parent.get(node_id)
    busy = sum(sampled.values()) - idle
    print(f"{path}: busy {busy / 1000:.0f} ms")
    for name, t in [(n, t) for n, t in inclusive.most_common() if pattern in n][:top]:
        print(f"  {t / 1000:8.0f} ms {100 * t / busy:5.1f}%  {name}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for p in sys.argv[1:]:
        report(p)
