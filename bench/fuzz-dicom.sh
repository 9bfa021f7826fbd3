#!/usr/bin/env bash
# Coverage-guided fuzzing of the DICOM reader/writer with SharpFuzz + AFL++.
#   bench/fuzz-dicom.sh [SECONDS]      (default 1800; findings in out/fuzz/findings)
# Needs afl++ (apt) and the SharpFuzz instrumenter (dotnet tool restore). Every crash found becomes a file in
# tests/ServerlessMed.Dicom.Tests/FuzzRegressions/, which a test reads back expecting only DicomException.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-1800}"
out="$repo/out/fuzz"
command -v afl-fuzz >/dev/null || { sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo; $sudo_cmd apt-get install -y -qq afl++ >/dev/null; }
cd "$repo"
dotnet tool restore >/dev/null
rm -rf "$out/bin"
dotnet publish bench/ServerlessMed.Fuzz -c Release -o "$out/bin" -nologo -v q >/dev/null
dotnet tool run sharpfuzz "$out/bin/ServerlessMed.Dicom.dll" >/dev/null
# Seeds: the corpus files that are small enough for AFL to mutate quickly, plus their first 2 KiB (headers).
rm -rf "$out/seeds" && mkdir -p "$out/seeds"
i=0
while IFS= read -r f; do
  i=$((i+1))
  if [ "$(stat -c %s "$f")" -le 65536 ]; then cp "$f" "$out/seeds/$i.dcm"; fi
  head -c 2048 "$f" > "$out/seeds/$i.head.dcm"
done < <(find "$repo/../shared/corpus" -type f ! -name '*.tsv' ! -name '*.md' ! -path '*/LICENSES/*' | sort)
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
rm -rf "$out/findings"
afl-fuzz -i "$out/seeds" -o "$out/findings" -t 10000 -m none -V "$seconds" -- dotnet "$out/bin/ServerlessMed.Fuzz.dll" || true
stats="$out/findings/default/fuzzer_stats"
[ -f "$stats" ] && grep -E "execs_done|execs_per_sec|saved_crashes|saved_hangs|corpus_count|run_time" "$stats"
mkdir -p "$repo/tests/ServerlessMed.Dicom.Tests/FuzzRegressions"
for c in "$out"/findings/default/crashes/id:* "$out"/findings/default/hangs/id:*; do
  [ -f "$c" ] || continue
  cp "$c" "$repo/tests/ServerlessMed.Dicom.Tests/FuzzRegressions/$(sha1sum "$c" | cut -c1-16).bin"
done
