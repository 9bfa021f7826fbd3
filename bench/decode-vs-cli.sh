#!/usr/bin/env bash
# Decode throughput per transfer syntax on the corpus files of that syntax: our in-process FrameDecoder (best of 5)
# against a native command line on the same files (dcmdjpeg, dcmdjpls, dcmdrle; gdcmconv --raw, OpenJPEG inside, for J2K),
# one process per file as those tools run. Prints decoded MB/s for both and the ratio (goal >= 0.9x).
# The CLI figures include process start-up, which dominates on these small files: read the ratio with that in mind.
#   bench/decode-vs-cli.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$repo/../shared/corpus"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
tail -n +2 "$corpus/MANIFEST.tsv" | awk -F'\t' -v c="$corpus" '$12 !~ /^malformed:/ && $9 != "" {
  split($5, t, " "); ts = t[1]; label = "";
  if (ts == "1.2.840.10008.1.2.5") label = "rle:dcmdrle";
  else if (ts == "1.2.840.10008.1.2.4.50" || (ts == "1.2.840.10008.1.2.4.51" && $9 == "8")) label = "jpeg-8bit:dcmdjpeg";
  else if (ts == "1.2.840.10008.1.2.4.51") label = "jpeg-12bit:dcmdjpeg";
  else if (ts == "1.2.840.10008.1.2.4.57" || ts == "1.2.840.10008.1.2.4.70") label = "jpeg-lossless:dcmdjpeg";
  else if (ts == "1.2.840.10008.1.2.4.80" || ts == "1.2.840.10008.1.2.4.81") label = "jpeg-ls:dcmdjpls";
  else if (ts == "1.2.840.10008.1.2.4.90" || ts == "1.2.840.10008.1.2.4.91" || ts == "1.2.840.10008.1.2.4.201" || ts == "1.2.840.10008.1.2.4.203") label = "jpeg2000:gdcmconv";
  if (label != "") print label "\t" c "/" $1 }' > "$work/all"
# Keep the files we decode (the decode tests check every one of them against these same tools).
: > "$work/list"
dotnet build "$repo/src/ServerlessMed.Cli" -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
while IFS=$'\t' read -r label path; do
  dotnet "$repo/src/ServerlessMed.Cli/bin/Release/net10.0/smed.dll" pixels "$path" "$work/x.npy" >/dev/null 2>&1 && printf '%s\t%s\n' "$label" "$path" >> "$work/list"
done < "$work/all"
dotnet run -c Release --project "$repo/bench/ServerlessMed.Benchmarks" -- decode "$work/list" 5 > "$work/ours"
printf '%-26s %5s %10s %12s %12s %8s\n' syntax files MB "ours MB/s" "CLI MB/s" ratio
while IFS=$'\t' read -r label n bytes secs; do
  tool="${label#*:}"
  start=$(date +%s.%N)
  grep -P "^${label}\t" "$work/list" | cut -f2 | while read -r f; do
    case "$tool" in
      gdcmconv) gdcmconv --raw "$f" "$work/out.dcm" ;;
      *) "$tool" "$f" "$work/out.dcm" ;;
    esac >/dev/null 2>&1 || true
  done
  cli=$(echo "$(date +%s.%N) - $start" | bc -l)
  awk -v l="${label%%:*} ($tool)" -v n="$n" -v b="$bytes" -v s="$secs" -v c="$cli" 'BEGIN {
    printf "%-26s %5d %10.2f %12.1f %12.1f %7.1fx\n", l, n, b/1e6, b/1e6/s, b/1e6/c, c/s }'
done < "$work/ours"
