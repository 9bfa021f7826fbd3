#!/usr/bin/env bash
# Side by side, same files, one run: rewrite every well-formed corpus file (×REPEAT) with DCMTK's dcmconv and
# with our codec, and print seconds, MB/s and the ratio. dcmconv runs one process per file (how it is used);
# ours runs in one process (how the pipeline uses it) and also once per file through `smed convert`.
#   bench/codec-vs-dcmconv.sh [REPEAT]     (default 5)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
repeat="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"
dotnet build bench/ServerlessMed.Benchmarks -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
dotnet build src/ServerlessMed.Cli -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
corpus="$repo/../shared/corpus"
tail -n +2 "$corpus/MANIFEST.tsv" | awk -F'\t' '$12 !~ /^malformed:/ {print $1}' > "$work/rel"
: > "$work/list"
for r in $(seq "$repeat"); do sed "s#^#$corpus/#" "$work/rel" >> "$work/list"; done
files=$(wc -l < "$work/list")
bytes=$(xargs stat -c %s < "$work/list" | awk '{s+=$1} END {print s}')
mkdir -p "$work/dcmtk" "$work/ours" "$work/smed"
t0=$(date +%s.%N)
i=0; while read -r f; do i=$((i+1)); dcmconv -q "$f" "$work/dcmtk/$i.dcm" 2>/dev/null || true; done < "$work/list"
t1=$(date +%s.%N)
dotnet bench/ServerlessMed.Benchmarks/bin/Release/net10.0/ServerlessMed.Benchmarks.dll convert-all "$work/list" "$work/ours" >/dev/null
t2=$(date +%s.%N)
i=0; while read -r f; do i=$((i+1)); dotnet src/ServerlessMed.Cli/bin/Release/net10.0/smed.dll convert "$f" "$work/smed/$i.dcm" 2>/dev/null || true; done < <(head -n "$(wc -l < "$work/rel")" "$work/list")
t3=$(date +%s.%N)
awk -v n="$files" -v b="$bytes" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v n1="$(wc -l < "$work/rel")" 'BEGIN {
  d = t1 - t0; o = t2 - t1; s = t3 - t2
  printf "%d files, %.1f MB\n", n, b/1e6
  printf "%-34s %8.2f s  %7.1f MB/s  %7.1f files/s\n", "dcmconv (process per file)", d, b/1e6/d, n/d
  printf "%-34s %8.2f s  %7.1f MB/s  %7.1f files/s\n", "ServerlessMed.Dicom (one process)", o, b/1e6/o, n/o
  printf "%-34s %8.2f s  %7.1f files/s  (first %d files only)\n", "smed convert (process per file)", s, n1/s, n1
  printf "ratio ours/dcmconv files/s: %.1fx\n", (n/o)/(n/d)
}'
